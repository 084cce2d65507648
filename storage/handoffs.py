"""Repositories for handoffs (compare-and-set on their version) and their append-only event log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from routing.models import EventSource, Handoff, HandoffEvent, HandoffState, Urgency
from storage.dialect import insert, is_postgresql
from storage.errors import LiveHandoffExists
from storage.tables import HANDOFF_EVENTS, HANDOFFS, LIVE_HANDOFF_SQL

_LIVE_INDEX = "uq_handoffs_live_conversation"


class SqlHandoffs:
    """Handoffs, updated only by compare-and-set on their version."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(self, handoff: Handoff) -> Handoff:
        """Insert a handoff at version 0; it comes back with its id. LiveHandoffExists if one is live."""
        statement = insert(self._connection, HANDOFFS).values({**_values(handoff), "version": 0})
        if handoff.state.is_live:
            # DO NOTHING instead of an error keeps the transaction usable for the caller (e.g. to merge).
            statement = statement.on_conflict_do_nothing(
                index_elements=[HANDOFFS.c.channel_id, HANDOFFS.c.thread_ts],
                index_where=text(LIVE_HANDOFF_SQL),
            )
        row = (await self._connection.execute(statement.returning(*HANDOFFS.c))).first()
        if row is None:
            raise LiveHandoffExists(channel_id=handoff.channel_id, thread_ts=handoff.thread_ts)
        return _handoff(row)

    async def get(self, *, handoff_id: int) -> Handoff | None:
        """One handoff."""
        row = (await self._connection.execute(select(HANDOFFS).where(HANDOFFS.c.id == handoff_id))).first()
        return None if row is None else _handoff(row)

    async def due(self, *, now: datetime, limit: int) -> list[Handoff]:
        """Live handoffs whose next check is due, locked for this transaction (others skip them).

        PostgreSQL: FOR UPDATE SKIP LOCKED, so concurrent sweeps of several replicas split the work. SQLite:
        the transaction already holds the database's write lock (BEGIN IMMEDIATE), so sweeps take turns.
        """
        statement = (
            select(HANDOFFS)
            .where(text(LIVE_HANDOFF_SQL), HANDOFFS.c.next_check_at <= now)
            .order_by(HANDOFFS.c.next_check_at)
            .limit(limit)
        )
        if is_postgresql(self._connection):
            statement = statement.with_for_update(skip_locked=True)
        return [_handoff(row) for row in await self._connection.execute(statement)]

    async def live_for(self, *, channel_id: str, thread_ts: str) -> Handoff | None:
        """The open, claimed or snoozed handoff of a conversation, if any."""
        statement = select(HANDOFFS).where(
            HANDOFFS.c.channel_id == channel_id,
            HANDOFFS.c.thread_ts == thread_ts,
            text(LIVE_HANDOFF_SQL),  # literally the partial index's predicate, so PostgreSQL uses it
        )
        row = (await self._connection.execute(statement)).first()
        return None if row is None else _handoff(row)

    async def last_closed_for(self, *, channel_id: str, thread_ts: str) -> Handoff | None:
        """The conversation's most recently closed (resolved or dismissed) handoff, if any."""
        statement = (
            select(HANDOFFS)
            .where(
                HANDOFFS.c.channel_id == channel_id,
                HANDOFFS.c.thread_ts == thread_ts,
                HANDOFFS.c.closed_at.is_not(None),
            )
            .order_by(HANDOFFS.c.closed_at.desc())
            .limit(1)
        )
        row = (await self._connection.execute(statement)).first()
        return None if row is None else _handoff(row)

    async def live_counts(self, *, user_ids: Sequence[str]) -> dict[str, int]:
        """Live handoffs per user: claimed by them, or routed to them and not claimed by someone else."""
        owner = func.coalesce(HANDOFFS.c.assignee_id, HANDOFFS.c.routed_to)
        statement = (
            select(owner, func.count())
            .where(text(LIVE_HANDOFF_SQL), owner.in_(list(user_ids)))
            .group_by(owner)
        )
        return {str(user): int(count) for user, count in await self._connection.execute(statement)}

    async def last_routed(self, *, target: str) -> str | None:
        """The member the latest handoff with this target was routed to (round robin's cursor)."""
        statement = (
            select(HANDOFFS.c.routed_to)
            .where(HANDOFFS.c.target == target, HANDOFFS.c.routed_to.is_not(None))
            .order_by(HANDOFFS.c.id.desc())
            .limit(1)
        )
        return (await self._connection.execute(statement)).scalar()

    async def update(self, handoff: Handoff, *, expected_version: int) -> Handoff | None:
        """Write `handoff` if the stored version is still `expected_version`; the stored row or None.

        Raises LiveHandoffExists if the write would make a second live handoff for the conversation (the
        transaction must then be abandoned: PostgreSQL aborts it).
        """
        if handoff.id is None:
            raise ValueError("cannot update a handoff that has no id (add it first)")
        statement = (
            update(HANDOFFS)
            .where(HANDOFFS.c.id == handoff.id, HANDOFFS.c.version == expected_version)
            .values({**_values(handoff), "version": expected_version + 1})
            .returning(*HANDOFFS.c)
        )
        try:
            row = (await self._connection.execute(statement)).first()
        except IntegrityError as error:
            if not _violates_live_index(error):
                raise
            raise LiveHandoffExists(channel_id=handoff.channel_id, thread_ts=handoff.thread_ts) from error
        return None if row is None else _handoff(row)


