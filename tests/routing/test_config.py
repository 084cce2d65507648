"""The configuration file: routes, handoff settings and rules validated together; errors say where."""

from __future__ import annotations

import copy
import re
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from handlers.admin import config_yaml
from routing.config import BatonConfig, config_to_data, parse_config, upgraded
from routing.models import Account
from routing.routes import Strategy, TargetKind, pick_member, resolve
from routing.rules import RulesError
from routing.yaml_text import dump_yaml, load_yaml

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_example() -> dict:
    block = re.search(r"## The configuration file.*?```yaml\n(.*?)```", README.read_text(), re.S)
    assert block, "README.md has no configuration example"
    return yaml.safe_load(block.group(1))


def test_the_readme_example_is_a_valid_configuration():
    config = parse_config(readme_example(), source="README.md")
    assert [r.id for r in config.routing.routes] == ["sales-to-owner", "enterprise-support"]
    assert config.routing.routes[1].target.strategy is Strategy.LEAST_LOADED
    assert config.policy("upset_customer").claim_within_minutes == 5
    assert config.policy("human_request").hours is not None
    assert config.rules.rule("frustration").threshold == 0.6
    assert (config.retention.message_days, config.retention.delivery_days) == (90, 30)


def test_a_claim_message_may_show_braces_by_doubling_them():
    config = parse_config({"handoffs": {"claim_message": "{rep} is here. Code {{WELCOME}}"}}, source="x")
    assert config.handoffs.claim_message.format(rep="<@U1>") == "<@U1> is here. Code {WELCOME}"


@pytest.mark.parametrize(
    ("stored", "claim"),
    [
        ("Hi {customer}! {rep} here. Code {{W}}.", "Hi {customer}! <@U1> here. Code {W}."),
        ("{rep} is here :-}", "<@U1> is here :-}"),
        ("{rep!r} {rep:>5} {}", "{rep!r} {rep:>5} {}"),
        ("{rep} here", "<@U1> here"),
    ],
)
def test_what_an_earlier_release_stored_is_upgraded_to_read_the_same(stored, claim):
    data = {
        "routing": {
            "routes": [{"id": "vip", "channels": ["general", "C0ACME"],
                        "target": {"kind": "group", "id": "S1", "channel": "#triage",
                                   "fallback": {"kind": "channel", "id": "C0T", "channel": "x"}}}],
            "default": {"kind": "channel", "id": "C0TRIAGE"},
        },
        "handoffs": {"claim_message": stored,
                     "warm_messages": {"upset_customer": "{rep} will be right here, {name}"}},
        "triggers": [{"id": "high_value", "min_account_value": None}],
    }  # fmt: skip
    before = copy.deepcopy(data)
    once = upgraded(data)
    assert data == before and upgraded(once) == once  # not in place; idempotent
    config = parse_config(once, source="stored")
    (route,) = config.routing.routes
    assert (route.channels, route.target.channel, route.target.fallback.channel) == (("C0ACME",), "", "")
    assert config.handoffs.claim_message.format(rep="<@U1>") == claim
    # A warm message is sent before anyone claims: a stored {rep} reached customers as typed.
    assert config.handoffs.warm_messages["upset_customer"] == "someone from our team will be right here, name"
    default = BatonConfig().rules.rule("high_value").min_account_value
    assert config.rules.rule("high_value").min_account_value == default


def test_an_sla_entry_keeps_the_defaults_of_the_fields_it_leaves_out():
    given = {"upset_customer": {"claim_within_minutes": 5, "resolve_within_minutes": 240}}
    config = parse_config({"sla": given}, source="x")
    default = BatonConfig().policy("upset_customer")
    assert default.chain  # a chain to keep
    assert config.policy("upset_customer") == replace(
        default, claim_within_minutes=5, resolve_within_minutes=240
    )
    sales = parse_config({"sla": {"sales_opportunity": {"claim_within_minutes": 60}}}, source="x")
    office = BatonConfig().policy("sales_opportunity").hours
    assert office is not None and sales.policy("sales_opportunity").hours == office
    around_the_clock = parse_config({"sla": {"sales_opportunity": {"hours": None}}}, source="x")
    assert around_the_clock.policy("sales_opportunity").hours is None  # an explicit null still says 24×7
    assert BatonConfig().policy("complex_question").same_business_day  # ends with the business day, unless…
    no_hours = parse_config(
        {"sla": {"complex_question": {"claim_within_minutes": 60, "hours": None}}}, source="x"
    )
    assert no_hours.policy("complex_question").hours is None  # …it runs around the clock


def test_export_then_import_is_an_exact_round_trip():
    config = parse_config(readme_example(), source="README.md")
    assert parse_config(config_to_data(config), source="export") == config
    assert parse_config(config_to_data(BatonConfig()), source="export") == BatonConfig()


