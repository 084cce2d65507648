"""The SLA sweep with a controllable clock, over the real store on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from routing import sweep
from routing.agent import EscalationRequest
from routing.business_hours import BusinessHours
from routing.config import BatonConfig
from routing.handoffs import Action
from routing.intake import IntakeOutcome
from routing.models import (
    Account,
    AuthorKind,
    EventSource,
    Handoff,
    HandoffState,
    MessageChange,
    MessageFacts,
    WatchedChannel,
)
from routing.routes import RoutingTable, Target, TargetKind
from routing.service import BatonService
from routing.sla import DEFAULT_POLICIES, ChainTier, SlaPolicy, TierAction
from storage import SqlStore

MONDAY_10 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)  # in office hours (Mon–Fri 09–17 UTC)
FRIDAY_1655 = datetime(2026, 12, 4, 16, 55, tzinfo=UTC)
_ts = itertools.count(1)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def at(self, start: datetime, minutes: float) -> None:
        self.now = start + timedelta(minutes=minutes)


def service_on(store: SqlStore, clock: Clock, **config) -> BatonService:
    base = BatonConfig(routing=RoutingTable(default=Target(TargetKind.CHANNEL, "C0TRIAGE")))
    return BatonService(store=store, clock=clock, config=replace(base, **config))


async def watched(service: BatonService, **changes) -> None:
    channel = WatchedChannel(channel_id="C0ACME", name="acme", is_shared=True, account=Account(name="Acme"))
    await service.save_channel(replace(channel, **changes))


def customer(text: str, clock: Clock, *, thread: str | None = None) -> MessageFacts:
    ts = f"{1800000000 + next(_ts)}.000100"
    return MessageFacts(
        channel_id="C0ACME", ts=ts, thread_ts=thread or ts, author_id="U0ACME1", author_team="T0ACME",
        author_kind=AuthorKind.CUSTOMER, text=text, received_at=clock(), event_id=f"Ev{ts}",
    )  # fmt: skip


async def kinds(service: BatonService, handoff_id: int) -> list[str]:
    return [e.kind for e in await service.events(handoff_id)]


async def notes(store: SqlStore, handoff_id: int, *, width: int = 40) -> list[str]:
    """The handoff's outbox rows as "method:text" (the text's first `width` characters)."""
    async with store.transaction() as tx:
        ids = await tx.connection.exec_driver_sql(
            f"SELECT id FROM outbox WHERE handoff_id = {handoff_id} ORDER BY id"
        )
        rows = [await tx.outbox.get(item_id=row[0]) for row in ids.all()]
    return [f"{row.method}:{str(row.payload.get('text', ''))[:width]}" for row in rows]


async def test_warning_breach_and_chain_in_business_minutes(store: SqlStore):
    clock = Clock(MONDAY_10)
    service = service_on(store, clock)
    await watched(service)
    handoff = (await service.handle_message(customer("Can I talk to a person please?", clock))).handoff
    assert handoff.escalation_type == "human_request"
    assert handoff.claim_due_at == MONDAY_10 + timedelta(minutes=15)

    clock.at(MONDAY_10, 5)
    assert not await service.sweep()
    clock.at(MONDAY_10, 12)  # 75% of 15 minutes
    assert (await service.sweep()).steps == 1
    clock.at(MONDAY_10, 16)
    assert (await service.sweep()).steps == 1  # the breach
    assert (await service.sweep()).steps == 1  # tier 0 (remind, no wait) on the next look
    assert not await service.sweep()  # a duplicate sweep changes nothing
    clock.at(MONDAY_10, 31)  # tier 1 waits 15 minutes after the breach
    assert (await service.sweep()).steps == 1
    clock.at(MONDAY_10, 300)
    assert not await service.sweep()  # the chain is done

    assert await kinds(service, handoff.id) == [
        "opened",
        "sla_warning",
        "sla_breached",
        "escalated",
        "escalated",
    ]
    stored = await service.handoff(handoff.id)
    assert stored.breached and stored.level == 2 and stored.next_check_at is None
    rows = await notes(store, handoff.id)
    assert sum(r.startswith("thread_note::hourglass") for r in rows) == 1
    assert sum(r.startswith("thread_note::rotating_light: SLA breached") for r in rows) == 1
    assert sum(r.startswith("thread_note::bell: Reminder") for r in rows) == 2
    assert rows.count("update_card:") == 1  # the card turns red once
    # Nobody has it and it went to a channel: the breach and the reminder after a wait call on the channel's
    # people (a thread note mentioning nobody notifies nobody); the early warning and the reminder right
    # behind the breach (tier 0, no wait) do not: once per moment.
    texts = [row.partition(":")[2] for row in await notes(store, handoff.id, width=1000)]
    assert [t.split()[0] for t in texts if t.endswith("<!here>")] == [":rotating_light:", ":bell:"]


async def test_after_downtime_an_overdue_step_fires_once(store: SqlStore):
    clock = Clock(MONDAY_10)
    service = service_on(store, clock)
    await watched(service)
    handoff = (await service.handle_message(customer("I need to speak to a human", clock))).handoff
    clock.at(MONDAY_10, 180)  # the scheduler was down for three hours
    reports = [await service.sweep() for _ in range(4)]
    assert [r.steps for r in reports] == [1, 1, 0, 0]  # the breach, then the latest tier: no replay of ticks
    assert await kinds(service, handoff.id) == ["opened", "sla_breached", "escalated"]


async def test_business_hours_carry_over_the_weekend(store: SqlStore):
    clock = Clock(FRIDAY_1655)
    service = service_on(store, clock)
    await watched(service)
    handoff = (await service.handle_message(customer("Let me talk to a real person", clock))).handoff
    assert handoff.claim_due_at == datetime(2026, 12, 7, 9, 10, tzinfo=UTC)  # Monday 09:10
    clock.now = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)  # Saturday: nothing is due
    assert not await service.sweep()


async def test_claiming_stops_the_claim_clock_and_starts_the_resolve_clock(store: SqlStore):
    clock = Clock(MONDAY_10)
    service = service_on(store, clock)
    await watched(service)
    text = "This is ridiculous, the export has been broken for a week and nobody answers!!"
    handoff = (await service.handle_message(customer(text, clock))).handoff
    assert handoff.escalation_type == "upset_customer"
    clock.at(MONDAY_10, 2)
    await service.act(
        handoff_id=handoff.id, action=Action.CLAIM, actor="U0REP", source=EventSource.SLACK_ACTION
    )
    clock.at(MONDAY_10, 30)
    assert not await service.sweep()  # the 5-minute claim SLA was met
    clock.at(MONDAY_10, 241)
    assert (await service.sweep()).steps == 1
    assert (await kinds(service, handoff.id))[-1] == "sla_breached"
    assert (await service.handoff(handoff.id)).context["sla"]["breached_at"].startswith("2026-11-30T14:00")


async def test_snoozed_handoffs_wake_on_time(store: SqlStore):
    clock = Clock(MONDAY_10)
    service = service_on(store, clock)
    await watched(service)
    handoff = (await service.handle_message(customer("Can someone call me back?", clock))).handoff
    await service.act(
        handoff_id=handoff.id, action=Action.CLAIM, actor="U0REP", source=EventSource.SLACK_ACTION
    )
    await service.act(
        handoff_id=handoff.id,
        action=Action.SNOOZE,
        actor="U0REP",
        source=EventSource.SLACK_ACTION,
        snooze_minutes=30,
    )
    clock.at(MONDAY_10, 29)
    assert not await service.sweep()
    clock.at(MONDAY_10, 31)
    assert (await service.sweep()).steps == 1
    woke = await service.handoff(handoff.id)
    assert (woke.state, woke.assignee_id, woke.snoozed_until) == (HandoffState.CLAIMED, "U0REP", None)
    assert (await kinds(service, handoff.id))[-1] == "woke"


async def test_escalation_tiers_post_to_the_team_channel_and_the_manager(store: SqlStore):
    clock = Clock(MONDAY_10)
    chain = (
        ChainTier(TierAction.NOTIFY_CHANNEL, 0, target="C0TEAM", mention="S0SUPPORT"),
        ChainTier(TierAction.DM_USER, 10, target="U0MANAGER"),
    )
    service = service_on(store, clock, sla={"human_request": SlaPolicy(15, chain=chain)})
    await watched(service)
    await service.handle_message(customer("Please get me a human", clock))
    clock.at(MONDAY_10, 16)
    await service.sweep()
    await service.sweep()
    clock.at(MONDAY_10, 26)
    await service.sweep()
    async with store.transaction() as tx:
        rows = (
            await tx.connection.exec_driver_sql("SELECT channel_key, method FROM outbox ORDER BY id")
        ).all()
    escalations = [(key, method) for key, method in rows if method == "escalation"]
    assert escalations == [("C0TEAM", "escalation"), ("U0MANAGER", "escalation")]


async def test_tiers_with_no_wait_between_them_each_fire(store: SqlStore):
    """Tiers due at one same moment are not "overdue after downtime": a scheduler ticking every 15 s fires
    every one of them, in order, one per sweep."""
    clock = Clock(MONDAY_10)
    chain = (
        ChainTier(TierAction.REMIND, 0),  # remind the assignee at the breach...
        ChainTier(TierAction.NOTIFY_CHANNEL, 0, target="C0TEAM", mention="S0SUPPORT"),  # ...and tell the team
        ChainTier(TierAction.DM_USER, 30, target="U0MANAGER"),  # the manager half an hour later
    )
    service = service_on(store, clock, sla={"human_request": SlaPolicy(15, chain=chain)})
    await watched(service)
    handoff = (await service.handle_message(customer("Please get me a human", clock))).handoff
    for tick in range(90 * 4):  # 90 minutes
        clock.now = MONDAY_10 + timedelta(seconds=15 * tick)
        await service.sweep()
    rows = await notes(store, handoff.id)
    assert len([r for r in rows if r.startswith("thread_note::bell: Reminder")]) == 1, rows
    assert len([r for r in rows if r.startswith("escalation:")]) == 2, rows
    kinds = [(e.kind, e.data.get("tier")) for e in await service.events(handoff.id)]
    assert [k for k in kinds if k[0] == "escalated"] == [("escalated", 0), ("escalated", 1), ("escalated", 2)]


async def test_a_handoff_keeps_the_time_zone_it_opened_in(store: SqlStore):
    """The account's zone is frozen onto the handoff with its policy: changing it later moves no deadline
    of a handoff already open (its card says when it is due)."""
    clock = Clock(MONDAY_10)
    service = service_on(store, clock)
    channel = WatchedChannel(channel_id="C0ACME", name="acme", is_shared=True, account=Account(name="Acme"))
    await service.save_channel(channel)
    handoff = (await service.handle_message(customer("Can I talk to a person please?", clock))).handoff
    assert handoff.claim_due_at == MONDAY_10 + timedelta(minutes=15)  # business hours, UTC
    zoned = replace(channel, account=replace(channel.account, timezone="America/Los_Angeles"))
    await service.save_channel(zoned)  # 02:00 in Los Angeles: its office opens seven hours later
    clock.at(MONDAY_10, 16)
    await service.sweep()
    assert "sla_breached" in await kinds(service, handoff.id)
    later = (await service.handle_message(customer("I want to speak to a human", clock))).handoff
    assert later.claim_due_at == MONDAY_10 + timedelta(hours=7, minutes=15)  # opened in the new zone


async def test_one_broken_handoff_never_stops_the_sweep(store: SqlStore):
    clock = Clock(MONDAY_10)
    service = service_on(store, clock)
    await watched(service)
    first = (await service.handle_message(customer("Can I talk to a person?", clock))).handoff
    second = (await service.handle_message(customer("I want a human please", clock))).handoff
    async with store.transaction() as tx:
        broken = await tx.handoffs.get(handoff_id=first.id)
        await tx.handoffs.update(
            replace(broken, policy={"claim_within_minutes": "soon"}), expected_version=broken.version
        )
    clock.at(MONDAY_10, 16)
    report = await service.sweep()
    assert (report.failed, report.steps) == (1, 1)
    assert "sla_breached" in await kinds(service, second.id)
    assert (await service.handoff(first.id)).next_check_at == clock.now + timedelta(minutes=5)


async def test_a_customer_left_waiting_opens_a_handoff(store: SqlStore):
    clock = Clock(MONDAY_10)
    service = service_on(store, clock)
    await watched(service, unanswered_minutes=20)
    waiting = customer("How do I export a CSV report?", clock)
    answered = customer("Where is the API documentation?", clock)
    await service.handle_message(waiting)
    await service.handle_message(answered)
    reply = replace(
        customer("It's at docs.example.com", clock, thread=answered.thread_ts), author_kind=AuthorKind.AI
    )
    await service.handle_message(replace(reply, author_id="U0AIBOT", author_team="T0OURS"))
    clock.at(MONDAY_10, 19)
    assert not await service.sweep()
    clock.at(MONDAY_10, 21)
    assert (await service.sweep()).opened == 1
    assert not (await service.sweep()).opened  # not twice
    async with store.transaction() as tx:
        handoff = await tx.handoffs.live_for(channel_id="C0ACME", thread_ts=waiting.thread_ts)
        assert await tx.handoffs.live_for(channel_id="C0ACME", thread_ts=answered.thread_ts) is None
    assert (handoff.escalation_type, handoff.reasons) == ("routine_review", ("unanswered",))
    assert (await service.events(handoff.id))[0].source is EventSource.SCHEDULER


async def test_an_answer_stored_before_the_question_it_answers_leaves_nobody_waiting(store: SqlStore):
    """The answer's event came first (the question's delivery was retried, or another replica stored it a
    moment later): the question still started a wait when it was stored, but the sweep sees the answer."""
    clock = Clock(MONDAY_10)
    service = service_on(store, clock)
    await watched(service, unanswered_minutes=20)
    question = customer("How do I export a CSV report?", clock)
    answer = replace(
        customer("Settings → Export → CSV", clock, thread=question.thread_ts),
        author_kind=AuthorKind.AI, author_id="U0AIBOT", author_team="T0OURS",
    )  # fmt: skip
    await service.handle_message(answer)
    await service.handle_message(question)
    clock.at(MONDAY_10, 31)
    assert not (await service.sweep()).opened
    async with store.transaction() as tx:
        assert (
            await tx.conversations.get(channel_id="C0ACME", thread_ts=question.thread_ts)
        ).waiting_since is None
    await service.handle_message(customer("And a PDF?", clock, thread=question.thread_ts))  # a new question
    clock.at(MONDAY_10, 52)
    assert (await service.sweep()).opened == 1


async def test_a_closed_handoff_ends_the_wait_until_the_customer_writes_again(store: SqlStore):
    """Resolved or marked not needed, the customer counts as dealt with: the same old message does not open
    a handoff again after the cooldown; a new customer message starts a new wait."""
    clock = Clock(MONDAY_10)
    service = service_on(store, clock)
    await watched(service, unanswered_minutes=20)
    message = customer("Thanks, that's all for today", clock)
    await service.handle_message(message)
    clock.at(MONDAY_10, 21)
    assert (await service.sweep()).opened == 1
    async with store.transaction() as tx:
        first = await tx.handoffs.live_for(channel_id="C0ACME", thread_ts=message.thread_ts)
    await service.act(
        handoff_id=first.id, action=Action.DISMISS, actor="U0REP", source=EventSource.SLACK_ACTION
    )
    for minutes in range(25, 24 * 60, 15):  # a day of sweeps; nobody writes in the thread
        clock.at(MONDAY_10, minutes)
        assert not (await service.sweep()).opened, minutes
    await service.handle_message(customer("One more question, actually", clock, thread=message.thread_ts))
    clock.at(MONDAY_10, 24 * 60 + 1)
    assert not (await service.sweep()).opened
    clock.at(MONDAY_10, 24 * 60 + 21)
    assert (await service.sweep()).opened == 1


async def test_customers_who_cannot_have_a_handoff_yet_do_not_hide_those_who_can(store: SqlStore):
    """The sweep pages past waiting conversations that open nothing (a channel no longer watched, a
    channel with a longer limit, deleted messages) instead of reading the same oldest ones every time."""
    clock = Clock(MONDAY_10)
    service = service_on(store, clock)
    old = WatchedChannel(channel_id="C0OLD", name="old", is_shared=True, account=Account(name="Old"))
    slow = WatchedChannel(
        channel_id="C0SLOW", name="slow", is_shared=True, account=Account(name="Slow"), unanswered_minutes=600
    )
    for channel in (old, slow):
        await service.save_channel(channel)
        for i in range(3):
            await service.handle_message(
                replace(customer(f"question {i}", clock), channel_id=channel.channel_id)
            )
    await service.save_channel(replace(old, watched=False))
    deleted = customer("a question I deleted", clock)
    await watched(service, unanswered_minutes=20)
    await service.handle_message(deleted)
    await service.handle_message(replace(deleted, change=MessageChange.DELETED, event_id="Ev0DELETED"))
    clock.at(MONDAY_10, 60)
    fresh = customer("How do I export a CSV report?", clock)
    await service.handle_message(fresh)
    clock.at(MONDAY_10, 60 + 25)  # the watched customer has waited 25 of 20 minutes
    assert (await service.sweep(limit=2)).opened == 1  # 2 stands in for "more of them than a page"
    async with store.transaction() as tx:
        assert await tx.handoffs.live_for(channel_id="C0ACME", thread_ts=fresh.thread_ts) is not None
        assert (await tx.conversations.get(channel_id="C0ACME", thread_ts=deleted.ts)).waiting_since is None


async def test_two_replicas_sweeping_waiting_customers_at_once_open_each_handoff_once(
    store: SqlStore, database_url: str
):
    if not database_url.startswith("postgresql"):
        pytest.skip("concurrent sweeps overlap on PostgreSQL; SQLite sweeps take turns on the write lock")
    clock = Clock(MONDAY_10)
    one, two = service_on(store, clock), service_on(store, clock)
    await watched(one, unanswered_minutes=20)
    for i in range(30):
        await one.handle_message(customer(f"question {i}", clock))
    clock.at(MONDAY_10, 21)
    reports = await asyncio.gather(one.sweep(), two.sweep())
    assert sum(report.opened for report in reports) == 30
    async with store.transaction() as tx:
        opened = (await tx.connection.exec_driver_sql("SELECT count(*) FROM handoffs")).scalar()
    assert opened == 30


async def test_two_workers_never_escalate_the_same_handoff_twice(store: SqlStore, database_url: str):
    if not database_url.startswith("postgresql"):
        pytest.skip("concurrent sweeps overlap on PostgreSQL; SQLite sweeps take turns on the write lock")
    clock = Clock(MONDAY_10)
    one, two = service_on(store, clock), service_on(store, clock)
    await watched(one)
    opened = [
        (await one.handle_message(customer(f"I need a person ({i})", clock))).handoff for i in range(40)
    ]
    clock.at(MONDAY_10, 16)
    reports = await asyncio.gather(*(worker.sweep(limit=15) for worker in (one, two, one, two, one, two)))
    fired = 0
    for handoff in opened:
        steps = [
            (e.kind, e.data.get("tier"))
            for e in await one.events(handoff.id)
            if e.source is EventSource.SCHEDULER
        ]
        # Breached exactly once; a sweep that ran after another's commit may go on to the first tier (due at
        # the breach here), but no step is ever taken twice.
        assert steps.count(("sla_breached", None)) == 1
        assert len(set(steps)) == len(steps), steps
        fired += len(steps)
    assert sum(r.steps for r in reports) == fired


async def test_a_restarted_service_picks_up_where_the_last_one_stopped(store: SqlStore):
    clock = Clock(MONDAY_10)
    before = service_on(store, clock)
    await watched(before)
    handoff = (await before.handle_message(customer("Can I talk to a person?", clock))).handoff
    clock.at(MONDAY_10, 16)
    await before.sweep()  # breach, then the process stops
    after = service_on(store, clock)  # a new process: nothing in memory
    assert (await after.sweep()).steps == 1
    assert not await after.sweep()
    assert await kinds(after, handoff.id) == ["opened", "sla_breached", "escalated"]


async def test_the_sweep_forgets_event_ids_after_a_day(store: SqlStore):
    clock = Clock(MONDAY_10)
    service = service_on(store, clock)
    await watched(service)
    message = customer("How do I export a CSV report?", clock)
    await service.handle_message(message)
    edit = replace(
        message, change=MessageChange.EDITED, text="How do I export a CSV file?", event_id="Ev-edit"
    )
    await service.handle_message(edit)
    async with store.transaction() as tx:
        assert not await tx.processed_events.remember(event_id="Ev-edit", at=clock.now)  # remembered
    clock.at(MONDAY_10, 60 * 25)
    await service.sweep()
    async with store.transaction() as tx:
        assert await tx.processed_events.remember(event_id="Ev-edit", at=clock.now)  # forgotten: new again


async def overdue_in_chunks_of_three(store: SqlStore, monkeypatch, clock: Clock, count: int):
    """A service with `count` handoffs past their claim deadline, sweeping in chunks of three."""
    monkeypatch.setattr(sweep, "SWEEP_CHUNK", 3)
    service = service_on(store, clock)
    await watched(service)
    opened = [
        (await service.handle_message(customer(f"I need a person ({i})", clock))).handoff
        for i in range(count)
    ]
    clock.at(MONDAY_10, 16)
    return service, opened


async def test_a_sweep_steps_many_handoffs_in_chunks_each_once(store: SqlStore, monkeypatch):
    clock = Clock(MONDAY_10)
    service, opened = await overdue_in_chunks_of_three(store, monkeypatch, clock, 10)
    report = await service.sweep()
    assert (report.steps, report.failed) == (10, 0)
    for handoff in opened:
        # The first tier is due at the breach too, but a handoff is stepped once per sweep, even when a
        # later chunk runs after the one that breached it committed.
        assert (await kinds(service, handoff.id)).count("sla_breached") == 1
        assert "escalated" not in await kinds(service, handoff.id)
    assert (await service.sweep()).steps == 10  # the first tier, at the next sweep


class FailingWrite:
    """The store, but the `nth` write transaction fails at its end (rolled back, as if the database
    went away while it committed)."""

    def __init__(self, store: SqlStore, nth: int) -> None:
        self._store, self._nth, self.writes = store, nth, 0

    @contextlib.asynccontextmanager
    async def transaction(self, *, readonly: bool = False):
        async with self._store.transaction(readonly=readonly) as tx:
            yield tx
            if not readonly:
                self.writes += 1
                if self.writes == self._nth:
                    raise ConnectionError("the database went away")


async def test_a_failed_chunk_rolls_back_alone_and_its_handoffs_stay_due(store: SqlStore, monkeypatch):
    clock = Clock(MONDAY_10)
    service, opened = await overdue_in_chunks_of_three(store, monkeypatch, clock, 7)
    flaky = FailingWrite(store, nth=2)
    report = await BatonService(store=flaky, clock=clock, config=service.config).sweep()  # type: ignore[arg-type]
    breached = [h.id for h in opened if "sla_breached" in await kinds(service, h.id)]
    assert report.failed > 0
    assert (report.steps, report.failed) == (len(breached), len(opened) - len(breached))
    await service.sweep()  # the rolled-back ones breach now (the others go on to their first tier)
    for handoff in opened:
        assert (await kinds(service, handoff.id)).count("sla_breached") == 1


async def test_a_handoff_nobody_is_told_of_promises_the_customer_nobody(store: SqlStore):
    clock = Clock(MONDAY_10)
    service = service_on(store, clock, routing=RoutingTable())  # no route, no default: no card
    await watched(service)
    result = await service.handle_message(customer("Can I talk to a person please?", clock))
    assert result.handoff is not None
    assert await notes(store, result.handoff.id) == []  # no card, and no "a specialist is coming"
    routed = service_on(store, clock)
    other = await routed.handle_message(customer("Can I talk to a person please?", clock))
    assert other.handoff is not None and other.handoff.id is not None
    assert [n.split(":")[0] for n in await notes(store, other.handoff.id)] == ["post_card"]
    await card_posted(routed, store, other.handoff.id)  # the promise is queued once someone was told
    assert [n.split(":")[0] for n in await notes(store, other.handoff.id)] == [
        "post_card",
        "customer_message",
    ]


async def card_posted(service: BatonService, store: SqlStore, handoff_id: int) -> None:
    """What the outbox worker records once Slack took the handoff's card."""
    async with store.transaction() as tx:
        ids = await tx.connection.exec_driver_sql(
            f"SELECT id FROM outbox WHERE handoff_id = {handoff_id} AND method = 'post_card'"
        )
        (card,) = [await tx.outbox.get(item_id=row[0]) for row in ids.all()]
    assert card is not None
    await service.delivered([(card, {"card": {"channel": "C0TRIAGE", "ts": f"1.{handoff_id}"}})])


