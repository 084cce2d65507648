"""The durable outbox of Slack writes: enqueued with their cause, claimed per channel in order, leased."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Executable,
    Integer,
    Row,
    and_,
    bindparam,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from routing.models import OutboxItem
from storage.batch import bind_columns, pg_insert_many
from storage.dialect import per_dialect
from storage.tables import OUTBOX, PENDING_OUTBOX_SQL

_ENQUEUE = per_dialect(
    lambda dialect_insert: (
        dialect_insert(OUTBOX)
        .on_conflict_do_nothing(index_elements=[OUTBOX.c.dedupe_key])
        .returning(*OUTBOX.c)
    )
)
_COLUMNS = (
    "channel_key", "method", "payload", "created_at", "available_at", "attempts", "last_error",
    "delivered_at", "failed_at", "result", "handoff_id", "dedupe_key",
)  # fmt: skip
_ENQUEUE_MANY: dict[str, Executable] = {
    "postgresql": pg_insert_many(OUTBOX, _COLUMNS, conflict="ON CONFLICT (dedupe_key) DO NOTHING"),
    "sqlite": sqlite_insert(OUTBOX).on_conflict_do_nothing(index_elements=[OUTBOX.c.dedupe_key]),
}
# The SET clause comes from the parameter dict's column keys.
_SET = update(OUTBOX).where(OUTBOX.c.id == bindparam("b_id"))
_SET_HELD = _SET.where(OUTBOX.c.leased_until == bindparam("held_until", type_=OUTBOX.c.leased_until.type))
_RELEASE = (
    update(OUTBOX)
    .where(
        OUTBOX.c.id.in_(bindparam("ids", expanding=True)),
        OUTBOX.c.delivered_at.is_(None),
        # Only rows still under the giver's lease (once it expired, another worker may hold them).
        OUTBOX.c.leased_until == bindparam("held_until", type_=OUTBOX.c.leased_until.type),
    )
    .values(leased_until=None, attempts=OUTBOX.c.attempts - 1)
)
_GET = select(OUTBOX).where(OUTBOX.c.id == bindparam("item_id"))


def _claim_due(*, postgresql: bool) -> Any:
    now = bindparam("now", type_=OUTBOX.c.available_at.type)
    head, candidate = OUTBOX.alias("head"), OUTBOX.alias("candidate")
    heads = select(func.min(head.c.id)).where(_pending(head.c)).group_by(head.c.channel_key)
    due = (
        select(candidate.c.id)
        .where(candidate.c.id.in_(heads), candidate.c.available_at <= now, _unleased(candidate.c, now))
        .order_by(candidate.c.id)
        .limit(bindparam("limit"))
    )
    if postgresql:
        due = due.with_for_update(skip_locked=True)
    # A materialized CTE runs once. As a plain `IN (subquery)` PostgreSQL may rescan it per row, and a
    # rescan skips the rows this very UPDATE already changed, so it would lease past `limit`.
    chosen = due.cte("due").prefix_with("MATERIALIZED", dialect="postgresql")
    return (
        update(OUTBOX)
        .where(OUTBOX.c.id.in_(select(chosen.c.id)), _pending(OUTBOX.c), _unleased(OUTBOX.c, now))
        # Counting the attempt when it starts (not when it fails) lets a worker that restarts after a
        # crash see that a row was tried before, and check whether Slack took the write already.
        .values(
            leased_until=bindparam("leased_until", type_=OUTBOX.c.leased_until.type),
            attempts=OUTBOX.c.attempts + 1,
        )
        .returning(*OUTBOX.c)
    )


class SqlOutbox:
    """Slack writes waiting for delivery, ordered per channel key."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection
        self._dialect = connection.dialect.name

    async def enqueue(self, item: OutboxItem) -> OutboxItem | None:
        """Add a row; None if a row with the same dedupe key exists already."""
        row = (await self._connection.execute(_ENQUEUE[self._dialect], _item_values(item))).first()
        return None if row is None else _item(row)

    async def enqueue_many(self, items: Sequence[OutboxItem]) -> None:
        """Add rows in order, in one batch; a row whose dedupe key exists already is skipped."""
        if not items:
            return  # (an empty executemany would insert one row of defaults)
        if self._dialect == "postgresql":
            columns = {name: [getattr(item, name) for item in items] for name in _COLUMNS}
            bound = bind_columns(OUTBOX, columns, self._connection.dialect)
            await self._connection.execute(_ENQUEUE_MANY[self._dialect], bound)
        else:
            rows = [_item_values(item) for item in items]
            await self._connection.execute(_ENQUEUE_MANY[self._dialect], rows)

    async def claim_due(
        self, *, now: datetime, limit: int, lease: timedelta, per_channel: int = 1
    ) -> list[OutboxItem]:
        """Lease the deliverable rows of up to `limit` channel keys, oldest first: per channel key its oldest
        pending row and up to `per_channel - 1` rows queued right behind it, in order.

        A channel whose oldest pending row is leased or waiting for a retry yields nothing, so its writes
        go out in order; a run stops before the first row that is not due. PostgreSQL skips heads another
        transaction is claiming (FOR UPDATE SKIP LOCKED), and nobody leases a row behind a head without
        leasing the head; SQLite runs one writer at a time. The UPDATEs re-check the lease (compare-and-set).
        """
        leased_until = now + lease
        parameters = {"now": now, "limit": limit, "leased_until": leased_until}
        heads = [_item(row) for row in await self._connection.execute(_CLAIM_DUE[self._dialect], parameters)]
        if per_channel > 1 and heads:
            heads += await self._claim_followers(
                heads, now=now, leased_until=leased_until, per_channel=per_channel
            )
        return sorted(heads, key=lambda item: item.id or 0)

    async def _claim_followers(
        self, heads: list[OutboxItem], *, now: datetime, leased_until: datetime, per_channel: int
    ) -> list[OutboxItem]:
        queued = await self._queued_behind(heads, per_channel - 1)
        blocked: set[str] = set()
        chosen: list[int] = []
        for (
            row
        ) in queued:  # ordered by id, so each channel's run is a prefix of what is queued behind its head
            due = row.available_at <= now and (row.leased_until is None or row.leased_until <= now)
            if row.channel_key in blocked or not due:
                blocked.add(row.channel_key)
            else:
                chosen.append(row.id)
        if not chosen:
            return []
        statement = (
            update(OUTBOX)
            .where(OUTBOX.c.id.in_(chosen), _pending(OUTBOX.c), _unleased(OUTBOX.c, now))
            .values(leased_until=leased_until, attempts=OUTBOX.c.attempts + 1)
            .returning(*OUTBOX.c)
        )
        return [_item(row) for row in await self._connection.execute(statement)]

    async def _queued_behind(self, heads: list[OutboxItem], count: int) -> list[Row[Any]]:
        """The `count` pending rows queued right behind each head, by id: each an index range on
        ix_outbox_pending, however long the channel's backlog (a long Slack outage builds one)."""
        if self._dialect == "postgresql":
            parameters = {
                "keys": [head.channel_key for head in heads],
                "heads": [head.id for head in heads],
                "count": count,
            }
            return list((await self._connection.execute(_PG_QUEUED_BEHIND, parameters)).all())
        rows: list[Row[Any]] = []
        for head in heads:  # SQLite runs in-process: one indexed query per head costs microseconds
            parameters = {"key": head.channel_key, "head": head.id, "count": count}
            rows.extend(await self._connection.execute(_SQLITE_QUEUED_BEHIND, parameters))
        return sorted(rows, key=lambda row: row.id)

    async def release(self, *, item_ids: Sequence[int], leased_until: datetime) -> None:
        """Give back rows leased until `leased_until` and never tried (behind one that failed, or out of
        time); their attempt is uncounted. Rows whose lease has changed since are left alone."""
        if item_ids:
            await self._connection.execute(_RELEASE, {"ids": list(item_ids), "held_until": leased_until})

    async def mark_delivered_many(
        self, deliveries: Sequence[tuple[int, dict[str, Any] | None]], *, at: datetime
    ) -> None:
        """Record several successful deliveries in one statement."""
        if deliveries:
            rows = [
                {"b_id": item_id, "delivered_at": at, "result": result, "leased_until": None}
                for item_id, result in deliveries
            ]
            await self._connection.execute(_SET, rows)

    async def mark_delivered(self, *, item_id: int, at: datetime, result: dict[str, Any] | None) -> None:
        """Record a successful delivery."""
        await self._set(item_id, delivered_at=at, result=result, leased_until=None)

    async def reschedule(
        self, *, item_id: int, available_at: datetime, error: str, held_until: datetime | None = None
    ) -> None:
        """Release a leased row to be tried again later (its attempt was counted when it was claimed); with
        `held_until`, only if the row is still under that lease."""
        values = {"last_error": error, "available_at": available_at, "leased_until": None}
        await self._set(item_id, held_until, **values)

    async def mark_failed(
        self, *, item_id: int, at: datetime, error: str, held_until: datetime | None = None
    ) -> None:
        """Record a delivery that can never succeed (kept, not dropped; it no longer blocks its channel);
        with `held_until`, only if the row is still under that lease."""
        await self._set(item_id, held_until, failed_at=at, last_error=error, leased_until=None)

    async def _set(self, item_id: int, held_until: datetime | None = None, **values: Any) -> None:
        if held_until is None:
            await self._connection.execute(_SET, {**values, "b_id": item_id})
        else:
            await self._connection.execute(_SET_HELD, {**values, "b_id": item_id, "held_until": held_until})

    async def get(self, *, item_id: int) -> OutboxItem | None:
        """One row."""
        row = (await self._connection.execute(_GET, {"item_id": item_id})).first()
        return None if row is None else _item(row)

    async def pending(self) -> tuple[int, datetime | None]:
        """How many rows are undelivered (and not failed), and when the oldest was created."""
        statement = select(func.count(), func.min(OUTBOX.c.created_at)).where(_pending(OUTBOX.c))
        count, oldest = (await self._connection.execute(statement)).one()
        return count, oldest


