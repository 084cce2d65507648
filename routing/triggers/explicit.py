"""explicit_request: the customer asks for a person, a call or a number, or turns the bot down."""

from __future__ import annotations

from routing.decision import TriggerHit, TriggerKind
from routing.rules import RuleSet, TriggerRule
from routing.triggers import lexicon as lx
from routing.triggers.context import Context
from routing.triggers.prefilter import SCANNER

FAMILY_BITS = sum(pattern.bit for _, pattern, _ in lx.EXPLICIT_FAMILIES)


def _negated(lower: str, start: int, end: int) -> bool:
    """A negator in the same clause before or inside the match ("no need to talk to a person")."""
    # The clause the match is in: from the last break before the match (a break is judged on the words
    # after it too: "… and talk to a person" carries on the clause, "… and I need a person" starts one).
    origin = max(0, start - 60)
    window = lower[origin:end]
    cut = max((b.end() for b in lx.CLAUSE_BREAK.finditer(window) if b.start() < start - origin), default=0)
    return bool(
        lx.NEGATION_BEFORE.search(window[cut:])
        or lx.NEGATED_HANDOVER.search(window[cut : start - origin])
        or lx.NEGATION_AFTER.search(lower[end : end + 40])
    )


def find_requests(lower: str, bits: int | None = None) -> tuple[list[tuple[str, str, float]], list[str]]:
    """(family, matched words, score) for each un-negated request, and the negated matches.

    `bits` is SCANNER.mask(lower) when the caller has it.
    """
    found: list[tuple[str, str, float]] = []
    negated: list[str] = []
    if bits is None:
        bits = SCANNER.mask(lower)
    if not bits & FAMILY_BITS:
        return found, negated  # no family's literals in the text: none can match
    for family, pattern, weight in lx.EXPLICIT_FAMILIES:
        if not bits & pattern.bit:
            continue
        for match in pattern.regex.finditer(lower):
            if pattern.regex is not lx.BOT_REJECTION and _negated(lower, match.start(), match.end()):
                negated.append(match.group(0))
            else:
                found.append((family, match.group(0).strip(), weight))
    return found, negated


def detect(ctx: Context, rule: TriggerRule, rules: RuleSet) -> TriggerHit | None:
    """A hit when the message asks for a human (built-in patterns and the rule's own lists)."""
    lower = ctx.text.lower
    found, negated = find_requests(lower, ctx.bits) if rule.builtin else ([], [])
    extra, notes = rules.matcher(rule.id).find(lower)
    found.extend(("matches the rule's list", words, 0.9) for words in extra)
    if not found:
        return None
    best = max(weight for _, _, weight in found)
    score = min(1.0, best + 0.05 * (len(found) - 1))
    if score < rule.threshold:
        return None
    family = max(found, key=lambda f: f[2])[0]
    evidence = tuple(dict.fromkeys(f'"{words}"' for _, words, _ in found))[:6]
    typos = tuple(f"{typed}->{meant}" for typed, meant in ctx.text.corrected)
    note = f" (ignored negated: {', '.join(repr(n) for n in negated[:2])})" if negated else ""
    return TriggerHit(
        kind=TriggerKind.EXPLICIT_REQUEST,
        rule_id=rule.id,
        score=score,
        evidence=evidence + typos + notes,
        explanation=f"Customer {family}: {', '.join(evidence[:3])}{note}",
    )
