"""The speed-ups must not change a decision: prefilters, the tone bound and prepare's shortcuts, checked
against the plain computations on text generated from the built-in patterns themselves."""

from __future__ import annotations

import html
import random
import re
import unicodedata
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

import pytest

import routing.triggers.engine  # noqa: F401, I001  (registers every built-in guard)
from routing.triggers import text as text_module
from routing.triggers.frustration import tone, tone_may_fire
from routing.triggers.prefilter import SCANNER, Guarded, guard, required_literals
from routing.triggers.sentiment import score
from routing.triggers.text import prepare


def _sample(items: Any, rnd: random.Random) -> str:
    """A random string shaped by a parsed regex (often a match, sometimes a near miss)."""
    out: list[str] = []
    for op, av in items:
        if op is sre.LITERAL:
            out.append(chr(av))
        elif op is sre.NOT_LITERAL:
            out.append(rnd.choice(" xa1."))
        elif op is sre.ANY:
            out.append(rnd.choice("abc 1x"))
        elif op is sre.IN:
            choices = []
            for o, a in av:
                if o is sre.LITERAL:
                    choices.append(chr(a))
                elif o is sre.RANGE:
                    choices.append(chr(rnd.randint(a[0], a[1])))
                elif o is sre.CATEGORY:
                    choices.append(rnd.choice("7 k"))
            out.append(rnd.choice(choices or ["z"]))
        elif op is sre.BRANCH:
            out.append(_sample(rnd.choice(av[1]), rnd))
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
            low, high, sub = av
            out.extend(_sample(sub, rnd) for _ in range(rnd.randint(low, min(high, low + 2))))
        elif op is sre.SUBPATTERN:
            out.append(_sample(av[-1], rnd))
        elif op in (sre.ASSERT, sre.ASSERT_NOT) and rnd.random() < 0.3:
            out.append(_sample(av[1], rnd))
    return "".join(out)


def _mutate(s: str, rnd: random.Random) -> str:
    r = rnd.random()
    if r < 0.2 and s:
        i = rnd.randrange(len(s))
        return s[:i] + s[i + 1 :]
    if r < 0.4 and s:
        i = rnd.randrange(len(s))
        return s[:i] + rnd.choice("ab '?.,!-") + s[i:]
    return s


def _corpus(n: int, seed: int) -> list[str]:
    rnd = random.Random(seed)
    parsed = [sre_parse.parse(g.pattern, g.regex.flags) for g in SCANNER.guards]
    words = sorted({w for g in SCANNER.guards for w in re.findall(r"[a-z']{2,}", g.pattern)})
    out = []
    for _ in range(n):
        parts = []
        for _ in range(rnd.choice([1, 2, 3, 6])):
            parts.append(_sample(rnd.choice(parsed), rnd) if rnd.random() < 0.6 else rnd.choice(words))
            parts.append(rnd.choice([" ", " ", ", ", ". ", "? ", "!! ", " but "]))
        out.append(_mutate("".join(parts).strip(), rnd))
    return out


CORPUS = _corpus(3000, seed=11)


def test_every_guard_gives_the_regex_results_on_generated_text() -> None:
    assert len(SCANNER.guards) > 30
    for text in CORPUS:
        for g in SCANNER.guards:
            assert g.findall(text) == g.regex.findall(text), (g.pattern[:60], text)
            if g.regex.search(text):
                assert any(lit in text for lit in g.literals), (g.pattern[:60], text)


@pytest.mark.parametrize(
    ("pattern", "literals"),
    [
        (r"\bfoo(?:bar|baz)\b", {"foobar", "foobaz"}),
        (r"\b(?:a|b)c+d", {"cd"}),  # the last c and the d are always together
        (r"x\s+(?:yes|no)", {"yes", "no"}),
        (r"\b(?:call|ring) me\b|\bphone\b", {"call me", "ring me", "phone"}),
        (r"(?:ab)?c?", None),
        (r"[a-z]+\d", None),
    ],
)
def test_required_literals(pattern: str, literals: set[str] | None) -> None:
    found = required_literals(re.compile(pattern))
    assert (set(found) if found is not None else None) == literals


