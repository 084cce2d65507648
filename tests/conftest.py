"""Database fixtures shared by every test package.

`database_url` runs a test on SQLite and on PostgreSQL; `engine` is that database migrated, `store` a SqlStore
on it. PostgreSQL tests share one database per test session (`baton_test_<hex>`, created on first use from
the maintenance database at $BATON_TEST_POSTGRES_URL and dropped at the end), emptied before each test.
Without a reachable PostgreSQL those cases are skipped, unless $CI or BATON_REQUIRE_POSTGRES=1 demand it.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import SqlStore, create_engine, migrate
from storage.migrate import alembic_config
from storage.tables import METADATA

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def _postgres_required() -> bool:
    return bool(os.environ.get("CI")) or os.environ.get("BATON_REQUIRE_POSTGRES") == "1"


def _asyncpg_dsn(url: str, *, database: str | None = None) -> str:
    """A plain postgresql:// DSN for asyncpg (no +driver suffix), optionally for another database."""
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


async def _create_database(maintenance_dsn: str, name: str) -> None:
    connection = await asyncpg.connect(maintenance_dsn, timeout=5)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def _drop_database(maintenance_dsn: str, name: str) -> None:
    connection = await asyncpg.connect(maintenance_dsn, timeout=5)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


async def _empty_postgres_database(dsn: str, *, head: str) -> None:
    """Truncate Baton's tables if the schema is at head (fast); otherwise drop the whole schema."""
    connection = await asyncpg.connect(dsn, timeout=5)
    try:
        at_head = False
        if await connection.fetchval("SELECT to_regclass('public.alembic_version') IS NOT NULL"):
            at_head = await connection.fetchval("SELECT version_num FROM alembic_version") == head
        if at_head:
            tables = ", ".join(table.name for table in METADATA.sorted_tables)
            await connection.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        else:
            await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """The URL of this test session's PostgreSQL database (created here, dropped when the session ends)."""
    maintenance_url = os.environ.get("BATON_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    maintenance_dsn = _asyncpg_dsn(maintenance_url)
    name = f"baton_test_{secrets.token_hex(6)}"
    try:
        asyncio.run(_create_database(maintenance_dsn, name))
    except (OSError, TimeoutError, asyncpg.PostgresError) as error:
        where = make_url(maintenance_url).render_as_string(hide_password=True)
        reason = f"PostgreSQL unreachable at {where} ({type(error).__name__}: {error})"
        if _postgres_required():
            pytest.fail(f"{reason}; it is required because CI or BATON_REQUIRE_POSTGRES=1 is set")
        pytest.skip(
            f"{reason}; set BATON_TEST_POSTGRES_URL, or CI / BATON_REQUIRE_POSTGRES=1 to fail instead"
        )
    try:
        yield _asyncpg_dsn(maintenance_url, database=name)
    finally:
        asyncio.run(_drop_database(maintenance_dsn, name))


@pytest.fixture(scope="session")
def migration_head() -> str:
    """The revision `migrate` brings a database to."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


@pytest.fixture
def postgresql_url(postgres_database: str, migration_head: str) -> str:
    """The session's PostgreSQL database with no rows: at head with tables truncated, or with no schema."""
    asyncio.run(_empty_postgres_database(postgres_database, head=migration_head))
    return postgres_database


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A new, empty SQLite database file."""
    return f"sqlite:///{tmp_path / 'baton.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """A database with no rows, on each dialect: the URL as a user would write it, maybe not migrated."""
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An AsyncEngine on `database_url`, migrated to head; disposed after the test."""
    engine = create_engine(database_url)
    try:
        await migrate(engine)
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def store(engine: AsyncEngine) -> SqlStore:
    """A SqlStore on the migrated `engine`."""
    return SqlStore(engine)
