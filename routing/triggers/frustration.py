"""frustration: complaints, insults, unhelpful-bot verdicts, an angry tone, repeated asks, a worsening trend.

Three strong cues fire on their own (filing a complaint, insulting us, saying the answers don't help). The
rest is weighed by a small linear model over named cue counts and sentiment numbers (see tone_weights.py),
whose biggest contributions are reported as evidence. Conversation signals come from the history.
"""

from __future__ import annotations

import math
import re

from routing.decision import TriggerHit, TriggerKind
from routing.models import AuthorKind
from routing.rules import RuleSet, TriggerRule
from routing.triggers.context import Context
from routing.triggers.cues import CUES, NARRATIVE, POLITE, RESOLVED, SERVICE_FRAME
from routing.triggers.prefilter import SCANNER
from routing.triggers.sentiment import Sentiment
from routing.triggers.text import Text
from routing.triggers.tone_weights import NO_FRAME_FACTOR, OPERATING_POINTS, STEEPNESS, WEIGHTS

STANDALONE = {"complaint": 0.9, "abuse": 0.85, "unhelpful": 0.75}
STANDALONE_PATTERNS = (CUES["complaint"], CUES["abuse"], CUES["unhelpful"])
STANDALONE_BITS = CUES["complaint"].bit | CUES["abuse"].bit | CUES["unhelpful"].bit
TONE_CUES = ("accusation", "emotion", "persistence", "churn", "failure", "why", "profanity")
_THIRD_PERSON = re.compile(
    r"\b(?:he|she|they|people|someone|everyone|you)\s+(?:should|could|would|will|can|might|must|has to|"
    r"have to|needs? to|to|just)?\s*$"
)
_YOU = re.compile(r"\b(?:you|your|ur|u|you're|youre|yours)\b")
FOLLOW_UP = re.compile(
    r"\bany (?:update|news|progress|word|luck|response|answer|eta)s?\b|\bstill waiting\b|"
    r"\bfollow(?:ing)?.?up\b|"
    r"\bchecking (?:in|back)\b|^\s*(?:bump|ping|hello|hi|hey|anyone|anybody)\W*\?|^\W*\?+\W*$|"
    r"\b(?:i|we) (?:asked|wrote|mentioned|said) (?:this )?(?:before|earlier|already|yesterday|twice)\b|"
    r"\bas i (?:said|asked|mentioned)\b|\b(?:asking|ask) (?:again|for the \w+ time)\b|\bstill (?:no|"
    r"nothing)\b|"
    r"\bhello\?+|\banyone there\b|\bstatus\?|\bwhen will (?:i|we) hear\b|\bhaven't heard\b"
)
_STOP = frozenset(
    "i me my we our you your the a an to of and or is are be it this that for on in with".split()
)


def analyse(
    text: Text, sentiment: Sentiment, bits: int | None = None
) -> tuple[dict[str, float], dict[str, list[str]]]:
    """The tone model's named inputs for one message, and the words each cue family matched.

    `bits` is SCANNER.mask(text.lower) when the caller has it. A phrase counts once, for the family that
    gives it the most points (see `claim`).
    """
    lower = text.lower
    if bits is None:
        bits = SCANNER.mask(lower)
    last = _LAST_FOUND
    known = last[1] if last[0] is lower else _NOTHING_FOUND  # the families tone_may_fire already ran
    extra = last[2] if last[0] is lower else _NO_EXTRA
    found: dict[str, list[str]] = {}
    for name, pattern, _ in _CUE_FAMILIES:
        if bits & pattern.bit:
            words = known.get(name)
            if words is None:
                words = pattern.regex.findall(lower)
            if words:
                found[name] = words
    matched = claim(lower, found)
    out: dict[str, float] = {}
    for name in TONE_CUES:
        out[name] = float(min(3, len(matched.get(name, ()))))
    polite = extra.get("polite")
    if polite is None:
        polite = POLITE.regex.findall(lower) if bits & POLITE.bit else []
    out["polite"] = float(min(3, len(polite)))
    resolved = extra.get("resolved")
    if resolved is None:
        resolved = RESOLVED.regex.findall(lower) if bits & RESOLVED.bit else []
    out["resolved"] = float(min(3, len(resolved)))
    out["negative_valence"] = max(-8.0, sentiment.negative)
    out["positive_valence"] = min(8.0, sentiment.positive)
    out["negative_compound"] = min(0.0, sentiment.compound)
    out["shouting"] = text.caps_ratio if text.shouted_words >= 2 else 0.0
    out["exclamations"] = float(min(3, text.exclaim_runs))
    out["length"] = min(len(text.tokens), 120) / 40
    you = extra.get("addresses_us")
    out["addresses_us"] = (1.0 if you else 0.0) if you is not None else (1.0 if _YOU.search(lower) else 0.0)
    out["questions"] = float(min(3, lower.count("?")))
    for name in NARRATIVE:
        out[name] = float(min(3, len(matched.get(name, ()))))
    frame = SERVICE_FRAME.search(lower)
    out["service_frame"] = 1.0 if frame else 0.0
    if frame:
        matched["service_frame"] = [frame.group(0)]
    return out, matched


