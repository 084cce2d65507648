"""Calibration advice: a threshold change, and what it would have done, found by replaying the period.

Nothing here is a guess. Each suggestion comes from running `decide()` again on the stored conversations with
the changed rule: for a trigger that people often mark "not needed", on the message that opened each of its
handoffs (with the conversation before it, the channel's account, the AI's assessment it opened with); for an
escalation rate outside the healthy band, on every customer message of the period (up to a cap).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from routing.decision import TriggerKind
from routing.models import Account, AIAssessment, StoredMessage
from routing.rules import RuleSet, TriggerRule
from routing.stats import HEALTHY_BAND, Advice, Band, EscalationStats, HandoffFacts
from routing.triggers.engine import DETECTORS, decide

MIN_HANDOFFS = 5  # a trigger with fewer handoffs in the period says too little to tune it
NOT_NEEDED_SHARE = 0.30  # from this share of "not needed", a trigger is worth a replay
KEEP_NEEDED = 0.90  # a change must keep at least this share of the handoffs people needed
MAX_REPLAYED = 20_000  # messages replayed for the band advice (and handoffs per trigger)
HISTORY = 20  # messages before the replayed one, as the intake gives decide()
STEP = 0.05
BAND_STEPS = (0.1, 0.2, 0.3)  # how far the band advice moves a threshold
# The tone and intent triggers the band advice moves (a sales or sensitive hit is rarely the dial to turn).
BAND_KINDS = (TriggerKind.FRUSTRATION, TriggerKind.EXPLICIT_REQUEST)
# Kinds whose threshold means something to replay: custom rules score 1, unanswered is the scheduler's.
TUNABLE = frozenset(DETECTORS) - {TriggerKind.CUSTOM}
REPLAYABLE = frozenset(kind.value for kind in DETECTORS)

Thread = Sequence[StoredMessage]
Threads = Mapping[tuple[str, str], Thread]


@dataclass(frozen=True, slots=True)
class Needs:
    """What the advice must replay: the handoffs of some rules, and the period's messages (band advice)."""

    rules: tuple[TriggerRule, ...] = ()
    handoffs: tuple[HandoffFacts, ...] = ()
    band: Band | None = None  # BELOW or ABOVE: replay the period's customer messages

    @property
    def threads(self) -> list[tuple[str, str]]:
        return list(dict.fromkeys((h.channel_id, h.thread_ts) for h in self.handoffs))


def needs(stats: EscalationStats, handoffs: Sequence[HandoffFacts], rules: RuleSet) -> Needs:
    """Which replays the period calls for: noisy triggers' handoffs, and the messages if out of band."""
    noisy: list[TriggerRule] = []
    for kind, trigger in stats.by_trigger.items():
        share = trigger.not_needed_share
        if trigger.handoffs < MIN_HANDOFFS or share is None or share < NOT_NEEDED_SHARE:
            continue
        if kind in {k.value for k in TUNABLE}:
            noisy.extend(rules.enabled(TriggerKind(kind)))
    kinds = {rule.kind.value for rule in noisy}
    chosen = tuple(h for h in handoffs if kinds & set(h.opening_reasons))[:MAX_REPLAYED]
    band = stats.overall.band
    return Needs(rules=tuple(noisy), handoffs=chosen, band=band if band is not Band.WITHIN else None)


def trigger_advice(
    rule: TriggerRule,
    *,
    stats: EscalationStats,
    handoffs: Sequence[HandoffFacts],
    threads: Threads,
    accounts: Mapping[str, Account],
    rules: RuleSet,
) -> Advice | None:
    """The threshold for `rule` that avoids the most not-needed handoffs and keeps ≥ 90 % of the needed."""
    kind = rule.kind.value
    judged = [h for h in handoffs if kind in h.opening_reasons and (h.needed or h.not_needed)]
    replay = _Replayer(threads=threads, accounts=accounts)
    # Only what today's rules reproduce is compared: a rule changed since cannot be credited for it.
    cases = [h for h in judged if replay.handoff(h, rules)]
    needed = [h for h in cases if h.needed]
    not_needed = [h for h in cases if h.not_needed]
    if not not_needed:
        return None
    best: tuple[int, int, float] | None = None
    for threshold in _stricter(rule):
        candidate = _with_threshold(rules, rule, threshold)
        kept = sum(1 for h in needed if replay.handoff(h, candidate))
        avoided = sum(1 for h in not_needed if not replay.handoff(h, candidate))
        if kept < KEEP_NEEDED * len(needed) or avoided == 0:
            continue
        if best is None or avoided > best[0]:
            best = (avoided, kept, threshold)
    if best is None:
        return None
    avoided, kept, threshold = best
    trigger = stats.by_trigger[kind]
    share = trigger.not_needed_share or 0.0
    verb = "lowering" if rule.kind is TriggerKind.LOW_CONFIDENCE else "raising"
    text = (
        f"{kind} fired {_n(trigger.handoffs, 'time')} in the period and {share:.0%} were marked not needed: "
        f"{verb} `{rule.id}`'s threshold from {rule.threshold:g} to {threshold:g} would have avoided "
        f"{avoided} of the {len(not_needed)} not needed and kept {kept} of the {len(needed)} that were "
        f"needed (replayed {_n(len(cases), 'handoff')}). `/baton rules set {rule.id} threshold {threshold:g}`"
    )
    return Advice(trigger=rule.id, text=text, change={"rule": rule.id, "threshold": threshold})


