"""Errors storage raises that mean something to the domain."""

from __future__ import annotations


class LiveHandoffExists(Exception):
    """The conversation already has an open, claimed or snoozed handoff (at most one may be live)."""

    def __init__(self, *, channel_id: str, thread_ts: str) -> None:
        super().__init__(f"a live handoff already exists for conversation {channel_id}/{thread_ts}")
        self.channel_id = channel_id
        self.thread_ts = thread_ts