def claim(lower: str, found: dict[str, list[str]]) -> dict[str, list[str]]:
    """Each phrase counted once: a family's match that overlaps a phrase already claimed by a family worth
    more points is dropped ("still hasn't arrived" is persistence, not also a broken promise).

    `found` holds each family's non-empty `findall`; the spans are looked up only when two families matched.
    """
    if len(found) < 2:
        return dict(found)
    taken: list[tuple[int, int]] = []
    out: dict[str, list[str]] = {}
    for name in _CLAIM_ORDER:
        if name not in found:
            continue
        matches = list(_PATTERN_OF[name].finditer(lower))
        if taken:
            matches = [m for m in matches if not any(m.start() < e and b < m.end() for b, e in taken)]
            if not matches:
                continue
        taken.extend(m.span() for m in matches)
        out[name] = [m.group(0) for m in matches]
    return out


# features whose value is unknown without running a regex; the prefilter tells which cue families can count
_CUE_FAMILIES = tuple(
    (name, CUES[name] if name in CUES else NARRATIVE[name], WEIGHTS.get(name, 0.0))
    for name in (*TONE_CUES, *NARRATIVE)
)
_CUE_BITS = sum(pattern.bit for _, pattern, _ in _CUE_FAMILIES)
_POSITIVE_FAMILIES = tuple(family for family in _CUE_FAMILIES if family[2] > 0)
# the order in which families claim a phrase: the one worth the most points first (ties: listing order)
_CLAIM_ORDER = tuple(name for name, _, _ in sorted(_CUE_FAMILIES, key=lambda family: -family[2]))
_WEIGHT_OF = {name: weight for name, _, weight in _CUE_FAMILIES}
_PATTERN_OF = {name: pattern.regex for name, pattern, _ in _CUE_FAMILIES}
# the most the frame and addressing us can add, and the politeness points at their highest (POLITE and
# RESOLVED counts)
_UNKNOWN_MAX = max(0.0, WEIGHTS.get("service_frame", 0.0)) + max(0.0, WEIGHTS.get("addresses_us", 0.0))
_POLITE_MAX = (max(0.0, WEIGHTS.get("polite", 0.0)) + max(0.0, WEIGHTS.get("resolved", 0.0))) * 3
_W_NEGATIVE_VALENCE = WEIGHTS.get("negative_valence", 0.0)
_W_POSITIVE_VALENCE = WEIGHTS.get("positive_valence", 0.0)
_W_NEGATIVE_COMPOUND = WEIGHTS.get("negative_compound", 0.0)
_W_SHOUTING = WEIGHTS.get("shouting", 0.0)
_W_EXCLAMATIONS = WEIGHTS.get("exclamations", 0.0)
_W_LENGTH = WEIGHTS.get("length", 0.0)
_W_QUESTIONS = WEIGHTS.get("questions", 0.0)
_W_POLITE = WEIGHTS.get("polite", 0.0)
_W_RESOLVED = WEIGHTS.get("resolved", 0.0)
_W_ADDRESSES_US = WEIGHTS.get("addresses_us", 0.0)
_W_SERVICE_FRAME = WEIGHTS.get("service_frame", 0.0)
# the loose bound's cue points for each set of present families (bits & _CUE_BITS), computed once
_LOOSE: dict[int, float] = {}
# the text whose cue families tone_may_fire last ran, their matches, and the politeness, resolution and
# "you" words it found (analyse reuses them)
_NOTHING_FOUND: dict[str, list[str]] = {}
_NO_EXTRA: dict[str, list[str]] = {}
_LAST_FOUND: tuple[str | None, dict[str, list[str]], dict[str, list[str]]] = (
    None,
    _NOTHING_FOUND,
    _NO_EXTRA,
)


