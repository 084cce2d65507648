"""The `/baton` grammar and the configuration edits behind it: pure, table-driven."""

from __future__ import annotations

import copy

import pytest

from routing.admin_grammar import SPECS, Access, UsageError, help_text, parse_command, spec_of
from routing.admin_views import diff
from routing.channel_edits import channel_set
from routing.config import BatonConfig, config_to_data, parse_config
from routing.config_edits import rule_add, rule_enabled, rule_remove, rule_set, target_data, type_set
from routing.models import Account, WatchedChannel
from routing.route_edits import route_add, route_default, route_remove, route_reorder


@pytest.mark.parametrize(
    ("text", "name", "args"),
    [
        ("", "help", ()),
        ("help", "help", ()),
        ("help Rules", "help", ("rules",)),
        ("rules", "help", ("rules",)),
        ("rules help", "help", ("rules",)),
        ("rules list", "rules list", ()),
        ("RULES Disable frustration", "rules disable", ("frustration",)),
        ('rules add vip phrase "white glove" type sales_opportunity', "rules add",
         ("vip", "phrase", "white glove", "type", "sales_opportunity")),
        ("rules add vip regex \u201c\\bSOC ?2\\b\u201d", "rules add", ("vip", "regex", "\\bSOC ?2\\b")),
        ("types set human_request message I'll be right there", "types set",
         ("human_request", "message", "I'll be right there")),  # the message as typed: one argument
        ("route reorder a b c", "route reorder", ("a", "b", "c")),
        ("channel set <#C1|acme> account Acme Corp", "channel set",
         ("<#C1|acme>", "account", "Acme", "Corp")),
        ("audit 5", "audit", ("5",)),
        ("export", "export", ()),
    ],
)  # fmt: skip
def test_commands_parse_into_a_spec_and_arguments(text, name, args):
    command = parse_command(text)
    assert (command.name, command.args) == (name, args)


def test_raw_commands_keep_their_text_verbatim():
    assert parse_command('test  "I\'m upset"  ').text == '"I\'m upset"'
    assert parse_command("import version: 1\nextends: none").text == "version: 1\nextends: none"


@pytest.mark.parametrize(
    ("text", "problem", "usage"),
    [
        ("frobnicate", "I don't know `/baton frobnicate`", "rules …"),
        ("rulez list", "Did you mean `rules`?", "rules …"),
        ("rules frob", "I don't know `/baton rules frob`", "rules show <rule>"),
        ("rules show", "needs more than that", "rules show <rule>"),
        ("rules enable a b", "I don't know what to do with `b`", "rules enable <rule>"),
        ('rules add vip phrase "white glove', "A quote is not closed", ""),
        ("rules add vip keyword " + "x" * 1001, "over 1000 characters", ""),
        ("test", "needs something after it", "test <a customer message>"),
        ("test " + "x" * 4001, "over 4000 characters", "test <a customer message>"),
        ("help stats", "There is no help on `stats`", "help [rules"),
    ],
)
def test_bad_commands_say_what_is_wrong_and_show_the_usage(text, problem, usage):
    with pytest.raises(UsageError) as raised:
        parse_command(text)
    assert problem in str(raised.value)
    assert usage in str(raised.value)


def test_every_change_is_for_admins_and_reads_are_for_members():
    for spec in SPECS:
        verb = spec.name.split(" ")[-1]
        if spec.name == "help":
            assert spec.access is Access.ANYONE
        elif verb in ("list", "show", "stats", "test"):  # reads: stats and the dry run are read-only too
            assert spec.access is Access.MEMBER
        else:
            assert spec.access is Access.ADMIN, spec.name
    assert spec_of("rules disable frustration extra words") is not None
    assert spec_of("rules disable").access is Access.ADMIN
    assert spec_of("nonsense") is None


def test_help_lists_every_command():
    text = help_text()
    assert all(f"`/baton {spec.usage}`" in text for spec in SPECS)
    assert "`/baton route add" not in help_text("rules")


def apply(edit, config: BatonConfig | None = None):
    data = config_to_data(config or BatonConfig())
    before = copy.deepcopy(data)
    done = edit(data)
    return before, data, done, parse_config(data, source="test")


