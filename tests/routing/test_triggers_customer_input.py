"""The triggers on what customers send: quotes of the AI's answer, pasted logs and stray code fences, topics
said not to be there, and admins' phrases as people type them (plurals, curly apostrophes)."""

from __future__ import annotations

from routing.rules import parse_rules
from tests.routing.triggers_helpers import run


# Quoted lines (Slack sends a quote as "&gt; ...") are not the customer's own words when there are others.
def test_quoting_the_ais_offer_of_a_human_is_not_a_request_for_one() -> None:
    text = (
        "&gt; I can connect you with a human agent if you'd like.\n"
        "No thanks, it's working now! Appreciate it :slightly_smiling_face:"
    )
    decision = run(text)
    assert not decision.escalate, decision.explain()


def test_quoting_the_ais_instructions_is_not_a_request() -> None:
    text = "&gt; If you want to speak to a person, just reply here.\nThat solved it, thanks!"
    decision = run(text)
    assert not decision.escalate, decision.explain()


# A long message is analysed on its head and tail: a code block cut in two must not swallow the tail.
def test_request_after_a_long_pasted_log_is_not_lost() -> None:
    log = "\n".join(f"2025-03-03 12:00:{i % 60:02d} INFO worker-{i} processed job {i} ok" for i in range(80))
    context = "We restarted the workers twice and cleared the queue before this happened again. " * 30
    text = f"```\n{log}\n```\n{context}\nPlease, I need to talk to a human now."
    assert len(text) > 4000
    short = f"```\n{log[:400]}\n```\n{context[:300]}\nPlease, I need to talk to a human now."
    assert run(short).escalate  # the same message, shorter, escalates
    decision = run(text)
    assert decision.escalate and "explicit_request" in decision.reasons, decision.explain()


# Admin phrases are normalised as messages are (typo map: "refunds" -> "refund"; curly apostrophes).
def test_custom_keyword_in_the_plural_matches_the_word_the_customer_typed() -> None:
    rules = parse_rules(
        {"triggers": [{"id": "refund_watch", "kind": "custom", "keywords": ["refunds", "chargebacks"]}]},
        source="review",
    )
    decision = run("Where are my refunds? It has been two weeks.", rules=rules)
    assert decision.escalate and "custom" in decision.reasons, decision.explain()


def test_custom_phrase_claims_department_matches() -> None:
    rules = parse_rules(
        {"triggers": [{"id": "cs", "kind": "custom", "builtin": False, "phrases": ["claims department"]}]},
        source="review",
    )
    decision = run("Which address do I use for the claims department?", rules=rules)
    assert decision.escalate and "custom" in decision.reasons, decision.explain()


def test_custom_phrase_with_a_typographic_apostrophe_matches() -> None:
    rules = parse_rules(
        {"triggers": [{"id": "churn", "kind": "custom", "phrases": ["we won\u2019t renew"]}]},
        source="review",
    )
    for text in ("Heads up: we won\u2019t renew next year.", "Heads up: we won't renew next year."):
        decision = run(text, rules=rules)
        assert decision.escalate and "custom" in decision.reasons, (text, decision.explain())


def test_a_stray_fence_does_not_hide_the_rest_of_the_message() -> None:
    # Slack shows an unclosed ``` as text: the rest of the message is still read.
    decision = run("My paste broke (```) sorry. Anyway I need to talk to a human please.")
    assert decision.escalate and "explicit_request" in decision.reasons, decision.explain()


# A sensitive topic the customer says is not there.
def test_saying_it_is_not_a_security_issue_is_not_a_security_incident() -> None:
    decision = run("This isn't a security issue, just a question about 2FA setup.")
    assert not decision.escalate, decision.explain()


def test_no_outage_on_our_side_is_not_an_outage() -> None:
    decision = run("No outage on our side, just asking how to export a CSV.")
    assert not decision.escalate, decision.explain()
