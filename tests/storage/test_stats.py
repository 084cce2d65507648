"""Stats from a seeded event history with known answers, through the real service and store."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from routing.config import BatonConfig, Retention
from routing.handoffs import Action
from routing.models import (
    Account,
    AuthorKind,
    EventSource,
    HandoffEvent,
    HandoffState,
    MessageFacts,
    WatchedChannel,
)
from routing.routes import RoutingTable, Target, TargetKind
from routing.rules import parse_rules
from routing.service import BatonService
from routing.stats import Band, Durations
from storage import SqlStore

T = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)  # the period is [T, T + 1 day)
STRONG = ("This is ridiculous, nothing works and I'm fed up", "This is unacceptable. Terrible service.")
WEAK = "this is the third time I ask, still broken"  # frustration scores 0.64: fires at 0.5, not at 0.65
QUIET = "how do I export a csv?"
_ts = itertools.count(1)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def customer(channel: str, text: str, at: datetime) -> MessageFacts:
    ts = f"{1800000000 + next(_ts)}.000100"
    return MessageFacts(
        channel_id=channel, ts=ts, thread_ts=ts, author_id="U0CUST", author_team="T0THEM",
        author_kind=AuthorKind.CUSTOMER, text=text, received_at=at,
    )  # fmt: skip


async def seed(store: SqlStore) -> BatonService:
    """Ten frustration handoffs in Acme's channel (six needed, four marked not needed), 100 customer messages.

    Needed: claimed 1, 2, 3, 4, 6 and 8 minutes after opening (claim SLA 5 minutes, around the clock; the two
    late ones breached first), the first three resolved after 10, 20 and 30 minutes, the first reassigned.
    Not needed: dismissed after 2 minutes. Acme: 50 customer messages; Beta: 50 and no handoff.
    """
    clock = Clock(T - timedelta(hours=3))
    rules = parse_rules({"triggers": [{"id": "unanswered", "enabled": False}]}, source="test")
    config = BatonConfig(rules=rules, routing=RoutingTable(default=Target(TargetKind.CHANNEL, "C0TRIAGE")))
    service = BatonService(store=store, clock=clock, config=config)
    for cid, name in (("C0ACME", "Acme"), ("C0BETA", "Beta")):
        await service.save_channel(
            WatchedChannel(channel_id=cid, name=name.lower(), is_shared=True, account=Account(name=name))
        )
    # before the period: a handoff and a customer message that must not count
    clock.now = T - timedelta(hours=2)
    assert (await service.handle_message(customer("C0ACME", STRONG[0], clock.now))).handoff is not None

    async def opened(hour: int, text: str) -> int:
        clock.now = T + timedelta(hours=hour)
        handoff = (await service.handle_message(customer("C0ACME", text, clock.now))).handoff
        assert handoff is not None and handoff.reasons == ("frustration",)
        assert handoff.id is not None
        return handoff.id

    async def act(handoff_id: int, hour: int, minutes: float, action: Action, **kw: object) -> None:
        clock.now = T + timedelta(hours=hour, minutes=minutes)
        await service.act(
            handoff_id=handoff_id, action=action, actor="U0REP", source=EventSource.SLACK_ACTION, **kw
        )

    for hour, claim in enumerate((1, 2, 3, 4, 6, 8)):
        handoff_id = await opened(hour, STRONG[hour % 2])
        if claim > 5:
            clock.now = T + timedelta(hours=hour, minutes=5.5)
            for _ in range(3):  # the warning, then the breach
                await service.sweep()
        await act(handoff_id, hour, claim, Action.CLAIM)
        if hour == 0:
            await act(handoff_id, hour, 5, Action.REASSIGN, assignee="U0REP2")
        if hour < 3:
            await act(handoff_id, hour, 10 * (hour + 1), Action.RESOLVE)
    for hour in range(6, 10):
        await act(await opened(hour, WEAK), hour, 2, Action.DISMISS)
    for i in range(40):
        await service.handle_message(customer("C0ACME", QUIET, T + timedelta(hours=11, minutes=i)))
    for i in range(50):
        await service.handle_message(customer("C0BETA", QUIET, T + timedelta(hours=12, minutes=i)))
    # an internal reply in the period, and a customer message at the period's end: neither counts
    internal = replace(customer("C0BETA", "on it", T + timedelta(hours=13)), author_kind=AuthorKind.INTERNAL)
    await service.handle_message(internal)
    await service.handle_message(customer("C0BETA", QUIET, T + timedelta(days=1)))
    return service


async def test_the_period_figures_are_exact(store: SqlStore):
    service = await seed(store)
    stats = await service.stats(since=T, until=T + timedelta(days=1))

    assert (stats.overall.handoffs, stats.overall.messages, stats.overall.rate) == (10, 100, 0.1)
    assert stats.overall.band is Band.WITHIN
    acme, beta = stats.by_channel["C0ACME"], stats.by_channel["C0BETA"]
    assert (acme.handoffs, acme.messages, acme.rate, acme.band) == (10, 50, 0.2, Band.ABOVE)
    assert (beta.handoffs, beta.messages, beta.rate, beta.band) == (0, 50, 0.0, Band.BELOW)
    assert stats.channel_names == {"C0ACME": "Acme", "C0BETA": "Beta"}
    assert list(stats.by_type) == ["upset_customer"] and stats.by_type["upset_customer"].rate == 0.1
    frustration = stats.by_trigger["frustration"]
    assert (frustration.handoffs, frustration.needed, frustration.not_needed) == (10, 6, 4)
    assert frustration.not_needed_share == 0.4
    minute = timedelta(minutes=1)
    assert stats.time_to_claim == Durations(count=6, p50=3 * minute, p90=8 * minute)
    assert stats.time_to_resolve == Durations(count=3, p50=20 * minute, p90=30 * minute)
    assert (stats.sla_met, stats.sla_measured, stats.sla_compliance) == (8, 10, 0.8)
    assert (stats.breaches, stats.reassignments, stats.not_needed) == (2, 1, 4)


async def test_advice_replays_the_opening_messages(store: SqlStore):
    service = await seed(store)
    stats = await service.stats(since=T, until=T + timedelta(days=1))

    (advice,) = stats.advice
    assert advice.change == {"rule": "frustration", "threshold": 0.65}
    assert advice.text == (
        "frustration fired 10 times in the period and 40% were marked not needed: raising `frustration`'s "
        "threshold from 0.5 to 0.65 would have avoided 4 of the 4 not needed and kept 6 of the 6 that were "
        "needed (replayed 10 handoffs). `/baton rules set frustration threshold 0.65`"
    )
    assert stats.notes == ()
    assert (await service.stats(since=T, until=T + timedelta(days=1), advise=False)).advice == ()


async def test_the_raw_rows(store: SqlStore):
    await seed(store)
    since, until = T, T + timedelta(days=1)
    async with store.transaction(readonly=True) as tx:
        assert await tx.stats.customer_messages(since=since, until=until) == {"C0ACME": 50, "C0BETA": 50}
        handoffs = await tx.stats.handoffs_opened(since=since, until=until)
        sample = await tx.stats.customer_message_sample(since=since, until=until, limit=3)
        threads = await tx.stats.thread_messages(
            threads=[(m.channel_id, m.thread_ts) for m in sample] + [("C0NONE", "1.0")], until=until
        )
    assert [h.state for h in handoffs] == [HandoffState.RESOLVED] * 3 + [HandoffState.CLAIMED] * 3 + [
        HandoffState.DISMISSED
    ] * 4
    first = handoffs[0]
    assert (first.opened_at, first.claimed_at, first.resolved_at, first.reassignments) == (
        T,
        T + timedelta(minutes=1),
        T + timedelta(minutes=10),
        1,
    )
    assert first.trigger_ts == first.thread_ts and first.claim_due_at == T + timedelta(minutes=5)
    assert [h.breaches for h in handoffs[3:6]] == [0, 1, 1] and handoffs[4].breached
    assert [m.text for m in sample] == [STRONG[0], STRONG[1], STRONG[0]]
    assert [len(threads[(m.channel_id, m.thread_ts)]) for m in sample] == [1, 1, 1]
    assert threads[("C0NONE", "1.0")] == []


@pytest.mark.parametrize("days", [1])
async def test_an_empty_period(store: SqlStore, days: int):
    service = BatonService(store=store, clock=lambda: T)
    stats = await service.stats(since=T, until=T + timedelta(days=days))
    assert stats.overall.rate is None and stats.overall.band is None and stats.advice == ()
    assert stats.sla_compliance is None and stats.time_to_claim == Durations()


async def test_a_period_reaching_past_retention_starts_where_the_kept_messages_do(store: SqlStore):
    service = await seed(store)
    service.config = replace(service.config, retention=Retention(message_days=1))
    service._clock.now = T + timedelta(days=1, hours=12)  # type: ignore[attr-defined]
    stats = await service.stats(since=T, until=T + timedelta(days=1), advise=False)

    # From T + 12 h: Beta's 50 messages (from 12:00), not Acme's 40 (11:00) nor the handoffs (00:00–09:00).
    assert stats.since == T + timedelta(hours=12)
    assert (stats.overall.handoffs, stats.overall.messages) == (0, 50)
    assert stats.notes == ("Messages are kept 1 day (retention): the figures start at 2026-11-30 12:00 UTC.",)
    service.config = replace(service.config, retention=Retention(message_days=0))  # kept for ever: all of it
    assert (await service.stats(since=T, until=T + timedelta(days=1), advise=False)).overall.messages == 100


async def test_a_handoff_an_agent_asked_for_is_marked(store: SqlStore):
    await seed(store)
    since, until = T, T + timedelta(days=1)
    async with store.transaction() as tx:
        first = (await tx.stats.handoffs_opened(since=since, until=until))[0]
        await tx.handoff_events.append(
            HandoffEvent(handoff_id=first.id, kind="agent_request", at=T, source=EventSource.API, actor="bot")
        )
    async with store.transaction(readonly=True) as tx:
        handoffs = await tx.stats.handoffs_opened(since=since, until=until)
    assert [h.agent_requested for h in handoffs] == [True] + [False] * (len(handoffs) - 1)
