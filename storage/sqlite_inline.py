"""SQLite statements run on the event loop's own thread instead of hopping to aiosqlite's worker thread.

A statement on a local SQLite file takes microseconds, but each hop to aiosqlite's thread and back costs a
wake-up of the event loop, and under load a turn of the loop takes milliseconds. Baton's write transactions
hold SQLite's one write lock for all their statements, so with a thread hop per statement the lock is held
for many turns of a busy loop and every other writer queues behind it. Run inline, a transaction takes as
long as its statements and the Python between them.

The one wait SQLite can impose is a lock held by another process (a CLI command, a second `baton run`).
Blocking the loop for it would stall every request, so the busy timeout is zero and a busy statement is
retried here with `asyncio.sleep` between tries: the loop keeps serving meanwhile. A statement that failed
with SQLITE_BUSY did nothing, so trying it again is safe.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable, Generator
from typing import Any

import aiosqlite

BUSY_WAIT_SECONDS = 5.0
# Prepared statements each connection keeps (the sqlite3 module's default is 128). SQLAlchemy renders an IN
# list or a multi-row VALUES of n items as SQL text of its own, so every batch size adds statements, and their
# SQLite memory grows with n (~1.5 KB per row of the messages insert). 128 of them per pooled connection
# filled up over tens of thousands of messages (bench/memory, batches of up to 16: ~1.5 MB per connection and
# rising; intake batches of up to 100 make larger ones); 32 keep the hot statements at no measurable CPU cost.
CACHED_STATEMENTS = 32
_FIRST_PAUSE = 0.002
_LONGEST_PAUSE = 0.05


class InlineConnection(aiosqlite.Connection):
    """aiosqlite's connection API, executing each call at once on the calling thread."""

    def __init__(self, connector: Callable[[], sqlite3.Connection], *, busy_wait: float = BUSY_WAIT_SECONDS):
        super().__init__(connector, iter_chunk_size=64)  # its worker thread is created, never started
        self._tx = _RunAtOnce()  # type: ignore[assignment]  # SQLAlchemy queues some calls here directly
        self._busy_wait = busy_wait

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or self._connection is None:
            raise ValueError("Connection closed")
        deadline: float | None = None
        pause = _FIRST_PAUSE
        while True:
            try:
                return fn(*args, **kwargs)
            except sqlite3.OperationalError as error:
                if not _is_busy(error):
                    raise
                now = asyncio.get_running_loop().time()
                deadline = now + self._busy_wait if deadline is None else deadline
                if now >= deadline:
                    raise
                await asyncio.sleep(pause)
                pause = min(pause * 2, _LONGEST_PAUSE)

    async def begin(self, statement: str) -> None:
        """Run `BEGIN` or `BEGIN IMMEDIATE` on the sqlite3 connection, waiting as any statement does."""
        await self._execute(self._begin, statement)

    def _begin(self, statement: str) -> None:
        assert self._connection is not None  # _execute checked
        self._connection.execute(statement)

    async def _connect(self) -> InlineConnection:
        if self._connection is None:
            self._connection = self._connector()
        return self

    def __await__(self) -> Generator[Any, None, InlineConnection]:
        return self._connect().__await__()

    def stop(self) -> None:
        self._running = False
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    async def close(self) -> None:
        self.stop()


class _RunAtOnce:
    """Stands in for aiosqlite's queue to its worker thread: what is put in runs at once."""

    def put_nowait(self, item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as error:
            if future is None:
                raise
            future.set_exception(error)
        else:
            if future is not None:
                future.set_result(result)


def inline_connector(
    database: str, *, uri: bool = False, busy_wait: float = BUSY_WAIT_SECONDS
) -> Callable[[], Awaitable[InlineConnection]]:
    """An `async_creator` for SQLAlchemy's aiosqlite dialect: connections that run statements inline."""

    async def connect() -> InlineConnection:
        def open_database() -> sqlite3.Connection:
            connection = sqlite3.connect(
                database,
                uri=uri,
                check_same_thread=False,
                isolation_level=None,
                cached_statements=CACHED_STATEMENTS,
            )
            connection.execute("PRAGMA busy_timeout=0")
            return connection

        return await InlineConnection(open_database, busy_wait=busy_wait)

    return connect


def _is_busy(error: sqlite3.OperationalError) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(error) or "busy" in str(error)
