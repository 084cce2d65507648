"""Storage ports: what the domain needs from persistence, as Protocols the storage package implements.

All writes happen inside one `Store.transaction()`; it commits when the block exits cleanly and rolls back
when it raises, so a state change, its events and its outbox rows land together or not at all.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from typing import Any, Protocol

from routing.models import (
    Admin,
    ApiToken,
    AuditEntry,
    ChangeSource,
    ConfigVersion,
    Conversation,
    Handoff,
    HandoffEvent,
    OutboxItem,
    StoredMessage,
    WatchedChannel,
)
from routing.stats import HandoffFacts


class LiveHandoffExists(Exception):
    """The conversation already has an open, claimed or snoozed handoff (at most one may be live)."""

    def __init__(self, *, channel_id: str, thread_ts: str) -> None:
        super().__init__(f"a live handoff already exists for conversation {channel_id}/{thread_ts}")
        self.channel_id = channel_id
        self.thread_ts = thread_ts


class ProcessedEvents(Protocol):
    """Slack event ids already handled, so a redelivered event is processed once."""

    async def remember(self, *, event_id: str, at: datetime) -> bool:
        """Record an event id; True if it is new, False if it was seen before."""
        ...

    async def forget_before(self, *, before: datetime) -> int:
        """Drop ids recorded before a time (Slack retries for minutes, not days); return how many."""
        ...


class Channels(Protocol):
    """Channels Baton knows, with their account and AI agent bots."""

    async def get(self, *, channel_id: str) -> WatchedChannel | None:
        """The channel, or None if Baton never heard of it."""
        ...

    async def save(self, channel: WatchedChannel) -> WatchedChannel:
        """Insert or replace a channel by its id."""
        ...

    async def list(self, *, watched_only: bool = True) -> list[WatchedChannel]:
        """Channels ordered by id."""
        ...


class Conversations(Protocol):
    """Conversations and the message history kept from events."""

    async def add_message(self, message: StoredMessage) -> bool:
        """Store a message and update its conversation; False if (channel, ts) is already stored."""
        ...

    async def add_messages(self, messages: Sequence[StoredMessage]) -> list[bool]:
        """Store new messages in order and update their conversations, in one batch; per message, whether it
        was stored (False: its (channel, ts) was stored already, or earlier in `messages`)."""
        ...

    async def recent_messages(
        self, keys: Sequence[tuple[str, str]], *, limit: int
    ) -> dict[tuple[str, str], list[StoredMessage]]:
        """The last `limit` messages of each conversation (channel, thread ts), oldest first."""
        ...

    async def edit_message(
        self, *, channel_id: str, ts: str, text: str, at: datetime
    ) -> StoredMessage | None:
        """Replace a stored message's text; the updated message, or None if it is unknown."""
        ...

    async def delete_message(self, *, channel_id: str, ts: str, at: datetime) -> StoredMessage | None:
        """Mark a stored message deleted; the updated message, or None if it is unknown."""
        ...

    async def get_message(self, *, channel_id: str, ts: str) -> StoredMessage | None:
        """One stored message."""
        ...

    async def get(self, *, channel_id: str, thread_ts: str) -> Conversation | None:
        """One conversation."""
        ...

    async def messages(self, *, channel_id: str, thread_ts: str, limit: int = 50) -> list[StoredMessage]:
        """The last `limit` messages of a conversation, oldest first (deleted ones included, marked)."""
        ...

    async def waiting(
        self, *, since_before: datetime, limit: int, after: Conversation | None = None
    ) -> list[Conversation]:
        """Conversations in watched channels whose customer has waited since before a time, with no live
        handoff; oldest first (by waiting_since, channel, thread), after `after` (the last of a page)."""
        ...

    async def answered(self, *, channel_id: str, thread_ts: str) -> None:
        """Nobody waits in the conversation any more (its handoff closed): until the customer writes again."""
        ...


