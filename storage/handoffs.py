"""Repositories for handoffs (compare-and-set on their version) and their append-only event log.

Statements are built once at import time with bind parameters and executed with parameter dicts (see
`storage.dialect.per_dialect`); only their parameters change from call to call.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import datetime
from operator import attrgetter
from typing import Any, cast

from sqlalchemy import ARRAY, Executable, Row, all_, bindparam, func, select, text, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from routing.models import EventSource, Handoff, HandoffEvent, HandoffState, Urgency
from storage import json_codec
from storage.batch import bind_columns, pg_insert_many, pg_unnest
from storage.dialect import conversation_lists, in_conversations, per_dialect
from storage.errors import LiveHandoffExists
from storage.tables import HANDOFF_EVENTS, HANDOFFS, LIVE_HANDOFF_SQL

_LIVE_INDEX = "uq_handoffs_live_conversation"
# Every column a handoff write sets, besides id and version.
_COLUMNS = (
    "channel_id", "thread_ts", "escalation_type", "urgency", "opened_at", "state", "assignee_id", "routed_to",
    "target", "level", "claim_due_at", "resolve_due_at", "next_check_at", "snoozed_until", "breached",
    "card_channel", "card_ts", "reasons", "policy", "context", "closed_at",
)  # fmt: skip
_C = HANDOFFS.c


def _build_add(live: bool) -> dict[str, Any]:
    def build(dialect_insert: Any) -> Any:
        statement = dialect_insert(HANDOFFS)
        if live:
            # DO NOTHING instead of an error keeps the transaction usable for the caller (e.g. to merge).
            statement = statement.on_conflict_do_nothing(
                index_elements=[_C.channel_id, _C.thread_ts], index_where=text(LIVE_HANDOFF_SQL)
            )
        return statement.returning(*HANDOFFS.c)

    return per_dialect(build)


_ADD = _build_add(live=False)
_ADD_LIVE = _build_add(live=True)
_GET = select(HANDOFFS).where(_C.id == bindparam("handoff_id"))
_IS_DUE = (text(LIVE_HANDOFF_SQL), _C.next_check_at <= bindparam("now", type_=_C.next_check_at.type))
_DUE_SELECT = select(HANDOFFS).where(*_IS_DUE).order_by(_C.next_check_at).limit(bindparam("limit"))
_DUE = {"postgresql": _DUE_SELECT.with_for_update(skip_locked=True), "sqlite": _DUE_SELECT}
# Due, but not among the given ids: one array (PostgreSQL) or JSON array (SQLite) parameter, so the same SQL
# serves any number of ids.
_DUE_EXCLUDING = {
    "postgresql": _DUE_SELECT.where(
        _C.id != all_(bindparam("excluding", type_=ARRAY(_C.id.type)))
    ).with_for_update(skip_locked=True),
    "sqlite": _DUE_SELECT.where(_C.id.not_in(text("(SELECT value FROM json_each(:excluding))"))),
}
_LIVE_FOR = select(HANDOFFS).where(
    _C.channel_id == bindparam("channel_id"),
    _C.thread_ts == bindparam("thread_ts"),
    text(LIVE_HANDOFF_SQL),  # literally the partial index's predicate, so PostgreSQL uses it
)
_LIVE_FOR_MANY = {
    name: select(HANDOFFS).where(
        *in_conversations(_C.channel_id, _C.thread_ts, postgresql=name == "postgresql"),
        text(LIVE_HANDOFF_SQL),
    )
    for name in ("postgresql", "sqlite")
}
_LAST_CLOSED = (
    select(HANDOFFS)
    .where(
        _C.channel_id == bindparam("channel_id"),
        _C.thread_ts == bindparam("thread_ts"),
        _C.closed_at.is_not(None),
    )
    .order_by(_C.closed_at.desc())
    .limit(1)
)
_OWNER = func.coalesce(_C.assignee_id, _C.routed_to)
_LIVE_COUNTS = (
    select(_OWNER, func.count())
    .where(text(LIVE_HANDOFF_SQL), _OWNER.in_(bindparam("user_ids", expanding=True)))
    .group_by(_OWNER)
)
_RECENTLY_ROUTED = (
    select(_C.routed_to)
    .where(_C.target == bindparam("target"), _C.routed_to.is_not(None))
    .order_by(_C.id.desc())
    .limit(bindparam("limit"))
)
_LOCK_ROUTING = text("SELECT pg_advisory_xact_lock(hashtext(:key))")
# The SET clause comes from the parameter dict's column keys (all of _COLUMNS, and version).
_UPDATE = (
    update(HANDOFFS)
    .where(_C.id == bindparam("b_id"), _C.version == bindparam("b_expected"))
    .returning(*HANDOFFS.c)
)


_CONTEXT_PATCH = "context_patch"  # PostgreSQL: the context's changed keys, merged into the stored context
_PATCH_TYPE = {_CONTEXT_PATCH: "context"}


def _pg_update_many(columns: tuple[str, ...]) -> Any:
    names = ("id", "version", *columns)
    sets = [f'"{n}" = v."{n}"' for n in columns if n != _CONTEXT_PATCH]
    if _CONTEXT_PATCH in columns:
        sets.append("context = h.context || v.context_patch")
    columns_sql = ", ".join(f'"{n}"' for n in names)
    arrays = pg_unnest(HANDOFFS, names, types=_PATCH_TYPE)
    return text(
        f"UPDATE handoffs AS h SET {''.join(f'{s}, ' for s in sets)}version = v.version + 1 FROM {arrays} "
        f"AS v({columns_sql}) WHERE h.id = v.id AND h.version = v.version RETURNING h.id"
    )


def _sqlite_update_many(columns: tuple[str, ...]) -> Any:
    # SQLite (>= 3.33) has UPDATE ... FROM; the rows travel as one JSON array of arrays.
    names = ("id", "version", *columns)
    fields = ", ".join(f"json_extract(value, '$[{i}]') AS \"{n}\"" for i, n in enumerate(names))
    sets = "".join(f'"{n}" = v."{n}", ' for n in columns)
    return text(
        f"UPDATE handoffs SET {sets}version = v.version + 1 "
        f"FROM (SELECT {fields} FROM json_each(:rows)) AS v "
        "WHERE handoffs.id = v.id AND handoffs.version = v.version RETURNING handoffs.id"
    )


_UPDATE_MANY_BUILDERS = {"postgresql": _pg_update_many, "sqlite": _sqlite_update_many}
_UPDATE_MANY: dict[tuple[str, tuple[str, ...]], Any] = {}  # by dialect and the columns written
_FIELDS = attrgetter(*_COLUMNS)
_APPEND = per_dialect(lambda dialect_insert: dialect_insert(HANDOFF_EVENTS).returning(*HANDOFF_EVENTS.c))
_EVENT_COLUMNS = ("handoff_id", "kind", "at", "source", "actor", "data")
_APPEND_MANY: dict[str, Executable] = {
    "postgresql": pg_insert_many(HANDOFF_EVENTS, _EVENT_COLUMNS),
    "sqlite": sqlite_insert(HANDOFF_EVENTS),
}
_FOR_HANDOFF = (
    select(HANDOFF_EVENTS)
    .where(HANDOFF_EVENTS.c.handoff_id == bindparam("handoff_id"))
    .order_by(HANDOFF_EVENTS.c.id)
)


class SqlHandoffs:
    """Handoffs, updated only by compare-and-set on their version."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection
        self._dialect = connection.dialect.name
        # The handoffs this transaction read (or batch-wrote) by id, as stored: update_many writes only the
        # columns that changed since. A row still at the version read holds exactly these values.
        self._read: dict[int | None, Handoff] = {}

    async def add(self, handoff: Handoff) -> Handoff:
        """Insert a handoff at version 0; it comes back with its id. LiveHandoffExists if one is live."""
        statement = (_ADD_LIVE if handoff.state.is_live else _ADD)[self._dialect]
        row = (await self._connection.execute(statement, {**_values(handoff), "version": 0})).first()
        if row is None:
            raise LiveHandoffExists(channel_id=handoff.channel_id, thread_ts=handoff.thread_ts)
        return handoff_of_row(row)

    async def get(self, *, handoff_id: int) -> Handoff | None:
        """One handoff."""
        row = (await self._connection.execute(_GET, {"handoff_id": handoff_id})).first()
        return None if row is None else handoff_of_row(row)

    async def due(self, *, now: datetime, limit: int, excluding: Collection[int] = ()) -> list[Handoff]:
        """Live handoffs whose next check is due (but not those in `excluding`), locked for this transaction
        (others skip them).

        PostgreSQL: FOR UPDATE SKIP LOCKED, so concurrent sweeps of several replicas split the work. SQLite:
        the transaction already holds the database's write lock (BEGIN IMMEDIATE), so sweeps take turns.
        """
        parameters: dict[str, Any] = {"now": now, "limit": limit}
        if excluding:
            ids = list(excluding)
            parameters["excluding"] = ids if self._dialect == "postgresql" else json_codec.dumps(ids)
            rows = await self._connection.execute(_DUE_EXCLUDING[self._dialect], parameters)
        else:
            rows = await self._connection.execute(_DUE[self._dialect], parameters)
        due = [handoff_of_row(row) for row in rows]
        self._read.update((handoff.id, handoff) for handoff in due)
        return due

    async def live_for(self, *, channel_id: str, thread_ts: str) -> Handoff | None:
        """The open, claimed or snoozed handoff of a conversation, if any."""
        parameters = {"channel_id": channel_id, "thread_ts": thread_ts}
        row = (await self._connection.execute(_LIVE_FOR, parameters)).first()
        return None if row is None else handoff_of_row(row)

    async def live_for_many(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Handoff]:
        """The live handoff of each conversation (channel, thread ts) that has one."""
        if not keys:
            return {}
        wanted = set(keys)
        rows = await self._connection.execute(_LIVE_FOR_MANY[self._dialect], conversation_lists(keys))
        handoffs = [handoff_of_row(row) for row in rows]
        return {(h.channel_id, h.thread_ts): h for h in handoffs if (h.channel_id, h.thread_ts) in wanted}

    async def last_closed_for(self, *, channel_id: str, thread_ts: str) -> Handoff | None:
        """The conversation's most recently closed (resolved or dismissed) handoff, if any."""
        parameters = {"channel_id": channel_id, "thread_ts": thread_ts}
        row = (await self._connection.execute(_LAST_CLOSED, parameters)).first()
        return None if row is None else handoff_of_row(row)

    async def live_counts(self, *, user_ids: Sequence[str]) -> dict[str, int]:
        """Live handoffs per user: claimed by them, or routed to them and not claimed by someone else."""
        rows = await self._connection.execute(_LIVE_COUNTS, {"user_ids": list(user_ids)})
        return {str(user): int(count) for user, count in rows}

    async def recently_routed(self, *, target: str, limit: int) -> list[str]:
        """The members the latest `limit` handoffs with this target were routed to, newest first."""
        rows = await self._connection.execute(_RECENTLY_ROUTED, {"target": target, "limit": limit})
        return [str(member) for (member,) in rows]

    async def lock_routing(self, *, target: str) -> None:
        """PostgreSQL: a transaction-scoped advisory lock per target. SQLite: nothing to do, its writers take
        turns (BEGIN IMMEDIATE)."""
        if self._dialect == "postgresql":
            await self._connection.execute(_LOCK_ROUTING, {"key": f"baton-routing:{target}"})

    async def update(self, handoff: Handoff, *, expected_version: int) -> Handoff | None:
        """Write `handoff` if the stored version is still `expected_version`; the stored row or None.

        Raises LiveHandoffExists if the write would make a second live handoff for the conversation (the
        transaction must then be abandoned: PostgreSQL aborts it).
        """
        if handoff.id is None:
            raise ValueError("cannot update a handoff that has no id (add it first)")
        parameters = {
            **_values(handoff),
            "version": expected_version + 1,
            "b_id": handoff.id,
            "b_expected": expected_version,
        }
        try:
            row = (await self._connection.execute(_UPDATE, parameters)).first()
        except IntegrityError as error:
            if not _violates_live_index(error):
                raise
            raise LiveHandoffExists(channel_id=handoff.channel_id, thread_ts=handoff.thread_ts) from error
        return None if row is None else handoff_of_row(row)

    async def update_many(self, pairs: Sequence[tuple[Handoff, int]]) -> list[Handoff]:
        """Write each `(handoff, expected_version)` whose stored version is still the expected one, in one
        statement; the handoffs written (as given, version bumped), in input order. The others are skipped.

        Raises LiveHandoffExists (naming the batch's first live handoff) if a write would make a second
        live handoff for a conversation; the transaction must then be abandoned.
        """
        if not pairs:
            return []
        ids = [handoff.id for handoff, _ in pairs]
        if None in ids:
            raise ValueError("cannot update a handoff that has no id (add it first)")
        if len(set(ids)) != len(ids):
            raise ValueError("update_many takes each handoff at most once")
        names = self._changed(pairs)
        handoffs = [handoff for handoff, _ in pairs]
        versions = [version for _, version in pairs]
        if self._dialect == "postgresql" and "context" in names and self._patchable(pairs):
            names = tuple(_CONTEXT_PATCH if name == "context" else name for name in names)
        columns = bind_columns(
            HANDOFFS, self._column_values(names, handoffs), self._connection.dialect, types=_PATCH_TYPE
        )
        if self._dialect == "postgresql":
            parameters: dict[str, Any] = {"id": ids, "version": versions, **columns}
        else:
            values = zip(ids, versions, *(columns[name] for name in names), strict=True)
            parameters = {"rows": json_codec.dumps(list(values))}
        statement = _UPDATE_MANY.get((self._dialect, names))
        if statement is None:
            statement = _UPDATE_MANY[self._dialect, names] = _UPDATE_MANY_BUILDERS[self._dialect](names)
        try:
            result = await self._connection.execute(statement, parameters)
        except IntegrityError as error:
            if not _violates_live_index(error):
                raise
            first = next((h for h, _ in pairs if h.state.is_live), pairs[0][0])
            raise LiveHandoffExists(channel_id=first.channel_id, thread_ts=first.thread_ts) from error
        written_ids = {row[0] for row in result}
        written = [replace(h, version=version + 1) for h, version in pairs if h.id in written_ids]
        self._read.update((handoff.id, handoff) for handoff in written)
        return written

    def _changed(self, pairs: Sequence[tuple[Handoff, int]]) -> tuple[str, ...]:
        """The columns to write: those that differ from what was read at the expected version, else all."""
        changed: set[str] = set()
        for handoff, version in pairs:
            read = self._read.get(handoff.id)
            if read is None or read.version != version:
                return _COLUMNS
            if handoff is not read:
                fields = zip(_COLUMNS, _FIELDS(handoff), _FIELDS(read), strict=True)
                changed.update(name for name, new, old in fields if new != old)
        return tuple(name for name in _COLUMNS if name in changed)

    def _patchable(self, pairs: Sequence[tuple[Handoff, int]]) -> bool:
        """Whether each context is the one read at the expected version with keys added or changed (none
        removed), so that merging its changed keys into the stored context gives it."""
        for handoff, version in pairs:
            read = self._read.get(handoff.id)
            if read is None or read.version != version or not read.context.keys() <= handoff.context.keys():
                return False
        return True

    def _column_values(self, names: tuple[str, ...], handoffs: list[Handoff]) -> dict[str, list[Any]]:
        """Each written column's values, as `_values` gives them (a context patch: the keys that changed)."""
        columns: dict[str, list[Any]] = {}
        for name in names:
            if name == _CONTEXT_PATCH:
                columns[name] = [_patch(self._read[h.id].context, h.context) for h in handoffs]
            else:
                columns[name] = [_VALUE.get(name, attrgetter(name))(h) for h in handoffs]
        return columns


