"""The use-case service: every change to Baton's state goes through here, over the storage ports."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from enum import StrEnum

from routing.models import MessageChange, MessageFacts, StoredMessage, WatchedChannel
from routing.ports import Store

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]


class IntakeOutcome(StrEnum):
    """What became of one message event."""

    STORED = "stored"
    DUPLICATE = "duplicate"
    EDITED = "edited"
    DELETED = "deleted"
    UNKNOWN_MESSAGE = "unknown_message"  # an edit or delete of a message Baton never stored


class BatonService:
    """Records what happens in watched channels and keeps Baton's state consistent."""

    def __init__(self, *, store: Store, clock: Clock, channel_cache_ttl: timedelta = timedelta(seconds=30)):
        self._store = store
        self._clock = clock
        self._channel_cache_ttl = channel_cache_ttl
        self._channel_cache: dict[str, tuple[WatchedChannel | None, datetime]] = {}

    def now(self) -> datetime:
        """The service clock's current time."""
        return self._clock()

    async def watched_channel(self, channel_id: str) -> WatchedChannel | None:
        """The channel if Baton watches it; cached briefly because every message event asks."""
        now = self._clock()
        cached = self._channel_cache.get(channel_id)
        if cached is not None and cached[1] > now:
            return cached[0]
        async with self._store.transaction() as tx:
            channel = await tx.channels.get(channel_id=channel_id)
        watched = channel if channel is not None and channel.watched else None
        self._channel_cache[channel_id] = (watched, now + self._channel_cache_ttl)
        return watched

    async def watch_channel(self, *, channel_id: str, name: str, is_shared: bool) -> WatchedChannel:
        """Start watching a channel, keeping its account settings if Baton knew it before."""
        async with self._store.transaction() as tx:
            known = await tx.channels.get(channel_id=channel_id)
            if known is None:
                channel = WatchedChannel(
                    channel_id=channel_id, name=name, is_shared=is_shared, added_at=self._clock()
                )
            else:
                channel = replace(known, name=name or known.name, is_shared=is_shared, watched=True)
            saved = await tx.channels.save(channel)
        self._channel_cache.pop(channel_id, None)
        logger.info("watching channel %s (%s, shared=%s)", channel_id, name, is_shared)
        return saved

    async def unwatch_channel(self, *, channel_id: str) -> WatchedChannel | None:
        """Stop watching a channel; its history and settings are kept."""
        async with self._store.transaction() as tx:
            known = await tx.channels.get(channel_id=channel_id)
            saved = None if known is None else await tx.channels.save(replace(known, watched=False))
        self._channel_cache.pop(channel_id, None)
        return saved

    async def record_message(self, facts: MessageFacts) -> IntakeOutcome:
        """Store a message event once: a redelivered event or an already stored message is a duplicate."""
        async with self._store.transaction() as tx:
            if facts.event_id is not None and not await tx.processed_events.remember(
                event_id=facts.event_id, at=facts.received_at
            ):
                return IntakeOutcome.DUPLICATE
            if facts.change is MessageChange.EDITED:
                edited = await tx.conversations.edit_message(
                    channel_id=facts.channel_id, ts=facts.ts, text=facts.text, at=facts.received_at
                )
                return IntakeOutcome.UNKNOWN_MESSAGE if edited is None else IntakeOutcome.EDITED
            if facts.change is MessageChange.DELETED:
                deleted = await tx.conversations.delete_message(
                    channel_id=facts.channel_id, ts=facts.ts, at=facts.received_at
                )
                return IntakeOutcome.UNKNOWN_MESSAGE if deleted is None else IntakeOutcome.DELETED
            stored = await tx.conversations.add_message(StoredMessage.from_facts(facts))
        return IntakeOutcome.STORED if stored else IntakeOutcome.DUPLICATE
