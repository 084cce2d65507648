"""SLA clocks of a handoff: deadlines, the pre-breach warning, the breach and the escalation chain.

A handoff runs one clock at a time: "claim" while open, "resolve" once claimed; both count from `opened_at`.
`next_step(policy, sla, now)` says what to do now and when to look again; `after(step, sla)` is the state once
that step is done. Both are pure: the scheduler stores `SlaState`, re-checks it when a step fires and updates
it conditionally, so a duplicate run is harmless. After downtime only the most advanced overdue step fires;
the breach is always its own step, and the chain counts from the recorded breach.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from routing.business_hours import (
    BusinessHours,
    add_business_time,
    business_minutes_between,
    end_of_business_day,
    hours_from_data,
    hours_to_data,
    with_timezone,
)
from routing.models import HandoffState
from routing.rules import RulesError

__all__ = [
    "CLAIM",
    "DEFAULT_POLICIES",
    "RESOLVE",
    "BusinessHours",
    "ChainTier",
    "SlaPolicy",
    "SlaState",
    "Step",
    "StepKind",
    "TierAction",
    "add_business_time",
    "after",
    "claimed",
    "deadlines",
    "end_of_business_day",
    "next_check",
    "next_step",
    "policy_from_data",
    "policy_to_data",
    "step_due",
]

CLAIM = "claim"
RESOLVE = "resolve"
MAX_MINUTES = 366 * 24 * 60  # a year of minutes bounds every duration in a policy
MAX_TIERS = 10
MAX_REPEAT = 100


class StepKind(StrEnum):
    WAKE = "wake"  # a snooze ran out
    WARN = "warn"  # the pre-breach warning
    BREACH = "breach"  # the clock's deadline passed
    ESCALATE = "escalate"  # one tier of the chain (or a repeat of the last one)


class TierAction(StrEnum):
    REMIND = "remind"  # remind the assignee, or the rep/channel the card went to, in the card's thread
    NOTIFY_CHANNEL = "notify_channel"  # post in `target` channel, mentioning user group `mention` if set
    DM_USER = "dm_user"  # DM user `target` (e.g. the manager)


@dataclass(frozen=True, slots=True)
class ChainTier:
    """One escalation tier: what to do, `wait_minutes` (policy clock) after the previous tier or breach."""

    action: TierAction
    wait_minutes: int = 0
    target: str = ""
    mention: str = ""


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    """An escalation type's SLA; frozen onto the handoff when it opens."""

    claim_within_minutes: int
    resolve_within_minutes: int | None = None
    hours: BusinessHours | None = None  # None: 24x7
    same_business_day: bool = False  # claim due at the latest at the close of the business day it opened in
    warn_at: float = 0.75  # pre-breach warning at this fraction of the SLA
    chain: tuple[ChainTier, ...] = ()
    repeat: int = 0  # after the last tier, repeat it this many more times (each after its wait)


@dataclass(frozen=True, slots=True)
class SlaState:
    """What the scheduler knows about one handoff's clock; `warned`, `breached_at`, `level` are per clock."""

    state: HandoffState
    opened_at: datetime
    claimed_at: datetime | None = None
    snoozed_until: datetime | None = None
    warned: bool = False
    breached_at: datetime | None = None
    level: int = 0  # chain steps done for the current clock


@dataclass(frozen=True, slots=True)
class Step:
    """One thing to do. For ESCALATE, `tier` counts chain steps from 0 (repeats go on past the last tier's
    index) and `tier_spec` is the ChainTier to perform."""

    kind: StepKind
    clock: str  # CLAIM | RESOLVE
    due_at: datetime
    tier: int | None = None
    action: TierAction | None = None
    tier_spec: ChainTier | None = None


_FIRST = ChainTier(TierAction.REMIND, 0)
_AGAIN = ChainTier(TierAction.REMIND, 15)
_OFFICE = BusinessHours()  # Mon–Fri 09:00–17:00 UTC

DEFAULT_POLICIES: dict[str, SlaPolicy] = {
    "upset_customer": SlaPolicy(5, resolve_within_minutes=240, chain=(_FIRST, _AGAIN)),
    "human_request": SlaPolicy(15, hours=_OFFICE, chain=(_FIRST, _AGAIN)),
    "sales_opportunity": SlaPolicy(60, hours=_OFFICE, chain=(_FIRST,)),
    "complex_question": SlaPolicy(240, hours=_OFFICE, same_business_day=True, chain=(_FIRST,)),
    "uncertain_ai": SlaPolicy(60, hours=_OFFICE, chain=(_FIRST,)),
    "routine_review": SlaPolicy(1440, chain=(_FIRST,)),
}


