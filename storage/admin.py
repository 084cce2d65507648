"""Repositories for administration: configuration versions, the audit log and named admins."""

from __future__ import annotations

import builtins
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from routing.models import Admin, AuditEntry, ChangeSource, ConfigVersion
from storage.dialect import insert
from storage.tables import ADMINS, AUDIT_LOG, CONFIG_VERSIONS


class SqlConfigVersions:
    """The configuration's versions, append-only; the highest version is the one in force."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def latest(self, *, source: ChangeSource | None = None) -> ConfigVersion | None:
        """The newest version (of one source, if given), or None when none is stored."""
        statement = select(CONFIG_VERSIONS).order_by(CONFIG_VERSIONS.c.version.desc()).limit(1)
        if source is not None:
            statement = statement.where(CONFIG_VERSIONS.c.source == source.value)
        row = (await self._connection.execute(statement)).first()
        return None if row is None else _version(row)

    async def latest_number(self) -> int:
        """The newest version's number; 0 when none is stored."""
        statement = select(func.coalesce(func.max(CONFIG_VERSIONS.c.version), 0))
        return int((await self._connection.execute(statement)).scalar_one())

    async def message_retention(self) -> list[tuple[datetime, int]]:
        """Each stored version's `retention.message_days` (0: kept for ever) and when it was stored, oldest
        first."""
        days = CONFIG_VERSIONS.c.data["retention"]["message_days"].as_integer()
        statement = select(CONFIG_VERSIONS.c.created_at, days).order_by(CONFIG_VERSIONS.c.version)
        return [(at, int(kept or 0)) for at, kept in await self._connection.execute(statement)]

    async def append(self, version: ConfigVersion) -> bool:
        """Store a version; False if that version number exists already."""
        statement = (
            insert(self._connection, CONFIG_VERSIONS)
            .values(
                version=version.version,
                data=version.data,
                actor=version.actor,
                source=version.source.value,
                created_at=version.created_at,
            )
            .on_conflict_do_nothing(index_elements=[CONFIG_VERSIONS.c.version])
            .returning(CONFIG_VERSIONS.c.version)
        )
        return (await self._connection.execute(statement)).first() is not None


class SqlAuditLog:
    """The append-only log of administrative changes."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def append(self, entry: AuditEntry) -> AuditEntry:
        """Append an entry; it comes back with its id."""
        values = {
            "at": entry.at,
            "actor_id": entry.actor_id,
            "actor_team": entry.actor_team,
            "source": entry.source.value,
            "action": entry.action,
            "target": entry.target,
            "before": entry.before,
            "after": entry.after,
        }
        statement = AUDIT_LOG.insert().values(values).returning(AUDIT_LOG.c.id)
        entry_id = (await self._connection.execute(statement)).scalar_one()
        return replace(entry, id=entry_id)

    async def recent(self, *, limit: int) -> list[AuditEntry]:
        """The newest entries, newest first."""
        statement = select(AUDIT_LOG).order_by(AUDIT_LOG.c.id.desc()).limit(limit)
        return [_entry(row) for row in await self._connection.execute(statement)]


class SqlAdmins:
    """Users named Baton admins."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def get(self, *, user_id: str) -> Admin | None:
        """The admin entry of a user, if any."""
        statement = select(ADMINS).where(ADMINS.c.user_id == user_id)
        row = (await self._connection.execute(statement)).first()
        return None if row is None else _admin(row)

    async def list(self) -> builtins.list[Admin]:
        """Every named admin, oldest first."""
        statement = select(ADMINS).order_by(ADMINS.c.added_at, ADMINS.c.user_id)
        return [_admin(row) for row in await self._connection.execute(statement)]

    async def add(self, admin: Admin) -> bool:
        """Name an admin; False if the user is one already."""
        statement = (
            insert(self._connection, ADMINS)
            .values(user_id=admin.user_id, added_by=admin.added_by, added_at=admin.added_at)
            .on_conflict_do_nothing(index_elements=[ADMINS.c.user_id])
            .returning(ADMINS.c.user_id)
        )
        return (await self._connection.execute(statement)).first() is not None

    async def remove(self, *, user_id: str) -> bool:
        """Remove an admin; False if the user was not one."""
        statement = delete(ADMINS).where(ADMINS.c.user_id == user_id)
        return (await self._connection.execute(statement)).rowcount > 0


def _version(row: Row[Any]) -> ConfigVersion:
    m = row._mapping
    return ConfigVersion(
        version=m["version"],
        data=m["data"],
        actor=m["actor"],
        source=ChangeSource(m["source"]),
        created_at=m["created_at"],
    )


def _entry(row: Row[Any]) -> AuditEntry:
    m = row._mapping
    return AuditEntry(
        at=m["at"],
        actor_id=m["actor_id"],
        actor_team=m["actor_team"],
        source=ChangeSource(m["source"]),
        action=m["action"],
        target=m["target"],
        before=m["before"],
        after=m["after"],
        id=m["id"],
    )


def _admin(row: Row[Any]) -> Admin:
    m = row._mapping
    return Admin(user_id=m["user_id"], added_by=m["added_by"], added_at=m["added_at"])
