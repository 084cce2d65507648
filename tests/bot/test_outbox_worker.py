"""The outbox worker's runs per channel: in order, recorded together, never longer than their lease allows;
and when it looks for work: when told, when a row it put off comes due, else at its idle poll."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.outbox import OutboxWorker
from handlers.delivery_errors import Transient
from routing.models import OutboxItem
from storage import SqlStore
from tests.storage.builders import at, outbox_item

LEASE = timedelta(seconds=60)


class SlowSlack:
    """Stands in for the notifier: every delivery takes `seconds` of the worker's clock."""

    def __init__(self, clock: list, seconds: float) -> None:
        self.clock, self.seconds, self.sent = clock, seconds, []

    async def deliver(self, item: OutboxItem) -> dict[str, Any]:
        self.sent.append(item.id)
        self.clock[0] += timedelta(seconds=self.seconds)
        return {"ok": True, "ts": f"{len(self.sent)}.0"}


async def test_a_run_stops_when_its_time_is_up_and_gives_the_rest_back(store: SqlStore) -> None:
    async with store.transaction() as tx:
        rows = [await tx.outbox.enqueue(outbox_item("C1")) for _ in range(5)]
    ids = [row.id for row in rows if row is not None]
    now = [at(0)]
    slack = SlowSlack(now, seconds=25)  # past a third of the lease after the first row

    async def delivered(deliveries):  # type: ignore[no-untyped-def]
        async with store.transaction() as tx:
            await tx.outbox.mark_delivered_many([(i.id, r) for i, r in deliveries], at=now[0])

    worker = OutboxWorker(
        store=store,
        notifier=slack,
        delivered=delivered,
        clock=lambda: now[0],
        lease=LEASE,  # type: ignore[arg-type]
    )
    assert await worker.deliver_due() == 5  # the whole run was claimed…
    assert slack.sent == ids[:1]  # …but only the first row went out before time was up
    async with store.transaction() as tx:
        first, *rest = [await tx.outbox.get(item_id=i) for i in ids]
    assert first is not None and first.delivered_at is not None
    assert all(row is not None and row.delivered_at is None and row.attempts == 0 for row in rest)
    await worker.deliver_due()  # the rest, in order, in the next runs
    await worker.deliver_due()
    await worker.deliver_due()
    await worker.deliver_due()
    assert slack.sent == ids


class HungSlack:
    """Stands in for the notifier: a call Slack never answers (until cancelled)."""

    def __init__(self) -> None:
        self.cancelled = 0

    async def deliver(self, item: OutboxItem) -> dict[str, Any]:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        raise AssertionError("unreachable")


async def test_a_delivery_still_waiting_on_slack_when_its_lease_ends_is_given_up_in_time(
    store: SqlStore,
) -> None:
    """Once a row's lease ends another worker may take it: the worker stops waiting a sixth of the lease
    before, and the row, maybe sent, is tried again (look-up first) only after a call could still land."""
    async with store.transaction() as tx:
        row = await tx.outbox.enqueue(outbox_item("C1"))
    assert row is not None and row.id is not None
    slack = HungSlack()
    worker = OutboxWorker(
        store=store,
        notifier=slack,  # type: ignore[arg-type]
        delivered=lambda deliveries: asyncio.sleep(0),
        clock=lambda: datetime.now(UTC),
        lease=timedelta(seconds=1.2),
        in_flight=timedelta(seconds=30),
    )
    started = datetime.now(UTC)
    await asyncio.wait_for(worker.deliver_due(), timeout=5)
    assert slack.cancelled == 1
    assert datetime.now(UTC) - started < timedelta(seconds=1.2)  # before the lease ended
    async with store.transaction() as tx:
        kept = await tx.outbox.get(item_id=row.id)
    assert kept is not None and kept.delivered_at is None and "ambiguous" in (kept.last_error or "")
    assert kept.available_at >= started + timedelta(seconds=30)  # not before a call could still land


async def test_a_worker_whose_lease_ran_out_leaves_the_row_to_its_new_holder(store: SqlStore) -> None:
    async with store.transaction() as tx:
        row = await tx.outbox.enqueue(outbox_item("C1"))
    assert row is not None and row.id is not None

    async def claim(minutes: float) -> list[int | None]:
        async with store.transaction() as tx:
            items = await tx.outbox.claim_due(now=at(minutes), limit=10, lease=LEASE, per_channel=10)
        return [item.id for item in items]

    assert await claim(0) == [row.id]  # a first worker's lease, until minute 1
    assert await claim(2) == [row.id]  # it ran out: a second worker's, until minute 3
    async with store.transaction() as tx:  # the first worker, late, reschedules and fails it: nothing changes
        await tx.outbox.reschedule(item_id=row.id, available_at=at(2), error="late", held_until=at(1))
        await tx.outbox.mark_failed(item_id=row.id, at=at(2), error="late", held_until=at(1))
        kept = await tx.outbox.get(item_id=row.id)
    assert kept is not None and kept.failed_at is None and kept.last_error is None
    assert await claim(2.5) == []  # still the second worker's
    async with store.transaction() as tx:  # the second worker puts it off: that counts
        await tx.outbox.reschedule(item_id=row.id, available_at=at(2), error="HTTP 503", held_until=at(3))
    assert await claim(2.5) == [row.id]


class Slack:
    """Stands in for the notifier: records what was sent; `fail_first` rows fail once (a 5xx)."""

    def __init__(self, *, fail_first: int = 0) -> None:
        self.sent: list[int | None] = []
        self.failures = fail_first
        self.during: Callable[[], Awaitable[None]] | None = None  # runs once, inside the next delivery

    async def deliver(self, item: OutboxItem) -> dict[str, Any]:
        if self.during is not None:
            during, self.during = self.during, None
            await during()
        if self.failures:
            self.failures -= 1
            raise Transient("HTTP 503", ambiguous=False)
        self.sent.append(item.id)
        return {"ok": True, "ts": f"{len(self.sent)}.0"}


