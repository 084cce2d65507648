"""Alembic run programmatically on an AsyncEngine: migrate, downgrade, and read the current revision."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

logger = logging.getLogger(__name__)
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(*, connection: Connection | None = None) -> Config:
    """An Alembic Config built in code (no alembic.ini), optionally bound to an open connection."""
    config = Config()
    # Config values are %-interpolated; escape a literal % in the path.
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


async def migrate(engine: AsyncEngine, *, revision: str = "head") -> None:
    """Upgrade the database to `revision` in one transaction; a no-op when it is there already."""
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade, revision)


async def downgrade(engine: AsyncEngine, *, revision: str = "base") -> None:
    """Downgrade the database to `revision` (by default: drop everything) in one transaction."""
    async with engine.begin() as connection:
        await connection.run_sync(_downgrade, revision)


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at, or None if it was never migrated."""
    async with engine.connect() as connection:
        return await connection.run_sync(_current_revision)


def head_revision() -> str:
    """The revision `migrate` brings a database to."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def revisions() -> list[str]:
    """Every revision this code knows, oldest first."""
    script = ScriptDirectory.from_config(alembic_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


async def require_head(engine: AsyncEngine) -> None:
    """SchemaBehind if the database is behind this code's latest revision (for a process told not to
    migrate). A revision this code does not know (a newer release migrated it) is logged, not refused."""
    current, head = await current_revision(engine), head_revision()
    if current == head:
        return
    script = ScriptDirectory.from_config(alembic_config())
    try:
        known = current is None or script.get_revision(current) is not None
    except CommandError:
        known = False
    if not known:
        logger.warning("the database is at revision %s, newer than this release's %s", current, head)
        return
    raise SchemaBehind(
        f"the database is at revision {current or 'none (never migrated)'}, this Baton needs {head}: "
        "run `baton migrate` (or set BATON_AUTO_MIGRATE=true)"
    )


class SchemaBehind(RuntimeError):
    """The database schema is not the one this code needs."""


def _upgrade(connection: Connection, revision: str) -> None:
    command.upgrade(alembic_config(connection=connection), revision)


def _downgrade(connection: Connection, revision: str) -> None:
    command.downgrade(alembic_config(connection=connection), revision)


def _current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()
