from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from routing.models import OutboxItem
from storage import SqlStore
from storage.outbox import _PG_QUEUED_BEHIND, _SQLITE_QUEUED_BEHIND
from storage.tables import OUTBOX

from .builders import at, outbox_item

LEASE = timedelta(minutes=1)


async def _enqueue(store: SqlStore, *items: OutboxItem) -> list[OutboxItem]:
    async with store.transaction() as uow:
        stored = [await uow.outbox.enqueue(item) for item in items]
    assert all(item is not None for item in stored)
    return [item for item in stored if item is not None]


async def _claim(store: SqlStore, *, minutes: float, limit: int = 10) -> list[OutboxItem]:
    async with store.transaction() as uow:
        return await uow.outbox.claim_due(now=at(minutes), limit=limit, lease=LEASE)


def _ids(items: list[OutboxItem]) -> list[int | None]:
    return [item.id for item in items]


async def test_enqueue_stores_the_item_once_per_dedupe_key(store: SqlStore) -> None:
    async with store.transaction() as uow:
        first = await uow.outbox.enqueue(outbox_item(dedupe_key="card:1"))
        again = await uow.outbox.enqueue(outbox_item(dedupe_key="card:1", text="other"))
        undeduped = [await uow.outbox.enqueue(outbox_item()) for _ in range(2)]
        assert first is not None
        assert await uow.outbox.get(item_id=first.id or 0) == first
        assert await uow.outbox.get(item_id=(first.id or 0) + 100) is None
    assert first == replace(outbox_item(dedupe_key="card:1"), id=first.id)
    assert again is None
    assert all(item is not None for item in undeduped)


async def test_only_the_oldest_pending_row_of_each_channel_is_claimed(store: SqlStore) -> None:
    c1_first, c2_first, c1_second, c3_first = await _enqueue(
        store, outbox_item("C1"), outbox_item("C2"), outbox_item("C1"), outbox_item("C3")
    )
    claimed = await _claim(store, minutes=0)
    assert _ids(claimed) == _ids([c1_first, c2_first, c3_first])
    assert claimed[0] == replace(c1_first, attempts=1)
    # Their heads are leased: nothing behind them in C1 goes out of order.
    assert await _claim(store, minutes=0.5) == []

    async with store.transaction() as uow:
        await uow.outbox.mark_delivered(
            item_id=c1_first.id or 0, at=at(0.2), result={"ok": True, "ts": "1.2"}
        )
    assert _ids(await _claim(store, minutes=0.5)) == [c1_second.id]
    async with store.transaction() as uow:
        delivered = await uow.outbox.get(item_id=c1_first.id or 0)
    assert delivered == replace(c1_first, attempts=1, delivered_at=at(0.2), result={"ok": True, "ts": "1.2"})


async def test_claims_respect_the_limit_oldest_first(store: SqlStore) -> None:
    items = await _enqueue(store, *(outbox_item(f"C{number}") for number in range(5)))
    assert _ids(await _claim(store, minutes=0, limit=2)) == _ids(items[:2])
    assert _ids(await _claim(store, minutes=0, limit=2)) == _ids(items[2:4])


async def test_a_head_waiting_for_its_retry_holds_back_its_channel(store: SqlStore) -> None:
    later, after_it = await _enqueue(store, outbox_item("C1", available=10), outbox_item("C1"))
    (other,) = await _enqueue(store, outbox_item("C2"))
    assert _ids(await _claim(store, minutes=0)) == [other.id]
    async with store.transaction() as uow:
        await uow.outbox.mark_delivered(item_id=other.id or 0, at=at(0.1), result=None)
    assert await _claim(store, minutes=9) == []
    assert _ids(await _claim(store, minutes=10)) == [later.id]
    assert after_it.id is not None


async def test_an_expired_lease_makes_the_row_claimable_again(store: SqlStore) -> None:
    (item,) = await _enqueue(store, outbox_item("C1"))
    assert _ids(await _claim(store, minutes=0)) == [item.id]
    assert await _claim(store, minutes=0.9) == []
    assert _ids(await _claim(store, minutes=1)) == [item.id]


async def test_claims_count_attempts_and_reschedule_releases_the_lease(store: SqlStore) -> None:
    (item,) = await _enqueue(store, outbox_item("C1"))
    (claimed,) = await _claim(store, minutes=0)
    assert claimed.attempts == 1
    async with store.transaction() as uow:
        await uow.outbox.reschedule(item_id=item.id or 0, available_at=at(0.5), error="ratelimited")
        rescheduled = await uow.outbox.get(item_id=item.id or 0)
        leased_until = (
            await uow.connection.execute(select(OUTBOX.c.leased_until).where(OUTBOX.c.id == item.id))
        ).scalar_one()
    assert rescheduled == replace(item, attempts=1, last_error="ratelimited", available_at=at(0.5))
    assert leased_until is None
    assert await _claim(store, minutes=0.4) == []
    assert _ids(await _claim(store, minutes=0.5)) == [item.id]


