"""Literal prefilters for the built-in regexes: skip a pattern when none of its required words is in the text.

Most messages match none of the built-in patterns, and running them all dominates a decision's cost. For
each pattern, `required_literals` derives from its parse tree a set of strings such that every match
contains at least one of them (a necessary condition, in the manner of RE2's prefilter); `Guarded` checks
that cheap condition (plain substring tests) before running the regex. The derivation is conservative:
anything it cannot reason about (classes, wildcards, unbounded repeats, back-references) is "no
constraint", and a pattern without a usable literal set is always run. Results are identical by
construction; tests/routing/test_triggers_prefilter.py also checks it on generated text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

_MAX_EXACT = 64  # largest finite set of strings tracked for a node before it becomes a disjunction
_MAX_CLASS = 8  # largest character class expanded into literal characters

# A node's info: (exact, required). `exact` is every string the node can match (None: too many or
# unbounded); `required` is a set of literals one of which every match contains (None: no constraint).
_Info = tuple[frozenset[str] | None, frozenset[str] | None]
_EMPTY: _Info = (frozenset({""}), None)
_UNKNOWN: _Info = (None, None)


def _required_of_exact(exact: frozenset[str]) -> frozenset[str] | None:
    return None if "" in exact or not exact else exact


def _better(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    """The more selective of two necessary literal sets (both are valid; pick the cheaper, rarer one)."""
    if a is None:
        return b
    if b is None:
        return a

    def cost(s: frozenset[str]) -> tuple[int, int]:
        return (-min(len(x) for x in s), len(s))

    return a if cost(a) <= cost(b) else b


_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)


def _class_chars(items: list[tuple[Any, Any]]) -> frozenset[str] | None:
    chars: set[str] = set()
    for op, av in items:
        if op is sre.LITERAL:
            chars.add(chr(av))
        elif op is sre.RANGE and av[1] - av[0] < _MAX_CLASS:
            chars.update(chr(c) for c in range(av[0], av[1] + 1))
        else:  # NEGATE, CATEGORY, big ranges
            return None
    return frozenset(chars) if 0 < len(chars) <= _MAX_CLASS else None


def _sequence(items: Any) -> _Info:
    exact: frozenset[str] | None = frozenset({""})  # the strings of the current run of finite items
    complete = True  # the current run is the whole sequence so far
    best: frozenset[str] | None = None
    for op, av in items:
        if op in _REPEATS and av[0] >= 1 and av[1] > 1:
            # x{2,}: the first repetition continues the run, the last one starts the next
            sub_exact, sub_required = _sequence(av[2])
            if sub_exact is not None and exact is not None and len(exact) * len(sub_exact) <= _MAX_EXACT:
                best = _better(best, _required_of_exact(frozenset(a + b for a in exact for b in sub_exact)))
                best = _better(best, sub_required)
                exact, complete = sub_exact, False
                continue
        item_exact, item_required = _node(op, av)
        if exact is not None and item_exact is not None and len(exact) * len(item_exact) <= _MAX_EXACT:
            exact = frozenset(a + b for a in exact for b in item_exact)
            continue
        # the run so far ends here: it is a necessary set on its own, and so is this item's
        complete = False
        if exact is not None:
            best = _better(best, _required_of_exact(exact))
        if item_exact is not None:
            exact = item_exact  # start a new run with this item
        else:
            best = _better(best, item_required)
            exact = frozenset({""})
    if complete and exact is not None:
        return exact, _required_of_exact(exact)
    if exact is not None:
        best = _better(best, _required_of_exact(exact))
    return None, best


def _node(op: Any, av: Any) -> _Info:
    if op is sre.LITERAL:
        return frozenset({chr(av)}), frozenset({chr(av)})
    if op is sre.IN:
        chars = _class_chars(av)
        return (chars, chars) if chars is not None else _UNKNOWN
    if op is sre.SUBPATTERN:
        return _sequence(av[-1])
    if op is sre.BRANCH:
        infos = [_sequence(alt) for alt in av[1]]
        exacts = [e for e, _ in infos]
        exact = None
        if all(e is not None for e in exacts):
            union = frozenset().union(*(e for e in exacts if e is not None))
            exact = union if len(union) <= _MAX_EXACT else None
        required: frozenset[str] | None = frozenset()
        for e, r in infos:
            r = r if r is not None else (None if e is None else _required_of_exact(e))
            if r is None:
                required = None
                break
            required = required | r if required is not None else None
        if exact is not None:
            return exact, _required_of_exact(exact)
        return None, required
    if op in _REPEATS:
        low, high, sub = av
        sub_exact, sub_required = _sequence(sub)
        if low == 0:
            if high == 1 and sub_exact is not None:
                return sub_exact | {""}, None
            return _UNKNOWN
        if low == high == 1:
            return sub_exact, sub_required
        if sub_required is None and sub_exact is not None:
            sub_required = _required_of_exact(sub_exact)
        return None, sub_required  # at least one repetition: its requirement holds
    if op in (sre.AT, sre.ASSERT, sre.ASSERT_NOT):
        return _EMPTY  # zero width: no characters of the match
    return _UNKNOWN  # ANY, NOT_LITERAL, CATEGORY, GROUPREF, ATOMIC_GROUP, ...


def _minimal(literals: frozenset[str]) -> frozenset[str]:
    """Drop literals that contain another one of the set (the shorter is found whenever the longer is)."""
    ordered = sorted(literals, key=len)
    kept: list[str] = []
    for lit in ordered:
        if not any(k in lit for k in kept):
            kept.append(lit)
    return frozenset(kept)


def required_literals(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Strings one of which every match of `pattern` contains, or None when no such set was found.

    Only for case-sensitive patterns (the built-ins run on lower-cased text without IGNORECASE).
    """
    if pattern.flags & (re.IGNORECASE | re.VERBOSE):
        return None
    exact, required = _sequence(sre_parse.parse(pattern.pattern, pattern.flags))
    if required is None and exact is not None:
        required = _required_of_exact(exact)
    if not required or "" in required:
        return None
    return _minimal(required)