def test_rule_edits():
    _, _, done, config = apply(rule_enabled("frustration", False))
    assert config.rules.rule("frustration").enabled is False
    assert diff(done.before, done.after) == "enabled `true` → `false`"
    _, _, _, config = apply(rule_set("frustration", "threshold", "0.7"))
    assert config.rules.rule("frustration").threshold == 0.7
    _, _, _, config = apply(rule_set("unanswered", "after_minutes", "45"))
    assert config.rules.rule("unanswered").after_minutes == 45
    _, _, done, config = apply(rule_add("vip", "phrase", "white glove", "sales_opportunity"))
    vip = config.rules.rule("vip")
    assert (vip.kind.value, vip.escalation_type, vip.phrases) == (
        "custom",
        "sales_opportunity",
        ("white glove",),
    )
    assert done.before is None
    _, _, _, config = apply(rule_add("frustration", "keyword", "ridiculous", None))
    assert config.rules.rule("frustration").keywords == ("ridiculous",)
    _, _, _, config = apply(rule_remove("vip"), config=apply(rule_add("vip", "keyword", "x", None))[3])
    assert config.rules.rule("vip") is None
    with_word = apply(rule_add("frustration", "keyword", "meh", None))[3]
    _, _, _, config = apply(rule_remove("frustration", "keyword", "meh"), config=with_word)
    assert config.rules.rule("frustration").keywords == ()


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (lambda: rule_enabled("nope", True), "There is no rule `nope`"),
        (lambda: rule_set("frustration", "colour", "red"), "no setting `colour`"),
        (lambda: rule_set("frustration", "threshold", "high"), "must be a number"),
        (lambda: rule_set("unanswered", "after_minutes", "-3"), "whole number"),
        (lambda: rule_add("vip", "emoji", "x", None), "`keyword`, `phrase` or `regex`"),
        (lambda: rule_remove("frustration"), "built in and can't be removed"),
        (lambda: rule_remove("frustration", "keyword", "absent"), "has no keyword `absent`"),
        (lambda: type_set("vip", "sla", ["10"]), "no escalation type `vip`"),
        (lambda: type_set("upset_customer", "sla", ["0"]), "from 1 to"),
        (lambda: type_set("upset_customer", "colour", ["red"]), "no setting `colour`"),
        (lambda: type_set("upset_customer", "route", ["#triage"]), "can't tell where `#triage` is"),
        (lambda: type_set("upset_customer", "route", ["owner"]), "needs a fallback"),
        (lambda: route_add("x", "C0A", ["types"]), "has no value"),
        (lambda: route_add("x", "C0A", ["colour", "red"]), "no option `colour`"),
        (lambda: route_add("x", "C0A", ["via", "C2"]), "for a user group target"),
        (lambda: route_remove("nope"), "There is no route `nope`"),
        (lambda: route_reorder(["a", "a"]), "each route once"),
        (lambda: route_default("C1", ["via", "x"]), "only `fallback <target>`"),
    ],
)
def test_edits_refuse_what_they_cant_mean(edit, problem):
    with pytest.raises(UsageError) as raised:
        apply(edit())
    assert problem in str(raised.value)


def test_type_edits():
    _, _, _, config = apply(type_set("upset_customer", "sla", ["10"]))
    assert config.policy("upset_customer").claim_within_minutes == 10
    _, _, _, config = apply(type_set("upset_customer", "resolve", ["none"]))
    assert config.policy("upset_customer").resolve_within_minutes is None
    _, _, _, config = apply(type_set("routine_review", "urgency", ["high"]))
    assert config.rules.escalation_type("routine_review").urgency.value == "high"
    _, _, _, config = apply(type_set("human_request", "route", ["owner", "fallback", "<#C0TRIAGE|triage>"]))
    route = config.routing.routes[0]
    assert (route.id, route.escalation_types, route.target.fallback.id) == (
        "type-human_request",
        ("human_request",),
        "C0TRIAGE",
    )
    _, _, _, config = apply(type_set("human_request", "message", ["off"]))
    assert config.handoffs.warm_messages["human_request"] == ""


