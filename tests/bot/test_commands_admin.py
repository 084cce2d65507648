"""`/baton` admin commands through signed slash-command requests against the sandbox.

Every command path, who may run it, and bad input: each refusal is a private answer and changes nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.runtime import Runtime
from bot.sandbox_mode import describe_acme
from routing.config import BatonConfig
from sandbox import Sandbox, SeedInfo
from storage import SqlStore


async def slash(sandbox: Sandbox, seed: SeedInfo, text: str, *, user: str = "", channel: str = "") -> str:
    result = await sandbox.run_command(
        user or seed.admin_id, channel or seed.shared_channel_id, "/baton", text
    )
    assert result.outcome.ok, result.outcome
    assert result.response["response_type"] == "ephemeral"
    return str(result.response["text"])


async def state(runtime: Runtime) -> tuple[Any, ...]:
    """Everything an admin command can change: config versions, audit log, channels, admins, the config."""
    async with SqlStore(runtime.engine).transaction(readonly=True) as tx:
        return (
            await tx.config_versions.latest_number(),
            await tx.audit_log.recent(limit=1000),
            await tx.channels.list(watched_only=False),
            await tx.admins.list(),
            runtime.service.config,
        )


async def test_members_read_the_configuration(baton: Runtime, sandbox: Sandbox, seed: SeedInfo):
    before = await state(baton)
    reads = {
        "rules list": "`frustration` (frustration) on: threshold 0.5 → `upset_customer`",
        "rules show low_confidence": "*Rule `low_confidence`*",
        "types list": "`sales_opportunity`: high, claim within 60 min (business hours), route `sales-to-",
        "route list": "1. `sales-to-owner`: types sales_opportunity → the account owner (else <#C0TRIAGE>)",
        "channel list": "<#C0ACME> (Slack Connect): account Acme, tier enterprise, value 120,000",
        "channel show": "owner <@U0REP>",
        f"channel show <#{seed.triage_channel_id}|baton-triage>": "Baton doesn't know <#C0TRIAGE>",
        "admins list": "workspace admins and owners, and nobody else yet",
        "help channel": "`/baton channel set [#channel]",
        "rules": "`/baton rules disable <rule>`: turn a rule off _(admins)_",
    }
    for text, expected in reads.items():
        assert expected in await slash(sandbox, seed, text, user=seed.rep_id), text
    assert await state(baton) == before


async def test_rule_changes_take_effect_at_once_and_are_audited(
    baton: Runtime, sandbox: Sandbox, seed: SeedInfo
):
    assert "`explicit_request`" in await slash(sandbox, seed, "test Can I talk to a person?")
    answer = await slash(sandbox, seed, "rules disable explicit_request")
    assert answer == "Rule `explicit_request` is off. (configuration version 2)"
    assert "*No handoff*" in await slash(sandbox, seed, "test Can I talk to a person?")
    assert "Nothing changed" in await slash(sandbox, seed, "rules disable explicit_request")
    assert "is on" in await slash(sandbox, seed, "rules enable explicit_request")
    assert "threshold is `0.7`" in await slash(sandbox, seed, "rules set frustration threshold 0.7")
    answer = await slash(sandbox, seed, 'rules add white-glove phrase "white glove" type sales_opportunity')
    assert "New custom rule `white-glove` (sales_opportunity)" in answer
    assert "also matches regex" in await slash(sandbox, seed, r'rules add white-glove regex "\bSOC ?2\b"')
    assert "`sales_opportunity`" in await slash(sandbox, seed, "test we need SOC 2 docs")
    assert "no longer matches" in await slash(sandbox, seed, r'rules remove white-glove regex "\bSOC ?2\b"')
    assert "is removed" in await slash(sandbox, seed, "rules remove white-glove")

    config = baton.service.config
    assert config.rules.rule("frustration").threshold == 0.7 and config.rules.rule("white-glove") is None
    entries = await baton.service.audit_entries(limit=20)
    assert [e.action for e in entries][:3] == ["rules.remove", "rules.remove", "rules.add"]
    disabled = entries[-2]  # oldest first at the end: config.load (start), then the disable
    assert (disabled.action, disabled.actor_id, disabled.actor_team) == (
        "rules.disable",
        seed.admin_id,
        seed.team_id,
    )
    assert (disabled.before["enabled"], disabled.after["enabled"]) == (True, False)
    audit = await slash(sandbox, seed, "audit 3")
    assert "`rules.remove` `white-glove`: removed" in audit and f"<@{seed.admin_id}> (command)" in audit


async def test_types_and_routes(baton: Runtime, sandbox: Sandbox, seed: SeedInfo):
    triage = f"<#{seed.triage_channel_id}|baton-triage>"
    assert "within 10 minutes" in await slash(sandbox, seed, "types set upset_customer sla 10")
    assert "no resolve SLA" in await slash(sandbox, seed, "types set upset_customer resolve none")
    assert "are high" in await slash(sandbox, seed, "types set routine_review urgency high")
    answer = await slash(sandbox, seed, f"types set human_request route <@{seed.admin_id}|ada>")
    assert f"go to <@{seed.admin_id}> (route `type-human_request`, first)" in answer
    answer = await slash(sandbox, seed, "types set human_request message I'll find the right person for you.")
    assert "tells the customer: I'll find the right person for you." in answer
    answer = await slash(
        sandbox,
        seed,
        f"route add enterprise <!subteam^{seed.support_group_id}|@support> via {triage} "
        "tiers enterprise strategy least_loaded position 2",
    )
    assert "Route `enterprise` (#2) sends handoffs of tiers enterprise to <!subteam^S0SUPPORT>" in answer
    assert "`sales-to-owner`, `type-human_request`, `enterprise`" in await slash(
        sandbox, seed, "route reorder sales-to-owner"
    )
    assert "The default is the account owner (else <#C0TRIAGE>)" in await slash(
        sandbox, seed, f"route default owner fallback {triage}"
    )
    assert "is removed" in await slash(sandbox, seed, "route remove enterprise")

    config = baton.service.config
    assert config.policy("upset_customer").claim_within_minutes == 10
    assert config.policy("upset_customer").resolve_within_minutes is None
    assert config.handoffs.warm_messages["human_request"] == "I'll find the right person for you."
    assert [r.id for r in config.routing.routes] == ["sales-to-owner", "type-human_request"]
    assert config.routing.default.kind.value == "account_owner"
    dry = await slash(sandbox, seed, "test Can I talk to a person?")
    assert f"Route `type-human_request` → a DM to <@{seed.admin_id}>" in dry
    listed = await slash(sandbox, seed, "route list", user=seed.rep_id)
    assert "2. `type-human_request`: types human_request" in listed
    # Set again, the type's route is first again, as the answer says (it kept its place behind the others).
    answer = await slash(sandbox, seed, f"types set human_request route {triage}")
    assert "(route `type-human_request`, first)" in answer
    assert [r.id for r in baton.service.config.routing.routes] == ["type-human_request", "sales-to-owner"]


async def test_a_route_by_tier_matches_whatever_the_case_it_was_written_in(
    baton: Runtime, sandbox: Sandbox, seed: SeedInfo
):
    await slash(sandbox, seed, "channel set tier Enterprise")  # stored as `enterprise`
    await slash(sandbox, seed, f"route add vip <@{seed.admin_id}> tiers Enterprise position 1")
    assert "Route `vip`" in await slash(sandbox, seed, "test Can I talk to a person?")


async def test_channels(baton: Runtime, sandbox: Sandbox, seed: SeedInfo):
    acme, triage = seed.shared_channel_id, f"<#{seed.triage_channel_id}|baton-triage>"
    sets = {
        "account Acme Corporation": "account Acme Corporation",
        "tier strategic": "tier strategic",
        "value $250k": "value 250,000",
        f"owner <@{seed.admin_id}|ada>": f"owner <@{seed.admin_id}>",
        f"ai <@{seed.ai_bot_user_id}|ai> {seed.ai_bot_id}": f"<@{seed.ai_bot_user_id}> `{seed.ai_bot_id}`",
        "timezone Europe/Berlin": "time zone Europe/Berlin",
        "unanswered 45": "unanswered after 45 min",
    }
    for setting, expected in sets.items():
        assert expected in await slash(sandbox, seed, f"channel set {setting}"), setting
    channel = await baton.service.channel(acme)
    assert channel.account.value == 250_000 and channel.ai_bot_ids == (seed.ai_bot_user_id, seed.ai_bot_id)
    entry = (await baton.service.audit_entries(limit=1))[0]
    assert (entry.action, entry.target, entry.after["unanswered_minutes"]) == (
        "channel.set.unanswered",
        acme,
        45,
    )

    assert "Baton watches <#C0TRIAGE> now" in await slash(sandbox, seed, f"channel watch {triage}")
    assert "watches <#C0TRIAGE> already" in await slash(sandbox, seed, f"channel watch {triage}")
    assert "account Triage" in await slash(sandbox, seed, f"channel set {triage} account Triage")
    assert "no longer watches <#C0TRIAGE>" in await slash(sandbox, seed, f"channel unwatch {triage}")
    assert await baton.service.watched_channel(seed.triage_channel_id) is None
    listed = await slash(sandbox, seed, "channel list")
    assert "C0ACME" in listed and "C0TRIAGE" not in listed


async def test_admins_named_with_the_command_may_change_baton_until_removed(
    baton: Runtime, sandbox: Sandbox, seed: SeedInfo
):
    assert "for Baton admins" in await slash(sandbox, seed, "rules disable deal_moment", user=seed.rep_id)
    assert "is a Baton admin now" in await slash(sandbox, seed, f"admins add <@{seed.rep_id}|riley>")
    assert "already" in await slash(sandbox, seed, f"admins add <@{seed.rep_id}>")
    assert "added by <@U0ADMIN>" in await slash(sandbox, seed, "admins list", user=seed.rep_id)
    assert "is off" in await slash(sandbox, seed, "rules disable deal_moment", user=seed.rep_id)
    assert "no longer" in await slash(sandbox, seed, f"admins remove <@{seed.rep_id}>", user=seed.rep_id)
    assert "for Baton admins" in await slash(sandbox, seed, "rules enable deal_moment", user=seed.rep_id)
    assert "not a named Baton admin" in await slash(sandbox, seed, f"admins remove <@{seed.admin_id}>")
    actions = [e.action for e in await baton.service.audit_entries(limit=3)]
    assert actions == ["admins.remove", "rules.disable", "admins.add"]


async def test_workspace_owners_are_admins_and_other_organisations_admins_are_not(
    baton: Runtime, sandbox: Sandbox, seed: SeedInfo
):
    sandbox.add_user("U0OWNER", "olive", is_owner=True)
    sandbox.add_user("U0ACMEADMIN", "acme-admin", team_id=seed.customer_team_id, is_admin=True, is_owner=True)
    assert "is off" in await slash(sandbox, seed, "rules disable deal_moment", user="U0OWNER")
    before = await state(baton)
    for text in (
        "rules enable deal_moment",
        "rules list",
        "export",
        "audit",
        f"admins add <@{seed.customer_id}>",
    ):
        answer = await slash(sandbox, seed, text, user="U0ACMEADMIN")
        assert "is for the team that runs this channel" in answer and "Nothing was changed" in answer, text
    assert await state(baton) == before


ADMIN_ONLY = [
    "rules enable frustration",
    "rules disable frustration",
    "rules set frustration threshold 0.9",
    'rules add vip keyword "vip"',
    "rules remove frustration keyword x",
    "types set upset_customer sla 1",
    "route add x <#C0TRIAGE>",
    "route remove sales-to-owner",
    "route reorder sales-to-owner",
    "route default none",
    "channel watch",
    "channel unwatch",
    "channel set value 1",
    "admins add <@U0REP>",
    "admins remove <@U0ADMIN>",
    "audit",
    "export",
    "import version: 1",
    "rules disable",  # refused before its arguments are looked at
    # Quotes that the permission check and the parser could read differently: refused all the same.
    'rules "disable" frustration',
    'rules dis""able frustration',
    'admins "add" <@U0ACME1>',
    'channel wat""ch',
    'types "edit" upset_customer',
]


@pytest.mark.parametrize("who", ["rep", "customer"])
async def test_only_admins_change_anything(baton: Runtime, sandbox: Sandbox, seed: SeedInfo, who: str):
    user = seed.rep_id if who == "rep" else seed.customer_id
    expected = "is for Baton admins" if who == "rep" else "is for the team that runs this channel"
    before = await state(baton)
    for text in ADMIN_ONLY:
        answer = await slash(sandbox, seed, text, user=user)
        assert expected in answer and "Nothing was changed" in answer, text
    assert await state(baton) == before
    help_text = await slash(sandbox, seed, "help", user=user)
    assert ("`/baton test <a customer message>`" in help_text) is (
        who == "rep"
    )  # no command list for customers


async def test_a_customer_learns_nothing_internal_from_baton(
    baton: Runtime, sandbox: Sandbox, seed: SeedInfo
):
    for text in (
        "test I want to expand to 500 seats, talk to a person",
        "help",
        "help route",
        "stats",
        "route list",
        # mistyped or unknown: no usage lines or command list either
        "bogus",
        "rules bogus",
        "route frobnicate",
        "help bogus",
        'rules add vip phrase "open',
    ):
        answer = await slash(sandbox, seed, text, user=seed.customer_id)
        assert answer.startswith("`/baton` is for the team that runs this channel"), text
        for internal in ("route", "rule", "C0TRIAGE", "U0REP", "tier", "escalat"):
            assert internal not in answer.lower(), (text, internal)


BAD_INPUT = {
    "stats soon": "is not a period I understand",
    "rulez list": "Did you mean `rules`?",
    "rules frobnicate": "I don't know `/baton rules frobnicate`",
    "rules show": "Usage: `/baton rules show <rule>`",
    "rules show nope": "There is no rule `nope`",
    "rules enable nope": "There is no rule `nope`",
    "rules disable frustration now": "I don't know what to do with `now`",
    "rules set frustration threshold 1.5": "`triggers[1].threshold`: must be between 0 and 1, got 1.5",
    "rules set frustration threshold lots": "The threshold must be a number",
    "rules set frustration type vip": "unknown escalation type 'vip'",
    "rules set frustration colour red": "A rule has no setting `colour`",
    'rules add vip regex "(a+)+"': "repeats a group that itself repeats",
    r'rules add vip regex "(\w)\1"': "back-reference",
    "rules add vip regex " + "a" * 301: "the limit is 300",
    'rules add vip phrase "white glove': "A quote is not closed",
    "rules add vip keyword " + "x" * 1001: "over 1000 characters",
    'rules add vip keyword "vip" priority high': "only `type <escalation type>`",
    'rules add frustration keyword "scam" type sales_opportunity': "`type` is for a new rule only",
    "rules remove frustration": "built in and can't be removed",
    "rules remove frustration keyword": "Say which keyword to remove",
    "types set vip sla 10": "There is no escalation type `vip`",
    "types set upset_customer sla soon": "The claim SLA must be a whole number",
    "types set upset_customer urgency extreme": "unknown urgency 'extreme'",
    "types set upset_customer message " + "x " * 600: "must be text of at most 1000 characters",
    "types set upset_customer route #triage": "I can't tell where `#triage` is",
    "types set upset_customer message {rep} will reply here": "The customer message has no placeholders",
    "route add sales-to-owner <#C0TRIAGE>": "There is a route `sales-to-owner` already",
    "route add x owner": "`owner` needs a fallback",
    "route add x <#C0TRIAGE> types vip": "unknown escalation type 'vip'",
    "route add x <#C0TRIAGE> position 9": "position must be from 1 to 2",
    "route add x <!subteam^S0SUPPORT|@support> via #no-such-channel": "`via` takes #channel mentions",
    "route default <#C0ACME|acme-support>": "<#C0ACME> is a Slack Connect channel",
    "route add x <@U0REP> fallback <#C0ACME>": "is a Slack Connect channel",
    "route add x <!subteam^S0SUPPORT|@support> via <#C0ACME>": "internal notes are never posted there",
    "route add x <#C0TRIAGE> channels <#C0ACME>,acme-support": "`acme-support` is not one",
    "route default <@U0ACME1>": "<@U0ACME1> is of another organisation",
    "route add x <#C0TRIAGE> fallback <@U0ACME1>": "is of another organisation",
    "types set upset_customer route <#C0ACME>": "<#C0ACME> is a Slack Connect channel",
    "types set upset_customer route <@U0ACME1>": "is of another organisation",
    "channel set owner <@U0ACME1>": "<@U0ACME1> is of another organisation",
    "import routing: {default: {kind: channel, id: C0ACME}}": "<#C0ACME> is a Slack Connect channel",
    "import routing: {default: {kind: user, id: U0ACME1}}": "<@U0ACME1> is of another organisation",
    "route remove nope": "There is no route `nope`",
    "route reorder nope": "There is no route `nope`",
    "channel set <#C0NOPE> value 1": "Baton doesn't know <#C0NOPE>",
    "channel set value a lot": "`value` takes one value",
    "channel set value 1e15": "The account value must be from 0 to",
    "channel set owner riley": "The owner is an @person",
    "channel set timezone Mars/Olympus": "is not a time zone",
    "channel set colour red": "A channel has no setting `colour`",
    "channel set account " + "A" * 101: "1 to 100 characters",
    "channel unwatch <#C0TRIAGE>": "Baton doesn't watch <#C0TRIAGE>",
    "channel watch <#C0GONE>": "I can't see <#C0GONE>",
    "admins add riley": "not an @person mention",
    "admins remove <@U0REP>": "not a named Baton admin",
    "audit 500": "How many must be from 1 to 50",
    "import routing: [": "not valid YAML",
    "import routing: {default: {kind: channel, id: triage}}": "`routing.default.id`: 'triage' is not a Slack",
    "import [1, 2]": "expected a mapping at the top level",
    "import handoffs: {warm_messages: {upset_customer: '{rep} is on it'}}": "has no placeholders",
    "test " + "x" * 4001: "over 4000 characters",
}


async def test_bad_input_gets_a_specific_answer_and_changes_nothing(
    baton: Runtime, sandbox: Sandbox, seed: SeedInfo
):
    before = await state(baton)
    for text, expected in BAD_INPUT.items():
        assert expected in await slash(sandbox, seed, text), text
    assert await state(baton) == before


async def test_export_then_import_is_an_exact_round_trip(baton: Runtime, sandbox: Sandbox, seed: SeedInfo):
    exported = await slash(sandbox, seed, "export")
    assert exported.startswith("```\nversion: 1\n")
    original = baton.service.config
    await slash(sandbox, seed, "rules disable frustration")
    await slash(sandbox, seed, "route default none")
    assert baton.service.config != original
    # Slack escapes what people type; the fences may come along with a pasted export.
    pasted = exported.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert "configuration version 4" in await slash(sandbox, seed, f"import {pasted}")
    assert baton.service.config == original
    assert await slash(sandbox, seed, "export") == exported
    assert "nothing changed" in await slash(sandbox, seed, f"import {exported}")
    entry = (await baton.service.audit_entries(limit=1))[0]
    assert entry.action == "config.import" and entry.after["routing"]["default"] == {
        "kind": "channel",
        "id": seed.triage_channel_id,
    }
    assert entry.before["routing"].get("default") is None
    assert original != BatonConfig()
    # Pasted on the line after the command (Shift+Enter), or in a fence that opens on its first line.
    await slash(sandbox, seed, "rules\ndisable frustration")
    assert "configuration version 6" in await slash(sandbox, seed, f"import\n{exported}")
    await slash(sandbox, seed, "rules disable frustration")
    assert "configuration version 8" in await slash(
        sandbox, seed, "import " + exported.replace("```\n", "```", 1)
    )
    assert baton.service.config == original


async def test_each_sandbox_start_seeds_every_channel_setting_afresh(baton, sandbox, seed) -> None:
    """The README says each sandbox start seeds the Acme channel's settings afresh: `unanswered` too (it
    survived restarts while value, time zone and AI bot were reset)."""
    await slash(sandbox, seed, "channel set unanswered 45")
    channel = await baton.service.watched_channel(seed.shared_channel_id)
    assert channel is not None and channel.unanswered_minutes == 45
    await describe_acme(baton, seed)  # what a sandbox start does
    channel = await baton.service.watched_channel(seed.shared_channel_id)
    assert channel is not None and channel.unanswered_minutes is None


async def test_destinations_and_channels_baton_could_never_use_are_refused(
    baton: Runtime, sandbox: Sandbox, seed: SeedInfo
) -> None:
    """A route into a private channel Baton is not in (every card would fail: channel_not_found), a bot or a
    deactivated account as the account owner or a route's person (every card unread), watching a public
    channel Baton is not in (Slack sends it nothing): each refused with what to do, nothing changed. Before:
    each was "saved", and cards or customer messages were lost from then on."""
    sandbox.add_channel("C0PRIV", "private-triage", is_private=True, members=[seed.admin_id])
    sandbox.add_channel("C0OPEN", "acme-public", members=[seed.admin_id])
    sandbox.add_user("U0GONE", "gone", real_name="Gone Rep")
    sandbox.workspace.users["U0GONE"].deleted = True
    before = await state(baton)
    refused = {
        "route default <#C0PRIV|private-triage>": "I can't see <#C0PRIV>: invite me",
        "route add x <#C0TRIAGE> fallback <#C0PRIV>": "I can't see <#C0PRIV>",
        "import routing: {default: {kind: channel, id: C0PRIV}}": "I can't see <#C0PRIV>",
        f"channel set owner <@{seed.ai_bot_user_id}>": "can't take handoffs: bots don't take handoffs",
        "route default <@U0GONE>": "can't take handoffs: their account is deactivated",
        "channel watch <#C0OPEN|acme-public>": "I'm not in <#C0OPEN>, so Slack tells me nothing of it",
    }
    for text, expected in refused.items():
        assert expected in await slash(sandbox, seed, text), text
    assert await state(baton) == before
    # A public channel Baton is not in takes cards all the same (chat:write.public).
    assert "The default is <#C0OPEN>" in await slash(sandbox, seed, "route default <#C0OPEN|acme-public>")


async def test_the_sandbox_escapes_a_command_s_channels_people_and_groups_as_slack_does(
    baton: Runtime, sandbox: Sandbox, seed: SeedInfo
) -> None:
    """The manifest's /baton escapes its text (`should_escape: true`): Slack sends `#baton-triage` typed in a
    command as `<#C0TRIAGE|baton-triage>`, `@riley` as `<@U0REP|riley>`, `@support` as a subteam mention.
    The sandbox did not, so the README's own `/baton route default #baton-triage` failed there."""
    assert "The default is <#C0TRIAGE>" in await slash(sandbox, seed, "route default #baton-triage")
    answer = await slash(sandbox, seed, "route add helpers @support via #baton-triage")
    assert "<!subteam^S0SUPPORT> in <#C0TRIAGE>" in answer
    rep = sandbox.workspace.users[seed.rep_id].name
    assert f"<@{seed.rep_id}>" in await slash(sandbox, seed, f"channel set owner @{rep}")
    assert "`#nowhere`" in await slash(sandbox, seed, "route default #nowhere")  # unknown: left as typed