@pytest.mark.parametrize("card_recorded", ["before the request", "after the request"])
async def test_a_request_merged_into_a_handoff_that_told_the_customer_nothing_is_answered_once(
    store: SqlStore, card_recorded: str
):
    clock = Clock(MONDAY_10)
    service = service_on(store, clock)
    await watched(service, unanswered_minutes=20)
    question = customer("How do I export a CSV report?", clock)
    await service.handle_message(question)
    clock.at(MONDAY_10, 21)
    assert (await service.sweep()).opened == 1  # routine_review: no message to the customer
    async with store.transaction() as tx:
        opened = await tx.handoffs.live_for(channel_id="C0ACME", thread_ts=question.thread_ts)
    assert opened is not None and opened.id is not None
    if card_recorded == "before the request":
        await card_posted(service, store, opened.id)
    for text in ("Can I talk to a person please?", "Hello? I want a human"):
        result = await service.handle_message(customer(text, clock, thread=question.thread_ts))
        assert result.outcome is IntakeOutcome.MERGED
    if (
        card_recorded == "after the request"
    ):  # (the card was still in the outbox: its warm message goes with it)
        assert not [n for n in await notes(store, opened.id) if n.startswith("customer_message:")]
        await card_posted(service, store, opened.id)
    told = [n for n in await notes(store, opened.id) if n.startswith("customer_message:")]
    assert len(told) == 1 and service.config.handoffs.warm_messages["human_request"].startswith(told[0][17:])