async def test_a_failed_row_stops_blocking_its_channel(store: SqlStore) -> None:
    doomed, next_one = await _enqueue(store, outbox_item("C1"), outbox_item("C1", created=1))
    await _claim(store, minutes=1)
    async with store.transaction() as uow:
        await uow.outbox.mark_failed(item_id=doomed.id or 0, at=at(1.1), error="channel_not_found")
        failed = await uow.outbox.get(item_id=doomed.id or 0)
    assert failed == replace(doomed, attempts=1, failed_at=at(1.1), last_error="channel_not_found")
    assert _ids(await _claim(store, minutes=1.2)) == [next_one.id]


async def test_pending_counts_rows_still_to_deliver(store: SqlStore) -> None:
    async with store.transaction() as uow:
        assert await uow.outbox.pending() == (0, None)
    delivered, failed, waiting, newest = await _enqueue(
        store,
        outbox_item("C1", created=0),
        outbox_item("C2", created=1),
        outbox_item("C3", created=2),
        outbox_item("C1", created=3),
    )
    async with store.transaction() as uow:
        await uow.outbox.mark_delivered(item_id=delivered.id or 0, at=at(4), result=None)
        await uow.outbox.mark_failed(item_id=failed.id or 0, at=at(4), error="not_in_channel")
        assert await uow.outbox.pending() == (2, at(2))


async def test_a_run_per_channel_is_claimed_in_order_and_stops_before_a_row_not_due(store: SqlStore) -> None:
    c1 = await _enqueue(store, *(outbox_item("C1") for _ in range(4)))
    (c2,) = await _enqueue(store, outbox_item("C2"))
    c3_now, _c3_later, _c3_after = await _enqueue(
        store, outbox_item("C3"), outbox_item("C3", available=5), outbox_item("C3")
    )
    async with store.transaction() as uow:
        claimed = await uow.outbox.claim_due(now=at(0), limit=10, lease=LEASE, per_channel=3)
    assert _ids(claimed) == sorted(_ids([*c1[:3], c2, c3_now]))  # type: ignore[type-var]
    assert all(item.attempts == 1 for item in claimed)
    # Everything behind the leased runs waits: C1's fourth row does not overtake the three ahead of it.
    assert await _claim(store, minutes=0.5) == []


async def test_limit_counts_channels_when_claiming_runs(store: SqlStore) -> None:
    items = await _enqueue(store, *(outbox_item(f"C{number % 3}") for number in range(6)))
    async with store.transaction() as uow:
        claimed = await uow.outbox.claim_due(now=at(0), limit=2, lease=LEASE, per_channel=5)
    assert {item.channel_key for item in claimed} == {"C0", "C1"}
    assert _ids(claimed) == _ids([item for item in items if item.channel_key in ("C0", "C1")])


async def test_released_rows_are_claimable_again_with_their_attempt_uncounted(store: SqlStore) -> None:
    head, behind, last = await _enqueue(store, *(outbox_item("C1") for _ in range(3)))
    async with store.transaction() as uow:
        await uow.outbox.claim_due(now=at(0), limit=10, lease=LEASE, per_channel=3)
        await uow.outbox.mark_delivered_many([(head.id or 0, {"ts": "1.1"})], at=at(0.1))
        await uow.outbox.release(item_ids=[last.id or 0], leased_until=at(0) + LEASE + LEASE)  # not our lease
        await uow.outbox.release(item_ids=[behind.id or 0, last.id or 0], leased_until=at(0) + LEASE)
        delivered = await uow.outbox.get(item_id=head.id or 0)
    assert delivered == replace(head, attempts=1, delivered_at=at(0.1), result={"ts": "1.1"})
    reclaimed = await _claim(store, minutes=0.2)
    assert reclaimed == [replace(behind, attempts=1)]


async def test_the_rows_queued_behind_a_head_are_read_off_the_pending_index(engine: AsyncEngine) -> None:
    # Numbering every pending row of a channel made each claim as slow as the channel's backlog was long.
    async with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            statement = _SQLITE_QUEUED_BEHIND.params(key="C1", head=1, count=19)
            sql = str(statement.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
            plan = [row[-1] for row in await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")]
        else:  # the planner would scan a table this small anyway: ask whether it can do otherwise
            await connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
            explain = text(f"EXPLAIN {_PG_QUEUED_BEHIND.element.text}")
            parameters = {"keys": ["C1", "C2"], "heads": [1, 2], "count": 19}
            plan = [row[0] for row in await connection.execute(explain, parameters)]
    assert any("ix_outbox_pending" in line for line in plan), plan