class Handoffs(Protocol):
    """Handoffs, updated only by compare-and-set on their version."""

    async def add(self, handoff: Handoff) -> Handoff:
        """Insert a handoff; it comes back with its id."""
        ...

    async def get(self, *, handoff_id: int) -> Handoff | None:
        """One handoff."""
        ...

    async def due(self, *, now: datetime, limit: int, excluding: Collection[int] = ()) -> list[Handoff]:
        """Live handoffs whose next check is due (but not those in `excluding`), locked for this transaction
        (others skip them)."""
        ...

    async def live_for(self, *, channel_id: str, thread_ts: str) -> Handoff | None:
        """The open, claimed or snoozed handoff of a conversation, if any."""
        ...

    async def live_for_many(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Handoff]:
        """The live handoff of each conversation (channel, thread ts) that has one."""
        ...

    async def last_closed_for(self, *, channel_id: str, thread_ts: str) -> Handoff | None:
        """The conversation's most recently closed (resolved or dismissed) handoff, if any."""
        ...

    async def live_counts(self, *, user_ids: Sequence[str]) -> dict[str, int]:
        """Live handoffs per user: claimed by them, or routed to them and not claimed by someone else."""
        ...

    async def recently_routed(self, *, target: str, limit: int) -> list[str]:
        """The members the latest `limit` handoffs with this target were routed to, newest first."""
        ...

    async def lock_routing(self, *, target: str) -> None:
        """Take the turn to pick a member of this target until the transaction ends: two picks at once
        (two replicas, two outbox lanes) must not both read the same history and pick the same member."""
        ...

    async def update(self, handoff: Handoff, *, expected_version: int) -> Handoff | None:
        """Write `handoff` if the stored version is still `expected_version`; the stored row or None."""
        ...

    async def update_many(self, pairs: Sequence[tuple[Handoff, int]]) -> list[Handoff]:
        """`update` for each `(handoff, expected_version)` in one batch; those written, in input order.

        A handoff whose stored version moved is skipped (not returned); each handoff appears at most once.
        """
        ...


class HandoffEvents(Protocol):
    """The append-only log of handoff changes."""

    async def append(self, event: HandoffEvent) -> HandoffEvent:
        """Append an event; it comes back with its id."""
        ...

    async def append_many(self, events: Sequence[HandoffEvent]) -> None:
        """Append events in order, in one batch."""
        ...

    async def for_handoff(self, *, handoff_id: int) -> list[HandoffEvent]:
        """A handoff's events in the order they were appended."""
        ...


class Outbox(Protocol):
    """Slack writes waiting for delivery, ordered per channel key."""

    async def enqueue(self, item: OutboxItem) -> OutboxItem | None:
        """Add a row; None if a row with the same dedupe key exists already."""
        ...

    async def enqueue_many(self, items: Sequence[OutboxItem]) -> None:
        """Add rows in order, in one batch; a row whose dedupe key exists already is skipped."""
        ...

    async def claim_due(
        self, *, now: datetime, limit: int, lease: timedelta, per_channel: int = 1
    ) -> list[OutboxItem]:
        """Lease the deliverable rows of up to `limit` channel keys: per key its oldest pending row and up to
        `per_channel - 1` rows right behind it, in order; each counts an attempt."""
        ...

    async def release(self, *, item_ids: Sequence[int], leased_until: datetime) -> None:
        """Give back rows leased until `leased_until` that were never tried; their attempt is uncounted."""
        ...

    async def mark_delivered(self, *, item_id: int, at: datetime, result: dict[str, Any] | None) -> None:
        """Record a successful delivery."""
        ...

    async def mark_delivered_many(
        self, deliveries: Sequence[tuple[int, dict[str, Any] | None]], *, at: datetime
    ) -> None:
        """Record several successful deliveries (row id, result) in one batch."""
        ...

    async def reschedule(
        self, *, item_id: int, available_at: datetime, error: str, held_until: datetime | None = None
    ) -> None:
        """Release a leased row to be tried again later; with `held_until`, only if the row is still under
        that lease (once it ran out, another worker may hold the row)."""
        ...

    async def mark_failed(
        self, *, item_id: int, at: datetime, error: str, held_until: datetime | None = None
    ) -> None:
        """Record a delivery that can never succeed (kept, not dropped; it no longer blocks its channel);
        with `held_until`, only if the row is still under that lease."""
        ...

    async def get(self, *, item_id: int) -> OutboxItem | None:
        """One row."""
        ...

    async def pending(self) -> tuple[int, datetime | None]:
        """How many rows are undelivered, and when the oldest was created."""
        ...


class ConfigVersions(Protocol):
    """The configuration's versions, append-only; the highest version is the one in force."""

    async def latest(self, *, source: ChangeSource | None = None) -> ConfigVersion | None:
        """The newest version (of one source, if given), or None when none is stored."""
        ...

    async def latest_number(self) -> int:
        """The newest version's number; 0 when none is stored."""
        ...

    async def message_retention(self) -> list[tuple[datetime, int]]:
        """Each stored version's `retention.message_days` (0: kept for ever) and when it was stored, oldest
        first: the stats tell from it which messages retention deleted under earlier settings."""
        ...

    async def append(self, version: ConfigVersion) -> bool:
        """Store a version; False if that version number exists already (someone else changed it first)."""
        ...