async def test_a_handoff_claimed_before_its_card_is_recorded_promises_nothing_after_the_claim(
    store: SqlStore,
):
    clock = Clock(MONDAY_10)
    service = service_on(store, clock)
    await watched(service)
    opened = (await service.handle_message(customer("Can I talk to a person please?", clock))).handoff
    assert opened is not None and opened.id is not None
    # A rep claims it (from the App Home, or the card's button before the worker recorded the card's place).
    await service.act(
        handoff_id=opened.id, action=Action.CLAIM, actor="U0REP", source=EventSource.SLACK_ACTION
    )
    await card_posted(service, store, opened.id)
    told = [n for n in await notes(store, opened.id) if n.startswith("customer_message:")]
    assert len(told) == 1 and "<@U0REP>" in told[0]  # who has it, not "someone is coming" after it


SATURDAY_NOON = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


async def asked_on_saturday(store: SqlStore) -> tuple[BatonService, Clock, Handoff]:
    """A customer asked for a person on Saturday at noon: human_request, 15 business minutes, due Monday."""
    clock = Clock(SATURDAY_NOON)
    service = service_on(store, clock)
    await watched(service)
    first = (await service.handle_message(customer("Can I talk to a person please?", clock))).handoff
    assert first is not None and first.id is not None
    assert first.claim_due_at == datetime(2026, 12, 7, 9, 15, tzinfo=UTC)
    return service, clock, first


