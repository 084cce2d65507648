"""Rules as data: defaults, validation errors naming source and field, round trip, regex guard."""

from __future__ import annotations

import pytest

from routing.decision import TriggerKind
from routing.rules import RulesError, RuleSet, TriggerRule, default_rules, parse_rules, rules_to_data
from routing.triggers.patterns import TextMatcher, UnsafePattern, check_pattern


def test_defaults_cover_every_trigger_kind_but_custom() -> None:
    kinds = {r.kind for r in default_rules().rules}
    assert kinds == set(TriggerKind) - {TriggerKind.CUSTOM}


def test_export_import_round_trip_is_exact() -> None:
    custom = parse_rules(
        {
            "escalation_types": [{"name": "legal_review", "urgency": "urgent", "approach": "Call legal."}],
            "triggers": [
                {"id": "frustration", "threshold": 0.7, "phrases": ["not again"]},
                {"id": "legal", "kind": "custom", "keywords": ["subpoena"], "patterns": [r"\bcourt order\b"],
                 "escalation_type": "legal_review"},
            ],
        },
        source="rules.yaml",
    )  # fmt: skip
    for ruleset in (default_rules(), custom):
        data = rules_to_data(ruleset)
        again = parse_rules(data, source="export")
        assert again == ruleset
        assert rules_to_data(again) == data


def test_partial_config_extends_the_defaults() -> None:
    ruleset = parse_rules({"triggers": [{"id": "frustration", "threshold": 0.8}]}, source="x")
    rule = ruleset.rule("frustration")
    assert rule is not None and rule.threshold == 0.8
    assert ruleset.rule("explicit_request") == default_rules().rule("explicit_request")


def test_extends_none_starts_empty() -> None:
    ruleset = parse_rules({"extends": "none", "escalation_types": [{"name": "t"}]}, source="x")
    assert ruleset.rules == ()


@pytest.mark.parametrize(
    ("data", "path", "problem"),
    [
        ([1, 2], "", "expected a mapping"),
        ({"version": 9}, "version", "unsupported version"),
        ({"tirggers": []}, "tirggers", "did you mean 'triggers'"),
        ({"triggers": {"id": "x"}}, "triggers", "expected a list"),
        ({"triggers": [{"id": "frustration", "treshold": 0.3}]}, "triggers[0].treshold", "did you mean"),
        ({"triggers": [{"id": "frustration", "threshold": 1.5}]}, "triggers[0].threshold", "between 0 and 1"),
        ({"triggers": [{"id": "frustration", "threshold": "high"}]}, "triggers[0].threshold", "a number"),
        ({"triggers": [{"id": "frustration", "enabled": "yes"}]}, "triggers[0].enabled", "true or false"),
        ({"triggers": [{"id": "frustration", "urgency": "asap"}]}, "triggers[0].urgency", "unknown urgency"),
        ({"triggers": [{"id": "new"}]}, "triggers[0].kind", "required"),
        ({"triggers": [{"id": "n", "kind": "magic"}]}, "triggers[0].kind", "unknown trigger kind"),
        ({"triggers": [{"id": "n", "kind": "custom"}]}, "triggers[0]", "needs phrases"),
        ({"triggers": [{"id": "n", "kind": "custom", "phrases": [""]}]}, "triggers[0].phrases[0]",
         "non-empty"),
        ({"triggers": [{"id": "frustration", "escalation_type": "nope"}]}, "triggers[0].escalation_type",
         "unknown escalation type"),
        ({"triggers": [{"id": "a", "kind": "custom", "keywords": ["x"]}, {"id": "a", "kind": "custom",
          "keywords": ["y"]}]}, "triggers[1].id", "duplicate"),
        ({"triggers": [{"id": "c", "kind": "custom", "patterns": ["(a+)+$"]}]}, "triggers[0].patterns[0]",
         "repeats a group"),
        ({"triggers": [{"id": "c", "kind": "custom", "patterns": ["x" * 301]}]}, "triggers[0].patterns[0]",
         "limit is 300"),
        ({"triggers": [{"id": "c", "kind": "custom", "patterns": ["(unclosed"]}]}, "triggers[0].patterns[0]",
         "does not compile"),
        ({"triggers": [{"id": "c", "kind": "custom", "patterns": [r"(a)\1"]}]}, "triggers[0].patterns[0]",
         "back-reference"),
        ({"escalation_types": [{"name": "x", "urgency": "soon"}]}, "escalation_types[0].urgency",
         "unknown urgency"),
    ],
)  # fmt: skip
def test_validation_errors_name_source_field_and_problem(data: object, path: str, problem: str) -> None:
    with pytest.raises(RulesError) as caught:
        parse_rules(data, source="rules/baton.yaml")
    error = caught.value
    assert error.source == "rules/baton.yaml"
    assert error.path == path
    assert problem in error.problem
    assert str(error).startswith("rules/baton.yaml: ")


@pytest.mark.parametrize("pattern", ["(a+)+", "(a*)*b", r"(\w+\s?)*$", "(a|aa)+", "(x+x+)+y", "(?:a{2,})+"])
def test_catastrophic_shapes_are_rejected(pattern: str) -> None:
    with pytest.raises(UnsafePattern):
        check_pattern(pattern)


def test_a_slow_pattern_that_passes_the_checks_is_bounded() -> None:
    # no nested repetition, but still polynomial backtracking on a long run without the final letter
    matcher = TextMatcher.build(
        phrases=(), keywords=(), patterns=(r"[a-z]*[a-z]*[a-z]*[a-z]*[a-z]*[a-z]*\W\d",)
    )
    found, notes = matcher.find("a" * 3000 + "!")
    assert found == ()
    assert notes and "timed out" in notes[0]


def test_ruleset_built_in_code_is_validated_too() -> None:
    with pytest.raises(RulesError):
        RuleSet(
            rules=(TriggerRule(id="x", kind=TriggerKind.CUSTOM, escalation_type="missing", keywords=("k",)),)
        )