class SqlHandoffEvents:
    """The append-only log of handoff changes."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def append(self, event: HandoffEvent) -> HandoffEvent:
        """Append an event; it comes back with its id."""
        statement = (
            insert(self._connection, HANDOFF_EVENTS)
            .values(
                handoff_id=event.handoff_id,
                kind=event.kind,
                at=event.at,
                source=event.source.value,
                actor=event.actor,
                data=event.data,
            )
            .returning(*HANDOFF_EVENTS.c)
        )
        return _event((await self._connection.execute(statement)).one())

    async def for_handoff(self, *, handoff_id: int) -> list[HandoffEvent]:
        """A handoff's events in the order they were appended."""
        statement = (
            select(HANDOFF_EVENTS)
            .where(HANDOFF_EVENTS.c.handoff_id == handoff_id)
            .order_by(HANDOFF_EVENTS.c.id)
        )
        return [_event(row) for row in await self._connection.execute(statement)]


def _violates_live_index(error: IntegrityError) -> bool:
    # PostgreSQL names the index; SQLite names the columns of the only unique index on handoffs.
    message = str(error.orig)
    return (
        _LIVE_INDEX in message
        or "UNIQUE constraint failed: handoffs.channel_id, handoffs.thread_ts" in message
    )


def _values(handoff: Handoff) -> dict[str, Any]:
    return {
        "channel_id": handoff.channel_id,
        "thread_ts": handoff.thread_ts,
        "escalation_type": handoff.escalation_type,
        "urgency": handoff.urgency.value,
        "opened_at": handoff.opened_at,
        "state": handoff.state.value,
        "assignee_id": handoff.assignee_id,
        "routed_to": handoff.routed_to,
        "target": handoff.target,
        "level": handoff.level,
        "claim_due_at": handoff.claim_due_at,
        "resolve_due_at": handoff.resolve_due_at,
        "next_check_at": handoff.next_check_at,
        "snoozed_until": handoff.snoozed_until,
        "breached": handoff.breached,
        "card_channel": handoff.card_channel,
        "card_ts": handoff.card_ts,
        "reasons": list(handoff.reasons),
        "policy": handoff.policy,
        "context": handoff.context,
        "closed_at": handoff.closed_at,
    }


def _handoff(row: Row[Any]) -> Handoff:
    m = row._mapping
    return Handoff(
        channel_id=m["channel_id"],
        thread_ts=m["thread_ts"],
        escalation_type=m["escalation_type"],
        urgency=Urgency(m["urgency"]),
        opened_at=m["opened_at"],
        state=HandoffState(m["state"]),
        assignee_id=m["assignee_id"],
        routed_to=m["routed_to"],
        target=m["target"],
        level=m["level"],
        claim_due_at=m["claim_due_at"],
        resolve_due_at=m["resolve_due_at"],
        next_check_at=m["next_check_at"],
        snoozed_until=m["snoozed_until"],
        breached=m["breached"],
        card_channel=m["card_channel"],
        card_ts=m["card_ts"],
        reasons=tuple(m["reasons"]),
        policy=m["policy"],
        context=m["context"],
        closed_at=m["closed_at"],
        version=m["version"],
        id=m["id"],
    )


def _event(row: Row[Any]) -> HandoffEvent:
    m = row._mapping
    return HandoffEvent(
        handoff_id=m["handoff_id"],
        kind=m["kind"],
        at=m["at"],
        source=EventSource(m["source"]),
        actor=m["actor"],
        data=m["data"],
        id=m["id"],
    )
