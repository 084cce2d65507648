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
    """Upgrade the database to `revision` in one transaction; a no-op when it is there already, or when a
    newer release migrated it past what this code knows (logged, as require_head does: a replica of the
    previous release starting during a rolling upgrade, or a rollback, must not crash at start)."""
    if revision == "head":
        current = await current_revision(engine)
        if not _known(current):
            logger.warning(
                "the database is at revision %s, newer than this release's %s", current, head_revision()
            )
            return
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
    if not _known(current):
        logger.warning("the database is at revision %s, newer than this release's %s", current, head)
        return
    raise SchemaBehind(
        f"the database is at revision {current or 'none (never migrated)'}, this Baton needs {head}: "
        "run `baton migrate` (or set BATON_AUTO_MIGRATE=true)"
    )


def _known(revision: str | None) -> bool:
    """Whether this code knows the revision (None: never migrated, which it does)."""
    try:
        return (
            revision is None
            or ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
        )
    except CommandError:
        return False


class SchemaBehind(RuntimeError):
    """The database schema is not the one this code needs."""


def _upgrade(connection: Connection, revision: str) -> None:
    command.upgrade(alembic_config(connection=connection), revision)


def _downgrade(connection: Connection, revision: str) -> None:
    command.downgrade(alembic_config(connection=connection), revision)


def _current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()