def test_route_edits_keep_the_order_admins_give():
    _, _, _, config = apply(route_add("a", "<#C0A|a>", ["types", "human_request,upset_customer"]))
    _, _, _, config = apply(route_add("b", "<@U0B|b>", ["tiers", "enterprise", "position", "1"]), config)
    _, _, _, config = apply(
        route_add("c", "<!subteam^S0C|@c>", ["via", "<#C0T>", "strategy", "least_loaded"]), config
    )
    assert [r.id for r in config.routing.routes] == ["b", "a", "c"]
    assert config.routing.routes[2].target.channel == "C0T"
    _, _, _, config = apply(route_reorder(["c", "a"]), config)
    assert [r.id for r in config.routing.routes] == ["c", "a", "b"]
    _, _, _, config = apply(route_remove("a"), config)
    _, _, _, config = apply(route_default("owner", ["fallback", "C0T"]), config)
    assert config.routing.default.kind.value == "account_owner"
    _, _, _, config = apply(route_default("none", []), config)
    assert [r.id for r in config.routing.routes] == ["c", "b"] and config.routing.default is None


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("<#C0TRIAGE|baton-triage>", {"kind": "channel", "id": "C0TRIAGE"}),
        ("#C0TRIAGE", {"kind": "channel", "id": "C0TRIAGE"}),
        ("<@U0REP|riley>", {"kind": "user", "id": "U0REP"}),
        ("<!subteam^S0SUP|@support>", {"kind": "group", "id": "S0SUP"}),
        ("group:S0SUP", {"kind": "group", "id": "S0SUP"}),
    ],
)
def test_targets_from_mentions_and_ids(token, expected):
    assert target_data(token) == expected


def test_channel_settings():
    channel = WatchedChannel("C1", account=Account(name="Acme"))
    assert channel_set(channel, "account", ["Acme", "Corp"]).account.name == "Acme Corp"
    assert channel_set(channel, "tier", ["Enterprise"]).account.tier == "enterprise"
    assert channel_set(channel, "value", ["$120,000"]).account.value == 120_000
    assert channel_set(channel, "value", ["1.5m"]).account.value == 1_500_000
    assert channel_set(channel, "owner", ["<@U0REP|riley>"]).account.owner_user_id == "U0REP"
    assert channel_set(channel, "ai", ["<@U0AI|helper>", "B0AI"]).ai_bot_ids == ("U0AI", "B0AI")
    assert channel_set(channel, "ai", ["none"]).ai_bot_ids == ()
    assert channel_set(channel, "timezone", ["Europe/Berlin"]).account.timezone == "Europe/Berlin"
    assert channel_set(channel, "unanswered", ["45"]).unanswered_minutes == 45
    assert channel_set(channel, "unanswered", ["default"]).unanswered_minutes is None


@pytest.mark.parametrize(
    ("field", "values", "problem"),
    [
        ("colour", ["red"], "no setting `colour`"),
        ("account", ["x" * 101], "1 to 100 characters"),
        ("value", ["lots"], "must be a number"),
        ("value", ["1e13"], "from 0 to"),
        ("owner", ["riley"], "an @person"),
        ("ai", ["helper"], "not an @bot mention"),
        ("timezone", ["Mars/Olympus"], "not a time zone"),
        ("unanswered", ["0"], "from 1 to"),
    ],
)
def test_channel_settings_refuse_bad_values(field, values, problem):
    with pytest.raises(UsageError) as raised:
        channel_set(WatchedChannel("C1"), field, values)
    assert problem in str(raised.value)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (
            'types set upset_customer message Our "white glove" team is on it.',
            'Our "white glove" team is on it.',
        ),
        ('types set upset_customer message "On it, we\'ll be right here."', "On it, we'll be right here."),
        ("types set upset_customer message \u201cCurly quotes, kept whole\u201d", "Curly quotes, kept whole"),
        ("types set upset_customer MESSAGE   spaced   words", "spaced   words"),
    ],
)
def test_a_customer_message_is_taken_as_typed(typed: str, message: str) -> None:
    assert parse_command(typed).args == (
        "upset_customer",
        "message" if "MESSAGE" not in typed else "MESSAGE",
        message,
    )
