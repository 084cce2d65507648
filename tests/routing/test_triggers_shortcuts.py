"""The speed shortcuts of prepare, sentiment and the tone bound give the results of their plain forms.

Each reference below is the code as it was before the shortcut (every regex pass run, every token
visited), compared field by field on generated text: Slack markup, unicode, emoji codes, code blocks,
typos of the key words, digits, apostrophes, shouting and "!!" runs.
"""

from __future__ import annotations

import html
import math
import random
import re
import unicodedata
from typing import Any

import pytest

import routing.triggers.engine  # noqa: F401  (registers every built-in guard)
from routing.triggers import frustration, sentiment
from routing.triggers import text as t
from routing.triggers.prefilter import SCANNER
from routing.triggers.typos import TYPO_TARGETS, typo_map

_PIECES = [
    "I want to talk to a person", "this is RIDICULOUS!!!", "why is my bill so high?!?", "thanks :)",
    "don't", "I'm", "can't log in", "won't", "you're useless", "it's 3am", "abc123defg", "x'abcd'efgh",
    "500 errors", "3 weeks", "99%", "e-mail", "wi-fi", "O'Neil", "rock'n'roll", "'quoted'", "''", "'s",
    "but", "however", "not bad", "very good", "so frustrated", "never again", "NOT HAPPY AT ALL",
    "OK", "ASAP", "WHY", "A B C", "Hello", "hello", "HeLLo", "FAQ's", "CAN'T", "I_AM_HERE", "x__y",
    "<@U12345>", "<@W9|bob>", "<#C42|support>", "<#C42>", "<!here>", "<!subteam^S1|team>",
    "<https://x.io/a|the link>", "<mailto:a@b.c>", "https://example.com/x?y=1", "<tel:123|call us>",
    ":rage:", ":+1:", ":thumbsup::skin-tone-2:", ":not an emoji:", "12:30", "a:b:c", ":-1:",
    "```code block with agent inside```", "`inline agent`", "``` unterminated", "> quoted line",
    "&amp;", "&lt;b&gt;", "&#39;", "&nbsp;", "café", "naïve", "“quotes”", "’curly’", "ＦＵＬＬ", "Straße",
    "ÉCOLE FERMÉE", "日本語", "emoji 😡", "\u00a0nbsp", "\t\ttabs", "\n\nlines", "\x00", "\u2028",
    "İstanbul", "ǅ", "ﬁle a complaint", "K\u0301", "ß", "²", "١٢٣",
]  # fmt: skip
_SEPARATORS = [" ", " ", "  ", ", ", ". ", "! ", "? ", "!! ", "?!? ", "\n", "\t", "'", "", "-", "_"]


def _typo(rnd: random.Random) -> str:
    word = rnd.choice(TYPO_TARGETS)
    i = rnd.randrange(len(word))
    op = rnd.random()
    if op < 0.33:
        word = word[:i] + word[i + 1 :]
    elif op < 0.66:
        word = word[:i] + rnd.choice("aeioursty") + word[i + 1 :]
    else:
        word = word[:i] + rnd.choice("aeioursty") + word[i:]
    return word.upper() if rnd.random() < 0.2 else word


def _generated(n: int, seed: int) -> list[str]:
    rnd = random.Random(seed)
    keys = sorted(typo_map())
    out = []
    for _ in range(n):
        parts = []
        for _ in range(rnd.randint(1, 8)):
            roll = rnd.random()
            if roll < 0.15:
                parts.append(_typo(rnd))
            elif roll < 0.22:
                parts.append(rnd.choice(keys) + rnd.choice(["", "'s", "1", "'", "ing"]))
            elif roll < 0.3:
                parts.append(rnd.choice(TYPO_TARGETS))
            else:
                parts.append(rnd.choice(_PIECES))
            parts.append(rnd.choice(_SEPARATORS))
        text = "".join(parts)
        if rnd.random() < 0.1:
            text = text.upper()
        out.append(text)
    return out


CORPUS = _generated(4000, seed=7)