class SqlHandoffEvents:
    """The append-only log of handoff changes."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection
        self._dialect = connection.dialect.name

    async def append(self, event: HandoffEvent) -> HandoffEvent:
        """Append an event; it comes back with its id."""
        row = (await self._connection.execute(_APPEND[self._dialect], _event_values(event))).one()
        return _event(row)

    async def append_many(self, events: Sequence[HandoffEvent]) -> None:
        """Append events in order, in one batch."""
        if not events:
            return  # (an empty executemany would insert one row of defaults)
        if self._dialect == "postgresql":
            columns = {name: [getattr(event, name) for event in events] for name in _EVENT_COLUMNS}
            columns["source"] = [event.source.value for event in events]
            bound = bind_columns(HANDOFF_EVENTS, columns, self._connection.dialect)
            await self._connection.execute(_APPEND_MANY[self._dialect], bound)
        else:
            rows = [_event_values(event) for event in events]
            await self._connection.execute(_APPEND_MANY[self._dialect], rows)

    async def for_handoff(self, *, handoff_id: int) -> list[HandoffEvent]:
        """A handoff's events in the order they were appended."""
        rows = await self._connection.execute(_FOR_HANDOFF, {"handoff_id": handoff_id})
        return [_event(row) for row in rows]


def _violates_live_index(error: IntegrityError) -> bool:
    # PostgreSQL names the index; SQLite names the columns of the only unique index on handoffs.
    message = str(error.orig)
    return (
        _LIVE_INDEX in message
        or "UNIQUE constraint failed: handoffs.channel_id, handoffs.thread_ts" in message
    )


