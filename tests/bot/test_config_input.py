"""Configuration that loads must mean what was written, and what can't be stored is refused with a clear
answer, by `/baton import`, `baton rules import` and the BATON_CONFIG file alike."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from bot.rules_cli import run_import
from bot.runtime import Runtime, running
from bot.settings import Settings
from sandbox import Sandbox, SeedInfo
from storage import SqlStore
from tests.bot.test_commands_admin import slash, state

STRATEGY_ON_A_CHANNEL = "routing:\n  default: {kind: channel, id: C0TRIAGE, strategy: least_loaded}\n"
FROM_NOTHING = """\
extends: none
escalation_types:
  - name: support
triggers:
  - id: help-words
    kind: custom
    escalation_type: support
    keywords: [help]
routing:
  default: {kind: channel, id: C0TRIAGE}
"""


async def test_a_file_that_can_t_be_stored_as_written_does_not_undo_admins_changes_at_each_start(
    sandbox: Sandbox, seed: SeedInfo, settings: Settings, tmp_path: Path
):
    # A strategy on a channel target was kept when read but dropped when stored: the file never matched
    # what was stored, and every restart put it back over the admins' changes. It is refused now.
    path = tmp_path / "baton.yaml"
    path.write_text(STRATEGY_ON_A_CHANNEL)
    with_file = settings.model_copy(update={"config_path": path})
    async with running(with_file) as runtime:
        sandbox.set_request_url(runtime.events_url)
        answer = await slash(sandbox, seed, "rules disable deal_moment", channel=seed.triage_channel_id)
        assert "is off" in answer
    async with running(with_file) as runtime:
        actions = [e.action for e in await runtime.service.audit_entries(limit=5)]
        assert runtime.service.config.rules.rule("deal_moment").enabled is False, actions
        assert actions.count("config.load") == 0, actions


async def test_a_configuration_from_nothing_starts_and_imports(
    sandbox: Sandbox, seed: SeedInfo, settings: Settings, tmp_path: Path, database_url: str, capsys
):
    # `extends: none` dropped the six default types but kept their warm messages and SLAs, which the store
    # then refused: Baton did not start with the file, and the CLI ended in a traceback.
    path = tmp_path / "baton.yaml"
    path.write_text(FROM_NOTHING)
    code = await run_import(Settings(database_url=database_url), argparse.Namespace(file=path, actor="ops"))
    assert code == 0, capsys.readouterr().err
    async with running(settings.model_copy(update={"config_path": path})) as runtime:
        config = runtime.service.config
        assert [t.name for t in config.rules.escalation_types] == ["support"]
        assert set(config.sla) == set() and config.handoffs.warm_messages == {}


async def test_a_file_refused_as_a_whole_leaves_the_last_good_configuration(
    sandbox: Sandbox, seed: SeedInfo, settings: Settings, tmp_path: Path, database_url: str, capsys
):
    # Valid alone but refused when stored: logged, and Baton starts with what was in force; the CLI says so.
    path = tmp_path / "baton.yaml"
    path.write_text(FROM_NOTHING)
    async with running(settings) as runtime:
        before = await state(runtime)
    import routing.administration as administration

    def refuse(data: object) -> object:
        raise administration.UsageError(f"{administration.REFUSED}`sla`: no.")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(administration, "_validated", refuse)
        async with running(settings.model_copy(update={"config_path": path})) as runtime:
            assert await state(runtime) == before
        code = await run_import(
            Settings(database_url=database_url), argparse.Namespace(file=path, actor="ops")
        )
    assert code == 2
    assert capsys.readouterr().err.endswith("That change was refused, nothing changed: `sla`: no.\n")


async def test_business_hours_written_plainly_mean_what_they_say(
    baton: Runtime, sandbox: Sandbox, seed: SeedInfo
):
    hours = "{opens: 9:30, closes: 17:00, weekdays: [Monday, tue, WEDNESDAY]}"
    answer = await slash(
        sandbox, seed, f"import sla: {{human_request: {{claim_within_minutes: 15, hours: {hours}}}}}"
    )
    assert answer.startswith("Imported"), answer
    policy_hours = baton.service.config.policy("human_request").hours
    assert policy_hours is not None
    assert (str(policy_hours.opens), str(policy_hours.closes), policy_hours.weekdays) == (
        "09:30:00",
        "17:00:00",
        (0, 1, 2),
    )


async def test_a_nul_character_is_refused_not_an_internal_error(
    baton: Runtime, sandbox: Sandbox, seed: SeedInfo
):
    before = await state(baton)
    answer = await slash(sandbox, seed, 'import handoffs: {warm_messages: {human_request: "Hello\\0 there"}}')
    assert answer == (
        "That configuration was refused, nothing changed: `handoffs.warm_messages.human_request`: "
        "contains a NUL character (\\0), which can't be stored."
    )
    assert await state(baton) == before


@pytest.mark.parametrize(
    ("sla", "problem"),
    [
        # business hours read as written or refused: no number of minutes, no day cut to three letters
        (
            "hours: {opens: 9, closes: 17}",
            "`sla.human_request.hours.opens`: expected a time of day as 'HH:MM', got 9",
        ),
        (
            "hours: {opens: 0700}",
            "`sla.human_request.hours.opens`: expected a time of day as 'HH:MM', got 700",
        ),
        ("hours: {weekdays: [mon-fri]}", "`sla.human_request.hours.weekdays[0]`: unknown weekday 'mon-fri'"),
        ("hours: {weekdays: [monkey]}", "`sla.human_request.hours.weekdays[0]`: unknown weekday 'monkey'"),
        # escalation tiers outside our team: a breach posted there would be refused, unseen
        ("chain: [{action: notify_channel, target: C0ACME}]", "<#C0ACME> is a Slack Connect channel"),
        ("chain: [{action: dm_user, target: U0ACME1}]", "<@U0ACME1> is of another organisation"),
    ],
)
async def test_import_refuses_what_would_not_mean_what_was_written(
    baton: Runtime, sandbox: Sandbox, seed: SeedInfo, sla: str, problem: str
):
    before = await state(baton)
    answer = await slash(sandbox, seed, f"import sla: {{human_request: {{claim_within_minutes: 15, {sla}}}}}")
    assert answer.startswith(f"That configuration was refused, nothing changed: {problem}"), answer
    assert await state(baton) == before


async def test_a_customer_is_not_made_a_baton_admin(baton: Runtime, sandbox: Sandbox, seed: SeedInfo):
    before = await state(baton)
    answer = await slash(sandbox, seed, f"admins add <@{seed.customer_id}>")
    assert answer.startswith(
        f"<@{seed.customer_id}> is of another organisation: Baton admins are people of our"
    )
    assert await state(baton) == before
    async with SqlStore(baton.engine).transaction(readonly=True) as tx:
        assert seed.customer_id not in [a.user_id for a in await tx.admins.list()]