async def test_a_customer_upset_while_waiting_gets_the_upset_customer_clock(store: SqlStore):
    # Then got angry: the handoff is due within upset customer's 5 minutes around the clock from then, and
    # breaches on it.
    service, clock, first = await asked_on_saturday(store)
    assert first.id is not None
    clock.at(SATURDAY_NOON, 2)
    upset = "This is ridiculous, the export has been broken for a week and nobody answers!!"
    merged = await service.handle_message(customer(upset, clock, thread=first.thread_ts))
    assert merged.handoff is not None and merged.decision is not None
    assert merged.decision.escalation_type == "upset_customer"
    assert merged.handoff.claim_due_at == SATURDAY_NOON + timedelta(minutes=7)
    assert merged.handoff.escalation_type == "human_request"  # its type and route stay
    clock.at(SATURDAY_NOON, 10)
    await service.sweep()
    assert "sla_breached" in await kinds(service, first.id)
    # A calmer message later does not slow it down again.
    clock.at(SATURDAY_NOON, 11)
    again = await service.handle_message(
        customer("Can I talk to a person please?", clock, thread=first.thread_ts)
    )
    assert again.handoff is not None and again.handoff.claim_due_at == SATURDAY_NOON + timedelta(minutes=7)


async def test_an_agent_asking_for_a_faster_type_puts_the_live_handoff_on_its_clock(store: SqlStore):
    service, clock, first = await asked_on_saturday(store)
    clock.at(SATURDAY_NOON, 3)
    request = EscalationRequest(
        channel_id=first.channel_id,
        thread_ts=first.thread_ts,
        reason="angry",
        escalation_type="upset_customer",
    )
    result = await service.escalate(request)
    assert result.handoff.claim_due_at == SATURDAY_NOON + timedelta(minutes=8)


