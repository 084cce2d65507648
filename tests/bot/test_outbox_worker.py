"""The outbox worker's runs per channel: in order, recorded together, never longer than their lease allows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.outbox import OutboxWorker
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
