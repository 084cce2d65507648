"""Combining hits: precedence of escalation types, urgency, reasons, score."""

from __future__ import annotations

from routing.decision import Decision, TriggerHit, TriggerKind
from routing.models import Urgency
from routing.rules import default_rules, parse_rules
from routing.triggers.engine import combine
from tests.routing.triggers_helpers import run


def hit(kind: TriggerKind, rule_id: str, score: float) -> TriggerHit:
    return TriggerHit(kind=kind, rule_id=rule_id, score=score, evidence=("x",), explanation="why")


def test_no_hits_no_escalation() -> None:
    decision = combine([], default_rules())
    assert decision == Decision(escalate=False)
    assert decision.reasons == ()


def test_precedence_picks_the_type_and_urgency_is_the_highest() -> None:
    rules = default_rules()
    decision = combine(
        [
            hit(TriggerKind.LOW_CONFIDENCE, "low_confidence", 0.7),
            hit(TriggerKind.EXPLICIT_REQUEST, "explicit_request", 0.9),
            hit(TriggerKind.FRUSTRATION, "frustration", 0.6),
        ],
        rules,
    )
    assert decision.escalate
    assert decision.escalation_type == "upset_customer"
    assert decision.urgency is Urgency.URGENT
    assert decision.reasons == ("frustration", "explicit_request", "low_confidence")
    assert decision.score == 0.9
    assert decision.suggested_approach.startswith("Reply now")


def test_rule_urgency_overrides_the_type_urgency() -> None:
    rules = parse_rules({"triggers": [{"id": "low_confidence", "urgency": "urgent"}]}, source="t")
    decision = combine([hit(TriggerKind.LOW_CONFIDENCE, "low_confidence", 0.5)], rules)
    assert decision.escalation_type == "uncertain_ai"
    assert decision.urgency is Urgency.URGENT


def test_hit_scores_are_clamped() -> None:
    assert hit(TriggerKind.CUSTOM, "c", 7).score == 1.0
    assert hit(TriggerKind.CUSTOM, "c", -1).score == 0.0


def test_upset_customer_asking_for_a_person_is_handled_as_upset() -> None:
    decision = run("This is ridiculous!!! let me talk to a real person NOW")
    assert decision.escalation_type == "upset_customer"
    assert set(decision.reasons) >= {"frustration", "explicit_request"}
    assert decision.to_dict()["reasons"] == list(decision.reasons)


def test_to_dict_has_the_replay_keys() -> None:
    data = run("let me talk to a human").to_dict()
    assert {"escalate", "type", "urgency", "reasons", "score"} <= set(data)
    assert data["type"] == "human_request" and data["urgency"] == "high"
