"""The scheduler's sweep: SLA warnings, breaches, escalation tiers, snoozes waking, customers left waiting.

A handoff's SLA policy is frozen onto it when it opens; its clock state lives on the handoff (state,
breached, level, next_check_at) and in `context["sla"]`. Each step re-checks state under a lock or a
compare-and-set, so a duplicate sweep is harmless, and one failing handoff never stops the sweep.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from routing import notifications as notify
from routing.business_hours import with_timezone
from routing.config import BatonConfig
from routing.models import EventSource, Handoff, HandoffEvent, HandoffState, OutboxItem
from routing.ports import Store, UnitOfWork
from routing.sla import (
    SlaPolicy,
    SlaState,
    Step,
    StepKind,
    TierAction,
    after,
    claimed,
    deadlines,
    next_check,
    policy_from_data,
    policy_to_data,
    step_due,
)

logger = logging.getLogger(__name__)

RETRY_BROKEN = timedelta(minutes=5)  # a handoff whose step raised is looked at again this much later
SWEEP_CHUNK = 250  # due handoffs stepped per transaction
SWEEP_PARALLEL = 4  # chunk transactions in flight at once


@dataclass(frozen=True, slots=True)
class SweepReport:
    """What one sweep did."""

    steps: int = 0  # SLA steps fired
    opened: int = 0  # handoffs opened for customers left waiting
    failed: int = 0  # handoffs whose step failed (they are looked at again later)
    forgotten: int = 0  # rows deleted by retention

    def __bool__(self) -> bool:
        return bool(self.steps or self.opened or self.failed or self.forgotten)


def start_clock(handoff: Handoff, policy: SlaPolicy, *, timezone: str | None) -> Handoff:
    """Freeze the policy onto a new handoff, in the account's time zone if it has one, and set its deadlines
    and first check: later changes to the policy or to the account's zone leave the handoff's clock as is."""
    policy = replace(policy, hours=with_timezone(policy.hours, timezone))
    claim_due, resolve_due = deadlines(policy, handoff.opened_at)
    opened = replace(
        handoff, policy=policy_to_data(policy), claim_due_at=claim_due, resolve_due_at=resolve_due
    )
    return with_sla(opened, sla_of(opened), now=handoff.opened_at)


def faster_clock(
    handoff: Handoff, policy: SlaPolicy, *, timezone: str | None, now: datetime
) -> Handoff | None:
    """A live handoff nobody has claimed, on `policy`'s clock started now, if that has it claimed sooner than
    its own clock does (a customer who gets upset while waiting on a human request is due in 5 minutes, not
    at the end of the next business day); else None. The faster policy is frozen onto it in its place, with
    its deadlines (the resolve one too: the card shows what the sweep enforces), and a snoozed one wakes."""
    unclaimed = handoff.state is HandoffState.OPEN or (
        handoff.state is HandoffState.SNOOZED and sla_of(handoff).claimed_at is None
    )
    if not unclaimed or handoff.claim_due_at is None:
        return None
    policy = replace(policy, hours=with_timezone(policy.hours, timezone))
    claim_due, resolve_due = deadlines(policy, now)
    # A snoozed handoff's clock is paused until it wakes: it is due no sooner than that.
    current = max(handoff.claim_due_at, handoff.snoozed_until or handoff.claim_due_at)
    if claim_due is None or claim_due >= current:
        return None
    restarted = replace(
        handoff,
        state=HandoffState.OPEN,
        snoozed_until=None,
        policy=policy_to_data(policy),
        claim_due_at=claim_due,
        resolve_due_at=resolve_due,
    )
    return with_sla(restarted, SlaState(state=HandoffState.OPEN, opened_at=now), now=now)


def clock_epoch(handoff: Handoff) -> str:
    """Which clock a handoff is on: "" for the one it opened with, else when a faster one replaced it (whole
    seconds): the last part of its SLA notes' dedupe keys."""
    started = (handoff.context.get("sla") or {}).get("started_at")
    return str(int(datetime.fromisoformat(started).timestamp())) if started else ""


_SLA_NOTES = ("warn", "breach", "tier")


