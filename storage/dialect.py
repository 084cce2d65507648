"""The few statements whose SQL differs between SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from sqlalchemy import ARRAY, ColumnElement, String, Table, any_, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

T = TypeVar("T")
DialectInsert = Callable[[Table], postgresql.Insert | sqlite.Insert]

_INSERTS: dict[str, DialectInsert] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def insert(connection: AsyncConnection, table: Table) -> postgresql.Insert | sqlite.Insert:
    """The dialect's INSERT, which supports ON CONFLICT DO NOTHING / DO UPDATE."""
    return _INSERTS["postgresql" if is_postgresql(connection) else "sqlite"](table)


def per_dialect(build: Callable[[DialectInsert], T]) -> dict[str, T]:
    """`build(dialect_insert)` once per dialect, by dialect name: statements built at import time and reused.

    A statement built once and executed with a parameter dict skips SQLAlchemy's per-call coercion of
    literal values and cache-key generation, and its compiled form comes from the compiled cache.
    """
    return {name: build(dialect_insert) for name, dialect_insert in _INSERTS.items()}


def is_postgresql(connection: AsyncConnection) -> bool:
    """Whether the connection talks to PostgreSQL (else SQLite)."""
    return connection.dialect.name == "postgresql"


def in_conversations(
    channel_id: ColumnElement[str], thread_ts: ColumnElement[str], *, postgresql: bool
) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """`channel_id` in the `channels` parameter and `thread_ts` in `threads` (see `conversation_lists`).

    Two lists, not a row-value IN: SQLite searches an index only for the former; the caller drops the rows of
    the lists' other combinations. On PostgreSQL an array parameter each (the same SQL for any number of
    keys, where an expanding IN is rendered again at every execution), planned like an IN list.
    """
    if postgresql:
        return (
            channel_id == any_(bindparam("channels", type_=ARRAY(String))),
            thread_ts == any_(bindparam("threads", type_=ARRAY(String))),
        )
    return (
        channel_id.in_(bindparam("channels", expanding=True)),
        thread_ts.in_(bindparam("threads", expanding=True)),
    )


def conversation_lists(keys: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """The `channels` and `threads` parameters of `in_conversations` for these (channel, thread ts) keys."""
    keys = list(keys)
    return {"channels": sorted({c for c, _ in keys}), "threads": sorted({t for _, t in keys})}