def tone_may_fire(text: Text, sentiment: Sentiment, threshold: float, bits: int | None = None) -> bool:
    """False only when the tone score is sure to stay under `threshold`: a cheap upper bound of the points.

    The bound counts the sentiment, shouting, "!", length and question features exactly, the cue families
    with a positive weight exactly (only those whose literals are in the text can count), and at most the
    frame's, addressing us' and politeness' positive weights, leaving out the costly SERVICE_FRAME and
    `_YOU` searches; the no-frame factor only shrinks positive points.
    """
    global _LAST_FOUND
    lower = text.lower
    if bits is None:
        bits = SCANNER.mask(lower)
    rest = (
        _W_NEGATIVE_VALENCE * max(-8.0, sentiment.negative)
        + _W_POSITIVE_VALENCE * min(8.0, sentiment.positive)
        + _W_NEGATIVE_COMPOUND * min(0.0, sentiment.compound)
        + _W_SHOUTING * (text.caps_ratio if text.shouted_words >= 2 else 0.0)
        + _W_EXCLAMATIONS * float(min(3, text.exclaim_runs))
        + _W_LENGTH * (min(len(text.tokens), 120) / 40)
        + _W_QUESTIONS * float(min(3, lower.count("?")))
    )
    present = bits & _CUE_BITS
    if not present:
        if _bound_score(rest) < threshold:
            return False
        return _may_fire_with_frame(lower, bits, 0.0 + rest, threshold, {})
    # first a looser bound, without running a regex: every family whose literals are there counts 3 times
    loose = _LOOSE.get(present)
    if loose is None:
        loose = 0.0
        for _, pattern, weight in _CUE_FAMILIES:
            if weight > 0 and bits & pattern.bit:
                loose += weight * 3
        if len(_LOOSE) < 4096:
            _LOOSE[present] = loose
    if _bound_score(loose + rest) < threshold:
        return False
    cue_points = 0.0
    found_by_name: dict[str, list[str]] = {}
    matched = 0
    for name, pattern, weight in _POSITIVE_FAMILIES:
        if bits & pattern.bit:
            found = found_by_name[name] = pattern.regex.findall(lower)
            if found:
                cue_points += weight * min(3, len(found))
                matched += 1
    _LAST_FOUND = (lower, found_by_name, _NO_EXTRA)
    if _bound_score(cue_points + rest) < threshold:
        return False
    if matched > 1:  # each phrase counted once, as the tone counts it
        cue_points = 0.0
        for name, words in claim(lower, {n: w for n, w in found_by_name.items() if w}).items():
            cue_points += _WEIGHT_OF[name] * min(3, len(words))
    return _may_fire_with_frame(lower, bits, cue_points + rest, threshold, found_by_name)


