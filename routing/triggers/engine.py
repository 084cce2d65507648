"""The trigger engine: every enabled rule looks at a customer message in its conversation; one Decision."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from routing.decision import DEFAULT_APPROACH, Decision, TriggerHit, TriggerKind
from routing.models import Account, MessageFacts, StoredMessage, Urgency
from routing.rules import RuleSet, TriggerRule
from routing.triggers import business, explicit, frustration
from routing.triggers.context import Context

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
    ctx = Context(
        text=facts.text, history=tuple(history), account=account, assessment=facts.assessment, now=now
    )
    hits: list[TriggerHit] = []
    notes: list[str] = []
    for rule in rules.rules:
        detector = DETECTORS.get(rule.kind)
        if not rule.enabled or detector is None:
            continue
        try:
            hit = detector(ctx, rule, rules)
        except Exception:  # one broken rule must not silence the others; the traceback goes to the log
            logger.exception("trigger rule %s failed on message %s/%s", rule.id, facts.channel_id, facts.ts)
            notes.append(f"rule {rule.id} failed")
            continue
        if hit is not None:
            hits.append(hit)
    if ctx.text.is_empty and not hits:
        notes.append("no text to analyse")
    return combine(hits, rules, notes=tuple(notes))


def combine(hits: Sequence[TriggerHit], rules: RuleSet, *, notes: tuple[str, ...] = ()) -> Decision:
    """The decision for a set of hits: type by precedence, urgency the highest of the hit rules'."""
    if not hits:
        return Decision(escalate=False, notes=notes)
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
        if waited < rule.after_minutes:
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
