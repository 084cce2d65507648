"""The decision an AI agent's escalation request makes, and token hashing: pure, no database."""

from __future__ import annotations

import pytest

from routing.agent import AGENT_RULE, EscalationRequest, InvalidRequest, agent_decision, hash_token
from routing.decision import DEFAULT_ESCALATION_TYPES, NO_ESCALATION, Decision, TriggerHit, TriggerKind
from routing.models import Urgency
from routing.rules import DEFAULT_RULES, RuleSet

RULES = RuleSet()
ASKED = TriggerHit(TriggerKind.EXPLICIT_REQUEST, "explicit_request", 0.9, ("a person",), "asks for a person")
HUMAN = Decision(
    escalate=True,
    escalation_type="human_request",
    urgency=Urgency.HIGH,
    hits=(ASKED,),
    suggested_approach="x",
)


def request(**changes: object) -> EscalationRequest:
    base: dict[str, object] = {"channel_id": "C1", "thread_ts": "1.1", "reason": "refund beyond policy"}
    return EscalationRequest(**{**base, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("asked", "triggered", "type_", "urgency", "kinds"),
    [
        (request(), NO_ESCALATION, "uncertain_ai", Urgency.NORMAL, ["low_confidence"]),
        (request(), HUMAN, "human_request", Urgency.HIGH, ["explicit_request", "low_confidence"]),
        (
            request(escalation_type="sales_opportunity"),
            NO_ESCALATION,
            "sales_opportunity",
            Urgency.HIGH,
            None,
        ),
        (request(escalation_type="routine_review"), HUMAN, "routine_review", Urgency.HIGH, None),
    ],
)
def test_the_request_always_escalates(asked, triggered, type_, urgency, kinds):
    decision = agent_decision(asked, triggered, RULES)
    assert (decision.escalate, decision.escalation_type, decision.urgency) == (True, type_, urgency)
    assert decision.hits[-1].rule_id == AGENT_RULE
    if kinds is not None:
        assert list(decision.reasons) == kinds


def test_the_agents_confidence_and_approach_are_kept():
    decision = agent_decision(
        request(confidence=0.25, suggested_approach="Offer a call", agent="bot"), NO_ESCALATION, RULES
    )
    hit = decision.hits[-1]
    assert hit.score == 0.75 and "confidence 0.25" in hit.evidence and "(bot)" in hit.explanation
    assert decision.suggested_approach == "Offer a call"
    assert (
        agent_decision(request(), NO_ESCALATION, RULES).suggested_approach
        == RULES.escalation_type("uncertain_ai").approach
    )


def test_an_unknown_type_names_the_field():
    with pytest.raises(InvalidRequest) as raised:
        agent_decision(request(escalation_type="nope"), NO_ESCALATION, RULES)
    assert raised.value.field == "type"


def test_without_the_default_type_the_last_one_is_used():
    rules = RuleSet(
        rules=tuple(r for r in DEFAULT_RULES if r.escalation_type != "uncertain_ai"),
        escalation_types=tuple(t for t in DEFAULT_ESCALATION_TYPES if t.name != "uncertain_ai"),
    )
    assert agent_decision(request(), NO_ESCALATION, rules).escalation_type == "routine_review"


def test_tokens_are_stored_as_sha256():
    assert hash_token("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