def _may_fire_with_frame(
    lower: str, bits: int, known: float, threshold: float, found_by_name: dict[str, list[str]]
) -> bool:
    """The last stage of the bound: politeness, resolution and addressing us counted exactly, only the frame
    unknown.

    With the frame the points gain its weight; without it, positive points shrink by NO_FRAME_FACTOR.
    """
    global _LAST_FOUND
    polite = POLITE.regex.findall(lower) if bits & POLITE.bit else []
    resolved = RESOLVED.regex.findall(lower) if bits & RESOLVED.bit else []
    you = _YOU.search(lower)
    extra = {"polite": polite, "resolved": resolved, "addresses_us": [you.group(0)] if you else []}
    _LAST_FOUND = (lower, found_by_name, extra)
    total = (
        known
        + _W_POLITE * float(min(3, len(polite)))
        + _W_RESOLVED * float(min(3, len(resolved)))
        + _W_ADDRESSES_US * (1.0 if you else 0.0)
    )
    with_frame = total + _W_SERVICE_FRAME
    without_frame = total * NO_FRAME_FACTOR if total > 0 else total
    bound = max(with_frame, without_frame) + 1e-6  # the margin covers summation order
    z = max(-30.0, min(30.0, STEEPNESS * (bound - OPERATING_POINTS)))
    return 1.0 / (1.0 + math.exp(-z)) >= threshold


def _bound_score(known: float) -> float:
    """The tone score of `known` points plus the most the frame, "you" and politeness can add."""
    bound = known + _UNKNOWN_MAX + _POLITE_MAX + 1e-6  # the margin covers summation order
    z = max(-30.0, min(30.0, STEEPNESS * (bound - OPERATING_POINTS)))
    return 1.0 / (1.0 + math.exp(-z))


def features(text: Text, sentiment: Sentiment) -> dict[str, float]:
    """The tone model's named inputs for one message."""
    return analyse(text, sentiment)[0]


def points(feats: dict[str, float]) -> tuple[float, list[tuple[str, float]]]:
    """The tone points of a message's features and each feature's points, largest first.

    Without a customer-service frame only NO_FRAME_FACTOR of positive points count.
    """
    contributions = [(name, WEIGHTS.get(name, 0.0) * value) for name, value in feats.items() if value]
    total = sum(c for _, c in contributions)
    if total > 0 and not feats.get("service_frame"):
        total *= NO_FRAME_FACTOR
    return total, sorted(contributions, key=lambda c: -c[1])


def tone(
    text: Text, sentiment: Sentiment, bits: int | None = None
) -> tuple[float, list[tuple[str, float]], list[str]]:
    """Tone score in [0, 1] (0.5 at the operating point), each feature's points largest first, and the
    words matched by the cue families that add the most points."""
    feats, matched = analyse(text, sentiment, bits)
    total, contributions = points(feats)
    z = max(-30.0, min(30.0, STEEPNESS * (total - OPERATING_POINTS)))
    words = [w.strip() for name, value in contributions if value > 0 for w in matched.get(name, ())]
    return 1.0 / (1.0 + math.exp(-z)), contributions, words


def strong_cues(text: Text, bits: int | None = None) -> dict[str, list[str]]:
    """Complaint, abuse and unhelpful cues found in the message (third-person complaints left out)."""
    lower = text.lower
    found: dict[str, list[str]] = {}
    if bits is None:
        bits = SCANNER.mask(lower)
    if not bits & STANDALONE_BITS:
        return found
    for name in STANDALONE:
        cue = CUES[name]
        if not bits & cue.bit:
            continue
        for match in cue.regex.finditer(lower):
            if name == "complaint" and _THIRD_PERSON.search(
                lower[max(0, match.start() - 30) : match.start()]
            ):
                continue
            found.setdefault(name, []).append(match.group(0).strip())
    return found


