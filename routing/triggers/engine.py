"""The trigger engine: every enabled rule looks at a customer message in its conversation; one Decision."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from routing.decision import DEFAULT_APPROACH, NO_ESCALATION, Decision, TriggerHit, TriggerKind
from routing.models import Account, MessageFacts, StoredMessage, Urgency
from routing.rules import RuleSet, TriggerRule
from routing.triggers import business, explicit, frustration
from routing.triggers import lexicon as lx
from routing.triggers.context import Context, account_known
from routing.triggers.prefilter import SCANNER, Guarded
from routing.triggers.sentiment import score
from routing.triggers.text import prepare
from routing.triggers.typos import typo_map

logger = logging.getLogger(__name__)

Detector = Callable[[Context, TriggerRule, RuleSet], TriggerHit | None]


def _low_confidence(ctx: Context, rule: TriggerRule, rules: RuleSet) -> TriggerHit | None:
    assessment = ctx.assessment
    if assessment is None or assessment.confidence is None:
        return None
    confidence = float(assessment.confidence)
    if not 0.0 <= confidence <= 1.0 or confidence >= rule.threshold:
        return None
    evidence = [f"confidence {confidence:.2f} < {rule.threshold:.2f}"]
    if assessment.intent:
        evidence.append(f"intent {assessment.intent}")
    return TriggerHit(
        kind=TriggerKind.LOW_CONFIDENCE,
        rule_id=rule.id,
        score=1.0 - confidence,
        evidence=tuple(evidence),
        explanation=f"The AI agent is only {confidence:.0%} confident in its answer"
        + (f" ({assessment.summary[:80]})" if assessment.summary else ""),
    )


def _custom(ctx: Context, rule: TriggerRule, rules: RuleSet) -> TriggerHit | None:
    found, notes = rules.matcher(rule.id).find(ctx.text.lower)
    if not found:
        return None
    evidence = tuple(f'"{w}"' for w in found[:5])
    return TriggerHit(
        kind=TriggerKind.CUSTOM,
        rule_id=rule.id,
        score=1.0,
        evidence=evidence + notes,
        explanation=f"Matches rule {rule.id}: {', '.join(evidence[:3])}"
        + (f" - {rule.description}" if rule.description else ""),
    )


DETECTORS: dict[TriggerKind, Detector] = {
    TriggerKind.EXPLICIT_REQUEST: explicit.detect,
    TriggerKind.FRUSTRATION: frustration.detect,
    TriggerKind.LOW_CONFIDENCE: _low_confidence,
    TriggerKind.HIGH_VALUE: business.detect_high_value,
    TriggerKind.DEAL_MOMENT: business.detect_deal,
    TriggerKind.SENSITIVE_TOPIC: business.detect_sensitive,
    TriggerKind.CUSTOM: _custom,
    # UNANSWERED is fired by the scheduler through unanswered_decision(), never by a message
}


class _Plan:
    """A RuleSet's enabled rules with their detectors, and what the fast check needs; built once per RuleSet.

    `fast` holds when every enabled rule is a built-in kind without admin phrases, keywords or patterns:
    then a message can only be hit through a match of a built-in family's pattern (searched only when its
    literal bits are set), the tone score (its bound), the conversation (history), or an AI assessment,
    and a message with none of these gets the no-escalation decision without running a detector.
    """

    __slots__ = (
        "rules",
        "steps",
        "fast",
        "family_bits",
        "family_patterns",
        "tone_thresholds",
        "uses_history",
        "uses_assessment",
    )

    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        self.steps = tuple(
            (rule, DETECTORS[rule.kind]) for rule in rules.rules if rule.enabled and rule.kind in DETECTORS
        )
        self.fast = all(rules.matcher(rule.id).empty for rule, _ in self.steps)
        bits = 0
        thresholds: list[float] = []
        patterns: dict[int, re.Pattern[str]] = {}
        for rule, _ in self.steps:
            if rule.kind is TriggerKind.CUSTOM or not rule.builtin:
                continue  # no lexicon: only the (empty) admin lists
            if rule.kind is TriggerKind.FRUSTRATION:
                bits |= frustration.STANDALONE_BITS
                thresholds.append(rule.threshold)
                patterns.update((g.bit, g.regex) for g in frustration.STANDALONE_PATTERNS)
            elif rule.kind in _FAMILY_BITS:
                bits |= _FAMILY_BITS[rule.kind]
                patterns.update((g.bit, g.regex) for g in _FAMILY_PATTERNS[rule.kind])
        self.family_bits = bits
        # every built-in pattern a hit can come from (but the tone's), with its prefilter bit
        self.family_patterns = tuple(patterns.items())
        self.tone_thresholds = tuple(thresholds)
        self.uses_history = any(
            rule.kind is TriggerKind.FRUSTRATION and rule.builtin for rule, _ in self.steps
        )
        self.uses_assessment = any(rule.kind is TriggerKind.LOW_CONFIDENCE for rule, _ in self.steps)


_FAMILY_BITS: dict[TriggerKind, int] = {
    TriggerKind.EXPLICIT_REQUEST: explicit.FAMILY_BITS,
    TriggerKind.DEAL_MOMENT: business.DEAL_BITS,
    TriggerKind.SENSITIVE_TOPIC: business.SENSITIVE_BITS,
    TriggerKind.HIGH_VALUE: business.BUYING_BITS,
}
_FAMILY_PATTERNS: dict[TriggerKind, tuple[Guarded, ...]] = {
    TriggerKind.EXPLICIT_REQUEST: tuple(pattern for _, pattern, _ in lx.EXPLICIT_FAMILIES),
    TriggerKind.DEAL_MOMENT: tuple(pattern for _, pattern, _, _ in business.DEAL),
    TriggerKind.SENSITIVE_TOPIC: tuple(pattern for _, pattern, _, _ in business.SENSITIVE),
    TriggerKind.HIGH_VALUE: tuple(pattern for _, pattern, _, _ in business.BUYING),
}
_PLANS: dict[int, _Plan] = {}
_NO_TEXT = Decision(escalate=False, notes=("no text to analyse",))


def _plan(rules: RuleSet) -> _Plan:
    plan = _PLANS.get(id(rules))
    if plan is None or plan.rules is not rules:
        if len(_PLANS) >= 32:
            _PLANS.clear()
        plan = _PLANS[id(rules)] = _Plan(rules)
    return plan


def decide(
    facts: MessageFacts,
    *,
    history: Sequence[StoredMessage],
    rules: RuleSet,
    account: Account | None,
    now: datetime,
) -> Decision:
    """Whether this message needs a human: every enabled rule's hit, the escalation type and urgency."""
    if not facts.is_customer:
        return Decision(escalate=False, notes=(f"author is {facts.author_kind.value}, not a customer",))
    plan = _plan(rules)
    text = prepare(facts.text)
    sentiment = None
    bits = None
    bounds: dict[float, bool] | None = None
    if (
        plan.fast
        and not (plan.uses_history and history)
        and not (
            plan.uses_assessment and facts.assessment is not None and facts.assessment.confidence is not None
        )
    ):
        # the fast check: nothing a detector looks at can fire (same decision as running them all)
        lower = text.lower
        bits = SCANNER.mask(lower)
        family_match = False
        if bits & plan.family_bits:
            # a family's literal is there: does one of those patterns match at all (negated or not)?
            for bit, pattern in plan.family_patterns:
                if bits & bit and pattern.search(lower) is not None:
                    family_match = True
                    break
        if not family_match:
            quiet = True
            if plan.tone_thresholds:
                sentiment = score(text)
                bounds = {}
                for threshold in plan.tone_thresholds:
                    may_fire = bounds[threshold] = frustration.tone_may_fire(text, sentiment, threshold, bits)
                    if may_fire:
                        quiet = False
                        break
            if quiet:
                return _NO_TEXT if text.is_empty else NO_ESCALATION
    ctx = Context(
        text="",
        history=tuple(history),
        account=account,
        assessment=facts.assessment,
        now=now,
        prepared=text,
        sentiment=sentiment,
        bits=bits,
        tone_bounds=bounds,
    )
    hits: list[TriggerHit] = []
    notes: list[str] = []
    for rule, detector in plan.steps:
        try:
            hit = detector(ctx, rule, rules)
        except Exception:  # one broken rule must not silence the others; the traceback goes to the log
            logger.exception("trigger rule %s failed on message %s/%s", rule.id, facts.channel_id, facts.ts)
            notes.append(f"rule {rule.id} failed")
            continue
        if hit is not None and (ctx.account_known or not rule.require_account):
            hits.append(hit)
    if text.is_empty and not hits:
        notes.append("no text to analyse")
    return combine(hits, rules, notes=tuple(notes))