def test_a_pattern_without_literals_cannot_be_guarded() -> None:
    with pytest.raises(ValueError):
        guard(re.compile(r"\w+"))
    assert isinstance(guard(re.compile(r"\bzebra crossing\b")), Guarded)


def test_scanner_sees_overlapping_and_nested_literals() -> None:
    g1 = guard(re.compile(r"\bno one\b"))
    g2 = guard(re.compile(r"\bone day\b"))
    g3 = guard(re.compile(r"\bno\b"))
    text = "there was no one day like it"
    assert g1.possible(text) and g2.possible(text) and g3.possible(text)
    assert not guard(re.compile(r"\bnever\b")).possible(text)


def test_tone_bound_never_hides_a_firing_tone() -> None:
    for raw in CORPUS:
        text = prepare(raw)
        sentiment = score(text)
        value = tone(text, sentiment)[0]
        for threshold in (0.3, 0.5, 0.7):
            if value >= threshold:
                assert tone_may_fire(text, sentiment, threshold), raw


def _prepare_reference(raw: str) -> tuple[Any, ...]:
    """prepare() without its shortcuts (every step always run), for comparison."""
    t = text_module
    text = raw
    if len(text) > t.MAX_ANALYSED_CHARS:
        half = t.MAX_ANALYSED_CHARS // 2
        text = text[:half] + "\n" + text[-half:]
    text = t._CODE_BLOCK.sub(" ", text.replace("\x00", " "))
    text = t._INLINE_CODE.sub(" ", text)
    text = unicodedata.normalize("NFKC", text).translate(t._APOSTROPHES)
    text = t._USER_MENTION.sub(" ", text)
    text = t._CHANNEL_MENTION.sub(lambda m: f" {m.group(1) or ''} ", text)
    text = t._SPECIAL_MENTION.sub(" ", text)
    text = t._LABELLED_LINK.sub(lambda m: f" {m.group(1)} ", text)
    text = t._BARE_LINK.sub(" ", text)
    emoji = tuple(m.group(1) for m in t._EMOJI.finditer(text))
    text = t._EMOJI.sub(" ", text)
    text = html.unescape(text)
    text = t._QUOTE_PREFIX.sub("", text)
    plain = re.sub(r"\s+", " ", text).strip()
    letters = len(re.findall(r"[A-Za-z]", plain))
    shouted = t._UPPER_WORD.findall(plain)
    caps = sum(len(w) for w in shouted) / letters if letters >= 12 else 0.0
    return plain, emoji, caps, len(shouted), len(t._EXCLAIM_RUN.findall(plain))


@pytest.mark.parametrize(
    "raw",
    [
        "Hello <@U123ABC> see <#C42|support> and <https://x.example|the docs> or https://y.io/z &amp; more",
        "```code``` and `inline` :rage: :+1::skin-tone-2: WHY IS THIS SO SLOW!!! ?!?",
        "> quoted\n>reply\tTabs  and\u00a0nbsp \u2019curly\u2019 ｆｕｌｌ width",
        "all lower case, no markup at all",
        "ÉCOLE CAFÉ DÉJÀ VU STRASSE ÜBER",
        "\x00null\x1fcontrol\u2028line &lt;tag&gt; &#39;",
        "",
        *CORPUS[:300],
    ],
)
def test_prepare_shortcuts_give_the_full_result(raw: str) -> None:
    text = prepare(raw)
    plain, emoji, caps, shouted, exclaims = _prepare_reference(raw)
    assert (text.plain, text.emoji, text.caps_ratio, text.shouted_words, text.exclaim_runs) == (
        plain,
        emoji,
        caps,
        shouted,
        exclaims,
    )
