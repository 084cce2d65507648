"""Domain objects with sensible defaults for storage tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from routing.models import (
    AuthorKind,
    EventSource,
    Handoff,
    HandoffEvent,
    HandoffState,
    OutboxItem,
    StoredMessage,
    Urgency,
)

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    """T0 plus some minutes."""
    return T0 + timedelta(minutes=minutes)


def message(
    ts: str,
    *,
    kind: AuthorKind = AuthorKind.CUSTOMER,
    thread_ts: str = "1767600000.000100",
    channel_id: str = "C1",
    received_at: datetime | None = None,
    text: str = "hello",
    metadata: dict[str, Any] | None = None,
) -> StoredMessage:
    """A message in channel C1's default thread."""
    return StoredMessage(
        channel_id=channel_id,
        ts=ts,
        thread_ts=thread_ts,
        author_id="U_CUSTOMER" if kind is AuthorKind.CUSTOMER else f"U_{kind.value.upper()}",
        author_team="T_THEM" if kind is AuthorKind.CUSTOMER else "T_US",
        author_kind=kind,
        text=text,
        received_at=received_at or T0,
        metadata=metadata,
    )


def handoff(*, channel_id: str = "C1", thread_ts: str = "1767600000.000100", **changes: Any) -> Handoff:
    """An open handoff with every field set to something other than its default."""
    base = Handoff(
        channel_id=channel_id,
        thread_ts=thread_ts,
        escalation_type="upset_customer",
        urgency=Urgency.URGENT,
        opened_at=T0,
        state=HandoffState.OPEN,
        assignee_id="U_REP",
        target="channel:C_TRIAGE",
        level=1,
        claim_due_at=at(15),
        resolve_due_at=at(240),
        next_check_at=at(10),
        snoozed_until=at(5),
        breached=True,
        card_channel="C_TRIAGE",
        card_ts="1767600001.000200",
        reasons=("frustration", "explicit_request"),
        policy={"sla": {"claim_minutes": 15, "business_hours": False}, "tiers": ["U1", "S2"]},
        context={"summary": "Customer is angry", "score": 0.93, "hits": [{"kind": "frustration"}]},
        closed_at=at(300),
    )
    return replace(base, **changes)


def event(handoff_id: int, kind: str, *, minutes: float = 0) -> HandoffEvent:
    """A handoff event from a Slack action."""
    return HandoffEvent(
        handoff_id=handoff_id,
        kind=kind,
        at=at(minutes),
        source=EventSource.SLACK_ACTION,
        actor="U_REP",
        data={"note": kind, "n": [1, 2]},
    )


def outbox_item(
    channel_key: str = "C1",
    *,
    created: float = 0,
    available: float | None = None,
    dedupe_key: str | None = None,
    text: str = "card",
) -> OutboxItem:
    """A chat.postMessage waiting for delivery."""
    return OutboxItem(
        channel_key=channel_key,
        method="chat.postMessage",
        payload={"channel": channel_key, "text": text, "blocks": [{"type": "section"}]},
        created_at=at(created),
        available_at=at(created if available is None else available),
        dedupe_key=dedupe_key,
    )


async def query_plan(engine: AsyncEngine, statement: Any) -> list[str]:
    """The database's plan for a statement with literal parameters, one line per entry. On PostgreSQL
    sequential scans are turned off: on a table this small the planner would scan it anyway, so the
    question is whether it can do otherwise."""
    sql = str(statement.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
    async with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            return [row[-1] for row in await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")]
        await connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        return [row[0] for row in await connection.exec_driver_sql(f"EXPLAIN {sql}")]
