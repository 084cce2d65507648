"""Repositories for processed events, channels and conversations, on one AsyncConnection (SQLAlchemy Core)."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Row,
    Select,
    TextClause,
    bindparam,
    case,
    delete,
    func,
    or_,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from routing.models import ANSWERING_AUTHORS, Account, AuthorKind, Conversation, StoredMessage, WatchedChannel
from storage.batch import bind_columns, pg_unnest
from storage.dialect import conversation_lists, in_conversations, insert, per_dialect
from storage.tables import CHANNELS, CONVERSATIONS, HANDOFFS, LIVE_HANDOFF_SQL, MESSAGES, PROCESSED_EVENTS

# Statements on the intake's path, built once (see storage.dialect.per_dialect).
_REMEMBER = per_dialect(
    lambda dialect_insert: (
        dialect_insert(PROCESSED_EVENTS)
        .on_conflict_do_nothing(index_elements=[PROCESSED_EVENTS.c.event_id])
        .returning(PROCESSED_EVENTS.c.event_id)
    )
)
_CHANNEL = select(CHANNELS).where(CHANNELS.c.channel_id == bindparam("channel_id"))
_ADD_MESSAGE = per_dialect(
    lambda dialect_insert: (
        dialect_insert(MESSAGES)
        .on_conflict_do_nothing(index_elements=[MESSAGES.c.channel_id, MESSAGES.c.ts])
        .returning(MESSAGES.c.id)
    )
)
_MESSAGE = select(MESSAGES).where(
    MESSAGES.c.channel_id == bindparam("channel_id"), MESSAGES.c.ts == bindparam("ts")
)
_THE_MESSAGE = (MESSAGES.c.channel_id == bindparam("b_channel_id"), MESSAGES.c.ts == bindparam("b_ts"))
# An edit applies unless the message is deleted or carries a later edit already (edits arrive out of order).
_EDIT_MESSAGE = (
    update(MESSAGES)
    .where(
        *_THE_MESSAGE,
        MESSAGES.c.deleted.is_(False),
        or_(
            MESSAGES.c.edited_at.is_(None),
            MESSAGES.c.edited_at <= bindparam("at", type_=MESSAGES.c.edited_at.type),  # a tie: arrival order
        ),
    )
    .values(text=bindparam("text"), edited_at=bindparam("at", type_=MESSAGES.c.edited_at.type))
    .returning(*MESSAGES.c)
)
_DELETE_MESSAGE = update(MESSAGES).where(*_THE_MESSAGE).values(deleted=True).returning(*MESSAGES.c)
_CONVERSATION = select(CONVERSATIONS).where(
    CONVERSATIONS.c.channel_id == bindparam("channel_id"),
    CONVERSATIONS.c.thread_ts == bindparam("thread_ts"),
)
_MESSAGES = (
    select(MESSAGES)
    .where(MESSAGES.c.channel_id == bindparam("channel_id"), MESSAGES.c.thread_ts == bindparam("thread_ts"))
    .order_by(MESSAGES.c.ts.desc())
    .limit(bindparam("limit"))
)


def _recent_messages(*, postgresql: bool) -> Select[Any]:
    """The last `limit` messages of the conversations in the `channels` × `threads` lists, oldest first."""
    ranked = (
        select(
            MESSAGES,
            func.row_number()
            .over(partition_by=(MESSAGES.c.channel_id, MESSAGES.c.thread_ts), order_by=MESSAGES.c.ts.desc())
            .label("place"),
        )
        .where(*in_conversations(MESSAGES.c.channel_id, MESSAGES.c.thread_ts, postgresql=postgresql))
        .subquery()
    )
    return select(ranked).where(ranked.c.place <= bindparam("limit")).order_by(ranked.c.ts)


_RECENT_MESSAGES = {
    "postgresql": _recent_messages(postgresql=True),
    "sqlite": _recent_messages(postgresql=False),
}


def _count_message(waiting: str) -> dict[str, Any]:
    """The conversation upsert of a new message; `waiting`: "start" (a customer's), "stop" (an answer), or
    "keep" (another bot's or Baton's own message)."""

    def build(dialect_insert: Any) -> Any:
        statement = dialect_insert(CONVERSATIONS)
        current, new = CONVERSATIONS.c, statement.excluded
        changes: dict[str, Any] = {
            "message_count": current.message_count + 1,
            "customer_message_count": current.customer_message_count + new.customer_message_count,
            "last_message_at": case(
                (new.last_message_at > current.last_message_at, new.last_message_at),
                else_=current.last_message_at,
            ),
        }
        if waiting == "start":
            changes["waiting_since"] = func.coalesce(current.waiting_since, new.waiting_since)
        elif waiting == "stop":
            changes["waiting_since"] = None
        return statement.on_conflict_do_update(
            index_elements=[current.channel_id, current.thread_ts], set_=changes
        )

    return per_dialect(build)


_COUNT_MESSAGE = {waiting: _count_message(waiting) for waiting in ("start", "stop", "keep")}


def _count_messages(dialect_insert: Any) -> Any:
    """The conversation upsert of several new messages of one conversation at once (see add_messages):
    `reset` says an answer came among them, `waiting_since` is the customer message still unanswered."""
    statement = dialect_insert(CONVERSATIONS)
    current, new = CONVERSATIONS.c, statement.excluded
    changes: dict[str, Any] = {
        "message_count": current.message_count + new.message_count,
        "customer_message_count": current.customer_message_count + new.customer_message_count,
        "last_message_at": case(
            (new.last_message_at > current.last_message_at, new.last_message_at),
            else_=current.last_message_at,
        ),
        "waiting_since": case(
            (bindparam("reset", type_=Boolean), new.waiting_since),
            else_=func.coalesce(current.waiting_since, new.waiting_since),
        ),
    }
    return statement.on_conflict_do_update(
        index_elements=[current.channel_id, current.thread_ts], set_=changes
    )


_COUNT_MESSAGES = per_dialect(_count_messages)
# SQLite: the same upsert, returning each conversation's count after it, so that add_messages knows which
# conversations it started (one statement per row either way: sqlite3's executemany runs the statement per
# row too). Not on PostgreSQL, where RETURNING would turn asyncpg's one-round-trip executemany into one
# round trip per row.
_COUNT_MESSAGES_RETURNING = _COUNT_MESSAGES["sqlite"].returning(
    CONVERSATIONS.c.channel_id, CONVERSATIONS.c.thread_ts, CONVERSATIONS.c.message_count
)
_ADD_MESSAGES = per_dialect(
    lambda dialect_insert: (
        dialect_insert(MESSAGES)
        .on_conflict_do_nothing(index_elements=[MESSAGES.c.channel_id, MESSAGES.c.ts])
        .returning(MESSAGES.c.channel_id, MESSAGES.c.ts)
    )
)
_MESSAGE_COLUMNS = (
    "channel_id", "ts", "thread_ts", "author_id", "author_team", "author_kind", "text", "metadata",
    "received_at", "edited_at", "deleted",
)  # fmt: skip
_COUNT_COLUMNS = (
    "channel_id", "thread_ts", "started_at", "last_message_at", "message_count", "customer_message_count",
    "waiting_since",
)  # fmt: skip
_COUNT_PARAMETERS = {f"c_{name}": name for name in _COUNT_COLUMNS}


def _pg_add_counted_messages() -> TextClause:
    """PostgreSQL: add_messages' two statements in one round trip, for a batch of distinct messages.

    The conversations are counted (as _COUNT_MESSAGES does, from `c_` arrays counted as if every message
    is new) only if every message was inserted; the statement returns the inserted keys either way, each
    with its conversation's message count after the batch (when counted).
    """
    messages = ", ".join(f'"{name}"' for name in _MESSAGE_COLUMNS)
    counts = ", ".join(f'"{name}"' for name in _COUNT_COLUMNS)
    counts_unnest = pg_unnest(CONVERSATIONS, list(_COUNT_PARAMETERS), types=_COUNT_PARAMETERS)
    return text(
        f"WITH added AS ("
        f" INSERT INTO messages ({messages})"
        f" SELECT {messages} FROM {pg_unnest(MESSAGES, _MESSAGE_COLUMNS)}"
        f" WITH ORDINALITY AS v({messages}, row_number) ORDER BY row_number"
        f" ON CONFLICT (channel_id, ts) DO NOTHING RETURNING channel_id, ts, thread_ts"
        f"), counts AS ("
        f" SELECT * FROM {counts_unnest} WITH ORDINALITY AS c({counts}, row_number)"
        f" JOIN unnest(CAST(:reset AS BOOLEAN[])) WITH ORDINALITY AS r(reset, row_number) USING (row_number)"
        f"), counted AS ("
        f" INSERT INTO conversations ({counts})"
        f" SELECT {counts} FROM counts WHERE (SELECT count(*) FROM added) = :expected ORDER BY row_number"
        f" ON CONFLICT (channel_id, thread_ts) DO UPDATE SET"
        f" message_count = conversations.message_count + excluded.message_count,"
        f" customer_message_count = conversations.customer_message_count + excluded.customer_message_count,"
        f" last_message_at = CASE WHEN excluded.last_message_at > conversations.last_message_at"
        f" THEN excluded.last_message_at ELSE conversations.last_message_at END,"
        f" waiting_since = CASE WHEN (SELECT reset FROM counts WHERE counts.channel_id = excluded.channel_id"
        f" AND counts.thread_ts = excluded.thread_ts) THEN excluded.waiting_since"
        f" ELSE coalesce(conversations.waiting_since, excluded.waiting_since) END"
        f" RETURNING channel_id, thread_ts, message_count"
        f") SELECT added.channel_id, added.ts, counted.message_count AS counted FROM added"
        f" LEFT JOIN counted ON counted.channel_id = added.channel_id AND counted.thread_ts = added.thread_ts"
    )


_PG_ADD_COUNTED_MESSAGES = _pg_add_counted_messages()


class SqlProcessedEvents:
    """Slack event ids already handled."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def remember(self, *, event_id: str, at: datetime) -> bool:
        """Record an event id; True if it is new, False if it was seen before."""
        statement = _REMEMBER[self._connection.dialect.name]
        parameters = {"event_id": event_id, "received_at": at}
        return (await self._connection.execute(statement, parameters)).first() is not None

    async def forget_before(self, *, before: datetime) -> int:
        """Drop ids recorded before a time; return how many."""
        statement = delete(PROCESSED_EVENTS).where(PROCESSED_EVENTS.c.received_at < before)
        return (await self._connection.execute(statement)).rowcount


class SqlChannels:
    """Channels Baton knows, with their account and AI agent bots."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def get(self, *, channel_id: str) -> WatchedChannel | None:
        """The channel, or None if Baton never heard of it."""
        row = (await self._connection.execute(_CHANNEL, {"channel_id": channel_id})).first()
        return None if row is None else _channel(row)

    async def save(self, channel: WatchedChannel) -> WatchedChannel:
        """Insert or replace a channel by its id (keeping the stored added_at if the new one is None)."""
        values = {
            "channel_id": channel.channel_id,
            "name": channel.name,
            "is_shared": channel.is_shared,
            "watched": channel.watched,
            "account_name": channel.account.name,
            "account_tier": channel.account.tier,
            "account_value": channel.account.value,
            "account_owner_user_id": channel.account.owner_user_id,
            "account_timezone": channel.account.timezone,
            "unanswered_minutes": channel.unanswered_minutes,
            "ai_bot_ids": list(channel.ai_bot_ids),
            "added_at": channel.added_at,
        }
        statement = insert(self._connection, CHANNELS).values(values)
        replaced: dict[str, Any] = {key: statement.excluded[key] for key in values if key != "channel_id"}
        replaced["added_at"] = func.coalesce(statement.excluded.added_at, CHANNELS.c.added_at)
        statement = statement.on_conflict_do_update(index_elements=[CHANNELS.c.channel_id], set_=replaced)
        row = (await self._connection.execute(statement.returning(*CHANNELS.c))).one()
        return _channel(row)

    async def list(self, *, watched_only: bool = True) -> builtins.list[WatchedChannel]:
        """Channels ordered by id."""
        statement = select(CHANNELS).order_by(CHANNELS.c.channel_id)
        if watched_only:
            statement = statement.where(CHANNELS.c.watched.is_(True))
        return [_channel(row) for row in await self._connection.execute(statement)]


class SqlConversations:
    """Conversations and the message history kept from events."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection
        # Conversations this transaction started, with the messages it stored in them: until it commits,
        # nobody else can store one there (the conversation row is theirs to update, and locked), so these
        # are all of their messages and recent_messages need not read them back.
        self._started: dict[tuple[str, str], list[StoredMessage]] = {}

    async def add_message(self, message: StoredMessage) -> bool:
        """Store a message and update its conversation; False if (channel, ts) is already stored."""
        self._started.pop((message.channel_id, message.thread_ts), None)
        dialect = self._connection.dialect.name
        parameters = _message_values(message)
        if (await self._connection.execute(_ADD_MESSAGE[dialect], parameters)).first() is None:
            return False
        # A deleted message (a delete that came before the message) leaves nobody waiting.
        customer = message.author_kind is AuthorKind.CUSTOMER and not message.deleted
        waiting = "start" if customer else "stop" if message.author_kind in ANSWERING_AUTHORS else "keep"
        counted = {
            "channel_id": message.channel_id,
            "thread_ts": message.thread_ts,
            "started_at": message.received_at,
            "last_message_at": message.received_at,
            "message_count": 1,
            "customer_message_count": 1 if customer else 0,
            "waiting_since": message.received_at if customer else None,
        }
        await self._connection.execute(_COUNT_MESSAGE[waiting][dialect], counted)
        return True

    async def add_messages(self, messages: Sequence[StoredMessage]) -> list[bool]:
        """Store new messages in order and update their conversations, in two statements (on PostgreSQL
        in one when all are new); per message, whether it was stored (False: its (channel, ts) was stored
        already, or earlier in `messages`)."""
        first: dict[tuple[str, str], int] = {}
        for index, message in enumerate(messages):
            first.setdefault((message.channel_id, message.ts), index)
        # Rows in key order, so that two replicas storing overlapping batches take their locks in one order.
        ordered = [messages[index] for key, index in sorted(first.items())]
        if not ordered:
            return []
        for message in messages:
            self._started.pop((message.channel_id, message.thread_ts), None)
        dialect = self._connection.dialect.name
        if dialect == "postgresql" and len(ordered) == len(messages):
            counts = _conversation_counts(messages)
            counted = await self._add_counted(ordered, counts)
            added = set(counted)
            if len(added) == len(messages):  # and their conversations are counted
                after = {(m.channel_id, m.thread_ts): counted[m.channel_id, m.ts] for m in messages}
                self._remember_started(messages, counts, after)
                return [True] * len(messages)
        else:
            result = await self._connection.execute(
                _ADD_MESSAGES[dialect], [_message_values(m) for m in ordered]
            )
            added = {(row.channel_id, row.ts) for row in result}
        stored = [
            first.get((m.channel_id, m.ts)) == index and (m.channel_id, m.ts) in added
            for index, m in enumerate(messages)
        ]
        kept = [m for m, was_stored in zip(messages, stored, strict=True) if was_stored]
        counts = _conversation_counts(kept)
        if counts and dialect == "sqlite":
            rows = await self._connection.execute(_COUNT_MESSAGES_RETURNING, counts)
            self._remember_started(kept, counts, {(r.channel_id, r.thread_ts): r.message_count for r in rows})
        elif counts:
            await self._connection.execute(_COUNT_MESSAGES[dialect], counts)
        return stored

    async def _add_counted(
        self, messages: Sequence[StoredMessage], counts: list[dict[str, Any]]
    ) -> dict[tuple[str, str], int | None]:
        """PostgreSQL: insert distinct messages and, if none was stored before, count their conversations
        (`counts`, as if all are new); the keys inserted, each with its conversation's message count after
        (None: not counted)."""
        dialect = self._connection.dialect
        rows = [_message_values(m) for m in messages]
        parameters: dict[str, Any] = bind_columns(
            MESSAGES, {name: [row[name] for row in rows] for name in _MESSAGE_COLUMNS}, dialect
        )
        parameters |= bind_columns(
            CONVERSATIONS,
            {parameter: [count[name] for count in counts] for parameter, name in _COUNT_PARAMETERS.items()},
            dialect,
            types=_COUNT_PARAMETERS,
        )
        parameters |= {"reset": [count["reset"] for count in counts], "expected": len(rows)}
        result = await self._connection.execute(_PG_ADD_COUNTED_MESSAGES, parameters)
        return {(row.channel_id, row.ts): row.counted for row in result}

    def _remember_started(
        self,
        messages: Sequence[StoredMessage],
        counts: list[dict[str, Any]],
        after: dict[tuple[str, str], int | None],
    ) -> None:
        """Note the conversations that `messages` (all stored) started: those whose count after storing them
        (`after`, by conversation) is theirs alone."""
        for count in counts:
            key = (count["channel_id"], count["thread_ts"])
            if after[key] == count["message_count"]:
                # as read back: the stored instant is UTC
                self._started[key] = [
                    replace(m, received_at=m.received_at.astimezone(UTC))
                    for m in messages
                    if (m.channel_id, m.thread_ts) == key
                ]

    async def recent_messages(
        self, keys: Sequence[tuple[str, str]], *, limit: int
    ) -> dict[tuple[str, str], list[StoredMessage]]:
        """The last `limit` messages of each conversation (channel, thread ts), oldest first."""
        found: dict[tuple[str, str], list[StoredMessage]] = {}
        for key in keys:
            if key in self._started:
                found[key] = sorted(self._started[key], key=lambda m: m.ts)[-limit:]
        unread = [key for key in keys if key not in found]
        if not unread:
            return found
        parameters = {**conversation_lists(unread), "limit": limit}
        found |= {key: [] for key in unread}
        for row in await self._connection.execute(
            _RECENT_MESSAGES[self._connection.dialect.name], parameters
        ):
            message = _message(row)
            if (key := (message.channel_id, message.thread_ts)) in found and key not in self._started:
                found[key].append(message)
        return found

    async def edit_message(
        self, *, channel_id: str, ts: str, text: str, at: datetime
    ) -> StoredMessage | None:
        """Replace a stored message's text; the updated message, or None if it is unknown."""
        return await self._change(
            _EDIT_MESSAGE, channel_id=channel_id, ts=ts, values={"text": text, "at": at}
        )

    async def delete_message(self, *, channel_id: str, ts: str, at: datetime) -> StoredMessage | None:
        """Mark a stored message deleted, keeping its text; the updated message, or None if it is unknown."""
        return await self._change(_DELETE_MESSAGE, channel_id=channel_id, ts=ts, values={})

    async def _change(
        self, statement: Any, *, channel_id: str, ts: str, values: dict[str, Any]
    ) -> StoredMessage | None:
        parameters = {**values, "b_channel_id": channel_id, "b_ts": ts}
        row = (await self._connection.execute(statement, parameters)).first()
        if row is None:
            return None
        message = _message(row)
        self._started.pop((message.channel_id, message.thread_ts), None)
        return message

    async def get_message(self, *, channel_id: str, ts: str) -> StoredMessage | None:
        """One stored message."""
        row = (await self._connection.execute(_MESSAGE, {"channel_id": channel_id, "ts": ts})).first()
        return None if row is None else _message(row)

    async def get(self, *, channel_id: str, thread_ts: str) -> Conversation | None:
        """One conversation."""
        parameters = {"channel_id": channel_id, "thread_ts": thread_ts}
        row = (await self._connection.execute(_CONVERSATION, parameters)).first()
        return None if row is None else _conversation(row)

    async def messages(self, *, channel_id: str, thread_ts: str, limit: int = 50) -> list[StoredMessage]:
        """The last `limit` messages of a conversation, oldest first (deleted ones included, marked)."""
        parameters = {"channel_id": channel_id, "thread_ts": thread_ts, "limit": limit}
        newest_first = [_message(row) for row in await self._connection.execute(_MESSAGES, parameters)]
        return newest_first[::-1]

    async def waiting(
        self, *, since_before: datetime, limit: int, after: Conversation | None = None
    ) -> list[Conversation]:
        """Conversations in watched channels whose customer has waited since before a time, with no live
        handoff; oldest first (by waiting_since, channel, thread), after `after` (the last of a page)."""
        live = (
            select(HANDOFFS.c.id)
            .where(
                HANDOFFS.c.channel_id == CONVERSATIONS.c.channel_id,
                HANDOFFS.c.thread_ts == CONVERSATIONS.c.thread_ts,
                text(LIVE_HANDOFF_SQL),
            )
            .exists()
        )
        watched = (
            select(CHANNELS.c.channel_id)
            .where(CHANNELS.c.channel_id == CONVERSATIONS.c.channel_id, CHANNELS.c.watched.is_(True))
            .exists()
        )
        order = (CONVERSATIONS.c.waiting_since, CONVERSATIONS.c.channel_id, CONVERSATIONS.c.thread_ts)
        statement = (
            select(CONVERSATIONS)
            .where(CONVERSATIONS.c.waiting_since <= since_before, watched, ~live)
            .order_by(*order)
            .limit(limit)
        )
        if after is not None:
            statement = statement.where(
                tuple_(*order) > tuple_(after.waiting_since, after.channel_id, after.thread_ts)
            )
        return [_conversation(row) for row in await self._connection.execute(statement)]

    async def answered(self, *, channel_id: str, thread_ts: str) -> None:
        """Nobody waits in the conversation any more (its handoff closed): until the customer writes again."""
        await self._connection.execute(
            update(CONVERSATIONS)
            .where(CONVERSATIONS.c.channel_id == channel_id, CONVERSATIONS.c.thread_ts == thread_ts)
            .values(waiting_since=None)
        )


def _message_values(message: StoredMessage) -> dict[str, Any]:
    return {
        "channel_id": message.channel_id,
        "ts": message.ts,
        "thread_ts": message.thread_ts,
        "author_id": message.author_id,
        "author_team": message.author_team,
        "author_kind": message.author_kind.value,
        "text": message.text,
        "metadata": message.metadata,
        "received_at": message.received_at,
        "edited_at": message.edited_at,
        "deleted": message.deleted,
    }


def _conversation_counts(messages: Sequence[StoredMessage]) -> list[dict[str, Any]]:
    """One upsert row per conversation for new messages taken in order: counts, the last message time, and
    the waiting customer message as add_message would leave it after each of them in turn."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for message in messages:
        row = rows.setdefault(
            (message.channel_id, message.thread_ts),
            {
                "channel_id": message.channel_id,
                "thread_ts": message.thread_ts,
                "started_at": message.received_at,
                "last_message_at": message.received_at,
                "message_count": 0,
                "customer_message_count": 0,
                "waiting_since": None,
                "reset": False,
            },
        )
        row["message_count"] += 1
        row["last_message_at"] = max(row["last_message_at"], message.received_at)
        if message.author_kind is AuthorKind.CUSTOMER:
            row["customer_message_count"] += 1
            row["waiting_since"] = row["waiting_since"] or message.received_at
        elif message.author_kind in ANSWERING_AUTHORS:
            row["waiting_since"], row["reset"] = None, True
    return [rows[key] for key in sorted(rows)]  # in key order, as the messages (see add_messages)


def _channel(row: Row[Any]) -> WatchedChannel:
    m = row._mapping
    return WatchedChannel(
        channel_id=m["channel_id"],
        name=m["name"],
        is_shared=m["is_shared"],
        watched=m["watched"],
        account=Account(
            name=m["account_name"],
            tier=m["account_tier"],
            value=m["account_value"],
            owner_user_id=m["account_owner_user_id"],
            timezone=m["account_timezone"],
        ),
        ai_bot_ids=tuple(m["ai_bot_ids"]),
        unanswered_minutes=m["unanswered_minutes"],
        added_at=m["added_at"],
    )


def _message(row: Row[Any]) -> StoredMessage:
    m = row._mapping
    return StoredMessage(
        channel_id=m["channel_id"],
        ts=m["ts"],
        thread_ts=m["thread_ts"],
        author_id=m["author_id"],
        author_team=m["author_team"],
        author_kind=AuthorKind(m["author_kind"]),
        text=m["text"],
        received_at=m["received_at"],
        edited_at=m["edited_at"],
        deleted=m["deleted"],
        metadata=m["metadata"],
    )


def _conversation(row: Row[Any]) -> Conversation:
    m = row._mapping
    return Conversation(
        channel_id=m["channel_id"],
        thread_ts=m["thread_ts"],
        started_at=m["started_at"],
        last_message_at=m["last_message_at"],
        message_count=m["message_count"],
        customer_message_count=m["customer_message_count"],
        waiting_since=m["waiting_since"],
        id=m["id"],
    )
