"""What the scheduler reads: due handoffs (locked against other sweeps) and customers left waiting."""

from __future__ import annotations

import asyncio

import pytest

from routing.models import Account, AuthorKind, HandoffState, WatchedChannel
from storage import SqlStore
from tests.storage.builders import at, handoff, message


async def _add(store: SqlStore, *handoffs) -> list:
    async with store.transaction() as tx:
        return [await tx.handoffs.add(h) for h in handoffs]


async def test_due_returns_live_handoffs_whose_check_time_has_come_oldest_first(store: SqlStore) -> None:
    late, early, future, closed = await _add(
        store,
        handoff(thread_ts="1.1", next_check_at=at(5)),
        handoff(thread_ts="1.2", next_check_at=at(1)),
        handoff(thread_ts="1.3", next_check_at=at(60)),
        handoff(thread_ts="1.4", next_check_at=at(0), state=HandoffState.RESOLVED),
    )
    async with store.transaction() as tx:
        due = await tx.handoffs.due(now=at(10), limit=10)
        limited = await tx.handoffs.due(now=at(10), limit=1)
    assert [h.id for h in due] == [early.id, late.id]
    assert [h.id for h in limited] == [early.id]


async def test_due_leaves_out_the_handoffs_a_sweep_has_read(store: SqlStore) -> None:
    first, second, third, _future = await _add(
        store, *(handoff(thread_ts=f"3.{i}", next_check_at=at(i * 4)) for i in range(4))
    )
    async with store.transaction() as tx:
        rest = await tx.handoffs.due(now=at(10), limit=10, excluding={first.id, third.id})
        none = await tx.handoffs.due(now=at(10), limit=10, excluding=[first.id, second.id, third.id])
    assert [h.id for h in rest] == [second.id]
    assert none == []


async def test_concurrent_sweeps_never_get_the_same_handoff(store: SqlStore, database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite sweeps take turns on the write lock; PostgreSQL sweeps overlap")
    await _add(store, *(handoff(thread_ts=f"2.{i}", next_check_at=at(i % 3)) for i in range(20)))
    holding = asyncio.Event()
    release = asyncio.Event()

    async def first_sweep() -> list[int]:
        async with store.transaction() as tx:
            got = [h.id for h in await tx.handoffs.due(now=at(10), limit=12)]
            holding.set()
            await release.wait()
            return got

    task = asyncio.create_task(first_sweep())
    await asyncio.wait_for(holding.wait(), 20)
    async with store.transaction() as tx:
        second = [h.id for h in await tx.handoffs.due(now=at(10), limit=100)]
    release.set()
    first = await task
    assert len(first) == 12 and len(second) == 8 and not set(first) & set(second)


async def test_waiting_lists_customers_still_waiting_without_a_live_handoff(store: SqlStore) -> None:
    async with store.transaction() as tx:
        await tx.channels.save(WatchedChannel(channel_id="C1", name="acme", is_shared=True))
        await tx.channels.save(WatchedChannel(channel_id="C2", name="gone", is_shared=True, watched=False))
        await tx.conversations.add_message(
            message("0.5", thread_ts="0.5", channel_id="C2", received_at=at(0))
        )
        await tx.conversations.add_message(message("1.0", thread_ts="1.0", received_at=at(0)))
        await tx.conversations.add_message(message("2.0", thread_ts="2.0", received_at=at(1)))
        await tx.conversations.add_message(message("3.0", thread_ts="3.0", received_at=at(2)))
        await tx.conversations.add_message(
            message("3.1", thread_ts="3.0", kind=AuthorKind.AI, received_at=at(3))
        )
        await tx.conversations.add_message(message("4.0", thread_ts="4.0", received_at=at(30)))
        await tx.handoffs.add(handoff(thread_ts="2.0"))
    async with store.transaction() as tx:
        waiting = await tx.conversations.waiting(since_before=at(10), limit=10)
    # 0.5 is in a channel no longer watched, 2.0 has a handoff, 3.0 was answered, 4.0 is recent
    assert [c.thread_ts for c in waiting] == ["1.0"]


async def test_waiting_pages_in_order_and_a_closed_handoff_ends_the_wait(store: SqlStore) -> None:
    async with store.transaction() as tx:
        await tx.channels.save(WatchedChannel(channel_id="C1", name="acme", is_shared=True))
        for thread in ("1.0", "2.0", "3.0", "4.0", "5.0"):  # 2.0 and 3.0 start waiting at the same moment
            await tx.conversations.add_message(
                message(thread, thread_ts=thread, received_at=at(int(thread[0]) // 2))
            )
    pages: list[list[str]] = []
    async with store.transaction() as tx:
        last = None
        while not pages or len(pages[-1]) == 2:
            page = await tx.conversations.waiting(since_before=at(10), limit=2, after=last)
            pages.append([c.thread_ts for c in page])
            last = page[-1] if page else None
    assert pages == [["1.0", "2.0"], ["3.0", "4.0"], ["5.0"]]
    async with store.transaction() as tx:
        await tx.conversations.answered(channel_id="C1", thread_ts="3.0")
        assert [c.thread_ts for c in await tx.conversations.waiting(since_before=at(10), limit=10)] == [
            "1.0", "2.0", "4.0", "5.0"
        ]  # fmt: skip
        await tx.conversations.add_message(message("3.1", thread_ts="3.0", received_at=at(5)))
        assert len(await tx.conversations.waiting(since_before=at(10), limit=10)) == 5  # waiting again


async def test_channel_sla_settings_round_trip(store: SqlStore) -> None:
    channel = WatchedChannel(
        channel_id="C9",
        name="acme",
        is_shared=True,
        account=Account(
            name="Acme", tier="enterprise", value=5.0, owner_user_id="U1", timezone="Europe/Berlin"
        ),
        unanswered_minutes=20,
        added_at=at(0),
    )
    async with store.transaction() as tx:
        await tx.channels.save(channel)
        assert await tx.channels.get(channel_id="C9") == channel