def _trie_regex(words: list[str]) -> str:
    """An alternation of the words as a character trie: matching costs the length of a word, not the count."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        alts = [re.escape(ch) + build(sub) for ch, sub in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if "" in node else body  # greedy: the longest word at a position

    return build(trie)


def _or(bits: Iterator[int]) -> int:
    out = 0
    for b in bits:
        out |= b
    return out


class _Scanner:
    """All guarded patterns' literals, found in one pass: a bit mask of the patterns that may match."""

    _CACHE_SIZE = 8

    def __init__(self) -> None:
        self.guards: list[Guarded] = []
        self._regex: re.Pattern[str] | None = None
        self._masks: dict[str, int] = {}
        self._cache: dict[str, int] = {}
        self._last: str | None = None  # the text of the last call and its bits, checked first
        self._last_bits = 0

    def add(self, guard: Guarded) -> int:
        self.guards.append(guard)
        self._regex = None
        self._cache = {}
        self._last = None
        return 1 << (len(self.guards) - 1)

    def _build(self) -> re.Pattern[str]:
        words = sorted({w for g in self.guards for w in g.literals})
        # the scan reports the longest literal at each position; the shorter literals it starts with are
        # there too, so a found word stands for every guard owning one of its prefixes
        owners: dict[str, int] = {}
        for g in self.guards:
            for lit in g.literals:
                owners[lit] = owners.get(lit, 0) | g.bit
        self._masks = {
            word: _or(owners.get(word[:end], 0) for end in range(1, len(word) + 1)) for word in words
        }
        self._regex = re.compile("(?=(" + _trie_regex(words) + "))")
        return self._regex

    def mask(self, text: str) -> int:
        """Bits of the guarded patterns that may match `text` (a literal of theirs occurs in it)."""
        if text is self._last:
            return self._last_bits
        cached = self._cache.get(text)
        if cached is not None:
            self._last, self._last_bits = text, cached
            return cached
        regex = self._regex or self._build()
        masks = self._masks
        bits = 0
        for word in set(regex.findall(text)):
            bits |= masks[word]
        if len(self._cache) >= self._CACHE_SIZE:
            self._cache.clear()
        self._cache[text] = bits
        self._last, self._last_bits = text, bits
        return bits


SCANNER = _Scanner()


class Guarded:
    """A compiled regex behind its literal prefilter: same `search`, `findall`, `finditer` results.

    Only for patterns with a literal set (ValueError otherwise). The literals of every guard are searched
    together, once per text (SCANNER), so the prefilters of all the built-in patterns cost one regex pass.
    """

    __slots__ = ("regex", "literals", "pattern", "bit")

    def __init__(self, regex: re.Pattern[str]) -> None:
        self.regex = regex
        self.pattern = regex.pattern
        literals = required_literals(regex)
        if literals is None:
            raise ValueError(f"no literal prefilter can be derived for {regex.pattern[:60]!r}")
        self.literals = tuple(sorted(literals))
        self.bit = SCANNER.add(self)

    def possible(self, text: str) -> bool:
        """False only when the pattern cannot match `text`."""
        return bool(SCANNER.mask(text) & self.bit)

    def search(self, text: str) -> re.Match[str] | None:
        return self.regex.search(text) if SCANNER.mask(text) & self.bit else None

    def findall(self, text: str) -> list[Any]:
        return self.regex.findall(text) if SCANNER.mask(text) & self.bit else []

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        return self.regex.finditer(text) if SCANNER.mask(text) & self.bit else iter(())

    def __repr__(self) -> str:
        return f"Guarded({self.pattern[:40]!r}, {len(self.literals or ())} literals)"


def guard(regex: re.Pattern[str]) -> Guarded:
    """`regex` behind its literal prefilter."""
    return Guarded(regex)