def warm_up() -> None:
    """Build now what the engine otherwise builds for the first message it sees (the prefilter's scanner and
    the typo map, about 0.1 s of CPU), so that the first customer message does not wait for them."""
    SCANNER.mask("")
    typo_map()


def decide_in_full(
    facts: MessageFacts,
    *,
    history: Sequence[StoredMessage],
    rules: RuleSet,
    account: Account | None,
    now: datetime,
) -> Decision:
    """`decide` without its shortcuts: every enabled rule's detector runs on a fresh context. The reference
    the fast path must agree with (tests/routing/test_triggers_fastpath.py, bench/triggers/equivalence.py)."""
    if not facts.is_customer:
        return Decision(escalate=False, notes=(f"author is {facts.author_kind.value}, not a customer",))
    ctx = Context(
        text=facts.text, history=tuple(history), account=account, assessment=facts.assessment, now=now
    )
    hits: list[TriggerHit] = []
    for rule in rules.rules:
        detector = DETECTORS.get(rule.kind)
        if rule.enabled and detector is not None:
            hit = detector(ctx, rule, rules)
            if hit is not None and (ctx.account_known or not rule.require_account):  # any rule may need one
                hits.append(hit)
    notes = ("no text to analyse",) if ctx.text.is_empty and not hits else ()
    return combine(hits, rules, notes=notes)