@pytest.mark.parametrize("action", [Action.CLAIM, Action.RESOLVE])
async def test_a_claim_deadline_missed_while_snoozed_is_recorded_as_a_breach(store: SqlStore, action: Action):
    # Snoozed at 10:02 for 30 minutes, claim due 10:15, claimed (or resolved) at 10:25: the sweep never saw
    # the breach (a snooze pauses reminders), so the action records it, once.
    clock = Clock(MONDAY_10)
    service = service_on(store, clock)
    await watched(service)
    handoff = (await service.handle_message(customer("Can I talk to a person please?", clock))).handoff
    assert handoff is not None and handoff.id is not None
    assert handoff.claim_due_at == MONDAY_10 + timedelta(minutes=15)
    clock.at(MONDAY_10, 2)
    rep = {"actor": "U0REP", "source": EventSource.SLACK_ACTION}
    await service.act(handoff_id=handoff.id, action=Action.SNOOZE, snooze_minutes=30, **rep)
    clock.at(MONDAY_10, 20)
    await service.sweep()
    clock.at(MONDAY_10, 25)
    done = await service.act(handoff_id=handoff.id, action=action, **rep)
    await service.sweep()
    assert done.breached
    assert (await kinds(service, handoff.id)).count("sla_breached") == 1


UPSET = "This is ridiculous, the export has been broken for a week and nobody answers!!"


