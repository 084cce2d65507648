"""The triggers on what customers send: quotes, pasted logs and stray code fences, rhetorical negations, and
admins' phrases as people type them (plurals, curly apostrophes)."""

from __future__ import annotations

from routing.models import AuthorKind
from routing.rules import parse_rules
from tests.routing.triggers_helpers import run, stored

OFFER = "I can connect you with a human agent if you'd like."


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


def test_accepting_the_ais_offer_by_quoting_it_escalates() -> None:
    decision = run(f"&gt; {OFFER}\nYes please, do that.")
    assert decision.escalate and "explicit_request" in decision.reasons, decision.explain()


def test_accepting_the_quoted_offer_escalates_even_with_the_offer_in_history() -> None:
    history = [stored(OFFER, kind=AuthorKind.AI, minutes_ago=1)]
    decision = run(f"&gt; {OFFER}\nYes please, do that.", history=history)
    assert decision.escalate and "explicit_request" in decision.reasons, decision.explain()


# A negation before a sensitive term is not read as "the topic is not there": it can be rhetorical, or belong
# to a later noun.
def test_how_is_this_not_a_security_issue_is_a_security_incident() -> None:
    decision = run("How is this not a security issue? Anyone with the link can see our invoices")
    assert decision.escalate and "sensitive_topic" in decision.reasons, decision.explain()


def test_no_data_breach_notification_is_still_a_data_breach() -> None:
    decision = run("We got no data breach notification from you")
    assert decision.escalate and "sensitive_topic" in decision.reasons, decision.explain()


# A customer's own line may start with ">" (the ">:(" emoticon; Slack sends "&gt;:("): it is read.
def test_own_line_starting_with_angry_emoticon_is_not_a_quote() -> None:
    decision = run("Hi again\n&gt;:( this is still broken, I want to talk to a human now")
    assert decision.escalate and "explicit_request" in decision.reasons, decision.explain()


# In a message over 4,000 chars a lone ``` is text as in a short one: the tail's request is read.
FILLER = "Background: we use the nightly export to sync invoices to our ERP system each morning. " * 60


def test_request_before_a_stray_fence_at_the_end_of_a_long_message_is_kept() -> None:
    text = FILLER + "\nPlease, I need to talk to a human now. (Ignore the stray ``` above, my paste broke.)"
    assert len(text) > 4000
    decision = run(text)
    assert decision.escalate and "explicit_request" in decision.reasons, decision.explain()
