"""frustration: complaints, insults, angry tone, and the conversation signals."""

from __future__ import annotations

import pytest

from routing.decision import TriggerKind
from routing.models import AuthorKind
from tests.routing.triggers_helpers import run, stored


@pytest.mark.parametrize(
    "text",
    [
        "I want to file a complaint against your company",
        "how do I lodge a claim against your business",
        "You are useless",
        "worst customer service ever",
        "This is ridiculous, I have been waiting for 3 weeks and still no refund",
        "i AM BEYOND PISSED RIGHT NOW TRYING TO SIGN IN TO YOUR STUPID WEBSITE",
        "Not helping me. That's not what I asked",
        "I'm so fed up with this, I'm switching to another provider",
        "Why haven't you fixed it yet?? It keeps crashing every single time!!!",
        "this is unacceptable :rage:",
    ],
)
def test_frustrated_messages_escalate_as_upset(text: str) -> None:
    decision = run(text)
    assert "frustration" in decision.reasons, text
    assert decision.escalation_type == "upset_customer"
    hit = next(h for h in decision.hits if h.kind is TriggerKind.FRUSTRATION)
    assert any("sentiment" in e for e in hit.evidence)


@pytest.mark.parametrize(
    "text",
    [
        "thanks, that worked!",
        "How do I reset my password?",
        "I want a refund for order 123",
        "Can you tell me the luggage allowance? Thanks",
        "Is there a fee for top ups?",
        "not bad at all, works great",
        "He should file a civil rights complaint.",
    ],
)
def test_calm_messages_do_not_escalate(text: str) -> None:
    assert not run(text).escalate, text


def test_repeated_ask_without_reply_fires() -> None:
    history = [stored("How do I export my invoices?", minutes_ago=60), stored("hello?", minutes_ago=30)]
    decision = run("any update on this?", history=history)
    assert "frustration" in decision.reasons
    assert "asks again" in decision.hits[0].explanation


def test_same_question_again_fires() -> None:
    history = [
        stored("how do I export invoices from the billing page", minutes_ago=60),
        stored("Here is how: Billing > Export.", kind=AuthorKind.AI, minutes_ago=50),
    ]
    decision = run("how do I export invoices from the billing page", history=history)
    assert "frustration" in decision.reasons
    assert "repeats an earlier question" in decision.explain()


def test_follow_up_after_a_reply_is_a_fresh_question() -> None:
    history = [
        stored("where is my invoice"),
        stored("It's in Billing.", kind=AuthorKind.INTERNAL, minutes_ago=1),
    ]
    assert not run("any update on the plan change too?", history=history).escalate


def test_worsening_sentiment_fires_with_the_trend_as_evidence() -> None:
    history = [
        stored("Hi! Loving the product so far, great work", minutes_ago=40),
        stored("Thanks, that's helpful", minutes_ago=30),
        stored("Hmm, the export is a bit slow", minutes_ago=20),
    ]
    decision = run("This is bad. The export failed again and I lost my work", history=history)
    assert "frustration" in decision.reasons
    assert "worsening" in decision.explain()


def test_no_history_means_no_conversation_signal() -> None:
    assert not run("any update?").escalate


@pytest.mark.parametrize(
    "text",
    [
        "I was told my refund would be processed in 5 days but it still hasn't been refunded",
        "We were stranded at the airport for 9 hours and had to pay for a hotel ourselves, no apology",
        "I am paying for 60mb and only getting 20mb, this is not fair",
        "Third time I'm asking: nobody has contacted me about my claim and I waited 40 minutes on hold",
    ],
)
def test_complaint_narratives_escalate_with_their_words_as_evidence(text: str) -> None:
    decision = run(text)
    assert "frustration" in decision.reasons, text
    hit = next(h for h in decision.hits if h.kind is TriggerKind.FRUSTRATION)
    assert any(e.startswith('"') for e in hit.evidence)
    assert any(e.startswith("sentiment") for e in hit.evidence)


@pytest.mark.parametrize(
    "text",
    [
        "no need to talk to a person",
        "I don't want an agent",
        "thanks, that worked!",
        "That sounds terrible, man. Have you been to a doctor yet?",
        "Poor kitty! I'm sure she'll feel okay again soon.",
        "I lost my luggage",
    ],
)
def test_negations_politeness_and_off_domain_negativity_do_not_escalate(text: str) -> None:
    assert not run(text).escalate, text


def test_the_frustration_threshold_is_tunable() -> None:
    from routing.rules import parse_rules

    text = "We were stranded at the airport for 9 hours and had to pay for a hotel ourselves, no apology"
    assert run(text).escalate
    strict = parse_rules({"triggers": [{"id": "frustration", "threshold": 0.99}]}, source="t")
    assert "frustration" not in run(text, rules=strict).reasons
