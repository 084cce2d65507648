"""Administration use cases: the stored configuration and its versions, channel settings, admins, audit log.

Mixed into BatonService (like the sweep and delivery support). Every change is one transaction that appends
an audit entry with the actor and the state before and after; a configuration change appends a new version,
numbered latest + 1, so two admins changing it at once can't both win: the second is re-applied on top.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from routing.admin_grammar import UsageError
from routing.channel_edits import channel_to_data
from routing.config import BatonConfig, config_to_data, parse_config, upgraded
from routing.config_edits import ConfigEdit, Edit
from routing.errors import Conflict
from routing.models import Actor, Admin, AuditEntry, ChangeSource, ConfigVersion, WatchedChannel
from routing.ports import Store, UnitOfWork
from routing.rules import RulesError

logger = logging.getLogger(__name__)

ChannelChange = Callable[[WatchedChannel | None], WatchedChannel]
ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class ConfigChange:
    """The outcome of a configuration change: the version now in force (None: nothing changed)."""

    edit: Edit
    version: int | None


class Administration:
    """The configuration in force and the changes admins make to it."""

    config: BatonConfig
    config_version: int = 0  # the stored version `config` came from (0: none stored yet)
    _bad_version: int = 0  # a stored version this process could not read (logged once)
    _store: Store
    _clock: Callable[[], datetime]
    _channel_cache: dict[str, tuple[WatchedChannel | None, datetime]]

    # ---- the configuration in force ----

    async def start_config(self, given: BatonConfig | None, *, actor: Actor) -> ConfigChange | None:
        """At start: a given configuration (the BATON_CONFIG file) that differs from the last one given is
        stored as a new version; then the newest stored version is put in force (else the defaults).

        An unchanged file does not undo what admins changed with /baton since it was last read.
        """
        change = None
        if given is not None:
            async with self._store.transaction(readonly=True) as tx:
                last_given = await tx.config_versions.latest(source=actor.source)
            if last_given is None or _parsed(last_given) != given:
                change = await self.change_config(_replace_all(given), actor=actor, action="config.load")
        await self.refresh_config()
        return change

    async def refresh_config(self) -> bool:
        """Adopt the newest stored configuration if it is not the one in force (another replica changed it);
        True if the configuration changed."""
        async with self._store.transaction(readonly=True) as tx:
            number = await tx.config_versions.latest_number()
            if number in (self.config_version, self._bad_version):
                return False
            latest = await tx.config_versions.latest()
        assert latest is not None
        if latest.version <= self.config_version:
            return False  # this process put a newer one in force meanwhile (an admin's change made here)
        config = _parsed(latest)
        if config is None:
            self._bad_version = latest.version
            logger.error(
                "configuration version %s can't be read; keeping version %s", number, self.config_version
            )
            return False
        self.config, self.config_version = config, latest.version
        logger.info(
            "configuration version %s (%s by %s) in force", latest.version, latest.source, latest.actor
        )
        return True

    def config_data(self) -> dict[str, Any]:
        """The configuration in force as plain data (what `export` writes and `import` reads)."""
        return config_to_data(self.config)

    async def import_config(self, data: Any, *, actor: Actor, source_name: str) -> ConfigChange:
        """Replace the whole configuration; RulesError (naming `source_name` and the field) if invalid."""
        config = parse_config(data, source=source_name)
        return await self.change_config(_replace_all(config), actor=actor, action="config.import")

    async def change_config(self, edit: ConfigEdit, *, actor: Actor, action: str) -> ConfigChange:
        """Apply an edit to the newest stored configuration, validate the result, store it as a new version
        with an audit entry, and put it in force here at once. UsageError if the result is invalid."""
        for _ in range(ATTEMPTS):
            async with self._store.transaction() as tx:
                latest = await tx.config_versions.latest()
                base = upgraded(latest.data) if latest is not None else config_to_data(self.config)
                data = copy.deepcopy(base)
                done = edit(data)
                config = _validated(data)
                # A file read at start is recorded even when it changes nothing, so that the next start
                # knows it was read (and does not undo what admins changed since).
                current = _parsed(latest) if latest is not None else self.config
                # (... unless the newest version is that file's already: another replica read it first.)
                read_already = latest is not None and latest.source is ChangeSource.CONFIG_FILE
                if config == current and (actor.source is not ChangeSource.CONFIG_FILE or read_already):
                    return ConfigChange(done, None)
                version = (latest.version if latest is not None else 0) + 1
                stored = ConfigVersion(
                    version, config_to_data(config), actor.user_id, actor.source, self._clock()
                )
                if not await tx.config_versions.append(stored):
                    continue  # someone stored this version number first: apply the edit on top of theirs
                await self._audit(tx, actor, action, done.target, done.before, done.after)
            if version > self.config_version:  # (a refresh may have put a newer one in force meanwhile)
                self.config, self.config_version = config, version
            return ConfigChange(done, version)
        raise Conflict("the configuration kept changing while I applied yours; try again")

    # ---- channels ----

    async def change_channel(
        self, channel_id: str, change: ChannelChange, *, actor: Actor, action: str
    ) -> tuple[WatchedChannel | None, WatchedChannel]:
        """Change a channel's settings with an audit entry; (before, after), equal when nothing changed."""
        async with self._store.transaction() as tx:
            before = await tx.channels.get(channel_id=channel_id)
            after = change(before)
            if after == before:
                return before, after
            if before is None:
                after = replace(after, added_at=after.added_at or self._clock())
            saved = await tx.channels.save(after)
            await self._audit(tx, actor, action, channel_id, channel_to_data(before), channel_to_data(saved))
        self._channel_cache.pop(channel_id, None)
        return before, saved

    async def channels(self) -> list[WatchedChannel]:
        """Every channel Baton knows, watched or not, by id."""
        async with self._store.transaction(readonly=True) as tx:
            return await tx.channels.list(watched_only=False)

    async def channel(self, channel_id: str) -> WatchedChannel | None:
        """One channel Baton knows, watched or not."""
        async with self._store.transaction(readonly=True) as tx:
            return await tx.channels.get(channel_id=channel_id)

    # ---- admins and the audit log ----

    async def is_named_admin(self, user_id: str) -> bool:
        """Whether someone was made a Baton admin with `/baton admins add`."""
        async with self._store.transaction(readonly=True) as tx:
            return await tx.admins.get(user_id=user_id) is not None

    async def admins(self) -> list[Admin]:
        """The named admins, oldest first."""
        async with self._store.transaction(readonly=True) as tx:
            return await tx.admins.list()

    async def add_admin(self, user_id: str, *, actor: Actor) -> Admin:
        """Make someone a Baton admin; UsageError if they are one already."""
        admin = Admin(user_id=user_id, added_by=actor.user_id, added_at=self._clock())
        async with self._store.transaction() as tx:
            if not await tx.admins.add(admin):
                raise UsageError(f"<@{user_id}> is a Baton admin already.")
            after = {"user_id": user_id, "added_by": actor.user_id}
            await self._audit(tx, actor, "admins.add", user_id, None, after)
        return admin

    async def remove_admin(self, user_id: str, *, actor: Actor) -> None:
        """Remove a named admin; UsageError if they were not one."""
        async with self._store.transaction() as tx:
            known = await tx.admins.get(user_id=user_id)
            if known is None or not await tx.admins.remove(user_id=user_id):
                raise UsageError(
                    f"<@{user_id}> is not a named Baton admin (workspace admins and owners are admins "
                    "because of their Slack role, which Baton can't change)."
                )
            before = {"user_id": user_id, "added_by": known.added_by}
            await self._audit(tx, actor, "admins.remove", user_id, before, None)

    async def audit_entries(self, *, limit: int) -> list[AuditEntry]:
        """The newest audit entries, newest first."""
        async with self._store.transaction(readonly=True) as tx:
            return await tx.audit_log.recent(limit=limit)

    async def _audit(
        self,
        tx: UnitOfWork,
        actor: Actor,
        action: str,
        target: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> None:
        entry = AuditEntry(
            at=self._clock(),
            actor_id=actor.user_id,
            actor_team=actor.team_id,
            source=actor.source,
            action=action,
            target=target,
            before=before,
            after=after,
        )
        await tx.audit_log.append(entry)


def _replace_all(config: BatonConfig) -> ConfigEdit:
    """An edit that replaces the whole configuration (a file, an import)."""

    def edit(data: dict[str, Any]) -> Edit:
        before = copy.deepcopy(data)
        data.clear()
        data.update(config_to_data(config))
        return Edit("configuration", before, copy.deepcopy(data), "The whole configuration is replaced.")

    return edit


REFUSED = "That change was refused, nothing changed: "


def _validated(data: dict[str, Any]) -> BatonConfig:
    try:
        return parse_config(data, source="/baton")
    except RulesError as error:
        where = f"`{error.path}`: " if error.path else ""
        raise UsageError(f"{REFUSED}{where}{error.problem}.") from None


def _parsed(version: ConfigVersion) -> BatonConfig | None:
    try:
        return parse_config(upgraded(version.data), source=f"configuration version {version.version}")
    except RulesError as error:
        logger.error("%s", error)
        return None
