"""explicit_request: asking for a person fires; negation, politeness and look-alikes don't."""

from __future__ import annotations

import pytest

from routing.decision import TriggerKind
from tests.routing.triggers_helpers import run


@pytest.mark.parametrize(
    "text",
    [
        "Can I talk to a human please?",
        "I need to speak with a live agent",
        "let me talk to a real person",
        "Pass me to a human please",
        "transfer me to your manager",
        "agent",
        "Representative!",
        "how do I contact someone on your team?",
        "Could someone call me back today?",
        "what is your support phone number",
        "can we schedule a call with our CSM",
        "I have to chat with somrbody",  # a typo
        "you are not helpful, I want to speak to a human agent",
        "I really want to stop talking to bots, get me to someone else!",
        "I don't want to talk to you!",
        "is anyone there who can help?",
        "please escalate this",
        "i don't know how to talk to a person",  # "don't know" is not a negation
        "<@U0BATON> can I get a person on this? :pray:",
    ],
)
def test_requests_for_a_person_escalate(text: str) -> None:
    decision = run(text)
    assert decision.escalate, text
    assert "explicit_request" in decision.reasons
    hit = next(h for h in decision.hits if h.kind is TriggerKind.EXPLICIT_REQUEST)
    assert hit.evidence and hit.explanation
    assert 0 < hit.score <= 1


@pytest.mark.parametrize(
    "text",
    [
        "no need to talk to a person",
        "I don't want an agent",
        "I do not need to speak with anyone, thanks",
        "thanks, that worked!",
        "never mind, no human needed, the bot answered it",
        "The delivery agent left the parcel at the door",
        "Can someone in the US open an account?",
        "I need to change my phone number",
        "what do you call me",
        "I spoke to your agent yesterday and it's sorted",
        "How do I order a card?",
    ],
)
def test_negated_polite_and_look_alike_messages_do_not_ask_for_a_person(text: str) -> None:
    assert "explicit_request" not in run(text).reasons, text


def test_negation_applies_only_to_its_own_clause() -> None:
    decision = run("I don't want a bot, let me talk to a person")
    assert "explicit_request" in decision.reasons


@pytest.mark.parametrize(
    "text",
    [
        "no one is answering so please connect me to an agent",
        "without delay please connect me to an agent",
        "I don't want to wait any longer so let me talk to a person",
        "I never want to deal with this again so let me talk to a real person",
        "nobody replies and I need to speak to a human",
        "no one is answering and I need to talk to a person",
        "I don't want to wait any longer and need to speak to someone",
        "no one from your team replied and I need to talk to a human",
        "I waited 3 days without any reply and I need to talk to a person",
        "I don't want to repeat myself again and I want to talk to a manager",
        "I don't need the docs please get me a human",
        "don't transfer me to another bot. Connect me to a person",
        "don't connect me to the bot, I want a human",
        "Please don't transfer me to another bot - I need a human",
        "don't transfer me to another bot I want a human",
        "stop, don't transfer me to another bot and get me a human",
        "Dont forward me to your help center I want an agent",
        "please stop forwarding me to the FAQ I want to speak to a human",
    ],
)
def test_a_negator_in_an_earlier_clause_does_not_cancel_a_request(text: str) -> None:
    assert "explicit_request" in run(text).reasons, text


@pytest.mark.parametrize(
    "text",
    [
        "no need to talk to someone so please just answer",
        "I don't need an agent and I can fix it myself",
        "Is there a way to do this without calling support and talking to an agent?",
        "I don't want to wait on hold and speak to an agent",
        "I'd rather not pick up the phone and talk to someone",
        "never mind, no need to get on a call and talk to a person",
        "there is no need to call and escalate this",
        "no need for you to please connect me to an agent",
        "no one needs to call me back",
        "please don't connect me to an agent",
        "do not transfer me to a human, the bot is fine",
        "don't escalate this to a manager",
        "please do not put me through to a person yet",
        "please don't transfer me to a live agent",
        "Do not transfer me to your human agents",
        "please do not connect me to a real person",
        "don't put me through to a real human",
    ],
)
def test_a_negator_in_the_request_s_own_clause_still_cancels_it(text: str) -> None:
    assert "explicit_request" not in run(text).reasons, text