def sla_note_key(kind: str, handoff: Handoff, clock: str, *, tier: int | None = None) -> str:
    """The dedupe key of an SLA note (`kind` warn, breach or tier): `<kind>:<id>:<clock>[:<tier>][:<epoch>]`,
    the epoch naming a clock a faster one restarted (clock_epoch): each clock has notes of its own."""
    parts = [kind, str(handoff.id), clock, *([str(tier)] if tier is not None else []), clock_epoch(handoff)]
    return ":".join(part for part in parts if part)


def sla_note_stale(item: OutboxItem, handoff: Handoff) -> bool:
    """Whether an SLA warning, breach note, reminder or escalation queued earlier is about a clock that has
    stopped since (checked as it goes out, not as it was queued): a reminder that a handoff "is still waiting
    to be claimed" after a rep claimed it, or any of them after it was resolved or a faster clock replaced
    theirs. A breach stays a fact once claimed; after a resolve nobody needs to hear of it."""
    kind, *parts = (item.dedupe_key or "").split(":")  # see sla_note_key
    if kind not in _SLA_NOTES:
        return False
    if not handoff.state.is_live:
        return True
    clock = parts[1] if len(parts) > 1 else ""
    epoch = parts[3 if kind == "tier" else 2 :]
    if (epoch[0] if epoch else "") != clock_epoch(handoff):
        return True  # its deadline is not the handoff's any more
    if kind == "breach":
        return False
    claim_over = handoff.state is HandoffState.CLAIMED or sla_of(handoff).claimed_at is not None
    return handoff.state is HandoffState.SNOOZED or (clock == "claim" and claim_over)


def sla_of(handoff: Handoff) -> SlaState:
    """The SLA clock state stored on a handoff (its clock starts when it opened, or when a faster policy's
    clock replaced the one it opened with)."""
    stored = handoff.context.get("sla") or {}
    return SlaState(
        state=handoff.state,
        opened_at=_time(stored.get("started_at")) or handoff.opened_at,
        claimed_at=_time(stored.get("claimed_at")),
        snoozed_until=handoff.snoozed_until,
        warned=bool(stored.get("warned")),
        breached_at=_time(stored.get("breached_at")),
        level=handoff.level,
    )


def with_sla(handoff: Handoff, sla: SlaState, *, now: datetime) -> Handoff:
    """The handoff carrying `sla`, with its next check computed from its frozen policy."""
    return _carrying(handoff, sla, next_at=next_check(frozen_policy(handoff), sla, now))


def _carrying(handoff: Handoff, sla: SlaState, *, next_at: datetime | None) -> Handoff:
    context = {
        **handoff.context,
        "sla": {
            "claimed_at": _iso(sla.claimed_at),
            "warned": sla.warned,
            "breached_at": _iso(sla.breached_at),
            **({"started_at": _iso(sla.opened_at)} if sla.opened_at != handoff.opened_at else {}),
        },
    }
    return replace(
        handoff,
        state=sla.state,
        snoozed_until=sla.snoozed_until,
        breached=handoff.breached or sla.breached_at is not None,
        level=sla.level,
        context=context,
        next_check_at=next_at if sla.state.is_live else None,
    )


def after_claim(handoff: Handoff, *, was_claimed: bool, now: datetime) -> Handoff:
    """A claim (or a first assignment) stops the claim clock and starts the resolve clock."""
    sla = sla_of(handoff)
    if not was_claimed:
        sla = claimed(sla, now)
    return with_sla(handoff, replace(sla, state=handoff.state), now=now)


def frozen_policy(handoff: Handoff) -> SlaPolicy:
    """The SLA policy frozen onto a handoff when it opened (parsed once per distinct policy)."""
    # repr() of the JSON data is a cheap exact key (about half the cost of json.dumps(sort_keys=True)).
    key = repr(handoff.policy)
    policy = _PARSED.get(key)
    if policy is None:
        policy = policy_from_data(handoff.policy, source="a handoff's frozen policy", path="policy")
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.clear()
        _PARSED[key] = policy
    return policy


_PARSED: dict[str, SlaPolicy] = {}
_PARSED_MAX = 256


