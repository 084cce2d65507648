from __future__ import annotations

import asyncio
import gc
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError

from storage import SqlStore, create_engine, normalize_database_url
from storage.sqlite_inline import CACHED_STATEMENTS, inline_connector


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///baton.db", "sqlite+aiosqlite:///baton.db"),
        ("sqlite:////var/lib/baton/baton.db", "sqlite+aiosqlite:////var/lib/baton/baton.db"),
        ("sqlite://", "sqlite+aiosqlite://"),
        ("sqlite+aiosqlite:///baton.db", "sqlite+aiosqlite:///baton.db"),
        ("postgres://u:p@db:5432/baton", "postgresql+asyncpg://u:p@db:5432/baton"),
        ("postgresql://u:p@db/baton?sslmode=x", "postgresql+asyncpg://u:p@db/baton?sslmode=x"),
        ("postgresql+asyncpg://u@db/baton", "postgresql+asyncpg://u@db/baton"),
    ],
)
def test_normalize_database_url(url: str, expected: str) -> None:
    assert normalize_database_url(url) == expected


@pytest.mark.parametrize(
    "url",
    ["mysql://u:secret@db/baton", "postgresql+psycopg2://u:secret@db/baton", "baton.db", "", "http://x"],
)
def test_normalize_database_url_rejects_other_urls_without_echoing_them(url: str) -> None:
    with pytest.raises(ValueError, match="unsupported database URL") as raised:
        normalize_database_url(url)
    assert "secret" not in str(raised.value)


async def test_sqlite_connections_are_tuned_and_the_folder_is_created(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "deeper" / "baton.db"
    engine = create_engine(f"sqlite:///{path}")
    try:
        async with engine.connect() as connection:
            pragmas = {
                name: (await connection.exec_driver_sql(f"PRAGMA {name}")).scalar_one()
                for name in ("journal_mode", "busy_timeout", "foreign_keys", "synchronous")
            }
    finally:
        await engine.dispose()
    assert path.exists()
    # synchronous=1 is NORMAL. busy_timeout=0: the inline connection waits for other processes' locks itself.
    assert pragmas == {"journal_mode": "wal", "busy_timeout": 0, "foreign_keys": 1, "synchronous": 1}


async def test_create_engine_uses_async_drivers(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            assert (await connection.execute(text("SELECT 1"))).scalar_one() == 1
    finally:
        await engine.dispose()
    assert engine.dialect.driver in {"aiosqlite", "asyncpg"}
    assert engine.dialect.is_async


def _hold_write_lock(path: Path, seconds: float, locked: threading.Event) -> None:
    other = sqlite3.connect(path, isolation_level=None)  # another process's writer, as far as SQLite knows
    try:
        other.execute("BEGIN IMMEDIATE")
        locked.set()
        time.sleep(seconds)
        other.execute("COMMIT")
    finally:
        other.close()


async def _write_while_locked(path: Path, *, held: float, busy_wait: float) -> int:
    """Insert a row while another connection holds the write lock; how often the loop turned meanwhile."""
    connection = await inline_connector(str(path), busy_wait=busy_wait)()
    await connection.execute("CREATE TABLE IF NOT EXISTS t (x)")
    locked = threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(path, held, locked))
    holder.start()
    locked.wait()
    turns = 0

    async def tick() -> None:
        nonlocal turns
        while True:
            await asyncio.sleep(0.01)
            turns += 1

    ticker = asyncio.create_task(tick())
    try:
        await connection.execute("INSERT INTO t VALUES (1)")
    finally:
        ticker.cancel()
        holder.join()
        await connection.close()
    return turns


async def test_an_inline_sqlite_write_waits_for_another_writer_without_blocking_the_loop(
    tmp_path: Path,
) -> None:
    path = tmp_path / "baton.db"
    turns = await _write_while_locked(path, held=0.3, busy_wait=5.0)
    assert turns >= 5  # the event loop kept serving while the write waited for the lock
    with sqlite3.connect(path) as check:
        assert check.execute("SELECT count(*) FROM t").fetchone() == (1,)


async def test_an_inline_sqlite_write_gives_up_after_its_busy_wait(tmp_path: Path) -> None:
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        await _write_while_locked(tmp_path / "baton.db", held=0.5, busy_wait=0.1)


async def test_an_inline_sqlite_connection_keeps_a_bounded_number_of_prepared_statements(
    tmp_path: Path,
) -> None:
    connection = await inline_connector(str(tmp_path / "baton.db"))()
    try:
        # One SQL text per list length, as SQLAlchemy renders an IN list or a multi-row insert.
        for n in range(1, 3 * CACHED_STATEMENTS):
            await connection.execute("SELECT 1 WHERE 1 IN (" + ", ".join("?" * n) + ")", tuple(range(n)))
        # CPython keeps a connection's prepared statements in a functools.lru_cache the connection refers to.
        caches = [r for r in gc.get_referents(connection._connection) if hasattr(r, "cache_info")]
        assert len(caches) == 1
        info = caches[0].cache_info()
    finally:
        await connection.close()
    assert (info.maxsize, info.currsize) == (CACHED_STATEMENTS, CACHED_STATEMENTS)


async def test_a_sqlite_write_transaction_locks_at_begin_without_sqlalchemys_execution_path(
    tmp_path: Path,
) -> None:
    # BEGIN IMMEDIATE goes straight to the sqlite3 connection (SQLAlchemy's path cost as much as a real
    # statement); it still takes the write lock at once, and still waits for another process's lock.
    path = tmp_path / "baton.db"
    engine = create_engine(f"sqlite:///{path}")
    sent: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *args: sent.append(args[2]))
    store = SqlStore(engine)
    locked = threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(path, 0.3, locked))
    try:
        async with store.transaction(readonly=True) as tx:
            await tx.connection.execute(text("SELECT 1"))
        holder.start()
        locked.wait()
        started = time.monotonic()
        async with store.transaction() as tx:
            waited = time.monotonic() - started
            other = sqlite3.connect(path, timeout=0, isolation_level=None)
            try:
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    other.execute("BEGIN IMMEDIATE")
            finally:
                other.close()
    finally:
        holder.join()
        await engine.dispose()
    assert waited >= 0.1  # it queued behind the other writer's lock
    assert sent == ["SELECT 1"]  # no BEGIN through SQLAlchemy's cursor path


async def test_a_sqlite_write_transaction_that_cannot_get_the_lock_fails_as_sqlalchemys_error(
    tmp_path: Path,
) -> None:
    path = tmp_path / "baton.db"
    engine = create_engine(f"sqlite:///{path}")
    # A short busy wait (5 s by default), so the test need not hold the lock that long.
    event.listen(
        engine.sync_engine, "connect", lambda dbapi, _: setattr(dbapi.driver_connection, "_busy_wait", 0.1)
    )
    locked = threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(path, 0.5, locked))
    try:
        async with SqlStore(engine).transaction(readonly=True):
            pass  # the first connection exists before the lock is taken
        holder.start()
        locked.wait()
        with pytest.raises(OperationalError, match="locked"):
            async with SqlStore(engine).transaction():
                pass
    finally:
        holder.join()
        await engine.dispose()