@pytest.mark.parametrize(
    ("data", "path", "problem"),
    [
        ({"routing": {"routes": [{"id": "x"}]}}, "routing.routes[0].target", "needs a target"),
        ({"routing": {"default": {"kind": "channel", "id": "triage"}}}, "routing.default.id", "not a Slack"),
        ({"routing": {"default": {"kind": "pager"}}}, "routing.default.kind", "must be one of"),
        ({"routing": {"default": {"kind": "account_owner"}}}, "routing.default.fallback", "needs a fallback"),
        (
            {"routing": {"routes": [{"target": {"kind": "user", "id": "U1"}, "escalation_types": ["vip"]}]}},
            "routing.routes[0].escalation_types",
            "unknown escalation type",
        ),
        ({"handoffs": {"cooldown_minutes": -5}}, "handoffs.cooldown_minutes", "whole number"),
        (
            {"handoffs": {"warm_messages": {"nope": "hi"}}},
            "handoffs.warm_messages.nope",
            "unknown escalation",
        ),
        ({"handoffs": {"colour": "red"}}, "handoffs.colour", "unknown field"),
        ({"handoffs": {"snooze_minutes": []}}, "handoffs.snooze_minutes", "list of 1 to 10"),
        ({"retention": {"message_days": -1}}, "retention.message_days", "whole number from 0"),
        ({"retention": {"delivery_days": "a week"}}, "retention.delivery_days", "whole number"),
        ({"retention": {"audit_days": 30}}, "retention.audit_days", "unknown field"),
        ({"retention": 90}, "retention", "expected a mapping"),
        (
            {"routing": {"routes": [{"target": {"kind": "group", "id": "S1", "channel": "#triage"}}]}},
            "routing.routes[0].target.channel",
            "not a Slack channel id",
        ),
        (
            {
                "routing": {
                    "routes": [{"target": {"kind": "user", "id": "U1"}, "channels": ["C0ACME", "acme"]}]
                }
            },
            "routing.routes[0].channels[1]",
            "not a Slack channel id",
        ),
        ({"handoffs": {"claim_message": "Hi {customer}! {rep} is here."}}, "handoffs.claim_message", "{rep}"),
        ({"handoffs": {"claim_message": "{rep} is here :-}"}}, "handoffs.claim_message", "must be doubled"),
        (
            {"triggers": [{"id": "high_value", "min_account_value": float("inf")}]},
            "triggers[0].min_account_value",
            "finite number",
        ),
        ({"triggers": [{"id": "frustration", "threshold": float("nan")}]}, "triggers[0].threshold", "finite"),
        (
            {"routing": {"default": {"kind": "channel", "id": "C1", "strategy": "least_loaded"}}},
            "routing.default.strategy",
            "applies to group targets only, not to a channel",
        ),
        (
            {"handoffs": {"claim_message": "{rep} is here\x00"}},
            "handoffs.claim_message",
            "contains a NUL character",
        ),
        ({"triggers": [{"id": "vip\x00", "keywords": ["x"]}]}, "triggers[0].id", "contains a NUL character"),
        (
            {"sla": {"human_request": {"claim_within_minutes": 15, "hours": {"opens": 540}}}},
            "sla.human_request.hours.opens",
            "expected a time of day as 'HH:MM', got 540",
        ),
        (
            {"sla": {"human_request": {"claim_within_minutes": 15, "hours": {"weekdays": ["mon-fri"]}}}},
            "sla.human_request.hours.weekdays[0]",
            "unknown weekday 'mon-fri'",
        ),
    ],
)
def test_errors_name_the_source_the_field_and_the_problem(data, path, problem):
    with pytest.raises(RulesError) as raised:
        parse_config(data, source="baton.yaml")
    assert raised.value.source == "baton.yaml"
    assert raised.value.path == path
    assert problem in raised.value.problem


def test_routes_first_match_wins_with_an_explicit_default():
    config = parse_config(readme_example(), source="README.md")
    enterprise = Account(name="Acme", tier="enterprise", value=1, owner_user_id="U0OWNER")
    route, target = config.routing.choose(
        escalation_type="sales_opportunity", account=enterprise, channel_id="C1"
    )
    assert (route, resolve(target, account=enterprise).label) == ("sales-to-owner", "owner:U0OWNER")
    ownerless = Account(name="Small", tier="starter")
    assert resolve(target, account=ownerless).label == "channel:C0123TRIAGE"
    route, target = config.routing.choose(
        escalation_type="upset_customer", account=enterprise, channel_id="C1"
    )
    assert (route, target.kind) == ("enterprise-support", TargetKind.GROUP)
    route, target = config.routing.choose(
        escalation_type="upset_customer", account=ownerless, channel_id="C1"
    )
    assert (route, target.id) == ("default", "C0123TRIAGE")