def _pending(columns: Any) -> ColumnElement[bool]:
    # Spelled as in the partial index ix_outbox_pending, so PostgreSQL can use it.
    return and_(columns.delivered_at.is_(None), columns.failed_at.is_(None))


def _unleased(columns: Any, now: Any) -> ColumnElement[bool]:
    return or_(columns.leased_until.is_(None), columns.leased_until <= now)


_CLAIM_DUE = {"postgresql": _claim_due(postgresql=True), "sqlite": _claim_due(postgresql=False)}


_QUEUED_COLUMNS = (OUTBOX.c.id, OUTBOX.c.channel_key, OUTBOX.c.available_at, OUTBOX.c.leased_until)
# Per head, its channel's next pending rows; the predicate spelled as ix_outbox_pending's, so both databases
# read them off that index (channel_key, id) instead of numbering every pending row of the channel.
_PG_QUEUED_BEHIND = text(
    "SELECT f.id, f.channel_key, f.available_at, f.leased_until"
    " FROM unnest(CAST(:keys AS VARCHAR[]), CAST(:heads AS BIGINT[])) AS h(channel_key, head_id)"
    " CROSS JOIN LATERAL (SELECT o.id, o.channel_key, o.available_at, o.leased_until FROM outbox AS o"
    f" WHERE o.channel_key = h.channel_key AND o.id > h.head_id AND {PENDING_OUTBOX_SQL}"
    " ORDER BY o.id LIMIT :count) AS f"
    " ORDER BY f.id"
).columns(*_QUEUED_COLUMNS)
_SQLITE_QUEUED_BEHIND = (
    select(*_QUEUED_COLUMNS)
    .where(OUTBOX.c.channel_key == bindparam("key"), OUTBOX.c.id > bindparam("head"), _pending(OUTBOX.c))
    .order_by(OUTBOX.c.id)
    .limit(bindparam("count", type_=Integer))
)


def _item_values(item: OutboxItem) -> dict[str, Any]:
    return {
        "channel_key": item.channel_key,
        "method": item.method,
        "payload": item.payload,
        "created_at": item.created_at,
        "available_at": item.available_at,
        "attempts": item.attempts,
        "last_error": item.last_error,
        "delivered_at": item.delivered_at,
        "failed_at": item.failed_at,
        "result": item.result,
        "handoff_id": item.handoff_id,
        "dedupe_key": item.dedupe_key,
    }


def _item(row: Row[Any]) -> OutboxItem:
    m = row._mapping
    return OutboxItem(
        channel_key=m["channel_key"],
        method=m["method"],
        payload=m["payload"],
        created_at=m["created_at"],
        available_at=m["available_at"],
        dedupe_key=m["dedupe_key"],
        handoff_id=m["handoff_id"],
        attempts=m["attempts"],
        last_error=m["last_error"],
        delivered_at=m["delivered_at"],
        failed_at=m["failed_at"],
        result=m["result"],
        id=m["id"],
    )