def deadlines(
    policy: SlaPolicy, opened_at: datetime, *, timezone: str | None = None
) -> tuple[datetime, datetime | None]:
    """(claim due, resolve due or None); `timezone` (an account's) overrides the policy's hours timezone."""
    hours = with_timezone(policy.hours, timezone)
    claim = _clock_times(policy, CLAIM, _aware(opened_at), hours)
    resolve = _clock_times(policy, RESOLVE, _aware(opened_at), hours)
    assert claim is not None
    return claim[1], resolve[1] if resolve else None


def next_step(
    policy: SlaPolicy, sla: SlaState, now: datetime, *, timezone: str | None = None
) -> tuple[Step | None, datetime | None]:
    """(the one step to perform now or None, when the step after it is due or None if nothing more can be)."""
    hours = with_timezone(policy.hours, timezone)
    step, ahead = _due_by(policy, sla, _aware(now), hours)
    if step is None:
        return None, ahead
    return step, _first_due(policy, after(step, sla), hours)


def step_due(policy: SlaPolicy, sla: SlaState, now: datetime, *, timezone: str | None = None) -> Step | None:
    """The one step to perform now, or None: `next_step` without working out the step after it."""
    return _due_by(policy, sla, _aware(now), with_timezone(policy.hours, timezone))[0]


def next_check(
    policy: SlaPolicy, sla: SlaState, now: datetime, *, timezone: str | None = None
) -> datetime | None:
    """When to look at the clock next: the due time of the step due now if any (the next sweep fires it),
    else of the first step ahead; None if no step can come."""
    step, ahead = _due_by(policy, sla, _aware(now), with_timezone(policy.hours, timezone))
    return step.due_at if step is not None else ahead


def _due_by(
    policy: SlaPolicy, sla: SlaState, now: datetime, hours: BusinessHours | None
) -> tuple[Step | None, datetime | None]:
    """(the step to perform now, None) or (None, when the first step ahead is due or None)."""
    if sla.state is HandoffState.SNOOZED:
        if sla.snoozed_until is None:
            return None, None  # snoozed until someone acts
        if sla.snoozed_until > now:
            return None, sla.snoozed_until
        return Step(StepKind.WAKE, CLAIM if sla.claimed_at is None else RESOLVE, sla.snoozed_until), None
    overdue = None
    for step in _pending(policy, sla, hours):
        if step.due_at > now:
            return (overdue, None) if overdue is not None else (None, step.due_at)
        # After downtime only the most advanced overdue step fires. Tiers due at one same moment (no wait
        # between them) are not skipped: the first fires, the next sweeps fire the others. A warning due
        # with its breach (a zero SLA) is skipped.
        if overdue is None or step.due_at > overdue.due_at or overdue.kind is StepKind.WARN:
            overdue = step
    return overdue, None


def after(step: Step, sla: SlaState) -> SlaState:
    """The state once `step` is done (and everything before it on its clock counts as done)."""
    return _AFTER[step.kind](step, sla)


def claimed(sla: SlaState, at: datetime) -> SlaState:
    """The state once the handoff is claimed: the resolve clock starts with nothing done."""
    return replace(
        sla,
        state=HandoffState.CLAIMED,
        claimed_at=at,
        snoozed_until=None,
        warned=False,
        breached_at=None,
        level=0,
    )


def _after_wake(step: Step, sla: SlaState) -> SlaState:
    state = HandoffState.OPEN if sla.claimed_at is None else HandoffState.CLAIMED
    return replace(sla, state=state, snoozed_until=None)


def _after_warn(step: Step, sla: SlaState) -> SlaState:
    return replace(sla, warned=True)


def _after_breach(step: Step, sla: SlaState) -> SlaState:
    return replace(sla, warned=True, breached_at=sla.breached_at or step.due_at)


def _after_escalate(step: Step, sla: SlaState) -> SlaState:
    level = max(sla.level, (step.tier or 0) + 1)
    return replace(sla, warned=True, breached_at=sla.breached_at or step.due_at, level=level)


_AFTER: dict[StepKind, Callable[[Step, SlaState], SlaState]] = {
    StepKind.WAKE: _after_wake,
    StepKind.WARN: _after_warn,
    StepKind.BREACH: _after_breach,
    StepKind.ESCALATE: _after_escalate,
}


def _first_due(policy: SlaPolicy, sla: SlaState, hours: BusinessHours | None) -> datetime | None:
    if sla.state is HandoffState.SNOOZED:
        return sla.snoozed_until
    return next((step.due_at for step in _pending(policy, sla, hours)), None)


