"""low_confidence, high_value, deal_moment, sensitive_topic, custom and unanswered."""

from __future__ import annotations

from datetime import timedelta

import pytest

from routing.models import Account, AuthorKind, Urgency
from routing.rules import default_rules, parse_rules
from routing.triggers.engine import decide, unanswered_decision
from tests.routing.triggers_helpers import NOW, facts, run

BIG = Account(name="Acme", tier="enterprise", value=250_000, owner_user_id="UOWNER")
SMALL = Account(name="Tiny", tier="starter", value=1_000)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Our contract is up for renewal next month and we want to discuss pricing", "deal_moment"),
        ("We're evaluating competitors before we sign", "deal_moment"),
        ("Procurement needs your security questionnaire filled in", "deal_moment"),
        ("Our lawyer will be in touch about this", "sensitive_topic"),
        ("We think there was a data breach: unauthorized access to our workspace", "sensitive_topic"),
        ("Please send us your GDPR data processing agreement", "sensitive_topic"),
        ("Production is down for all our users", "sensitive_topic"),
        ("I want to dispute this charge, I'm filing a chargeback", "sensitive_topic"),
    ],
)
def test_business_signals_fire_without_an_account(text: str, kind: str) -> None:
    assert kind in run(text).reasons, text


@pytest.mark.parametrize(
    "text",
    [
        "I want a refund",
        "cancel my order please",
        "how do I close my account",
        "what are your fees",
        "I want to cancel my subscription",
        "how much does the premium plan cost?",
        "can I add 2 users to my account",
    ],
)
def test_routine_questions_do_not_fire_business_triggers(text: str) -> None:
    assert not run(text).escalate, text


def test_churn_talk_needs_a_known_account() -> None:
    assert not run("We will cancel our subscription at the end of the month").escalate
    decision = run("We will cancel our subscription at the end of the month", account=SMALL)
    assert decision.reasons == ("deal_moment",)
    assert decision.escalation_type == "sales_opportunity"


def test_buying_signal_fires_high_value_only_for_a_qualifying_account() -> None:
    text = "We'd like to add 40 more seats for the sales team"
    assert "high_value" not in run(text).reasons
    assert "high_value" not in run(text, account=SMALL).reasons
    decision = run(text, account=BIG)
    assert "high_value" in decision.reasons
    assert "Acme" in decision.explain()


@pytest.mark.parametrize(("confidence", "fires"), [(0.2, True), (0.49, True), (0.5, False), (0.9, False)])
def test_low_confidence(confidence: float, fires: bool) -> None:
    decision = run("what is the limit on transfers", confidence=confidence)
    assert ("low_confidence" in decision.reasons) is fires
    if fires:
        assert decision.escalation_type == "uncertain_ai"
        assert f"{confidence:.2f}" in decision.hits[0].evidence[0]


def test_custom_rule_fires_on_its_phrases_and_patterns() -> None:
    rules = parse_rules(
        {"triggers": [{"id": "vip-words", "kind": "custom", "phrases": ["board meeting"],
                       "patterns": [r"\binvoice #?\d{5}\b"], "escalation_type": "complex_question",
                       "urgency": "high"}]},
        source="test",
    )  # fmt: skip
    for text in ("we need this before the board meeting", "where is invoice #12345"):
        decision = run(text, rules=rules)
        assert decision.reasons == ("custom",), text
        assert decision.urgency is Urgency.HIGH
    assert not run("where is my invoice", rules=rules).escalate


def test_only_customer_messages_escalate() -> None:
    for kind in (AuthorKind.INTERNAL, AuthorKind.AI, AuthorKind.OTHER_BOT, AuthorKind.SELF):
        decision = decide(
            facts("let me talk to a human, this is ridiculous", kind=kind),
            history=(),
            rules=default_rules(),
            account=None,
            now=NOW,
        )
        assert not decision.escalate


def test_disabled_rule_does_not_fire() -> None:
    rules = parse_rules({"triggers": [{"id": "explicit_request", "enabled": False}]}, source="test")
    assert not run("let me talk to a human", rules=rules).escalate


@pytest.mark.parametrize(("minutes", "fires"), [(10, False), (29, False), (30, True), (120, True)])
def test_unanswered(minutes: int, fires: bool) -> None:
    decision = unanswered_decision(
        waiting_since=NOW - timedelta(minutes=minutes), now=NOW, rules=default_rules(), account=BIG
    )
    assert decision.escalate is fires
    if fires:
        assert decision.reasons == ("unanswered",)
        assert decision.escalation_type == "routine_review"
        assert "Acme" in decision.hits[0].explanation


def test_unanswered_with_nobody_waiting() -> None:
    assert not unanswered_decision(waiting_since=None, now=NOW, rules=default_rules(), account=None).escalate


REQUIRES_AN_ACCOUNT = parse_rules(
    {
        "triggers": [
            {"id": "csm", "kind": "custom", "phrases": ["my CSM"], "escalation_type": "human_request",
             "require_account": True},
            {"id": "explicit_request", "require_account": True},
            {"id": "unanswered", "require_account": True},
        ]
    },
    source="baton.yaml",
)  # fmt: skip


@pytest.mark.parametrize("account", [None, Account()])
def test_any_rule_that_requires_an_account_fires_only_for_a_known_one(account: Account | None) -> None:
    for text in ("please loop in my CSM", "Can I talk to a person please?"):
        assert not run(text, rules=REQUIRES_AN_ACCOUNT, account=account).escalate, text
        assert run(text, rules=REQUIRES_AN_ACCOUNT, account=SMALL).escalate, text
    waited = {"waiting_since": NOW - timedelta(hours=2), "now": NOW, "rules": REQUIRES_AN_ACCOUNT}
    assert not unanswered_decision(**waited, account=account).escalate
    assert unanswered_decision(**waited, account=SMALL).escalate