def repeated_ask(ctx: Context) -> tuple[float, str] | None:
    """The customer asks again while nobody answered: "any update?", "still waiting", the same question."""
    turns = ctx.turns
    if not turns:
        return None
    unanswered = 0
    for turn in reversed(turns):
        if turn.author is AuthorKind.CUSTOMER:
            unanswered += 1
        elif turn.author in (AuthorKind.INTERNAL, AuthorKind.AI):
            break
    current = {t for t in ctx.text.tokens if t not in _STOP}
    same = None
    for turn in turns:
        if turn.author is not AuthorKind.CUSTOMER:
            continue
        earlier = {t for t in turn.text.tokens if t not in _STOP}
        if len(current) >= 3 and len(earlier) >= 3:
            overlap = len(current & earlier) / len(current | earlier)
            if overlap >= 0.6:
                same = turn.text.plain[:60]
    follow = FOLLOW_UP.search(ctx.text.lower)
    if follow is None and same is None:
        return None
    if unanswered == 0 and same is None:
        return None  # "any update?" after a reply is a fresh question, not a repeat
    score = 0.6 + 0.1 * min(3, unanswered) + (0.1 if same else 0.0)
    what = f'asks again ("{follow.group(0)}")' if follow else f'repeats an earlier question ("{same}")'
    return min(0.95, score), f"{what}; {unanswered} customer message(s) in a row without a reply"


def worsening(ctx: Context) -> tuple[float, str] | None:
    """Customer sentiment falling over the last messages and now clearly negative."""
    earlier = [t.sentiment.compound for t in ctx.turns if t.author is AuthorKind.CUSTOMER][-4:]
    now = ctx.sentiment.compound
    if len(earlier) < 2 or now > -0.25:
        return None
    drop = sum(earlier) / len(earlier) - now
    if drop < 0.4:
        return None
    trend = " -> ".join(f"{v:+.2f}" for v in [*earlier, now])
    return min(0.95, 0.45 + drop / 2), f"sentiment worsening over the conversation: {trend}"


def detect(ctx: Context, rule: TriggerRule, rules: RuleSet) -> TriggerHit | None:
    """A hit when any frustration signal scores at or above the rule's threshold."""
    candidates: list[tuple[float, str, tuple[str, ...]]] = []
    if rule.builtin:
        bits = ctx.bits
        for name, words in strong_cues(ctx.text, bits).items():
            label = {"complaint": "wants to file a complaint", "abuse": "insults or condemns us",
                     "unhelpful": "says the answers don't help"}[name]  # fmt: skip
            candidates.append((STANDALONE[name], label, tuple(f'"{w}"' for w in words[:3])))
        may_fire = ctx.tone_bounds.get(rule.threshold) if ctx.tone_bounds else None
        if may_fire is None:
            may_fire = tone_may_fire(ctx.text, ctx.sentiment, rule.threshold, bits)
        if may_fire:  # else the tone could not fire: skip it
            score, contributions, cue_words = tone(ctx.text, ctx.sentiment, bits)
            top = [f"{name}{value:+.1f}" for name, value in contributions[:4] if value > 0]
            if top and not any(name == "service_frame" for name, _ in contributions):
                top.append(f"no service frame x{NO_FRAME_FACTOR}")
            words = cue_words[:4] + list(ctx.sentiment.negative_words[:3])
            evidence = (*(f'"{w}"' for w in dict.fromkeys(words)), *top)
            candidates.append((score, "angry or fed-up tone", evidence))
        for signal in (repeated_ask(ctx), worsening(ctx)):
            if signal is not None:
                candidates.append((signal[0], signal[1], ()))
    extra, notes = rules.matcher(rule.id).find(ctx.text.lower)
    if extra:
        candidates.append((0.9, "matches the rule's list", tuple(f'"{w}"' for w in extra[:3])))
    firing = [c for c in candidates if c[0] >= rule.threshold]
    if not firing:
        return None
    firing.sort(key=lambda c: -c[0])
    best = firing[0][0]
    evidence = tuple(dict.fromkeys(e for c in firing for e in c[2]))[:8]
    sentiment = ctx.sentiment.describe()
    return TriggerHit(
        kind=TriggerKind.FRUSTRATION,
        rule_id=rule.id,
        score=best,
        evidence=(*evidence, sentiment, *notes),
        explanation="Customer " + "; ".join(c[1] for c in firing[:3]) + f" ({sentiment})",
    )