def _patch(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in new.items() if key not in old or old[key] != value}


_VALUE = {  # the columns whose stored value is not the handoff's attribute as it is
    "urgency": lambda h: h.urgency.value,
    "state": lambda h: h.state.value,
    "reasons": lambda h: list(h.reasons),
}


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


def _event_values(event: HandoffEvent) -> dict[str, Any]:
    return {
        "handoff_id": event.handoff_id,
        "kind": event.kind,
        "at": event.at,
        "source": event.source.value,
        "actor": event.actor,
        "data": event.data,
    }


def handoff_of_row(row: Row[Any]) -> Handoff:
    """The handoff of a row of all of HANDOFFS' columns in table order (`select(HANDOFFS)`)."""
    # Unpacked by position: a sweep decodes a thousand rows, and name lookups were half of the cost.
    (
        id_, channel_id, thread_ts, escalation_type, urgency, opened_at, state, assignee_id, routed_to,
        target, level, claim_due_at, resolve_due_at, next_check_at, snoozed_until, breached, card_channel,
        card_ts, reasons, policy, context, closed_at, version,
    ) = cast("tuple[Any, ...]", row)  # fmt: skip
    return Handoff(
        channel_id=channel_id,
        thread_ts=thread_ts,
        escalation_type=escalation_type,
        urgency=Urgency(urgency),
        opened_at=opened_at,
        state=HandoffState(state),
        assignee_id=assignee_id,
        routed_to=routed_to,
        target=target,
        level=level,
        claim_due_at=claim_due_at,
        resolve_due_at=resolve_due_at,
        next_check_at=next_check_at,
        snoozed_until=snoozed_until,
        breached=breached,
        card_channel=card_channel,
        card_ts=card_ts,
        reasons=tuple(reasons),
        policy=policy,
        context=context,
        closed_at=closed_at,
        version=version,
        id=id_,
    )


_ROW_ORDER = (
    "id", "channel_id", "thread_ts", "escalation_type", "urgency", "opened_at", "state", "assignee_id",
    "routed_to", "target", "level", "claim_due_at", "resolve_due_at", "next_check_at", "snoozed_until",
    "breached", "card_channel", "card_ts", "reasons", "policy", "context", "closed_at", "version",
)  # fmt: skip
if tuple(HANDOFFS.c.keys()) != _ROW_ORDER:  # a column added or moved must be added or moved above too
    raise RuntimeError(f"handoff_of_row unpacks {_ROW_ORDER}, but the table has {tuple(HANDOFFS.c.keys())}")


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