def band_advice(
    *,
    stats: EscalationStats,
    sample: Sequence[StoredMessage],
    threads: Threads,
    accounts: Mapping[str, Account],
    rules: RuleSet,
    capped: bool,
) -> list[Advice]:
    """Out of the healthy band: per tone/intent rule, the smallest threshold move that would have brought the
    replayed rate into the band (else the one closest to it)."""
    band = stats.overall.band
    if band is None or band is Band.WITHIN or not sample:
        return []
    replay = _Replayer(threads=threads, accounts=accounts)
    baseline = replay.conversations(sample, rules)
    low, high = HEALTHY_BAND
    advice = []
    for kind in BAND_KINDS:
        for rule in rules.enabled(kind):
            best: tuple[float, float, int] | None = None  # (distance to the band, threshold, conversations)
            for step in BAND_STEPS:
                threshold = round(rule.threshold + (-step if band is Band.BELOW else step), 2)
                if not 0.05 <= threshold <= 0.95:
                    continue
                escalated = replay.conversations(sample, _with_threshold(rules, rule, threshold))
                rate = escalated / len(sample)
                distance = max(low - rate, rate - high, 0.0)
                if escalated != baseline and (best is None or distance < best[0]):
                    best = (distance, threshold, escalated)
                if distance == 0.0:
                    break
            if best is None:
                continue
            _, threshold, escalated = best
            what = f"the first {len(sample):,}" if capped else f"the period's {len(sample):,}"
            text = (
                f"The escalation rate was {_pct(stats.overall.rate)}, {band.value} the healthy "
                f"{low:.0%}–{high:.0%} band. Replaying {what} customer messages, "
                f"{'lowering' if band is Band.BELOW else 'raising'} `{rule.id}`'s threshold from "
                f"{rule.threshold:g} to {threshold:g} would have escalated {_n(escalated, 'conversation')} "
                f"({escalated / len(sample):.1%} of the messages), against {baseline} "
                f"({baseline / len(sample):.1%}) with the current rules. "
                f"`/baton rules set {rule.id} threshold {threshold:g}`"
            )
            advice.append(
                Advice(trigger=rule.id, text=text, change={"rule": rule.id, "threshold": threshold})
            )
    return advice


class _Replayer:
    """decide() again on stored messages, with the conversation before each and the channel's account."""

    def __init__(self, *, threads: Threads, accounts: Mapping[str, Account]) -> None:
        self._threads = threads
        self._accounts = accounts

    def _decide(self, message: StoredMessage, rules: RuleSet, assessment: AIAssessment | None) -> bool:
        thread = self._threads.get((message.channel_id, message.thread_ts), ())
        before = [m for m in thread if _ts(m.ts) < _ts(message.ts)][-HISTORY:]
        facts = message.as_facts(received_at=message.received_at, assessment=assessment)
        account = self._accounts.get(message.channel_id)
        return decide(facts, history=before, rules=rules, account=account, now=message.received_at).escalate

    def handoff(self, handoff: HandoffFacts, rules: RuleSet) -> bool:
        """Whether the handoff would have opened: its trigger message escalates, or one of its reasons is one
        decide() can't replay (the scheduler's `unanswered`, an agent's request, a trigger that merged in
        later: only the opening message is replayed) and stands anyway."""
        if handoff.agent_requested or not handoff.reasons or handoff.merged_later:
            return True  # (a later message's trigger merged into it: that message might have opened it)
        if any(reason not in REPLAYABLE for reason in handoff.reasons):
            return True
        thread = self._threads.get((handoff.channel_id, handoff.thread_ts), ())
        message = next((m for m in thread if m.ts == handoff.trigger_ts), None)
        if message is None:
            return False
        return self._decide(message, rules, _assessment(handoff.assessment))

    def conversations(self, sample: Sequence[StoredMessage], rules: RuleSet) -> int:
        """How many conversations of the sample have a customer message that escalates."""
        escalated: set[tuple[str, str]] = set()
        for message in sample:
            key = (message.channel_id, message.thread_ts)
            if key not in escalated and self._decide(message, rules, None):
                escalated.add(key)
        return len(escalated)


def _stricter(rule: TriggerRule) -> list[float]:
    """Candidate thresholds that make the rule fire less, nearest first."""
    down = rule.kind is TriggerKind.LOW_CONFIDENCE  # it fires under its threshold
    out = []
    for i in range(1, 20):
        value = round(rule.threshold + (-i if down else i) * STEP, 2)
        if not 0.05 <= value <= 0.95:
            break
        out.append(value)
    return out


def _with_threshold(rules: RuleSet, rule: TriggerRule, threshold: float) -> RuleSet:
    changed = tuple(replace(r, threshold=threshold) if r.id == rule.id else r for r in rules.rules)
    return RuleSet(rules=changed, escalation_types=rules.escalation_types)


def _assessment(data: Mapping[str, object] | None) -> AIAssessment | None:
    if not data:
        return None
    confidence = data.get("confidence")
    return AIAssessment(
        confidence=float(confidence) if isinstance(confidence, int | float) else None,
        summary=str(data.get("summary") or ""),
        intent=str(data.get("intent") or ""),
    )


def _ts(ts: str) -> float:
    try:
        return float(ts)
    except ValueError:
        return 0.0


def _n(count: int, noun: str) -> str:
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


def _pct(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.1%}"