def _pending(policy: SlaPolicy, sla: SlaState, hours: BusinessHours | None) -> Iterator[Step]:
    """The steps not yet done on the current clock, in order of due time."""
    if sla.state is HandoffState.OPEN:
        clock = CLAIM
    elif sla.state is HandoffState.CLAIMED:
        clock = RESOLVE
    else:
        return  # closed or snoozed
    times = _clock_times(policy, clock, _aware(sla.opened_at), hours)
    if times is None:
        return  # no resolve deadline
    warn_at, due = times
    if sla.breached_at is None:
        if not sla.warned:
            yield Step(StepKind.WARN, clock, warn_at)
        yield Step(StepKind.BREACH, clock, due)
        return  # the chain counts from the breach once it is recorded
    tiers = _chain_times(policy, _aware(sla.breached_at), hours)
    for tier in range(sla.level, len(tiers)):
        spec = policy.chain[min(tier, len(policy.chain) - 1)]
        yield Step(StepKind.ESCALATE, clock, tiers[tier], tier=tier, action=spec.action, tier_spec=spec)


# Memoised: a sweep asks about each handoff's clock several times (the step due now, then the one after it).
# Small on purpose: the entries are reused within one handoff's step, not between handoffs.
@functools.lru_cache(maxsize=256)
def _clock_times(
    policy: SlaPolicy, clock: str, opened_at: datetime, hours: BusinessHours | None
) -> tuple[datetime, datetime] | None:
    """(the warning's due time, the deadline) of one clock, or None if the policy gives it no deadline."""
    minutes: float
    if clock == CLAIM:
        minutes = policy.claim_within_minutes
        due = add_business_time(opened_at, minutes, hours)
        if policy.same_business_day and hours is not None:
            due = min(due, end_of_business_day(opened_at, hours))
            minutes = min(minutes, business_minutes_between(opened_at, due, hours))
    elif policy.resolve_within_minutes is None:
        return None
    else:
        minutes = policy.resolve_within_minutes
        due = add_business_time(opened_at, minutes, hours)
    return add_business_time(opened_at, policy.warn_at * minutes, hours), due


@functools.lru_cache(maxsize=256)
def _chain_times(
    policy: SlaPolicy, breached_at: datetime, hours: BusinessHours | None
) -> tuple[datetime, ...]:
    """When each step of the chain (repeats included) is due, counted from the breach."""
    if not policy.chain:
        return ()
    last = len(policy.chain) - 1
    times: list[datetime] = []
    at = breached_at
    for tier in range(last + 1 + policy.repeat):
        wait = policy.chain[min(tier, last)].wait_minutes
        wait = wait if tier <= last else max(wait, 1)
        # A zero wait is "at the same moment", even when that moment is a closing time.
        at = add_business_time(at, wait, hours) if wait else at
        times.append(at)
    return tuple(times)


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"expected an aware datetime, got naive {moment.isoformat()}")
    return moment.astimezone(UTC)


# ---- data ----

_FIELDS = ("claim_within_minutes", "resolve_within_minutes", "hours", "same_business_day", "warn_at", "chain",
           "repeat")  # fmt: skip
_TIER_FIELDS = ("action", "wait_minutes", "target", "mention")
_TARGET_ID = {
    TierAction.NOTIFY_CHANNEL: (re.compile(r"[CG][A-Z0-9]{2,31}"), "a channel id (C… or G…)"),
    TierAction.DM_USER: (re.compile(r"[UW][A-Z0-9]{2,31}"), "a user id (U… or W…)"),
}
_GROUP_ID = re.compile(r"S[A-Z0-9]{2,31}")


def policy_to_data(policy: SlaPolicy) -> dict[str, Any]:
    """The policy as JSON/YAML-friendly data; `policy_from_data` gives it back equal."""
    return {
        "claim_within_minutes": policy.claim_within_minutes,
        "resolve_within_minutes": policy.resolve_within_minutes,
        "hours": hours_to_data(policy.hours) if policy.hours is not None else None,
        "same_business_day": policy.same_business_day,
        "warn_at": policy.warn_at,
        "chain": [_tier_to_data(tier) for tier in policy.chain],
        "repeat": policy.repeat,
    }


def _tier_to_data(tier: ChainTier) -> dict[str, Any]:
    data: dict[str, Any] = {"action": tier.action.value, "wait_minutes": tier.wait_minutes}
    if tier.target:
        data["target"] = tier.target
    if tier.mention:
        data["mention"] = tier.mention
    return data