async def test_the_faster_clock_s_resolve_deadline_is_the_one_enforced(store: SqlStore):
    # human_request: claim 60, resolve 120 (around the clock). Upset at 10:10: upset customer's clock from
    # then, claim by 10:15 and resolve by 14:10: the card shows the deadline the sweep breaches on.
    clock = Clock(MONDAY_10)
    service = service_on(store, clock, sla={**DEFAULT_POLICIES, "human_request": SlaPolicy(60, 120)})
    await watched(service)
    first = (await service.handle_message(customer("Can I talk to a person please?", clock))).handoff
    assert first is not None and first.id is not None
    clock.at(MONDAY_10, 10)
    merged = await service.handle_message(customer(UPSET, clock, thread=first.thread_ts))
    assert merged.handoff is not None
    assert (merged.handoff.claim_due_at, merged.handoff.resolve_due_at) == (
        MONDAY_10 + timedelta(minutes=15),
        MONDAY_10 + timedelta(minutes=250),
    )
    clock.at(MONDAY_10, 12)
    await service.act(
        handoff_id=first.id, action=Action.CLAIM, actor="U0REP", source=EventSource.SLACK_ACTION
    )
    clock.at(MONDAY_10, 249)
    await service.sweep()
    assert "sla_breached" not in await kinds(service, first.id)
    clock.at(MONDAY_10, 251)
    await service.sweep()
    assert "sla_breached" in await kinds(service, first.id)


