"""Database URLs and the async engine factory (SQLite through aiosqlite, PostgreSQL through asyncpg)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from storage import json_codec
from storage.sqlite_inline import InlineConnection, inline_connector

SQLITE_BUSY_TIMEOUT_MS = 5000
_JSON = {"json_serializer": json_codec.dumps, "json_deserializer": json_codec.loads}

_ASYNC_SCHEMES = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}


def normalize_database_url(url: str) -> str:
    """The async-driver form of a SQLite or PostgreSQL URL; ValueError for anything else."""
    scheme, separator, rest = url.partition("://")
    async_scheme = _ASYNC_SCHEMES.get(scheme.lower()) if separator else None
    if async_scheme is None:
        # Name only the scheme: the rest of a URL may hold a password.
        shown = scheme if separator else "(no scheme)"
        raise ValueError(
            f"unsupported database URL scheme {shown!r}: use sqlite:///path/to/baton.db or "
            "postgresql://user:password@host/dbname (async drivers aiosqlite and asyncpg are used)"
        )
    return f"{async_scheme}://{rest}"


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """An AsyncEngine for a SQLite or PostgreSQL URL, tuned for Baton's access pattern."""
    parsed = make_url(normalize_database_url(url))
    if parsed.get_backend_name() == "sqlite":
        return _create_sqlite_engine(parsed, echo=echo)
    return create_async_engine(
        parsed,
        echo=echo,
        **_JSON,
        pool_size=10,
        max_overflow=10,
        pool_timeout=30,
        pool_recycle=1800,
        # No pre-ping: it costs a round trip on every checkout (about one in seven of Baton's socket writes
        # under load). A connection that died with a restarted server is invalidated on first use; that
        # request fails and is retried (Slack redelivers the event, the outbox worker tries the row again).
        pool_pre_ping=False,
    )


def _create_sqlite_engine(url: URL, *, echo: bool) -> AsyncEngine:
    database = url.database or ""
    in_memory = database in ("", ":memory:") or url.query.get("mode") == "memory"
    if not in_memory and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    if in_memory:
        engine = create_async_engine(url, echo=echo, **_JSON)
    else:
        # Statements run on the event loop's thread (see storage/sqlite_inline.py); SQLAlchemy still builds
        # the connection arguments from the URL, as for aiosqlite.
        (filename,), options = SQLiteDialect_aiosqlite().create_connect_args(url)
        connector = inline_connector(str(filename), uri=bool(options.get("uri")))
        engine = create_async_engine(url, echo=echo, async_creator=connector, **_JSON)
    event.listen(engine.sync_engine, "connect", _configure_sqlite_connection)
    event.listen(engine.sync_engine, "begin", _begin_immediate)
    return engine


def _configure_sqlite_connection(dbapi_connection: Any, connection_record: Any) -> None:
    # Let SQLAlchemy, not the driver, emit BEGIN (see _begin_immediate); PRAGMAs run outside a transaction.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        # An inline connection must not block the event loop: it waits for another process's lock itself.
        inline = isinstance(getattr(dbapi_connection, "driver_connection", None), InlineConnection)
        cursor.execute(f"PRAGMA busy_timeout={0 if inline else SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _begin_immediate(connection: Any) -> None:
    # Take SQLite's write lock when a transaction starts: a deferred transaction that reads and then writes
    # fails with SQLITE_BUSY (no waiting can help) if another writer committed in between. Writers queue up
    # for the lock instead (busy_timeout, or the inline connection's own retries), which makes
    # compare-and-set updates safe. Read-only units of work
    # (SqlStore.transaction(readonly=True)) stay deferred: in WAL mode they never wait for the writer.
    readonly = connection.get_execution_options().get("baton_readonly", False)
    statement = "BEGIN" if readonly else "BEGIN IMMEDIATE"
    pooled = connection.connection
    if isinstance(pooled.driver_connection, InlineConnection):
        # Straight to the sqlite3 connection (SQLAlchemy's documented `run_async`): through SQLAlchemy's
        # execution path (statement context, events, a cursor adapter) this BEGIN cost about as much as one
        # of the transaction's real statements, and at 100 events/s nearly every message is a transaction
        # of its own (docs/PERFORMANCE.md).
        try:
            pooled.dbapi_connection.run_async(lambda driver: driver.begin(statement))
        except connection.dialect.loaded_dbapi.Error as error:  # raised as SQLAlchemy's, as before
            raise exc.DBAPIError.instance(
                statement, None, error, connection.dialect.loaded_dbapi.Error, dialect=connection.dialect
            ) from error
    else:
        connection.exec_driver_sql(statement)
