"""The administration repositories: configuration versions, the audit log, named admins."""

from __future__ import annotations

import asyncio

from routing.models import Admin, AuditEntry, ChangeSource, ConfigVersion
from storage import SqlStore

from .builders import T0, at


def version(number: int, source: ChangeSource = ChangeSource.COMMAND, **data: object) -> ConfigVersion:
    return ConfigVersion(number, {"n": number, **data}, "U0ADMIN", source, at(number))


async def test_config_versions_append_and_the_newest_wins(store: SqlStore) -> None:
    async with store.transaction(readonly=True) as uow:
        assert await uow.config_versions.latest() is None
        assert await uow.config_versions.latest_number() == 0
    async with store.transaction() as uow:
        assert await uow.config_versions.append(
            version(1, ChangeSource.CONFIG_FILE, nested={"a": [1.5, None]})
        )
        assert await uow.config_versions.append(version(2))
        assert not await uow.config_versions.append(version(2, extra=True))  # the number is taken
    async with store.transaction(readonly=True) as uow:
        assert await uow.config_versions.latest() == version(2)
        assert await uow.config_versions.latest_number() == 2
        from_file = await uow.config_versions.latest(source=ChangeSource.CONFIG_FILE)
        assert from_file == version(1, ChangeSource.CONFIG_FILE, nested={"a": [1.5, None]})
        assert await uow.config_versions.latest(source=ChangeSource.CLI) is None


async def test_two_writers_of_the_same_version_one_wins(store: SqlStore) -> None:
    async def write(actor: str) -> bool:
        async with store.transaction() as uow:
            number = await uow.config_versions.latest_number()
            return await uow.config_versions.append(
                ConfigVersion(number + 1, {"by": actor}, actor, ChangeSource.COMMAND, T0)
            )

    results = await asyncio.gather(write("U1"), write("U2"), return_exceptions=True)
    async with store.transaction(readonly=True) as uow:
        latest = await uow.config_versions.latest()
    assert latest is not None and latest.version in (1, 2)
    assert results.count(True) >= 1


async def test_audit_entries_come_back_newest_first(store: SqlStore) -> None:
    entries = [
        AuditEntry(
            at(i), "U0ADMIN", "T0OURS", ChangeSource.COMMAND, "rules.disable", f"r{i}", {"on": True}, None
        )
        for i in range(3)
    ]
    async with store.transaction() as uow:
        stored = [await uow.audit_log.append(entry) for entry in entries]
    assert all(entry.id is not None for entry in stored)
    async with store.transaction(readonly=True) as uow:
        recent = await uow.audit_log.recent(limit=2)
    assert [entry.target for entry in recent] == ["r2", "r1"]
    assert recent[0] == stored[2]


async def test_admins_are_added_once_and_removed(store: SqlStore) -> None:
    ada = Admin("U0ADA", added_by="U0OWNER", added_at=T0)
    async with store.transaction() as uow:
        assert await uow.admins.add(ada)
        assert not await uow.admins.add(Admin("U0ADA", added_by="U0OTHER", added_at=at(1)))
        assert await uow.admins.add(Admin("U0BEN", added_by="U0ADA", added_at=at(2)))
    async with store.transaction() as uow:
        assert await uow.admins.get(user_id="U0ADA") == ada
        assert [a.user_id for a in await uow.admins.list()] == ["U0ADA", "U0BEN"]
        assert await uow.admins.remove(user_id="U0ADA")
        assert not await uow.admins.remove(user_id="U0ADA")
        assert await uow.admins.get(user_id="U0ADA") is None
