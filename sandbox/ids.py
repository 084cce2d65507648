"""Identifier, timestamp and trigger-id generation."""

from __future__ import annotations

import secrets
import string
import time
from collections.abc import Callable

from sandbox.errors import ApiError

_ALPHABET = string.ascii_uppercase + string.digits


def new_id(prefix: str, length: int = 10) -> str:
    """A Slack-looking id such as "D8K2J4M1QZ0"; random so ids never repeat across sandbox runs."""
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def new_event_id() -> str:
    """An Events API event_id ("Ev…"), unique across runs so persistent dedupe stores stay valid."""
    return new_id("Ev", 12)


def new_trigger_id() -> str:
    """A trigger_id shaped like Slack's ("1234567890.1234567890.hex")."""
    return f"{int(time.time())}.{secrets.randbelow(10**10):010d}.{secrets.token_hex(16)}"


def new_view_hash() -> str:
    """An opaque view hash; a new one on every view change."""
    return f"{int(time.time())}.{secrets.token_hex(6)}"


class TsClock:
    """Message timestamps from the wall clock, strictly increasing within one sandbox."""

    def __init__(self, now: Callable[[], float] = time.time) -> None:
        self._now = now
        self._last_micros = 0

    def next(self) -> str:
        """The next ts, like "1700000000.000100"."""
        micros = max(int(self._now() * 1_000_000), self._last_micros + 1)
        self._last_micros = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


class TriggerRegistry:
    """Trigger ids the sandbox handed out; views.open accepts each once, within ttl seconds."""

    def __init__(self, ttl: float = 3.0, now: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._now = now
        self._issued: dict[str, tuple[float, str]] = {}
        self._used: set[str] = set()

    def issue(self, user_id: str) -> str:
        """A fresh trigger id for an interaction by user_id."""
        trigger_id = new_trigger_id()
        self._issued[trigger_id] = (self._now(), user_id)
        return trigger_id

    def consume(self, trigger_id: str | None) -> str:
        """The user the trigger was issued for (and marks it used); ApiError if unknown, used or expired."""
        issued = self._issued.get(trigger_id or "")
        if trigger_id is None or issued is None:
            raise ApiError("invalid_trigger_id")
        if trigger_id in self._used:
            raise ApiError("trigger_exchanged")
        issued_at, user_id = issued
        if self._now() - issued_at > self.ttl:
            raise ApiError("expired_trigger_id")
        self._used.add(trigger_id)
        return user_id
