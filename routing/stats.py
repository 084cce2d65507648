"""Escalation health over a period, computed from stored messages and the handoff event log.

"Too many escalations defeat automation; too few miss what matters": the healthy band is 5-15 % of customer
messages. The numbers here are what `/baton stats`, `baton report` and the App Home dashboard show.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from routing.handoffs import AGENT_RULE
from routing.models import HandoffState

HEALTHY_BAND = (0.05, 0.15)


class Band(StrEnum):
    BELOW = "below"
    WITHIN = "within"
    ABOVE = "above"


@dataclass(frozen=True, slots=True)
class Rate:
    """Handoffs opened per customer message."""

    handoffs: int
    messages: int

    @property
    def rate(self) -> float | None:
        return self.handoffs / self.messages if self.messages else None

    @property
    def band(self) -> Band | None:
        rate = self.rate
        if rate is None:
            return None
        # Judged on the rate as shown (to a tenth of a percent): "15.0%" is never "above" the 5–15 % band.
        rate = round(rate, 3)
        low, high = HEALTHY_BAND
        return Band.BELOW if rate < low else Band.ABOVE if rate > high else Band.WITHIN


@dataclass(frozen=True, slots=True)
class TriggerStats:
    """One trigger kind: the handoffs it was a reason for, and how many of them were marked not needed."""

    kind: str
    handoffs: int
    not_needed: int
    needed: int = 0  # claimed or resolved, and not marked not needed (the rest are still waiting)

    @property
    def not_needed_share(self) -> float | None:
        return self.not_needed / self.handoffs if self.handoffs else None


@dataclass(frozen=True, slots=True)
class Durations:
    """A distribution of waits (e.g. opened → claimed): how many, median, 90th percentile."""

    count: int = 0
    p50: timedelta | None = None
    p90: timedelta | None = None


@dataclass(frozen=True, slots=True)
class Advice:
    """A concrete, replay-backed suggestion: what to change and what it would have done in the period."""

    trigger: str  # the rule id or trigger kind the change is about
    text: str  # one or two sentences with the numbers, ready to show
    change: dict[str, object] = field(default_factory=dict)  # e.g. {"rule": "frustration", "threshold": 0.7}


@dataclass(frozen=True, slots=True)
class EscalationStats:
    """Everything the reports show for one period [since, until)."""

    since: datetime
    until: datetime
    overall: Rate
    by_channel: dict[str, Rate] = field(default_factory=dict)  # channel id → rate
    channel_names: dict[str, str] = field(default_factory=dict)  # channel id → account or channel name
    by_trigger: dict[str, TriggerStats] = field(default_factory=dict)  # trigger kind → stats
    by_type: dict[str, Rate] = field(default_factory=dict)  # escalation type → handoffs per customer message
    time_to_claim: Durations = Durations()
    time_to_resolve: Durations = Durations()
    sla_met: int = 0  # handoffs whose claim deadline passed or was met in the period, claimed in time
    sla_measured: int = 0
    breaches: int = 0
    reassignments: int = 0
    advice: tuple[Advice, ...] = ()
    not_needed: int = 0  # handoffs of the period marked not needed
    notes: tuple[str, ...] = ()  # caveats of the advice, e.g. "replayed the first 20,000 messages only"

    @property
    def sla_compliance(self) -> float | None:
        return self.sla_met / self.sla_measured if self.sla_measured else None


@dataclass(frozen=True, slots=True)
class HandoffFacts:
    """One handoff opened in the period, with what its event log says (aggregated per handoff by storage)."""

    id: int
    channel_id: str
    thread_ts: str
    escalation_type: str
    reasons: tuple[str, ...]
    state: HandoffState
    opened_at: datetime
    claim_due_at: datetime | None = None
    breached: bool = False
    trigger_ts: str | None = None  # the message that opened it (context["trigger_ts"])
    assessment: Mapping[str, Any] | None = None  # the AI's self-assessment it opened with, if any
    claimed_at: datetime | None = None  # first `claimed` or `reassigned` event
    answered_at: datetime | None = (
        None  # first claimed, reassigned, resolved or not needed: claim clock stops
    )
    resolved_at: datetime | None = None  # first `resolved` event
    reassignments: int = 0  # `reassigned` events
    breaches: int = 0  # `sla_breached` events (claim and resolve clocks)
    agent_requested: bool = False  # an AI agent asked for it over the API (an `agent_request` event)
    opened_with: tuple[str, ...] = ()  # the reasons it opened with (context["opened_with"]; () if not kept)

    @property
    def opening_reasons(self) -> tuple[str, ...]:
        """The reasons it opened with (`agent_request` for an agent's request); all of its reasons for a
        handoff opened before these were kept."""
        return self.opened_with or self.reasons

    @property
    def merged_later(self) -> bool:
        """Whether a reason was added after it opened (a later message's trigger merged into it)."""
        opened = set(self.opening_reasons)
        if AGENT_RULE in opened:
            opened.add("low_confidence")  # the kind of the agent's own hit
        return any(reason not in opened for reason in self.reasons)

    @property
    def not_needed(self) -> bool:
        return self.state is HandoffState.DISMISSED

    @property
    def needed(self) -> bool:
        """A person took it on: claimed or resolved, and not marked not needed."""
        return not self.not_needed and (self.state is HandoffState.RESOLVED or self.claimed_at is not None)


def percentile(values: Sequence[timedelta], share: float) -> timedelta | None:
    """The nearest-rank percentile: the smallest value with at least `share` of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(round(share * len(ordered), 9)))
    return ordered[rank - 1]


def durations(values: Sequence[timedelta]) -> Durations:
    """Count, median and 90th percentile (nearest rank) of some waits."""
    return Durations(count=len(values), p50=percentile(values, 0.5), p90=percentile(values, 0.9))


def summarize(
    *,
    since: datetime,
    until: datetime,
    messages_by_channel: Mapping[str, int],
    handoffs: Sequence[HandoffFacts],
    channel_names: Mapping[str, str] | None = None,
) -> EscalationStats:
    """The period's figures from plain rows: customer messages per channel and the handoffs opened."""
    messages = sum(messages_by_channel.values())
    per_channel = Counter(h.channel_id for h in handoffs)
    per_type = Counter(h.escalation_type for h in handoffs)
    channels = sorted(set(messages_by_channel) | set(per_channel))
    by_channel = {c: Rate(handoffs=per_channel[c], messages=messages_by_channel.get(c, 0)) for c in channels}
    by_type = {t: Rate(handoffs=n, messages=messages) for t, n in sorted(per_type.items())}
    fired: Counter[str] = Counter()
    not_needed: Counter[str] = Counter()
    needed: Counter[str] = Counter()
    for handoff in handoffs:
        # A trigger is charged with the handoffs it opened: one merged into a live handoff opened nothing.
        for kind in dict.fromkeys(handoff.opening_reasons):
            fired[kind] += 1
            not_needed[kind] += handoff.not_needed
            needed[kind] += handoff.needed
    by_trigger = {
        kind: TriggerStats(kind=kind, handoffs=n, not_needed=not_needed[kind], needed=needed[kind])
        for kind, n in sorted(fired.items(), key=lambda item: (-item[1], item[0]))
    }
    to_claim = [h.claimed_at - h.opened_at for h in handoffs if h.claimed_at is not None]
    to_resolve = [h.resolved_at - h.opened_at for h in handoffs if h.resolved_at is not None]
    measured = [h for h in handoffs if _claim_sla_measured(h, until)]
    met = sum(1 for h in measured if h.answered_at is not None and h.answered_at <= _due(h))
    names = channel_names or {}
    return EscalationStats(
        since=since,
        until=until,
        overall=Rate(handoffs=len(handoffs), messages=messages),
        by_channel=by_channel,
        channel_names={c: names[c] for c in channels if names.get(c)},
        by_trigger=by_trigger,
        by_type=by_type,
        time_to_claim=durations(to_claim),
        time_to_resolve=durations(to_resolve),
        sla_met=met,
        sla_measured=len(measured),
        breaches=sum(1 for h in handoffs if h.breached or h.breaches),
        reassignments=sum(h.reassignments for h in handoffs),
        not_needed=sum(1 for h in handoffs if h.not_needed),
    )


def _due(handoff: HandoffFacts) -> datetime:
    assert handoff.claim_due_at is not None
    return handoff.claim_due_at


def _claim_sla_measured(handoff: HandoffFacts, until: datetime) -> bool:
    """Whether the claim SLA is decided: answered (in time or late), or its deadline passed by `until`."""
    if handoff.claim_due_at is None:
        return False
    return handoff.answered_at is not None or handoff.claim_due_at < until