class CountingStore:
    """The store, counting the transactions opened through it (the worker's claims and retries)."""

    def __init__(self, store: SqlStore) -> None:
        self._store, self.transactions = store, 0

    def transaction(self, *, readonly: bool = False) -> Any:
        self.transactions += 1
        return self._store.transaction(readonly=readonly)


@asynccontextmanager
async def worker_running(store: SqlStore, slack: Slack) -> AsyncIterator[tuple[OutboxWorker, CountingStore]]:
    """A worker delivering with the real clock, whose idle poll (a minute) never comes within a test."""
    counting = CountingStore(store)

    async def delivered(deliveries):  # type: ignore[no-untyped-def]
        async with store.transaction() as tx:
            await tx.outbox.mark_delivered_many([(i.id, r) for i, r in deliveries], at=datetime.now(UTC))

    worker = OutboxWorker(
        store=counting,  # type: ignore[arg-type]
        notifier=slack,  # type: ignore[arg-type]
        delivered=delivered,
        clock=lambda: datetime.now(UTC),
        idle_seconds=60,
    )
    task = asyncio.create_task(worker.run())
    try:
        yield worker, counting
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def enqueue(store: SqlStore, *channels: str) -> list[int | None]:
    async with store.transaction() as tx:
        return [row.id for c in channels if (row := await tx.outbox.enqueue(outbox_item(c))) is not None]


async def sent(slack: Slack, ids: list[int | None], *, within: float = 3.0) -> None:
    async with asyncio.timeout(within):
        while not set(ids) <= set(slack.sent):
            await asyncio.sleep(0.01)


async def test_a_claim_that_took_every_due_row_is_not_followed_by_an_empty_one(store: SqlStore) -> None:
    first = await enqueue(store, "C1", "C1", "C2")
    slack = Slack()
    async with worker_running(store, slack) as (worker, counting):
        await sent(slack, first)
        await asyncio.sleep(0.2)
        assert counting.transactions == 1  # one claim; the rows committed later wake it (`wake`)
        later = await enqueue(store, "C1")
        worker.wake()
        await sent(slack, later)
        assert counting.transactions == 2
    assert slack.sent == first + later


async def test_rows_committed_during_a_delivery_go_out_without_waiting_for_the_poll(store: SqlStore) -> None:
    first = await enqueue(store, "C1")
    slack = Slack()
    later: list[int | None] = []

    async with worker_running(store, slack) as (worker, _):

        async def commit_meanwhile() -> None:
            later.extend(await enqueue(store, "C2"))
            worker.wake()  # as the service does after its commit

        slack.during = commit_meanwhile
        await sent(slack, first)
        await sent(slack, later)
    assert slack.sent == first + later


async def test_a_row_put_off_after_a_failure_is_tried_again_when_due(store: SqlStore) -> None:
    ids = await enqueue(store, "C1")
    slack = Slack(fail_first=1)  # retried after backoff(1): about half a second, far before the idle poll
    async with worker_running(store, slack):
        await sent(slack, ids, within=5.0)
    assert slack.sent == ids


async def test_the_lanes_of_one_claim_are_recorded_in_one_transaction(store: SqlStore) -> None:
    # A new card and its warm message are two channels' lanes of one claim: one record, not one per lane.
    ids = await enqueue(store, "C1", "C2", "C2", "C3")
    recorded: list[list[int | None]] = []

    async def delivered(deliveries):  # type: ignore[no-untyped-def]
        recorded.append(sorted(item.id for item, _ in deliveries))
        async with store.transaction() as tx:
            await tx.outbox.mark_delivered_many([(i.id, r) for i, r in deliveries], at=datetime.now(UTC))

    worker = OutboxWorker(
        store=store,
        notifier=Slack(),  # type: ignore[arg-type]
        delivered=delivered,
        clock=lambda: datetime.now(UTC),
    )
    assert await worker.deliver_due() == 4
    assert recorded == [sorted(ids)]
    async with store.transaction(readonly=True) as tx:
        rows = [await tx.outbox.get(item_id=i) for i in ids if i is not None]
    assert all(row is not None and row.delivered_at is not None for row in rows)


async def test_a_lane_that_finished_is_recorded_when_the_others_are_cancelled(store: SqlStore) -> None:
    # Shutting down while one lane still waits for Slack: what the other lanes delivered is recorded all the
    # same (else it would be sent again once the lease runs out).
    quick, slow = await enqueue(store, "C1", "C2")
    stuck = asyncio.Event()

    class HangingSlack(Slack):
        async def deliver(self, item: OutboxItem) -> dict[str, Any]:
            if item.id == slow:
                stuck.set()
                await asyncio.Event().wait()  # never answers
            return await super().deliver(item)

    async def delivered(deliveries):  # type: ignore[no-untyped-def]
        async with store.transaction() as tx:
            await tx.outbox.mark_delivered_many([(i.id, r) for i, r in deliveries], at=datetime.now(UTC))

    slack = HangingSlack()
    worker = OutboxWorker(
        store=store,
        notifier=slack,  # type: ignore[arg-type]
        delivered=delivered,
        clock=lambda: datetime.now(UTC),
    )
    running = asyncio.create_task(worker.deliver_due())
    await stuck.wait()
    await sent(slack, [quick])
    running.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await running
    async with store.transaction(readonly=True) as tx:
        done, waiting = await tx.outbox.get(item_id=quick), await tx.outbox.get(item_id=slow)  # type: ignore[arg-type]
    assert done is not None and done.delivered_at is not None
    assert waiting is not None and waiting.delivered_at is None