def policy_from_data(data: Any, *, source: str, path: str) -> SlaPolicy:
    """Parse and validate a policy; a RulesError names `source`, the field under `path` and the problem."""
    if not isinstance(data, Mapping):
        raise RulesError(source, path, f"expected a mapping, got {type(data).__name__}")
    _unknown(data, _FIELDS, source, path)
    if "claim_within_minutes" not in data:
        raise RulesError(source, _at(path, "claim_within_minutes"), "required")
    hours = data.get("hours")
    policy = SlaPolicy(
        claim_within_minutes=_minutes(
            data["claim_within_minutes"], source, _at(path, "claim_within_minutes")
        ),
        resolve_within_minutes=(
            None
            if data.get("resolve_within_minutes") is None
            else _minutes(data["resolve_within_minutes"], source, _at(path, "resolve_within_minutes"))
        ),
        hours=None if hours is None else hours_from_data(hours, source=source, path=_at(path, "hours")),
        same_business_day=_bool(data.get("same_business_day", False), source, _at(path, "same_business_day")),
        warn_at=_fraction(data.get("warn_at", 0.75), source, _at(path, "warn_at")),
        chain=_tiers(data.get("chain", []), source, _at(path, "chain")),
        repeat=_int(data.get("repeat", 0), MAX_REPEAT, source, _at(path, "repeat")),
    )
    if policy.same_business_day and policy.hours is None:
        raise RulesError(source, _at(path, "same_business_day"), "needs business hours ('hours' is not set)")
    if policy.repeat and not policy.chain:
        raise RulesError(source, _at(path, "repeat"), "repeats the last tier, but the chain is empty")
    return policy


def _tiers(value: Any, source: str, path: str) -> tuple[ChainTier, ...]:
    if not isinstance(value, list):
        raise RulesError(source, path, f"expected a list of tiers, got {type(value).__name__}")
    if len(value) > MAX_TIERS:
        raise RulesError(source, path, f"at most {MAX_TIERS} tiers, got {len(value)}")
    return tuple(_tier(item, source, f"{path}[{i}]") for i, item in enumerate(value))


def _tier(data: Any, source: str, path: str) -> ChainTier:
    if not isinstance(data, Mapping):
        raise RulesError(source, path, f"expected a mapping, got {type(data).__name__}")
    _unknown(data, _TIER_FIELDS, source, path)
    try:
        action = TierAction(str(data.get("action")))
    except ValueError:
        choices = ", ".join(a.value for a in TierAction)
        raise RulesError(
            source, f"{path}.action", f"unknown action {data.get('action')!r}; one of: {choices}"
        ) from None
    target = _string(data.get("target", ""), source, f"{path}.target")
    mention = _string(data.get("mention", ""), source, f"{path}.mention")
    if action is TierAction.REMIND and target:
        raise RulesError(source, f"{path}.target", "remind posts in the card's thread and takes no target")
    if action in _TARGET_ID:
        pattern, what = _TARGET_ID[action]
        if not pattern.fullmatch(target):
            raise RulesError(source, f"{path}.target", f"{action.value} needs {what}, got {target!r}")
    if mention and not _GROUP_ID.fullmatch(mention):
        raise RulesError(source, f"{path}.mention", f"expected a user group id (S…), got {mention!r}")
    wait = _minutes(data.get("wait_minutes", 0), source, f"{path}.wait_minutes")
    return ChainTier(action, wait, target, mention)


def _at(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _unknown(data: Mapping[str, Any], allowed: tuple[str, ...], source: str, path: str) -> None:
    for key in data:
        if key not in allowed:
            hint = difflib.get_close_matches(str(key), allowed, n=1)
            raise RulesError(
                source,
                _at(path, str(key)),
                "unknown field" + (f" (did you mean {hint[0]!r}?)" if hint else ""),
            )


def _minutes(value: Any, source: str, path: str) -> int:
    return _int(value, MAX_MINUTES, source, path)


def _int(value: Any, most: int, source: str, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RulesError(source, path, f"expected a whole number, got {value!r}")
    if not 0 <= value <= most:
        raise RulesError(source, path, f"must be between 0 and {most}, got {value}")
    return value


def _fraction(value: Any, source: str, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RulesError(source, path, f"expected a number, got {value!r}")
    if not 0 < value < 1:
        raise RulesError(source, path, f"must be between 0 and 1 (exclusive), got {value}")
    return float(value)


def _bool(value: Any, source: str, path: str) -> bool:
    if not isinstance(value, bool):
        raise RulesError(source, path, f"expected true or false, got {value!r}")
    return value


def _string(value: Any, source: str, path: str) -> str:
    if not isinstance(value, str):
        raise RulesError(source, path, f"expected a string, got {value!r}")
    return value.strip()