async def test_types_list_shows_the_routes_a_type_s_cards_can_take(
    baton: Runtime, sandbox: Sandbox, seed: SeedInfo
) -> None:
    """`/baton types list` said where a type's cards go for an account with no tier in no channel: a route
    for enterprise accounts ahead of the default was hidden. It lists each route that can take the type,
    with what else it needs, up to the first that takes them all."""
    sandbox.add_channel("C0VIP", "vip", members=[seed.bot_user_id, seed.rep_id, seed.admin_id])
    await slash(sandbox, seed, "route add vip <#C0VIP|vip> tiers enterprise position 1")
    listed = await slash(sandbox, seed, "types list")
    (line,) = [text for text in listed.splitlines() if text.startswith("• `human_request`")]
    assert "route `vip` (tiers enterprise) → <#C0VIP>; else route `default` → " in line, line


async def test_a_channel_slack_could_not_describe_just_now_is_not_called_invisible(
    baton: Runtime, sandbox: Sandbox, seed: SeedInfo
) -> None:
    """conversations.info failing for a moment (internal_error, a 429 past the client's retries) is "try
    again", not "I can't see it: invite me" (every failed look-up read as invisible); one a retry won't change
    (a scope the app lacks) says to check the installation; nothing changes."""
    before = await state(baton)
    sandbox.faults.inject("conversations.info", count=1, kind="error", error="internal_error")
    answer = await slash(sandbox, seed, f"route default <#{seed.triage_channel_id}|baton-triage>")
    assert "try again shortly" in answer and "I can't see" not in answer, answer
    sandbox.faults.inject("conversations.info", count=1, kind="error", error="missing_scope")
    answer = await slash(sandbox, seed, f"route default <#{seed.triage_channel_id}|baton-triage>")
    assert "check Baton's installation" in answer and "try again shortly" not in answer, answer
    assert await state(baton) == before
    assert "The default is" in await slash(sandbox, seed, f"route default <#{seed.triage_channel_id}>")
