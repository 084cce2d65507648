"""The configuration in the database: the file read at start, versions, replicas, `baton rules` CLI."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

import yaml

from bot.rules_cli import run_export, run_import
from bot.runtime import running, utc_now
from bot.settings import Settings
from handlers.admin import config_yaml
from routing.config import BatonConfig, config_to_data, parse_config
from routing.config_edits import rule_enabled, rule_set
from routing.models import Actor, ChangeSource, ConfigVersion
from routing.service import BatonService
from storage import SqlStore, create_engine, migrate
from storage.admin import SqlConfigVersions

from .test_cli import clean_env, run_baton

FILE = Actor(user_id="baton.yaml", source=ChangeSource.CONFIG_FILE)
ADA = Actor(user_id="U0ADMIN", team_id="T0OURS")


def from_file(**rules: float) -> BatonConfig:
    triggers = [{"id": rule_id, "threshold": threshold} for rule_id, threshold in rules.items()]
    return parse_config({"triggers": triggers}, source="baton.yaml")


async def started(store: SqlStore, given: BatonConfig | None) -> BatonService:
    service = BatonService(store=store, clock=utc_now)
    await service.start_config(given, actor=FILE)
    return service


async def test_an_unchanged_file_keeps_what_admins_changed_and_a_changed_file_wins(store: SqlStore):
    first = await started(store, from_file(frustration=0.6))
    assert first.config_version == 1 and first.config.rules.rule("frustration").threshold == 0.6
    await first.change_config(rule_enabled("deal_moment", False), actor=ADA, action="rules.disable")

    restarted = await started(store, from_file(frustration=0.6))
    assert restarted.config_version == 2
    assert restarted.config.rules.rule("deal_moment").enabled is False  # the admin's change survived

    redeployed = await started(store, from_file(frustration=0.8))
    assert redeployed.config_version == 3
    assert redeployed.config == from_file(frustration=0.8)
    entries = await redeployed.audit_entries(limit=10)
    assert [(e.action, e.source) for e in entries] == [
        ("config.load", ChangeSource.CONFIG_FILE),
        ("rules.disable", ChangeSource.COMMAND),
        ("config.load", ChangeSource.CONFIG_FILE),
    ]


async def test_without_a_file_the_stored_configuration_or_the_defaults_are_in_force(store: SqlStore):
    service = await started(store, None)
    assert (service.config_version, service.config) == (0, BatonConfig())
    await service.change_config(rule_set("frustration", "threshold", "0.9"), actor=ADA, action="rules.set")
    again = await started(store, None)
    assert again.config_version == 1 and again.config.rules.rule("frustration").threshold == 0.9


async def test_a_version_an_earlier_release_stored_is_still_read_and_changed(store: SqlStore):
    """Checks that got stricter (a route's channel must be an id; {rep} is the claim message's only
    placeholder) must not make a stored configuration unreadable (the defaults would take over) or
    refuse every later change: what never worked is dropped, other braces become literal."""
    data = config_to_data(BatonConfig())
    data["routing"]["routes"] = [
        {"id": "vip", "target": {"kind": "group", "id": "S0SUPPORT", "channel": "#baton-triage"},
         "channels": ["general", "C0ACME"]},
    ]  # fmt: skip
    data["handoffs"]["claim_message"] = "Hi {customer}! {rep} here. Use code {{WELCOME}}."
    next(t for t in data["triggers"] if t["id"] == "high_value")["min_account_value"] = None  # was .inf
    async with store.transaction() as tx:
        await tx.config_versions.append(ConfigVersion(1, data, "U0ADMIN", ChangeSource.COMMAND, utc_now()))
    service = await started(store, None)
    assert service.config_version == 1
    (route,) = service.config.routing.routes
    assert (route.channels, route.target.channel) == (("C0ACME",), "")
    claim = service.config.handoffs.claim_message
    assert claim.format(rep="<@U1>") == "Hi {customer}! <@U1> here. Use code {WELCOME}."
    change = await service.change_config(
        rule_enabled("deal_moment", False), actor=ADA, action="rules.disable"
    )
    assert change.version == 2


async def test_other_replicas_pick_a_change_up_on_refresh_and_stale_writers_apply_on_top(store: SqlStore):
    one, two = await started(store, None), await started(store, None)
    await one.change_config(rule_enabled("deal_moment", False), actor=ADA, action="rules.disable")
    # `two` has not refreshed yet: its change is applied on top of the stored version, not over it.
    change = await two.change_config(
        rule_set("frustration", "threshold", "0.7"), actor=ADA, action="rules.set"
    )
    assert change.version == 2
    assert two.config.rules.rule("deal_moment").enabled is False
    assert await one.refresh_config() is True
    assert one.config == two.config and one.config_version == 2
    assert await one.refresh_config() is False


async def test_a_bad_file_at_start_is_logged_and_the_last_good_configuration_stays(
    settings: Settings, tmp_path: Path, caplog
):
    good = tmp_path / "good.yaml"
    good.write_text("triggers:\n  - {id: frustration, threshold: 0.65}\n")
    async with running(settings.model_copy(update={"config_path": good})) as runtime:
        assert runtime.service.config.rules.rule("frustration").threshold == 0.65
    bad = tmp_path / "bad.yaml"
    bad.write_text("triggers:\n  - {id: frustration, threshold: 7}\n")
    async with running(settings.model_copy(update={"config_path": bad})) as runtime:
        assert runtime.service.config.rules.rule("frustration").threshold == 0.65
        assert runtime.service.config_version == 1
    assert "bad.yaml: triggers[0].threshold: must be between 0 and 1" in caplog.text
    assert "the last good configuration stays in force" in caplog.text
    latin = tmp_path / "latin.yaml"  # saved by an editor in cp1252: "Désolé"
    latin.write_bytes('handoffs:\n  claim_message: "{rep} s\'en occupe. Désolé !"\n'.encode("cp1252"))
    twice = tmp_path / "twice.yaml"  # the second `routing:` would silently replace the first
    twice.write_text("routing: {default: {kind: channel, id: C0TRIAGE}}\nrouting: {routes: []}\n")
    for path, problem in ((latin, "not UTF-8 text"), (twice, "found the key 'routing' twice")):
        async with running(settings.model_copy(update={"config_path": path})) as runtime:
            assert runtime.service.config.rules.rule("frustration").threshold == 0.65
            assert runtime.service.config_version == 1
        assert f"{path.name}: " in caplog.text and problem in caplog.text


async def test_cli_export_then_import_is_an_exact_round_trip(database_url: str, tmp_path: Path, capsys):
    settings = Settings(database_url=database_url)
    exported = tmp_path / "exported.yaml"
    assert await run_export(settings, argparse.Namespace(output=str(exported))) == 0
    assert parse_config(yaml.safe_load(exported.read_text()), source="x") == BatonConfig()

    changed = tmp_path / "changed.yaml"
    data = yaml.safe_load(exported.read_text())
    data["triggers"][1]["threshold"] = 0.75
    data["routing"]["default"] = {"kind": "channel", "id": "C0TRIAGE"}
    changed.write_text(config_yaml(data))
    assert await run_import(settings, argparse.Namespace(file=changed, actor="ops")) == 0
    assert "configuration version 1" in capsys.readouterr().err

    again = tmp_path / "again.yaml"
    assert await run_export(settings, argparse.Namespace(output=str(again))) == 0
    assert again.read_text() == changed.read_text()  # byte for byte
    assert await run_import(settings, argparse.Namespace(file=again, actor="ops")) == 0
    assert "nothing changed" in capsys.readouterr().err
    assert config_to_data(parse_config(data, source="x")) == data


async def test_cli_import_of_a_bad_file_names_the_field_and_changes_nothing(
    database_url: str, tmp_path: Path, capsys
):
    settings = Settings(database_url=database_url)
    bad_files = {
        "bad.yaml": (
            b"routing:\n  default: {kind: channel, id: triage}\n",
            "bad.yaml: routing.default.id: 'triage' is not a Slack channel id",
        ),
        "broken.yaml": (b"routing: [\n", "not valid YAML"),
        "latin.yaml": (  # saved by an editor in cp1252
            'handoffs:\n  claim_message: "Désolé, {rep}"\n'.encode("cp1252"),
            "latin.yaml: not UTF-8 text (byte 29); save it as UTF-8",
        ),
        "twice.yaml": (b"sla: {}\nsla: {}\n", "found the key 'sla' twice"),
    }
    for name, (content, problem) in bad_files.items():
        (tmp_path / name).write_bytes(content)
        assert await run_import(settings, argparse.Namespace(file=tmp_path / name, actor="ops")) == 2
        assert problem in capsys.readouterr().err
    assert await run_export(settings, argparse.Namespace(output="-")) == 0
    captured = capsys.readouterr()
    assert "no configuration stored yet" in captured.err
    assert parse_config(yaml.safe_load(captured.out), source="x") == BatonConfig()


async def test_the_baton_command_line_exports_and_imports(tmp_path: Path):
    env = clean_env(BATON_DATABASE_URL=f"sqlite:///{tmp_path / 'baton.db'}")
    code, out, err = await run_baton("rules", "export", env=env)
    assert code == 0, err
    exported = tmp_path / "baton.yaml"
    exported.write_text(out)
    code, _, err = await run_baton("rules", "import", str(exported), env=env)
    assert code == 0 and "the configuration in force already; nothing changed" in err
    changed = out.replace("threshold: 0.5", "threshold: 0.6", 1)
    exported.write_text(changed)
    code, _, err = await run_baton("rules", "import", str(exported), env=env)
    assert code == 0 and "configuration version 1" in err
    code, again, _ = await run_baton("rules", "export", env=env)
    assert again == changed


async def test_a_refresh_racing_a_change_made_here_does_not_put_an_older_version_back(
    postgresql_url: str, monkeypatch
):
    engine = create_engine(postgresql_url)
    await migrate(engine)
    here, there = (BatonService(store=SqlStore(engine), clock=utc_now) for _ in range(2))
    try:
        await here.start_config(None, actor=FILE)
        await there.start_config(None, actor=FILE)
        await there.change_config(rule_enabled("deal_moment", False), actor=ADA, action="rules.disable")
        gate, paused = asyncio.Event(), asyncio.Event()
        read_latest = SqlConfigVersions.latest

        async def latest(
            self: SqlConfigVersions, *, source: ChangeSource | None = None
        ) -> ConfigVersion | None:
            found = await read_latest(self, source=source)
            if source is None and asyncio.current_task().get_name() == "refresh":  # type: ignore[union-attr]
                paused.set()
                await gate.wait()  # the scheduler's refresh, between its read and putting it in force
            return found

        monkeypatch.setattr(SqlConfigVersions, "latest", latest)
        refresh = asyncio.create_task(here.refresh_config(), name="refresh")
        await paused.wait()
        change = await here.change_config(rule_set("frustration", "threshold", "0.9"), actor=ADA, action="x")
        assert change.version == 2
        gate.set()
        assert not await refresh
        assert here.config_version == 2 and here.config.rules.rule("frustration").threshold == 0.9
    finally:
        await engine.dispose()


async def test_two_replicas_starting_with_the_same_file_store_it_once(postgresql_url: str):
    engine = create_engine(postgresql_url)
    await migrate(engine)
    given = from_file(frustration=0.6)
    replicas = [BatonService(store=SqlStore(engine), clock=utc_now) for _ in range(2)]
    try:
        await asyncio.gather(*(replica.start_config(given, actor=FILE) for replica in replicas))
        async with SqlStore(engine).transaction(readonly=True) as tx:
            assert await tx.config_versions.latest_number() == 1
            assert [e.action for e in await tx.audit_log.recent(limit=10)] == ["config.load"]
        assert all(replica.config == given for replica in replicas)
    finally:
        await engine.dispose()