def combine(hits: Sequence[TriggerHit], rules: RuleSet, *, notes: tuple[str, ...] = ()) -> Decision:
    """The decision for a set of hits: type by precedence, urgency the highest of the hit rules'."""
    if not hits:
        return Decision(escalate=False, notes=notes) if notes else NO_ESCALATION  # equal, and shared
    ordered = sorted(hits, key=lambda h: (rules.precedence(_rule_type(h, rules)), -h.score))
    etype_name = _rule_type(ordered[0], rules)
    etype = rules.escalation_type(etype_name)
    urgency = max((_rule_urgency(h, rules) for h in hits), key=lambda u: u.rank)
    return Decision(
        escalate=True,
        escalation_type=etype_name,
        urgency=urgency,
        hits=tuple(ordered),
        suggested_approach=etype.approach if etype and etype.approach else DEFAULT_APPROACH,
        score=max(h.score for h in hits),
        notes=notes,
    )


def _rule_type(hit: TriggerHit, rules: RuleSet) -> str:
    rule = rules.rule(hit.rule_id)
    return rule.escalation_type if rule else "routine_review"


def _rule_urgency(hit: TriggerHit, rules: RuleSet) -> Urgency:
    rule = rules.rule(hit.rule_id)
    if rule is not None and rule.urgency is not None:
        return rule.urgency
    etype = rules.escalation_type(_rule_type(hit, rules))
    return etype.urgency if etype else Urgency.NORMAL


def unanswered_decision(
    *,
    waiting_since: datetime | None,
    now: datetime,
    rules: RuleSet,
    account: Account | None,
    after_minutes: int | None = None,
) -> Decision:
    """The scheduler side of `unanswered`: escalate when a customer has waited past the rule's minutes.

    `after_minutes` is a channel's own limit, overriding the rules' (None: the rules decide).
    """
    if waiting_since is None:
        return Decision(escalate=False, notes=("nobody is waiting",))
    waited = (now - waiting_since).total_seconds() / 60
    hits = []
    for found in rules.enabled(TriggerKind.UNANSWERED):
        rule = found if after_minutes is None else replace(found, after_minutes=after_minutes)
        if waited < rule.after_minutes or (rule.require_account and not account_known(account)):
            continue
        overdue = waited / max(1, rule.after_minutes)
        who = f" ({account.name})" if account is not None and account.name else ""
        hits.append(
            TriggerHit(
                kind=TriggerKind.UNANSWERED,
                rule_id=rule.id,
                score=min(1.0, 0.5 + 0.25 * (overdue - 1)),
                evidence=(f"waiting {waited:.0f} min", f"limit {rule.after_minutes} min"),
                explanation=f"Customer{who} has waited {waited:.0f} minutes without a reply "
                f"(limit {rule.after_minutes})",
            )
        )
    return combine(hits, rules)
