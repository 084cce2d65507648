"""The stats' raw rows: customer messages counted per channel, handoff events aggregated per handoff, in SQL.

A week of a busy workspace is some 100k handoffs and several events each: the events are reduced to one row
per handoff (first claim, first answer, resolution, reassignments, breaches) by a GROUP BY, never loaded one
by one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, case, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from routing.models import AuthorKind, HandoffState, StoredMessage
from routing.stats import HandoffFacts
from storage.repositories import _message
from storage.tables import HANDOFF_EVENTS, HANDOFFS, MESSAGES

_H, _E, _M = HANDOFFS.c, HANDOFF_EVENTS.c, MESSAGES.c
_CLAIMS = ("claimed", "reassigned")
# A dismissal is logged as `not_needed` (routing.handoffs names events after the action's past tense).
_ANSWERS = ("claimed", "reassigned", "resolved", "not_needed", "dismissed")
# Keys per `IN ((channel, thread), …)` statement: well under SQLite's 32,766 bound parameters.
_THREADS_PER_QUERY = 500


def _first(kinds: Sequence[str]) -> Any:
    return func.min(case((_E.kind.in_(kinds), _E.at)))


def _count(kind: str) -> Any:
    return func.count(case((_E.kind == kind, 1)))


class SqlStats:
    """The StatsSource port: read-only queries over messages, handoffs and their events."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def customer_messages(self, *, since: datetime, until: datetime) -> dict[str, int]:
        """Messages of customers received in [since, until), per channel id."""
        statement = (
            select(_M.channel_id, func.count())
            .where(
                _M.author_kind == AuthorKind.CUSTOMER.value, _M.received_at >= since, _M.received_at < until
            )
            .group_by(_M.channel_id)
        )
        return {channel: int(count) for channel, count in await self._connection.execute(statement)}

    async def handoffs_opened(self, *, since: datetime, until: datetime) -> list[HandoffFacts]:
        """Handoffs opened in [since, until) with their events aggregated per handoff, oldest first."""
        period = and_(_H.opened_at >= since, _H.opened_at < until)
        events = (
            select(
                _E.handoff_id,
                _first(_CLAIMS).label("claimed_at"),
                _first(_ANSWERS).label("answered_at"),
                _first(("resolved",)).label("resolved_at"),
                _count("reassigned").label("reassignments"),
                _count("sla_breached").label("breaches"),
                _count("agent_request").label("agent_requests"),
            )
            .join(HANDOFFS, _H.id == _E.handoff_id)
            .where(period)
            .group_by(_E.handoff_id)
            .subquery()
        )
        statement = (
            select(
                _H.id,
                _H.channel_id,
                _H.thread_ts,
                _H.escalation_type,
                _H.reasons,
                _H.state,
                _H.opened_at,
                _H.claim_due_at,
                _H.breached,
                _H.context["trigger_ts"].as_string().label("trigger_ts"),
                _H.context["assessment"].label("assessment"),
                _H.context["opened_with"].label("opened_with"),
                events.c.claimed_at,
                events.c.answered_at,
                events.c.resolved_at,
                events.c.reassignments,
                events.c.breaches,
                events.c.agent_requests,
            )
            .outerjoin(events, events.c.handoff_id == _H.id)
            .where(period)
            .order_by(_H.opened_at, _H.id)
        )
        return [_facts(row) for row in await self._connection.execute(statement)]

    async def customer_message_sample(
        self, *, since: datetime, until: datetime, limit: int
    ) -> list[StoredMessage]:
        """The first `limit` customer messages received in [since, until), oldest first."""
        statement = (
            select(MESSAGES)
            .where(
                _M.author_kind == AuthorKind.CUSTOMER.value, _M.received_at >= since, _M.received_at < until
            )
            .order_by(_M.received_at, _M.id)
            .limit(limit)
        )
        return [_message(row) for row in await self._connection.execute(statement)]

    async def thread_messages(
        self, *, threads: Sequence[tuple[str, str]], until: datetime
    ) -> dict[tuple[str, str], list[StoredMessage]]:
        """The messages received before `until` of each (channel id, thread ts), oldest first."""
        found: dict[tuple[str, str], list[StoredMessage]] = {key: [] for key in threads}
        keys = list(found)
        for start in range(0, len(keys), _THREADS_PER_QUERY):
            chunk = keys[start : start + _THREADS_PER_QUERY]
            statement = (
                select(MESSAGES)
                .where(tuple_(_M.channel_id, _M.thread_ts).in_(chunk), _M.received_at < until)
                .order_by(_M.channel_id, _M.thread_ts, _M.received_at, _M.id)
            )
            for row in await self._connection.execute(statement):
                message = _message(row)
                found[(message.channel_id, message.thread_ts)].append(message)
        for messages in found.values():
            messages.sort(key=lambda m: _ts_key(m.ts))
        return found


def _ts_key(ts: str) -> tuple[float, str]:
    try:
        return (float(ts), ts)
    except ValueError:
        return (0.0, ts)


def _facts(row: Row[Any] | Any) -> HandoffFacts:
    m = row._mapping
    assessment = m["assessment"]
    return HandoffFacts(
        id=m["id"],
        channel_id=m["channel_id"],
        thread_ts=m["thread_ts"],
        escalation_type=m["escalation_type"],
        reasons=tuple(m["reasons"] or ()),
        state=HandoffState(m["state"]),
        opened_at=m["opened_at"],
        claim_due_at=m["claim_due_at"],
        breached=bool(m["breached"]),
        trigger_ts=m["trigger_ts"],
        assessment=assessment if isinstance(assessment, dict) else None,
        claimed_at=m["claimed_at"],
        answered_at=m["answered_at"],
        resolved_at=m["resolved_at"],
        reassignments=int(m["reassignments"] or 0),
        breaches=int(m["breaches"] or 0),
        agent_requested=bool(m["agent_requests"]),
        opened_with=tuple(opened) if isinstance(opened := m["opened_with"], list) else (),
    )