def _prepare_before(text: object) -> t.Text:
    """prepare() before the single-pass tokeniser, the typo pre-check and the caps pre-check."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    raw_length = len(text)
    if raw_length > t.MAX_ANALYSED_CHARS:
        text = t._head_and_tail(text, t.MAX_ANALYSED_CHARS // 2)
    if "\x00" in text:
        text = text.replace("\x00", " ")
    if "`" in text:
        text = t._CODE_BLOCK.sub(" ", text).replace("```", " ")
        text = t._INLINE_CODE.sub(" ", text)
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).translate(t._APOSTROPHES)
    if "<" in text:
        text = t._USER_MENTION.sub(" ", text)
        text = t._CHANNEL_MENTION.sub(lambda m: f" {m.group(1) or ''} ", text)
        text = t._SPECIAL_MENTION.sub(" ", text)
        text = t._LABELLED_LINK.sub(lambda m: f" {m.group(1)} ", text)
    if "<" in text or "http" in text:
        text = t._BARE_LINK.sub(" ", text)
    emoji: tuple[str, ...] = ()
    if ":" in text:
        emoji = tuple(m.group(1) for m in t._EMOJI.finditer(text))
        text = t._EMOJI.sub(" ", text)
    text = html.unescape(text)
    if ">" in text:
        text = t._QUOTE_PREFIX.sub("", text)
    plain = " ".join(text.split())
    folded = plain.lower()
    lower, corrected = _correct_before(folded)
    if folded == plain:
        shouted_letters = shouted_count = letters = 0
    else:
        letters = len(plain.encode("utf-8", "surrogatepass").translate(None, t._NOT_ASCII_LETTER))
        shouted = t._UPPER_WORD.findall(plain)
        shouted_letters = sum(len(w) for w in shouted)
        shouted_count = len(shouted)
    exclaim = "!!" in plain or "??" in plain or "!?" in plain or "?!" in plain
    return t.Text(
        raw_length=raw_length,
        plain=plain,
        lower=lower,
        tokens=tuple(t._WORD.findall(lower)),
        emoji=emoji,
        caps_ratio=shouted_letters / letters if letters >= 12 else 0.0,
        shouted_words=shouted_count,
        exclaim_runs=len(t._EXCLAIM_RUN.findall(plain)) if exclaim else 0,
        corrected=corrected,
    )


def _correct_before(lower: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    mapping = typo_map()
    if mapping.keys().isdisjoint(t._ALPHA_WORD.findall(lower)):
        return lower, ()
    fixed: list[tuple[str, str]] = []

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        meant = mapping.get(word)
        if meant is None:
            return word
        fixed.append((word, meant))
        return meant

    return t._ALPHA_WORD.sub(fix, lower), tuple(fixed)


def _fields(text: t.Text) -> tuple[Any, ...]:
    return tuple((name, getattr(text, name), type(getattr(text, name))) for name in t.Text._fields)


@pytest.mark.parametrize(
    "raw",
    [
        None, 42, "", " ", "\x00", "'", "''abc", "abc'", "a'b'c", "somrbody's", "agaisnt1", "1somrbody",
        "x" * 5000, ("SOMRBODY HELP!!! " * 400), "Talk To A Persn", "NO NO NO", "AB CDE", "ABC",
        "I'M SO DONE WITH THIS", "ﬁle a complaint", "Ä Ö Ü SHOUTING ÉÉÉ",
    ],
)  # fmt: skip
def test_prepare_edge_cases_match_the_plain_form(raw: object) -> None:
    assert _fields(t.prepare(raw)) == _fields(_prepare_before(raw))


def test_prepare_matches_the_plain_form_on_generated_text() -> None:
    corrected = shouted = 0
    for raw in CORPUS:
        new, old = t.prepare(raw), _prepare_before(raw)
        assert _fields(new) == _fields(old), raw
        corrected += bool(old.corrected)
        shouted += bool(old.shouted_words)
    assert corrected > 300 and shouted > 300  # the corpus exercises the typo map and the caps count


def test_ascii_tokeniser_matches_the_word_regex() -> None:
    rnd = random.Random(3)
    alphabet = 'abcxyz0189 .,!?-_:;/\\\t\n\x1c\x1f\x7f@#<>()[]{}"`~^'
    for _ in range(3000):
        s = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 40)))
        assert s.translate(t._NOT_TOKEN).split() == t._WORD.findall(s), s


def test_typo_precheck_agrees_with_the_runs() -> None:
    for raw in CORPUS:
        folded = " ".join(raw.split()).lower()
        tokens = t._WORD.findall(folded)
        expected = not typo_map().keys().isdisjoint(t._ALPHA_WORD.findall(folded))
        assert t._may_have_typo(folded, tokens) == expected, raw


def _score_before(text: t.Text) -> tuple[Any, ...]:
    """sentiment.score before the shortcuts: every token visited."""
    tokens = text.tokens
    scored = sentiment._SCORED
    if scored.keys().isdisjoint(tokens) and not text.emoji:
        return (0.0, 0.0, 0.0, (), ())
    neg_sum = pos_sum = 0.0
    neg_words: list[str] = []
    pos_words: list[str] = []
    but_at = -1
    for i, tok in enumerate(tokens):
        if tok == "but" or tok == "however":
            but_at = i
    for i, tok in enumerate(tokens):
        base = scored.get(tok)
        if base is None:
            continue
        value = base
        for j in range(max(0, i - 2), i):
            boost = sentiment._BOOSTERS.get(tokens[j])
            if boost is not None:
                value += math.copysign(boost, value)
        window = tokens[max(0, i - 3) : i]
        if any(w in sentiment._NEGATORS or w.endswith("n't") for w in window):
            value *= -0.74
        if but_at >= 0:
            value *= 0.5 if i < but_at else 1.5
        if value < 0:
            neg_sum += value
            neg_words.append(tok)
        else:
            pos_sum += value
            pos_words.append(tok)
    for name in text.emoji:
        if name in t.NEGATIVE_EMOJI:
            neg_sum -= 1.5
            neg_words.append(f":{name}:")
        elif name in t.POSITIVE_EMOJI:
            pos_sum += 1.5
            pos_words.append(f":{name}:")
    total = neg_sum + pos_sum
    if total and text.caps_ratio > 0.3:
        total *= 1.2
    if total and text.exclaim_runs:
        total += math.copysign(min(text.exclaim_runs, 3) * 0.3, total)
    compound = total / math.sqrt(total * total + sentiment._ALPHA) if total else 0.0
    return (
        round(compound, 4),
        round(neg_sum, 3),
        round(pos_sum, 3),
        tuple(dict.fromkeys(neg_words)),
        tuple(dict.fromkeys(pos_words)),
    )


def _sentiment_corpus() -> list[str]:
    rnd = random.Random(5)
    words = sorted(sentiment._SCORED)[::7] + sorted(sentiment._BOOSTERS) + sorted(sentiment._NEGATORS)
    words += ["but", "however", "don't", "isn't", "wasn't", ":rage:", ":+1:", "!!", "TERRIBLE", "GREAT"]
    return [" ".join(rnd.choice(words) for _ in range(rnd.randint(1, 14))) for _ in range(3000)] + CORPUS


def test_sentiment_matches_the_plain_form() -> None:
    for raw in _sentiment_corpus():
        text = t.prepare(raw)
        assert tuple(sentiment.score(text)) == _score_before(text), raw


def test_tone_bound_stages_never_hide_a_firing_tone_and_reuse_gives_the_same_features() -> None:
    checked = 0
    for raw in _sentiment_corpus():
        text = t.prepare(raw)
        mood = sentiment.score(text)
        bits = SCANNER.mask(text.lower)
        frustration._LAST_FOUND = (None, {})  # no reuse: every family searched
        fresh = frustration.analyse(text, mood, bits)
        value = frustration.tone(text, mood, bits)[0]
        for threshold in (0.2, 0.5, 0.8):
            may_fire = frustration.tone_may_fire(text, mood, threshold, bits)
            if value >= threshold:
                assert may_fire, raw
            # the families counted by the bound are reused by analyse: same features, same words
            assert frustration.analyse(text, mood, bits) == fresh, raw
            checked += 1
    assert checked
