"""Races between transactions: on both databases through the pool, and overlapping for sure on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import pytest

from routing.config import BatonConfig
from routing.models import Account, AuthorKind, HandoffState, MessageFacts, OutboxItem, WatchedChannel
from routing.routes import Route, RoutingTable, Target, TargetKind
from routing.service import BatonService
from storage import LiveHandoffExists, SqlStore, create_engine, migrate
from storage.handoffs import SqlHandoffs

from .builders import T0, at, handoff, message, outbox_item

RACERS = 12
# A lost race must fail the test, not hang it.
DEADLINE_SECONDS = 20


@pytest.fixture
async def pg_store(postgresql_url: str) -> AsyncIterator[SqlStore]:
    """A store on PostgreSQL only: row locks let transactions truly overlap there (SQLite has one writer)."""
    engine = create_engine(postgresql_url)
    try:
        await migrate(engine)
        yield SqlStore(engine)
    finally:
        await engine.dispose()


async def test_concurrent_remembers_admit_one(store: SqlStore) -> None:
    async def remember() -> bool:
        async with store.transaction() as uow:
            return await uow.processed_events.remember(event_id="Ev1", at=T0)

    async with asyncio.timeout(DEADLINE_SECONDS):
        results = await asyncio.gather(*(remember() for _ in range(RACERS)))
    assert sorted(results) == [False] * (RACERS - 1) + [True]


async def test_overlapping_remembers_admit_one(pg_store: SqlStore) -> None:
    barrier = asyncio.Barrier(RACERS)

    async def remember() -> bool:
        async with pg_store.transaction() as uow:
            await uow.channels.get(channel_id="C0")  # every transaction has begun
            await barrier.wait()
            return await uow.processed_events.remember(event_id="Ev1", at=T0)

    async with asyncio.timeout(DEADLINE_SECONDS):
        results = await asyncio.gather(*(remember() for _ in range(RACERS)))
    assert sorted(results) == [False] * (RACERS - 1) + [True]


async def test_overlapping_adds_of_one_message_count_it_once(pg_store: SqlStore) -> None:
    barrier = asyncio.Barrier(RACERS)
    duplicate = message("1767600000.000100")

    async def add() -> bool:
        async with pg_store.transaction() as uow:
            await uow.channels.get(channel_id="C0")
            await barrier.wait()
            return await uow.conversations.add_message(duplicate)

    async with asyncio.timeout(DEADLINE_SECONDS):
        results = await asyncio.gather(*(add() for _ in range(RACERS)))
    assert sorted(results) == [False] * (RACERS - 1) + [True]
    async with pg_store.transaction() as uow:
        conversation = await uow.conversations.get(channel_id="C1", thread_ts=duplicate.thread_ts)
    assert conversation is not None
    assert (conversation.message_count, conversation.customer_message_count) == (1, 1)


async def test_concurrent_messages_of_one_new_conversation_are_all_counted(store: SqlStore) -> None:
    async def add(number: int) -> bool:
        async with store.transaction() as uow:
            return await uow.conversations.add_message(message(f"1767600000.{number + 100:06d}"))

    async with asyncio.timeout(DEADLINE_SECONDS):
        added = await asyncio.gather(*(add(number) for number in range(RACERS)))
    assert all(added)
    async with store.transaction() as uow:
        conversation = await uow.conversations.get(channel_id="C1", thread_ts="1767600000.000100")
    assert conversation is not None and conversation.message_count == RACERS


async def test_concurrent_updates_of_one_version_let_one_win(store: SqlStore) -> None:
    async with store.transaction() as uow:
        added = await uow.handoffs.add(handoff())

    async def claim(rep: str) -> bool:
        # Read, then write (the use-case shape): SQLite must not answer "database is locked" here.
        # Every rep clicked on a card showing version 0.
        async with store.transaction() as uow:
            assert await uow.handoffs.get(handoff_id=added.id or 0) is not None
            await asyncio.sleep(0)
            won = await uow.handoffs.update(replace(added, assignee_id=rep), expected_version=0)
            return won is not None

    async with asyncio.timeout(DEADLINE_SECONDS):
        results = await asyncio.gather(*(claim(f"U{number}") for number in range(RACERS)))
    assert sorted(results) == [False] * (RACERS - 1) + [True]


async def test_two_connections_claiming_one_handoff_let_one_win(pg_store: SqlStore) -> None:
    async with pg_store.transaction() as uow:
        added = await uow.handoffs.add(handoff())
    barrier = asyncio.Barrier(2)

    async def claim(rep: str) -> str | None:
        async with pg_store.transaction() as uow:
            await uow.handoffs.get(handoff_id=added.id or 0)
            await barrier.wait()
            claimed = replace(added, state=HandoffState.CLAIMED, assignee_id=rep)
            won = await uow.handoffs.update(claimed, expected_version=0)
            return None if won is None else won.assignee_id

    async with asyncio.timeout(DEADLINE_SECONDS):
        results = await asyncio.gather(claim("U_ANA"), claim("U_BEN"))
    winners = [rep for rep in results if rep is not None]
    assert len(winners) == 1
    async with pg_store.transaction() as uow:
        stored = await uow.handoffs.get(handoff_id=added.id or 0)
    assert stored is not None and (stored.assignee_id, stored.version) == (winners[0], 1)


async def test_concurrent_live_handoffs_for_one_conversation_let_one_in(store: SqlStore) -> None:
    async def open_one() -> bool:
        try:
            async with store.transaction() as uow:
                await uow.handoffs.add(handoff())
        except LiveHandoffExists:
            return False
        return True

    async with asyncio.timeout(DEADLINE_SECONDS):
        results = await asyncio.gather(*(open_one() for _ in range(RACERS)))
    assert sorted(results) == [False] * (RACERS - 1) + [True]


async def _fill_outbox(store: SqlStore, channels: int) -> list[OutboxItem]:
    async with store.transaction() as uow:
        items = [
            await uow.outbox.enqueue(outbox_item(f"C{number % channels}")) for number in range(channels * 2)
        ]
    return [item for item in items if item is not None]


async def test_concurrent_workers_claim_disjoint_rows(store: SqlStore) -> None:
    items = await _fill_outbox(store, channels=6)

    async def claim() -> list[int]:
        async with store.transaction() as uow:
            claimed = await uow.outbox.claim_due(now=T0, limit=4, lease=timedelta(minutes=1))
        return [item.id or 0 for item in claimed]

    async with asyncio.timeout(DEADLINE_SECONDS):
        first, second = await asyncio.gather(claim(), claim())
    assert not set(first) & set(second)
    assert sorted(first + second) == [item.id for item in items[:6]]  # the six channel heads, no more


async def test_an_open_claim_is_skipped_by_another_worker(pg_store: SqlStore) -> None:
    items = await _fill_outbox(pg_store, channels=4)
    heads = [item.id for item in items[:4]]
    first_claimed = asyncio.Event()
    second_done = asyncio.Event()

    async def first_worker() -> list[int | None]:
        async with pg_store.transaction() as uow:
            claimed = await uow.outbox.claim_due(now=T0, limit=2, lease=timedelta(minutes=1))
            first_claimed.set()
            await second_done.wait()  # still holding its row locks, uncommitted
        return [item.id for item in claimed]

    async def second_worker() -> list[int | None]:
        await first_claimed.wait()
        try:
            async with pg_store.transaction() as uow:
                claimed = await uow.outbox.claim_due(now=T0, limit=10, lease=timedelta(minutes=1))
        finally:
            second_done.set()
        return [item.id for item in claimed]

    async with asyncio.timeout(DEADLINE_SECONDS):
        first, second = await asyncio.gather(first_worker(), second_worker())
    assert first == heads[:2]
    # The locked heads are skipped, and the rows queued behind them are not taken out of order.
    assert second == heads[2:]
    async with pg_store.transaction() as uow:
        assert await uow.outbox.claim_due(now=at(0.5), limit=10, lease=timedelta(minutes=1)) == []


async def test_rows_behind_a_locked_head_are_not_claimed_by_another_worker(pg_store: SqlStore) -> None:
    items = await _fill_outbox(pg_store, channels=2)  # C0, C1, C0, C1
    first_claimed = asyncio.Event()
    second_done = asyncio.Event()

    async def first_worker() -> list[int | None]:
        async with pg_store.transaction() as uow:
            claimed = await uow.outbox.claim_due(now=T0, limit=1, lease=timedelta(minutes=1), per_channel=1)
            first_claimed.set()
            await second_done.wait()
        return [item.id for item in claimed]

    async def second_worker() -> list[int | None]:
        await first_claimed.wait()
        try:
            async with pg_store.transaction() as uow:
                claimed = await uow.outbox.claim_due(
                    now=T0, limit=10, lease=timedelta(minutes=1), per_channel=10
                )
        finally:
            second_done.set()
        return [item.id for item in claimed]

    async with asyncio.timeout(DEADLINE_SECONDS):
        first, second = await asyncio.gather(first_worker(), second_worker())
    assert first == [items[0].id]
    assert second == [items[1].id, items[3].id]  # all of C1; nothing of C0, whose head the first one holds


async def test_the_live_handoff_look_up_sees_one_committed_while_the_insert_waited(store: SqlStore) -> None:
    # Replica A stores a message in conversation X and opens its handoff; replica B's batch stores the next
    # message of X meanwhile (its conversation upsert waits on A's row lock). B's look-up of X's live handoff
    # must see A's handoff once A committed: a statement of its own after the insert does (READ COMMITTED
    # takes a fresh snapshot per statement); one read in the insert's statement, with its snapshot, missed it.
    async with store.transaction() as uow:
        if uow.connection.dialect.name != "postgresql":
            pytest.skip("PostgreSQL: row locks and a snapshot per statement")
        await uow.conversations.add_messages([message("1.1", thread_ts="1.0", received_at=at(0))])
    key = ("C1", "1.0")
    a_has_written = asyncio.Event()
    a_may_commit = asyncio.Event()

    async def replica_a() -> None:
        async with store.transaction() as uow:
            await uow.conversations.add_messages([message("1.2", thread_ts="1.0", received_at=at(1))])
            await uow.handoffs.add(
                replace(handoff(thread_ts="1.0"), closed_at=None, snoozed_until=None, breached=False)
            )
            a_has_written.set()
            await a_may_commit.wait()

    async def replica_b() -> dict:
        await a_has_written.wait()
        async with store.transaction() as uow:
            await uow.conversations.add_messages([message("1.3", thread_ts="1.0", received_at=at(2))])
            return await uow.handoffs.live_for_many([key])

    a = asyncio.create_task(replica_a())
    b = asyncio.create_task(replica_b())
    await a_has_written.wait()
    await asyncio.sleep(0.5)  # B's insert is waiting on A's lock of the conversation row
    assert not b.done()
    a_may_commit.set()
    await a
    live = await asyncio.wait_for(b, 10)
    assert key in live, "B missed the live handoff A committed: its message is judged as if none existed"


async def test_two_picks_in_one_group_at_once_go_to_two_members(pg_store: SqlStore, monkeypatch) -> None:
    """Two routes name one group (urgent cards via one channel, the rest via another): their cards are in
    two outbox lanes, so two picks can run at once (two replicas, or one worker's lanes). Each reads the
    group's recent picks: under READ COMMITTED both read the same history and both cards went to the same
    member. The picks take turns per group now."""
    routes = (
        Route(id="urgent", escalation_types=("upset_customer",),
              target=Target(TargetKind.GROUP, "S0SUPPORT", channel="C0URGENT")),
        Route(id="rest", target=Target(TargetKind.GROUP, "S0SUPPORT", channel="C0TRIAGE")),
    )  # fmt: skip
    service = BatonService(
        store=pg_store,
        clock=lambda: T0 + timedelta(hours=1),
        config=BatonConfig(routing=RoutingTable(routes)),
    )
    await service.save_channel(
        WatchedChannel(channel_id="C0ACME", name="acme", is_shared=True, account=Account(name="Acme"))
    )
    opened = []
    for n, text in enumerate(("Can I talk to a person please?", "This is RIDICULOUS, NO refund yet!!!")):
        ts = f"{1800000000 + n}.000100"
        facts = MessageFacts(
            channel_id="C0ACME", ts=ts, thread_ts=ts, author_id="U0ACME1", author_team="T0ACME",
            author_kind=AuthorKind.CUSTOMER, text=text, received_at=T0 + timedelta(seconds=n),
        )  # fmt: skip
        opened.append((await service.handle_message(facts)).handoff)
    assert {h.context["card_channel"] for h in opened} == {"C0TRIAGE", "C0URGENT"}

    read = SqlHandoffs.recently_routed

    async def slowly(self: SqlHandoffs, **kwargs: object) -> list[str]:
        found = await read(self, **kwargs)  # type: ignore[arg-type]
        await asyncio.sleep(0.3)  # the other pick runs meanwhile
        return found

    monkeypatch.setattr(SqlHandoffs, "recently_routed", slowly)
    members = ["U0REP", "U0ADMIN"]
    picked = await asyncio.gather(
        *(service.route_to_member(handoff_id=h.id, members=members) for h in opened)  # type: ignore[arg-type]
    )
    assert sorted(picked) == ["U0ADMIN", "U0REP"]  # type: ignore[type-var]
