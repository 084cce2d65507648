"""Admin-supplied phrases, keywords and regexes, compiled once and run with a bound.

Phrases and keywords are escaped, so they are always safe. Regexes are checked when rules load (size, count,
no nested or overlapping repetition, no back-references) and run with the `regex` package's timeout on a
bounded slice of text, so a bad pattern can neither stall the process nor crash a decision.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import regex

from routing.triggers.text import as_analysed

MAX_PATTERN_LENGTH = 300
MAX_PATTERNS_PER_RULE = 50
MAX_PHRASES_PER_RULE = 500
MATCH_TIMEOUT_SECONDS = 0.02
MATCH_TEXT_LIMIT = 4000

# a group that repeats and contains a repetition: (a+)+, (\w*x)*, (a|aa){2,} - the classic catastrophic shapes
_NESTED_REPEAT = re.compile(r"\((?:[^()\\]|\\.)*(?:[+*]|\{\d+,?\d*\})(?:[^()\\]|\\.)*\)(?:[+*]|\{\d+,?\d*\})")
_ALTERNATION_REPEAT = re.compile(r"\((?:[^()\\]|\\.)*\|(?:[^()\\]|\\.)*\)(?:[+*]|\{\d+,\d*\})")
_BACKREFERENCE = re.compile(r"\\[1-9]|\(\?P=|\\g<|\\k<")


class UnsafePattern(ValueError):
    """A regex that is too large, cannot compile, or could backtrack catastrophically."""


def check_pattern(pattern: str) -> regex.Pattern[str]:
    """Compile an admin regex after the safety checks; raise UnsafePattern saying what is wrong."""
    if not isinstance(pattern, str) or not pattern:
        raise UnsafePattern("must be a non-empty string")
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise UnsafePattern(f"is {len(pattern)} characters long; the limit is {MAX_PATTERN_LENGTH}")
    if _BACKREFERENCE.search(pattern):
        raise UnsafePattern("uses a back-reference, which can make matching exponential")
    if _NESTED_REPEAT.search(pattern) or _ALTERNATION_REPEAT.search(pattern):
        raise UnsafePattern("repeats a group that itself repeats or alternates (like (a+)+); rewrite it flat")
    try:
        return regex.compile(pattern, regex.IGNORECASE | regex.V0)
    except regex.error as error:
        raise UnsafePattern(f"does not compile: {error}") from None


def _phrase_regex(phrase: str) -> str:
    words = as_analysed(phrase).split()
    return r"(?<![\w])" + r"\s+".join(re.escape(w) for w in words) + r"(?![\w])"


@dataclass(frozen=True, slots=True)
class TextMatcher:
    """An admin rule's phrases, keywords and regexes; `find` returns what matched, never raises."""

    phrases: re.Pattern[str] | None
    patterns: tuple[regex.Pattern[str], ...]

    @classmethod
    def build(
        cls, *, phrases: tuple[str, ...], keywords: tuple[str, ...], patterns: tuple[str, ...]
    ) -> TextMatcher:
        """Compile; patterns must have passed `check_pattern` (rules validation does this)."""
        literal = [_phrase_regex(p) for p in (*phrases, *keywords) if p.strip()]
        joined = re.compile("|".join(sorted(literal, key=len, reverse=True))) if literal else None
        return cls(phrases=joined, patterns=tuple(check_pattern(p) for p in patterns))

    @property
    def empty(self) -> bool:
        return self.phrases is None and not self.patterns

    def find(self, lower: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(matched words, notes): notes record patterns that hit the time bound."""
        if self.phrases is None and not self.patterns:
            return (), ()
        found: list[str] = []
        notes: list[str] = []
        if self.phrases is not None:
            found.extend(m.group(0) for m in self.phrases.finditer(lower))
        text = lower[:MATCH_TEXT_LIMIT]
        for pattern in self.patterns:
            try:
                match = pattern.search(text, timeout=MATCH_TIMEOUT_SECONDS)
            except TimeoutError:
                notes.append(f"pattern {pattern.pattern!r} timed out and was skipped")
                continue
            if match is not None:
                found.append(match.group(0)[:80])
        return tuple(dict.fromkeys(found)), tuple(notes)