class AuditLog(Protocol):
    """The append-only log of administrative changes."""

    async def append(self, entry: AuditEntry) -> AuditEntry:
        """Append an entry; it comes back with its id."""
        ...

    async def recent(self, *, limit: int) -> list[AuditEntry]:
        """The newest entries, newest first."""
        ...


class Admins(Protocol):
    """Users named Baton admins (workspace admins and owners need no entry)."""

    async def get(self, *, user_id: str) -> Admin | None:
        """The admin entry of a user, if any."""
        ...

    async def list(self) -> list[Admin]:
        """Every named admin, oldest first."""
        ...

    async def add(self, admin: Admin) -> bool:
        """Name an admin; False if the user is one already."""
        ...

    async def remove(self, *, user_id: str) -> bool:
        """Remove an admin; False if the user was not one."""
        ...


class ApiTokens(Protocol):
    """Bearer tokens of the AI-agent HTTP API, stored as hashes."""

    async def add(self, token: ApiToken) -> ApiToken | None:
        """Store a token; None if an active token has that name already."""
        ...

    async def by_hash(self, *, token_hash: str) -> ApiToken | None:
        """The token with this hash, active or revoked."""
        ...

    async def list(self) -> list[ApiToken]:
        """Every token, active and revoked, oldest first."""
        ...

    async def revoke(
        self, *, token_id: int | None = None, name: str | None = None, at: datetime
    ) -> ApiToken | None:
        """Revoke the active token with this id or name; the revoked token, or None if there is none."""
        ...


class Queue(Protocol):
    """Read-only queries behind a rep's App Home."""

    async def mine(self, *, user_id: str, group_ids: Sequence[str], limit: int) -> tuple[list[Handoff], int]:
        """Up to `limit` live handoffs claimed by the user, or unclaimed and routed to them or to one of their
        user groups; most urgent then newest first; and how many there are in all."""
        ...


class Gauges(Protocol):
    """Counts read when metrics are scraped."""

    async def handoffs_by_state(self) -> dict[tuple[str, str], int]:
        """How many handoffs there are per (state, escalation type)."""
        ...


class StatsSource(Protocol):
    """The raw rows of the stats: customer messages and handoffs of a period, aggregated where SQL can."""

    async def customer_messages(self, *, since: datetime, until: datetime) -> dict[str, int]:
        """Messages of customers received in [since, until), per channel id."""
        ...

    async def handoffs_opened(self, *, since: datetime, until: datetime) -> list[HandoffFacts]:
        """Handoffs opened in [since, until) with their events aggregated per handoff, oldest first."""
        ...

    async def customer_message_sample(
        self, *, since: datetime, until: datetime, limit: int
    ) -> list[StoredMessage]:
        """The first `limit` customer messages received in [since, until), oldest first."""
        ...

    async def thread_messages(
        self, *, threads: Sequence[tuple[str, str]], until: datetime
    ) -> dict[tuple[str, str], list[StoredMessage]]:
        """The messages received before `until` of each (channel id, thread ts), oldest first."""
        ...


class Retention(Protocol):
    """Deletes what is older than the retention settings keep, a bounded batch per call."""

    async def forget_messages(self, *, before: datetime, limit: int, spare_waiting_since: datetime) -> int:
        """Delete up to `limit` messages received before `before`, not those of a conversation a handoff
        still needs (live, or with a Slack write to deliver) or whose customer has waited since after
        `spare_waiting_since`; how many went."""
        ...

    async def forget_conversations(
        self, *, before: datetime, limit: int, spare_waiting_since: datetime
    ) -> int:
        """Delete up to `limit` conversations whose last message came before `before`, not those a handoff
        still needs or whose customer has waited since after `spare_waiting_since`; how many went."""
        ...

    async def forget_deliveries(self, *, before: datetime, limit: int) -> int:
        """Delete up to `limit` outbox rows created before `before` and delivered or given up on."""
        ...


class UnitOfWork(Protocol):
    """The repositories of one transaction."""

    processed_events: ProcessedEvents
    channels: Channels
    conversations: Conversations
    handoffs: Handoffs
    handoff_events: HandoffEvents
    outbox: Outbox
    config_versions: ConfigVersions
    audit_log: AuditLog
    admins: Admins
    api_tokens: ApiTokens
    gauges: Gauges
    stats: StatsSource
    queue: Queue
    retention: Retention


class Store(Protocol):
    """Opens transactions."""

    def transaction(self, *, readonly: bool = False) -> AbstractAsyncContextManager[UnitOfWork]:
        """A unit of work that commits on clean exit and rolls back on error (`readonly`: it only reads)."""
        ...
