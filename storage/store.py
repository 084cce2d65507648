"""SqlStore: opens a transaction and hands out the repositories bound to its connection."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from routing.ports import (
    Admins,
    ApiTokens,
    AuditLog,
    Channels,
    ConfigVersions,
    Conversations,
    Gauges,
    HandoffEvents,
    Handoffs,
    Outbox,
    ProcessedEvents,
    Queue,
    Retention,
    StatsSource,
)
from storage.admin import SqlAdmins, SqlAuditLog, SqlConfigVersions
from storage.handoffs import SqlHandoffEvents, SqlHandoffs
from storage.outbox import SqlOutbox
from storage.queue import SqlQueue
from storage.repositories import SqlChannels, SqlConversations, SqlProcessedEvents
from storage.retention import SqlRetention
from storage.stats import SqlStats
from storage.tokens import SqlApiTokens, SqlGauges

if TYPE_CHECKING:
    from routing.ports import Store, UnitOfWork


class SqlUnitOfWork:
    """The repositories of one transaction, all on the same connection."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection
        self.processed_events: ProcessedEvents = SqlProcessedEvents(connection)
        self.channels: Channels = SqlChannels(connection)
        self.conversations: Conversations = SqlConversations(connection)
        self.handoffs: Handoffs = SqlHandoffs(connection)
        self.handoff_events: HandoffEvents = SqlHandoffEvents(connection)
        self.outbox: Outbox = SqlOutbox(connection)
        self.config_versions: ConfigVersions = SqlConfigVersions(connection)
        self.audit_log: AuditLog = SqlAuditLog(connection)
        self.admins: Admins = SqlAdmins(connection)
        self.api_tokens: ApiTokens = SqlApiTokens(connection)
        self.gauges: Gauges = SqlGauges(connection)
        self.stats: StatsSource = SqlStats(connection)
        self.queue: Queue = SqlQueue(connection)
        self.retention: Retention = SqlRetention(connection)


class SqlStore:
    """The Store port over an AsyncEngine: each transaction is one connection and one database transaction."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        # SQLite has one writer at a time. Queueing this process's writers on an asyncio lock is far cheaper
        # than letting each poll SQLite's busy handler (which sleeps in steps of up to 100 ms); busy_timeout
        # still arbitrates between processes. PostgreSQL needs neither.
        self._write_lock = asyncio.Lock() if engine.dialect.name == "sqlite" else None
        # A read-only unit of work on PostgreSQL runs without BEGIN and COMMIT (autocommit): at READ
        # COMMITTED, the isolation level Baton uses, each statement sees what was committed before it started,
        # inside a transaction or not, so the transaction would only add two round trips (most read-only
        # units of work, such as a card's view, are one or two statements).
        self._readonly: dict[str, object] = {"baton_readonly": True}
        if engine.dialect.name == "postgresql":
            self._readonly["isolation_level"] = "AUTOCOMMIT"

    @asynccontextmanager
    async def transaction(self, *, readonly: bool = False) -> AsyncIterator[SqlUnitOfWork]:
        """A unit of work that commits on clean exit and rolls back on error.

        `readonly`: the unit only reads. On SQLite it then runs as a deferred transaction beside the writer
        (WAL readers never block), instead of queueing for the write lock; on PostgreSQL, in autocommit.
        """
        if readonly or self._write_lock is None:
            async with self._engine.connect() as connection:
                if readonly:
                    connection = await connection.execution_options(**self._readonly)
                async with connection.begin():
                    yield SqlUnitOfWork(connection)
            return
        async with self._write_lock, self._engine.begin() as connection:
            yield SqlUnitOfWork(connection)


if TYPE_CHECKING:

    def _conforms(store: SqlStore, unit_of_work: SqlUnitOfWork) -> tuple[Store, UnitOfWork]:
        return store, unit_of_work
