"""Lexicon sentiment in the manner of VADER: word valences, negation, boosters, "but", shouting and "!"."""

from __future__ import annotations

import math
from itertools import compress
from typing import NamedTuple

from routing.triggers.text import NEGATIVE_EMOJI, POSITIVE_EMOJI, Text
from routing.triggers.valence import VALENCE

_NEGATORS = frozenset(
    "not no never none nobody nothing neither nor cannot cant can't don't dont doesn't doesnt didn't didnt "
    "isn't isnt wasn't wasnt aren't arent won't wont wouldn't wouldnt shouldn't couldn't couldnt haven't "
    "havent hasn't hasnt hadn't without ain't aint".split()
)
_BOOSTERS = {
    "very": 0.3, "so": 0.25, "really": 0.3, "extremely": 0.4, "absolutely": 0.4, "totally": 0.3,
    "completely": 0.3, "utterly": 0.4, "incredibly": 0.4, "super": 0.25, "fucking": 0.5, "freaking": 0.4,
    "damn": 0.3, "bloody": 0.3, "too": 0.2, "most": 0.2, "beyond": 0.3, "terribly": 0.3, "seriously": 0.3,
    "slightly": -0.3, "somewhat": -0.3, "bit": -0.2, "little": -0.2, "kinda": -0.2, "barely": -0.3,
}  # fmt: skip
_NEUTRAL_IN_SUPPORT = frozenset(
    # words whose VADER valence misleads in support conversations: a "help" request is not positive,
    # "please"/"thank" are politeness we count separately, "no" answers are not negative
    "help helpful please thank thanks thx ok okay yes no sure want like well free pay care true "
    "kind matter save lol haha share interested support cancel charge charged block blocked".split()
)
_NEUTRAL_IN_SUPPORT = _NEUTRAL_IN_SUPPORT - {"helpful"}
_ALPHA = 15.0  # VADER's normaliser: compound = s / sqrt(s^2 + alpha)


class Sentiment(NamedTuple):
    """Tone of one message: compound in [-1, 1], the sums of negative and positive valence, and the words.

    Immutable; a named tuple because one is built for most messages, at a fifth of a dataclass's cost.
    """

    compound: float
    negative: float  # sum of negative valences (<= 0)
    positive: float  # sum of positive valences (>= 0)
    negative_words: tuple[str, ...]
    positive_words: tuple[str, ...]

    def describe(self) -> str:
        words = ", ".join(self.negative_words[:5])
        return f"sentiment {self.compound:+.2f}" + (f" (negative: {words})" if words else "")


_SCORED = {word: value for word, value in VALENCE.items() if word not in _NEUTRAL_IN_SUPPORT}
_NEUTRAL = Sentiment(compound=0.0, negative=0.0, positive=0.0, negative_words=(), positive_words=())


def score(text: Text) -> Sentiment:
    """Sentiment of a prepared message; deterministic and linear in its length."""
    tokens = text.tokens
    if _SCORED.keys().isdisjoint(tokens) and not text.emoji:
        return _NEUTRAL  # no word with a valence: every sum below stays 0
    neg_sum = pos_sum = 0.0
    neg_words: list[str] = []
    pos_words: list[str] = []
    but_at = -1
    if "but" in tokens or "however" in tokens:
        for i in range(len(tokens) - 1, -1, -1):  # the last one
            tok = tokens[i]
            if tok == "but" or tok == "however":
                but_at = i
                break
    scored = _SCORED
    boosters = _BOOSTERS
    # only the positions of words with a valence are visited (found in C)
    for i in compress(range(len(tokens)), map(scored.__contains__, tokens)):
        tok = tokens[i]
        value = scored[tok]
        for j in range(max(0, i - 2), i):
            boost = boosters.get(tokens[j])
            if boost is not None:
                value += math.copysign(boost, value)
        for w in tokens[max(0, i - 3) : i]:
            if w in _NEGATORS or w.endswith("n't"):
                value *= -0.74
                break
        if but_at >= 0:
            value *= 0.5 if i < but_at else 1.5
        if value < 0:
            neg_sum += value
            neg_words.append(tok)
        else:
            pos_sum += value
            pos_words.append(tok)
    for name in text.emoji:
        if name in NEGATIVE_EMOJI:
            neg_sum -= 1.5
            neg_words.append(f":{name}:")
        elif name in POSITIVE_EMOJI:
            pos_sum += 1.5
            pos_words.append(f":{name}:")
    total = neg_sum + pos_sum
    if total and text.caps_ratio > 0.3:
        total *= 1.2
    if total and text.exclaim_runs:
        total += math.copysign(min(text.exclaim_runs, 3) * 0.3, total)
    compound = total / math.sqrt(total * total + _ALPHA) if total else 0.0
    return _new_sentiment(
        Sentiment,
        (
            round(compound, 4),
            round(neg_sum, 3),
            round(pos_sum, 3),
            tuple(dict.fromkeys(neg_words)),
            tuple(dict.fromkeys(pos_words)),
        ),
    )


_new_sentiment = tuple.__new__