REP_CLICK = {"actor": "U0REP", "source": EventSource.SLACK_ACTION}


async def test_agent_asking_again_with_a_faster_type_of_equal_urgency_gets_its_clock(store: SqlStore):
    # The agent hands the conversation over as a sales opportunity (HIGH, 60 business minutes: due 11:00),
    # then at 10:05 asks again as a human request (also HIGH, 15 business minutes: due 10:20). nothing new
    # for the card (the agent's hit is known, same urgency), yet the faster clock applies: due 10:20.
    clock = Clock(MONDAY_10)
    service = service_on(store, clock)
    await watched(service)
    first = (await service.handle_message(customer("hello, quick question about the export", clock))).handoff
    assert first is None
    thread = None
    async with store.transaction(readonly=True) as tx:
        row = await tx.connection.exec_driver_sql("SELECT thread_ts FROM conversations")
        thread = row.scalar_one()
    opened = await service.escalate(
        EscalationRequest(
            channel_id="C0ACME", thread_ts=thread, reason="pricing", escalation_type="sales_opportunity"
        )
    )
    assert opened.handoff.claim_due_at == MONDAY_10 + timedelta(minutes=60)
    clock.at(MONDAY_10, 5)
    again = await service.escalate(
        EscalationRequest(
            channel_id="C0ACME", thread_ts=thread, reason="wants a person", escalation_type="human_request"
        )
    )
    assert again.handoff.claim_due_at == MONDAY_10 + timedelta(minutes=20)


