"""The engine's shortcuts must not change a decision: the fast no-escalation check in `decide`, the
precomputed prefilter bits passed down to the detectors, and the looser first tone bound, each checked
against the plain computation (every detector run, every guard asked, the exact bound) on generated text."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime

import pytest

from routing.models import Account, AIAssessment, AuthorKind, MessageFacts, StoredMessage
from routing.rules import default_rules, parse_rules
from routing.triggers import engine
from routing.triggers.frustration import (
    _CUE_FAMILIES,
    _POLITE_MAX,
    _UNKNOWN_MAX,
    features,
    tone,
    tone_may_fire,
)
from routing.triggers.sentiment import score
from routing.triggers.text import prepare
from routing.triggers.tone_weights import NO_FRAME_FACTOR, OPERATING_POINTS, STEEPNESS, WEIGHTS
from tests.routing.test_triggers_prefilter import CORPUS

NOW = datetime(2025, 1, 1, tzinfo=UTC)
PHRASES = [
    "Can someone from your team call me?",
    "I already tried that twice. This is really frustrating, we can't close the month!",
    "This is the third time I'm asking and nobody has actually looked at it!!",
    "thanks, that worked!",
    "How do I reset my password?",
    "",
    "   ",
    ":rage:",
    "our api is down",
    "we want 40 more seats for the team",
    "I want to cancel our subscription",
    "talk to my CSM please",
    "subpoena received",
]
RULESETS = [
    default_rules(),
    parse_rules({"triggers": [{"id": "explicit_request", "phrases": ["talk to my CSM"]}]}, source="t"),
    parse_rules({"triggers": [{"id": "frustration", "threshold": 0.3}]}, source="t"),
    parse_rules({"triggers": [{"id": "frustration", "builtin": False}]}, source="t"),
    parse_rules({"triggers": [{"id": "explicit_request", "enabled": False}]}, source="t"),
    parse_rules({"triggers": [{"id": "x", "kind": "custom", "keywords": ["subpoena"]}]}, source="t"),
    parse_rules(
        {
            "extends": "none",
            "escalation_types": [{"name": "check", "urgency": "low", "approach": "look"}],
            "triggers": [{"id": "lc", "kind": "low_confidence", "escalation_type": "check"}],
        },
        source="t",
    ),
]


def _facts(text: str, confidence: float | None) -> MessageFacts:
    assessment = AIAssessment(confidence=confidence) if confidence is not None else None
    return MessageFacts("C", "2", "1", "U", "T", AuthorKind.CUSTOMER, text, NOW, assessment=assessment)


@pytest.mark.parametrize("ruleset", range(len(RULESETS)))
def test_fast_check_gives_the_full_decision(ruleset: int) -> None:
    rules = RULESETS[ruleset]
    rnd = random.Random(ruleset)
    for text in [*PHRASES, *CORPUS[:800]]:
        history = []
        if rnd.random() < 0.2:
            history = [StoredMessage("C", "1", "1", "U", "T", AuthorKind.CUSTOMER, rnd.choice(PHRASES), NOW)]
        confidence = rnd.choice([None, None, 0.2, 0.9])
        account = rnd.choice([None, Account(name="Acme", tier="enterprise")])
        facts = _facts(text, confidence)
        got = engine.decide(facts, history=history, rules=rules, account=account, now=NOW)
        assert got == engine.decide_in_full(facts, history=history, rules=rules, account=account, now=NOW), (
            text
        )


def _exact_bound(raw: str, threshold: float) -> bool:
    """The tone bound as first written: every positive cue family's matches counted with its regex."""
    text = prepare(raw)
    sentiment = score(text)
    lower = text.lower
    cue_points = sum(w * min(3, len(p.regex.findall(lower))) for _, p, w in _CUE_FAMILIES if w > 0)
    known = cue_points + (
        WEIGHTS.get("negative_valence", 0.0) * max(-8.0, sentiment.negative)
        + WEIGHTS.get("positive_valence", 0.0) * min(8.0, sentiment.positive)
        + WEIGHTS.get("negative_compound", 0.0) * min(0.0, sentiment.compound)
        + WEIGHTS.get("shouting", 0.0) * (text.caps_ratio if text.shouted_words >= 2 else 0.0)
        + WEIGHTS.get("exclamations", 0.0) * float(min(3, text.exclaim_runs))
        + WEIGHTS.get("length", 0.0) * (min(len(text.tokens), 120) / 40)
        + WEIGHTS.get("questions", 0.0) * float(min(3, lower.count("?")))
    )
    z = max(-30.0, min(30.0, STEEPNESS * (known + _UNKNOWN_MAX + _POLITE_MAX + 1e-6 - OPERATING_POINTS)))
    return 1.0 / (1.0 + math.exp(-z)) >= threshold


def _frame_bound(raw: str, threshold: float) -> bool:
    """The last stage of the bound: every feature but the service frame exact, the frame either way."""
    text = prepare(raw)
    feats = features(text, score(text))
    known = sum(WEIGHTS.get(name, 0.0) * value for name, value in feats.items() if name != "service_frame")
    best = max(known + WEIGHTS.get("service_frame", 0.0), known * NO_FRAME_FACTOR if known > 0 else known)
    z = max(-30.0, min(30.0, STEEPNESS * (best + 1e-6 - OPERATING_POINTS)))
    return 1.0 / (1.0 + math.exp(-z)) >= threshold


def test_loose_tone_bound_answers_like_the_exact_one() -> None:
    for raw in [*PHRASES, *CORPUS[:1500]]:
        text = prepare(raw)
        sentiment = score(text)
        for threshold in (0.3, 0.5, 0.7):
            expected = _exact_bound(raw, threshold) and _frame_bound(raw, threshold)
            assert tone_may_fire(text, sentiment, threshold) == expected, raw
            if tone(text, sentiment)[0] >= threshold:
                assert tone_may_fire(text, sentiment, threshold), raw