@pytest.mark.parametrize(
    ("strategy", "recent", "load", "expected"),
    [
        (Strategy.ROUND_ROBIN, [], {}, "U1"),
        (Strategy.ROUND_ROBIN, ["U1"], {}, "U2"),
        (Strategy.ROUND_ROBIN, ["U3", "U2", "U1"], {}, "U1"),
        (Strategy.ROUND_ROBIN, ["U9"], {}, "U1"),
        (Strategy.LEAST_LOADED, [], {"U1": 2, "U2": 1, "U3": 1}, "U2"),
        (Strategy.LEAST_LOADED, [], {}, "U1"),
    ],
)
def test_group_member_picking(strategy, recent, load, expected):
    assert pick_member(["U1", "U2", "U3"], strategy=strategy, recent=recent, load=load) == expected
    assert pick_member([], strategy=strategy, recent=recent, load=load) is None


def test_round_robin_skips_nobody_when_members_join_or_leave():
    picks: list[str] = []

    def pick(members: list[str]) -> str:
        member = pick_member(members, strategy=Strategy.ROUND_ROBIN, recent=picks[::-1], load={})
        assert member is not None
        picks.append(member)
        return member

    assert [pick(["UA", "UB", "UC"]) for _ in range(2)] == ["UA", "UB"]
    assert [pick(["UA", "UC"]) for _ in range(3)] == ["UC", "UA", "UC"]  # UB left: UC's turn stays UC's
    assert [pick(["UA", "UC", "UD"]) for _ in range(3)] == ["UD", "UA", "UC"]  # UD joined: first in


@pytest.mark.parametrize(
    ("stored", "read"),
    [
        ("Hi {{team}} is on it", "Hi team is on it"),
        ("We are {on {it}}", "We are on it"),
        ("{rep}!", "someone from our team!"),
    ],
)
def test_a_stored_warm_message_with_braces_is_upgraded_once_for_good(stored: str, read: str) -> None:
    data = config_to_data(BatonConfig())
    data["handoffs"]["warm_messages"]["human_request"] = stored
    once = upgraded(data)
    assert upgraded(once) == once  # idempotent
    assert parse_config(once, source="stored").handoffs.warm_messages["human_request"] == read


def test_a_configuration_from_nothing_has_no_settings_of_the_default_types():
    data = {
        "extends": "none",
        "escalation_types": [{"name": "support"}],
        "triggers": [
            {"id": "help-words", "kind": "custom", "escalation_type": "support", "keywords": ["help"]}
        ],
    }
    config = parse_config(data, source="baton.yaml")
    assert config.sla == {} and config.handoffs.warm_messages == {}
    assert parse_config(config_to_data(config), source="export") == config
    assert config.policy("support") == parse_config({}, source="defaults").policy("routine_review")


def test_yaml_numbers_are_read_as_yaml_1_2_reads_them():
    data = load_yaml("opens: 17:00\ncloses: 0700\nminutes: 15\nhex: 0x1f\noctal: 0o17\nbig: 190:20:30\n")
    assert data == {
        "opens": "17:00",
        "closes": 700,
        "minutes": 15,
        "hex": 31,
        "octal": 15,
        "big": "190:20:30",
    }
    with pytest.raises(yaml.YAMLError, match="is not a whole number"):
        load_yaml("opens: !!int 17:00")


def test_weekdays_may_be_abbreviated_as_people_do():
    weekdays = ["Mon", "Tues", "Weds", "Thurs", "Fri", "sat"]
    data = {"sla": {"human_request": {"claim_within_minutes": 15, "hours": {"weekdays": weekdays}}}}
    hours = parse_config(data, source="baton.yaml").policy("human_request").hours
    assert hours is not None and hours.weekdays == (0, 1, 2, 3, 4, 5)


def test_what_export_writes_import_reads_back_however_its_texts_look():
    data = readme_example()
    data["triggers"].append(
        {
            "id": "codes",
            "kind": "custom",
            "escalation_type": "human_request",
            "keywords": ["0800", "08", "0o17", "+0", "17:00", "yes", "1.5"],
        }  # fmt: skip
    )
    config = parse_config(data, source="README.md")
    written = config_yaml(config_to_data(config))
    assert parse_config(load_yaml(written), source="export") == config
    assert yaml.safe_load(written) == load_yaml(written)  # and any YAML 1.1 reader reads the same


def test_dump_yaml_keeps_line_breaks_of_other_scripts():
    data = {"warm_messages": {"human_request": "Merci\x85à bientôt", "x": "a\u2028b\u2029c"}}
    assert load_yaml(dump_yaml(data)) == data