@pytest.mark.parametrize(
    ("upset_at", "due_at"),
    [
        (3, 8),  # before the claim deadline (10:15) and sooner than it
        (11, 16),  # later than the paused deadline, but sooner than the snooze (to 12:02) lets it run
        (20, 25),  # after the (paused, unrecorded) deadline
    ],
)
async def test_an_upset_customer_wakes_a_snoozed_handoff_nobody_claimed(
    store: SqlStore, upset_at: int, due_at: int
):
    clock = Clock(MONDAY_10)
    service = service_on(store, clock)
    await watched(service)
    first = (await service.handle_message(customer("Can I talk to a person please?", clock))).handoff
    assert first is not None and first.id is not None
    clock.at(MONDAY_10, 2)
    await service.act(handoff_id=first.id, action=Action.SNOOZE, snooze_minutes=120, **REP_CLICK)
    clock.at(MONDAY_10, upset_at)
    await service.sweep()
    merged = await service.handle_message(customer(UPSET, clock, thread=first.thread_ts))
    assert merged.handoff is not None
    assert merged.handoff.state is HandoffState.OPEN and merged.handoff.snoozed_until is None
    assert merged.handoff.claim_due_at == MONDAY_10 + timedelta(minutes=due_at)


async def test_the_faster_clock_has_warnings_of_its_own(store: SqlStore):
    # human_request claimed within 60 business minutes: the sweep at 10:46 queues "should be claimed by
    # 11:00". Upset at 10:47: due 10:52. The queued 11:00 warning, sent late (Slack slow, rate-limited), is
    # no longer the handoff's and is not posted; the new clock's own warning is (its dedupe key names it).
    from routing.sweep import sla_note_stale as _sla_note_stale

    clock = Clock(MONDAY_10)
    sla = {**DEFAULT_POLICIES, "human_request": SlaPolicy(60, hours=BusinessHours())}
    service = service_on(store, clock, sla=sla)
    await watched(service)
    first = (await service.handle_message(customer("Can I talk to a person please?", clock))).handoff
    assert first is not None and first.id is not None
    clock.at(MONDAY_10, 46)
    await service.sweep()
    async with store.transaction(readonly=True) as tx:
        rows = await tx.connection.exec_driver_sql(
            f"SELECT id FROM outbox WHERE dedupe_key = 'warn:{first.id}:claim'"
        )
        old_warning = await tx.outbox.get(item_id=rows.scalar_one())
    assert old_warning is not None and "11:00" in old_warning.payload["text"]
    clock.at(MONDAY_10, 47)
    merged = await service.handle_message(customer(UPSET, clock, thread=first.thread_ts))
    assert merged.handoff is not None and merged.handoff.claim_due_at == MONDAY_10 + timedelta(minutes=52)
    assert _sla_note_stale(old_warning, merged.handoff)
    clock.at(MONDAY_10, 51)
    await service.sweep()
    assert (await kinds(service, first.id)).count("sla_warning") == 2
    assert sum(n.startswith("thread_note::hourglass") for n in await notes(store, first.id)) == 2
