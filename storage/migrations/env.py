"""Alembic environment for Baton.

Two ways in: `storage.migrate` hands an open connection in `config.attributes["connection"]` (works inside a
running event loop), or the `alembic` CLI gives a URL (`-x url=...` or `sqlalchemy.url` in its ini file),
which is run on an async engine from `storage.create_engine`.
"""

from __future__ import annotations

import asyncio
from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection

from storage.engine import create_engine, normalize_database_url
from storage.tables import METADATA

# Several replicas may start at once on PostgreSQL: one migrates, the others wait and then find nothing to do.
MIGRATION_LOCK_KEY = 0x6261746F6E  # "baton"

config = context.config
target_metadata = METADATA

if config.config_file_name is not None and config.file_config.has_section("loggers"):
    fileConfig(config.config_file_name)


def _database_url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL: pass `alembic -x url=...` or set sqlalchemy.url in the ini file")
    return normalize_database_url(url)


def run_migrations_offline() -> None:
    """Emit the SQL instead of running it."""
    context.configure(
        url=_database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    """Run the migrations on a synchronous connection (the sync face of an async one)."""
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")
        context.run_migrations()


async def run_async_migrations() -> None:
    """Open an async engine on the URL and run the migrations through its connection."""
    engine = create_engine(_database_url())
    try:
        async with engine.connect() as connection:
            await connection.run_sync(do_run_migrations)
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    """Use the caller's connection if there is one, else connect to the URL."""
    connection = config.attributes.get("connection")
    if connection is None:
        asyncio.run(run_async_migrations())
    else:
        do_run_migrations(connection)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