class SlaSweeps:
    """The sweep half of BatonService (mixed in; uses the service's store, clock, config and helpers)."""

    config: BatonConfig
    _clock: Callable[[], datetime]
    _store: Store

    async def sweep_steps(self, *, now: datetime, limit: int) -> SweepReport:
        """Fire the due steps of up to `limit` handoffs, in transactions of at most SWEEP_CHUNK handoffs.

        Small transactions hold their row locks (and SQLite's write lock) briefly and hand the event loop
        back between chunks. A transaction that reads a full chunk starts another beside it, up to
        SWEEP_PARALLEL: on PostgreSQL they run at once, so one chunk's Python work overlaps another's
        database work (SQLite's writers queue); each takes due rows nobody holds (SKIP LOCKED), so replicas
        sweeping at the same moment still split the work. The ids a sweep has read are not read again by
        it, so no handoff is stepped twice in one sweep (a further overdue step fires at the next one). A
        chunk that fails rolls back alone: its handoffs count as failed and stay due for the next sweep.
        """
        taken: set[int] = set()  # the handoffs this sweep has read
        # One read at a time, each excluding what the others read: a read running beside another
        # transaction's commit would otherwise take (and step again) a handoff that is still due after it.
        reading = asyncio.Lock()
        budget = limit
        workers: list[asyncio.Task[SweepReport]] = []

        def another() -> None:
            if len(workers) < SWEEP_PARALLEL and budget > 0:
                workers.append(asyncio.create_task(worker()))

        async def worker() -> SweepReport:
            nonlocal budget
            steps = failed = 0
            while budget > 0:
                size = min(SWEEP_CHUNK, budget)
                budget -= size
                due: list[Handoff] = []
                try:
                    async with self._store.transaction() as tx:
                        async with reading:
                            due = await tx.handoffs.due(now=now, limit=size, excluding=taken)
                            taken.update(handoff.id for handoff in due if handoff.id is not None)
                        if len(due) == size:
                            another()  # more may be due: another transaction reads it meanwhile
                        report = await self._step_each(tx, due, now=now)
                except Exception:
                    logger.exception("SLA sweep of %d handoffs failed; they stay due", len(due))
                    return SweepReport(steps=steps, failed=failed + len(due))
                finally:
                    budget += size - len(due)  # what it did not take, for the other transactions
                steps, failed = steps + report.steps, failed + report.failed
                if len(due) < size:
                    break  # nothing more is due that another transaction is not stepping already
            return SweepReport(steps=steps, failed=failed)

        another()
        reports: list[SweepReport] = []
        try:
            while len(reports) < len(workers):  # workers may start more workers meanwhile
                reports.append(await workers[len(reports)])
        finally:
            for task in workers:
                task.cancel()  # (only if this sweep itself was cancelled: the others are done)
            await asyncio.gather(*workers, return_exceptions=True)  # their transactions rolled back
        return SweepReport(steps=sum(r.steps for r in reports), failed=sum(r.failed for r in reports))

    async def _step_each(self, tx: UnitOfWork, due: list[Handoff], *, now: datetime) -> SweepReport:
        """Fire the due step of each of these handoffs, locked by this transaction.

        Three phases: every step is computed in memory, then all handoffs are written in one compare-and-set
        batch, then the events and outbox rows of those actually written go in two batch inserts.
        """
        writes: list[tuple[Handoff, int]] = []
        steps: dict[int | None, Step] = {}
        failed = 0
        for handoff in due:
            try:
                step, moved = self._advance(handoff, now=now)
            except Exception:  # a broken policy or zone must not stop the sweep for everyone else
                logger.exception("SLA step of handoff %s failed; retrying in %s", handoff.id, RETRY_BROKEN)
                moved, step = replace(handoff, next_check_at=now + RETRY_BROKEN), None
                failed += 1
            writes.append((moved, handoff.version))
            if step is not None:
                steps[handoff.id] = step
        # A handoff not written changed meanwhile (a rep clicked): the next sweep sees fresh state.
        fired = [(h, steps[h.id]) for h in await tx.handoffs.update_many(writes) if h.id in steps]
        at = self._clock()
        await tx.handoff_events.append_many([_step_event(h, step, at=at) for h, step in fired])
        await tx.outbox.enqueue_many([item for h, step in fired for item in self._effects(h, step, now=now)])
        return SweepReport(steps=len(fired), failed=failed)

    def _advance(self, handoff: Handoff, *, now: datetime) -> tuple[Step | None, Handoff]:
        policy = frozen_policy(handoff)
        sla = sla_of(handoff)
        step = step_due(policy, sla, now)
        if step is not None:
            sla = after(step, sla)
        # If another step is overdue already, next_check_at is its due time and the next sweep fires it.
        return step, _carrying(handoff, sla, next_at=next_check(policy, sla, now))

    def _effects(self, handoff: Handoff, step: Step, *, now: datetime) -> list[OutboxItem]:
        # Whose it is; for a handoff nobody has yet, the group it went to, and at the breach or a reminder
        # that comes after a wait (not the early warning, nor a tier right behind the breach) the card
        # channel's people, once per moment: a thread note mentioning nobody notifies nobody.
        loud = step.kind is StepKind.BREACH or (
            step.kind is StepKind.ESCALATE and _waited(frozen_policy(handoff), step.tier or 0)
        )
        who = _mention(handoff, loud=loud)
        due = handoff.claim_due_at if step.clock == "claim" else handoff.resolve_due_at
        what = "claimed" if step.clock == "claim" else "resolved"
        if step.kind is StepKind.WAKE:
            # Whose it is, else who asked to be reminded (snoozed it), else the card's people.
            snoozer = str(handoff.context.get("snoozed_by") or "")
            if not handoff.assignee_id and snoozer:
                who = f"<@{snoozer}>"
            return [
                notify.update_card(handoff, now=now),
                notify.thread_note(handoff, text=f":alarm_clock: Snooze is over. {who}".strip(), now=now),
            ]
        if step.kind is StepKind.WARN:
            text = f":hourglass_flowing_sand: This handoff should be {what} by {_when(due)}. {who}".strip()
            return [
                notify.thread_note(
                    handoff, text=text, now=now, dedupe=sla_note_key("warn", handoff, step.clock)
                )
            ]
        if step.kind is StepKind.BREACH:
            text = f":rotating_light: SLA breached: this handoff was due to be {what} by {_when(due)}. {who}"
            return [
                notify.update_card(handoff, now=now),
                notify.thread_note(
                    handoff, text=text.strip(), now=now, dedupe=sla_note_key("breach", handoff, step.clock)
                ),
            ]
        return self._tier(handoff, step, now=now, who=who, what=what)

    def _tier(self, handoff: Handoff, step: Step, *, now: datetime, who: str, what: str) -> list[OutboxItem]:
        tier = step.tier_spec
        dedupe = sla_note_key("tier", handoff, step.clock, tier=step.tier)
        summary = f"{handoff.escalation_type.replace('_', ' ')} handoff in <#{handoff.channel_id}>"
        if tier is None or step.action is TierAction.REMIND:
            text = f":bell: Reminder: this handoff is still waiting to be {what}. {who}".strip()
            return [notify.thread_note(handoff, text=text, now=now, dedupe=dedupe)]
        mention = f"<!subteam^{tier.mention}> " if tier.mention else ""
        text = f":rotating_light: {mention}An overdue {summary} is still waiting to be {what}."
        return [notify.escalation(handoff, channel=tier.target, text=text, now=now, dedupe=dedupe)]


