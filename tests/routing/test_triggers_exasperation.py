"""Exasperation, the runaround, resolution and the one-family-per-phrase rule in the frustration tone.

Each positive is a way of speech rather than a sentence from the data (disbelief, rhetorical fairness
questions, sarcasm, giving up, not getting through, being passed around, told different things), and each
cue has near-negatives that must stay quiet: sincere thanks, a resolved problem, routine status questions.
"""

from __future__ import annotations

import pytest

from routing.decision import TriggerKind
from routing.triggers.frustration import features, tone, tone_may_fire
from routing.triggers.sentiment import score
from routing.triggers.text import prepare
from tests.routing.triggers_helpers import run


def _feature(text: str, name: str) -> float:
    prepared = prepare(text)
    return features(prepared, score(prepared))[name]


@pytest.mark.parametrize(
    ("text", "family"),
    [
        ("can't believe I paid for this", "exasperation"),
        ("how is it fair that I pay for fibre and get 3mb?", "exasperation"),
        ("Are you kidding me? Another price increase on my bill?", "exasperation"),
        ("so much for next day delivery, it's been four days", "exasperation"),
        ("I just want to know why my account was closed without any warning", "exasperation"),
        ("For goodness sake, just refund me the money", "exasperation"),
        ("Thanks for nothing. Problem still not fixed and nobody seems to care.", "exasperation"),
        ("I can't get through to anyone about my order, it just rings out", "runaround"),
        ("I keep getting passed from one department to another and nobody takes responsibility", "runaround"),
        ("I have called five times and every agent tells me something different", "runaround"),
        ("they keep sending me the same canned replies about my refund", "runaround"),
    ],
)
def test_exasperation_and_the_runaround_escalate_with_their_family_named(text: str, family: str) -> None:
    decision = run(text)
    assert "frustration" in decision.reasons, text
    hit = next(h for h in decision.hits if h.kind is TriggerKind.FRUSTRATION)
    assert any(e.startswith(f"{family}+") for e in hit.evidence), hit.evidence
    assert any(e.startswith('"') for e in hit.evidence)


@pytest.mark.parametrize(
    "text",
    [
        "I've been charged twice and no one will help",
        "never flying with you again, the crew were rude",
        "this is the worst experience I've ever had with a bank",
        "The technician didn't show up. I took a day off work for this and nobody called",
        "we have been without internet for 5 days and all we get is automated messages",
        "you people are hopeless",
        "Stop sending me the same useless troubleshooting steps",
        "They cancelled my flight with no notice and won't rebook me",
    ],
)
def test_other_new_cue_words_escalate(text: str) -> None:
    assert "frustration" in run(text).reasons, text


@pytest.mark.parametrize(
    "text",
    [
        "Thank you so much for your help today",
        "I can't believe how fast the delivery was, thanks!",
        "great, all sorted now, thanks a lot",
        "perfect, that's exactly what I needed",
        "No worries, I figured it out",
        "my card still hasn't arrived, when should I expect it?",
        "I'm still waiting for my new card, is there a tracking number?",
        "My card still hasn't been delivered",
        "how do I get through to the billing team?",
        "is it possible to pay for two seats with one card?",
        "any advice on changing my booking online? thanks",
        "just want to check my order went through",
    ],
)
def test_sincere_thanks_and_routine_questions_stay_quiet(text: str) -> None:
    assert not run(text).escalate, text


def test_a_phrase_counts_for_one_family_only() -> None:
    # "still hasn't arrived" is persistence; "hasn't arrived" is not counted again as a broken promise
    assert _feature("my parcel still hasn't arrived", "persistence") == 1.0
    assert _feature("my parcel still hasn't arrived", "broken_promise") == 0.0
    assert _feature("my parcel hasn't arrived", "broken_promise") == 1.0


@pytest.mark.parametrize(
    ("text", "polite", "resolved"),
    [
        ("thanks, that worked!", 1.0, 1.0),
        ("Great, thanks", 1.0, 1.0),
        ("can anyone help? any advice welcome", 0.0, 0.0),  # asking the crowd is not courtesy to us
        ("I'll leave a review if this isn't sorted today", 0.0, 0.0),  # a negated resolution
        ("why haven't you fixed it yet", 0.0, 0.0),
        ("thanks for nothing", 0.0, 0.0),
        ("thanks for the great 4 hour delay", 1.0, 0.0),  # "great" inside a phrase is not a reply
    ],
)
def test_politeness_and_resolution_are_counted_apart(text: str, polite: float, resolved: float) -> None:
    assert (_feature(text, "polite"), _feature(text, "resolved")) == (polite, resolved)


@pytest.mark.parametrize(
    "text",
    [
        "Thanks for nothing. Problem still not fixed.",
        "my card still hasn't arrived, I was told it would take 3 days, that was two weeks ago!!",
        "I keep getting passed around and nobody knows anything, so much for customer service",
        "great, all sorted now, thanks",
    ],
)
def test_the_tone_bound_stays_an_upper_bound(text: str) -> None:
    prepared = prepare(text)
    sentiment = score(prepared)
    for threshold in (0.3, 0.5, 0.7):
        if tone(prepared, sentiment)[0] >= threshold:
            assert tone_may_fire(prepared, sentiment, threshold), (text, threshold)
