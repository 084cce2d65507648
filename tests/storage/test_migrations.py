from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, insert, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from routing.business_hours import BusinessHours
from routing.models import HandoffState
from routing.sla import SlaPolicy, policy_to_data
from storage import (
    SchemaBehind,
    SqlStore,
    create_engine,
    current_revision,
    downgrade,
    head_revision,
    migrate,
    require_head,
)
from storage.handoffs import _values
from storage.migrate import MIGRATIONS_DIR
from storage.tables import CHANNELS, HANDOFFS, METADATA

from .builders import T0, handoff

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BATON_TABLES = {table.name for table in METADATA.sorted_tables}


async def _tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    return set(names) - {"alembic_version"}


def _differences(connection: Connection) -> list[object]:
    return list(compare_metadata(MigrationContext.configure(connection), METADATA))


async def test_migrate_downgrade_and_migrate_again(database_url: str, migration_head: str) -> None:
    engine = create_engine(database_url)
    try:
        await downgrade(engine)  # the PostgreSQL test database may be at head already
        assert await current_revision(engine) is None
        assert await _tables(engine) == set()

        await migrate(engine)
        assert await current_revision(engine) == migration_head
        assert await _tables(engine) == BATON_TABLES

        await downgrade(engine, revision="base")
        assert await current_revision(engine) is None
        assert await _tables(engine) == set()

        await migrate(engine, revision=migration_head)
        assert await current_revision(engine) == migration_head
        assert await _tables(engine) == BATON_TABLES
    finally:
        await engine.dispose()


async def test_0004_freezes_the_account_time_zone_into_live_handoffs(database_url: str) -> None:
    office = policy_to_data(SlaPolicy(15, hours=BusinessHours()))  # 09–17 UTC
    handoffs = [  # (thread, channel, state, policy): what 0004 must make of its policy's zone
        ("1.0", "C1", HandoffState.OPEN, office, "Europe/Berlin"),
        ("2.0", "C1", HandoffState.SNOOZED, office, "Europe/Berlin"),
        ("3.0", "C1", HandoffState.RESOLVED, office, "UTC"),  # closed: left as it was
        ("4.0", "C2", HandoffState.CLAIMED, office, "UTC"),  # the account has no zone
        ("5.0", "C1", HandoffState.OPEN, policy_to_data(SlaPolicy(5)), None),  # around the clock
    ]
    engine = create_engine(database_url)
    try:
        await downgrade(engine)
        await migrate(engine, revision="0003")
        async with engine.begin() as connection:
            await connection.execute(
                insert(CHANNELS),
                [
                    {"channel_id": "C1", "account_timezone": "Europe/Berlin"},
                    {"channel_id": "C2", "account_timezone": None},
                ],
            )
            for thread, channel, state, policy, _ in handoffs:
                row = handoff(channel_id=channel, thread_ts=thread, state=state, policy=copy.deepcopy(policy))
                await connection.execute(insert(HANDOFFS), {**_values(row), "version": 0})
        await migrate(engine)
        async with engine.connect() as connection:
            policies = dict((await connection.execute(select(HANDOFFS.c.thread_ts, HANDOFFS.c.policy))).all())
        zones = {thread: (policies[thread]["hours"] or {}).get("timezone") for thread, *_ in handoffs}
        assert zones == {thread: zone for thread, *_, zone in handoffs}
        assert policies["1.0"]["hours"] == {**office["hours"], "timezone": "Europe/Berlin"}
    finally:
        await engine.dispose()


async def test_a_process_told_not_to_migrate_refuses_a_schema_behind_and_tolerates_a_newer_one(
    database_url: str, caplog
) -> None:
    engine = create_engine(database_url)
    try:
        await downgrade(engine)
        with pytest.raises(SchemaBehind, match="never migrated"):
            await require_head(engine)
        await migrate(engine, revision="0003")
        with pytest.raises(SchemaBehind, match="at revision 0003, this Baton needs"):
            await require_head(engine)
        await migrate(engine)
        await require_head(engine)
        async with engine.begin() as connection:  # as a newer release would leave it
            await connection.execute(text("UPDATE alembic_version SET version_num = '0099_future'"))
        await require_head(engine)
        assert "newer than this release" in caplog.text
        async with engine.begin() as connection:
            await connection.execute(text(f"UPDATE alembic_version SET version_num = '{head_revision()}'"))
    finally:
        await engine.dispose()


async def test_migrated_schema_matches_the_tables(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        assert await connection.run_sync(_differences) == []


async def test_migrating_twice_is_a_no_op(engine: AsyncEngine, migration_head: str) -> None:
    store = SqlStore(engine)
    async with store.transaction() as uow:
        await uow.processed_events.remember(event_id="Ev1", at=T0)

    await migrate(engine)

    assert await current_revision(engine) == migration_head
    async with store.transaction() as uow:
        assert await uow.processed_events.remember(event_id="Ev1", at=T0) is False


def _alembic(tmp_path: Path, url: str, *args: str) -> str:
    """Run the alembic CLI in a fresh process, with an ini file holding only the script location."""
    ini = tmp_path / "alembic.ini"
    ini.write_text(f"[alembic]\nscript_location = {MIGRATIONS_DIR}\nprepend_sys_path = {PROJECT_ROOT}\n")
    command = [sys.executable, "-m", "alembic", "-c", str(ini), "-x", f"url={url}", *args]
    done = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


async def test_alembic_cli_migrates_a_database_url(
    database_url: str, migration_head: str, tmp_path: Path
) -> None:
    engine = create_engine(database_url)
    try:
        await downgrade(engine)
        _alembic(tmp_path, database_url, "upgrade", "head")
        assert await current_revision(engine) == migration_head
        async with engine.connect() as connection:
            assert await connection.run_sync(_differences) == []
    finally:
        await engine.dispose()


def test_alembic_cli_renders_sql_offline(tmp_path: Path) -> None:
    sql = _alembic(tmp_path, "postgresql://nobody@unreachable.invalid/baton", "upgrade", "head", "--sql")
    assert "CREATE TABLE handoffs" in sql
    assert "CREATE UNIQUE INDEX uq_handoffs_live_conversation" in sql


async def test_partial_indexes_keep_their_predicates(engine: AsyncEngine) -> None:
    # compare_metadata doesn't compare index predicates (Alembic 1.20), so check them here.
    def predicates(connection: Connection) -> dict[str, str]:
        found = {}
        for table in ("handoffs", "outbox"):
            for index in inspect(connection).get_indexes(table):
                options = index.get("dialect_options", {})
                where = options.get("postgresql_where") or options.get("sqlite_where")
                if where is not None:
                    found[str(index["name"])] = str(where)
        return found

    async with engine.connect() as connection:
        found = await connection.run_sync(predicates)
    assert found.keys() == {"uq_handoffs_live_conversation", "ix_outbox_pending"}
    assert all(state in found["uq_handoffs_live_conversation"] for state in ("open", "claimed", "snoozed"))
    assert "resolved" not in found["uq_handoffs_live_conversation"]
    pending = found["ix_outbox_pending"]
    assert "delivered_at IS NULL" in pending and "failed_at IS NULL" in pending