def _step_event(handoff: Handoff, step: Step, *, at: datetime) -> HandoffEvent:
    assert handoff.id is not None
    data: dict[str, Any] = {"clock": step.clock, "due_at": step.due_at.isoformat()}
    if step.tier is not None:
        data.update(tier=step.tier, action=step.action.value if step.action else None)
    return HandoffEvent(
        handoff_id=handoff.id,
        kind=_EVENT[step.kind],
        at=at,
        source=EventSource.SCHEDULER,
        actor="",
        data=data,
    )


_EVENT = {
    StepKind.WAKE: "woke",
    StepKind.WARN: "sla_warning",
    StepKind.BREACH: "sla_breached",
    StepKind.ESCALATE: "escalated",
}


def _waited(policy: SlaPolicy, tier: int) -> bool:
    """Whether chain step `tier` comes after a wait (a repeat of the last tier waits a minute at least)."""
    last = len(policy.chain) - 1
    return tier > last or policy.chain[tier].wait_minutes > 0


def _mention(handoff: Handoff, *, loud: bool) -> str:
    user = handoff.assignee_id or handoff.routed_to
    if user:
        return f"<@{user}>"
    group = handoff.context.get("group")
    if isinstance(group, str) and group:
        return f"<!subteam^{group}>"
    return "<!here>" if loud else ""


def _when(moment: datetime | None) -> str:
    if moment is None:
        return "its deadline"
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{moment:%Y-%m-%d %H:%M} UTC>"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None
