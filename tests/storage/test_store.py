from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.exc import StatementError

from routing.models import WatchedChannel
from storage import SqlStore

from .builders import T0, event, handoff, message, outbox_item


class Boom(Exception):
    pass


async def test_a_failing_transaction_leaves_nothing_behind(store: SqlStore) -> None:
    with pytest.raises(Boom):
        async with store.transaction() as uow:
            await uow.processed_events.remember(event_id="Ev1", at=T0)
            await uow.channels.save(WatchedChannel(channel_id="C1"))
            await uow.conversations.add_message(message("1767600000.000100"))
            added = await uow.handoffs.add(handoff())
            await uow.handoff_events.append(event(added.id or 0, "opened"))
            await uow.outbox.enqueue(outbox_item(dedupe_key="card"))
            raise Boom

    async with store.transaction() as uow:
        assert await uow.processed_events.remember(event_id="Ev1", at=T0) is True
        assert await uow.channels.list(watched_only=False) == []
        assert await uow.conversations.get(channel_id="C1", thread_ts="1767600000.000100") is None
        assert await uow.conversations.get_message(channel_id="C1", ts="1767600000.000100") is None
        assert await uow.handoffs.live_for(channel_id="C1", thread_ts="1767600000.000100") is None
        assert await uow.handoff_events.for_handoff(handoff_id=added.id or 0) == []
        assert await uow.outbox.pending() == (0, None)
        assert await uow.outbox.enqueue(outbox_item(dedupe_key="card")) is not None


async def test_a_clean_exit_commits(store: SqlStore) -> None:
    async with store.transaction() as uow:
        await uow.channels.save(WatchedChannel(channel_id="C1"))
    async with store.transaction() as uow:
        assert await uow.channels.get(channel_id="C1") == WatchedChannel(channel_id="C1")


async def test_datetimes_come_back_as_the_same_instant_in_utc(store: SqlStore) -> None:
    kolkata = timezone(timedelta(hours=5, minutes=30))
    opened = datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=kolkata)
    async with store.transaction() as uow:
        added = await uow.handoffs.add(handoff(opened_at=opened, claim_due_at=None))
        stored = await uow.handoffs.get(handoff_id=added.id or 0)
    assert stored is not None
    assert stored.opened_at == opened
    assert stored.opened_at.tzinfo is UTC
    assert stored.opened_at == datetime(2026, 3, 28, 20, 0, 15, 123456, tzinfo=UTC)
    assert stored.claim_due_at is None


async def test_instants_compare_correctly_whatever_zone_they_were_written_in(store: SqlStore) -> None:
    # 09:00 in UTC-8 is 17:00 UTC, so it is after 16:00 UTC though "09:00" sorts first as text.
    pacific = timezone(timedelta(hours=-8))
    async with store.transaction() as uow:
        await uow.processed_events.remember(event_id="late", at=datetime(2026, 1, 5, 9, 0, tzinfo=pacific))
        await uow.processed_events.remember(event_id="early", at=datetime(2026, 1, 5, 12, 0, tzinfo=UTC))
        forgotten = await uow.processed_events.forget_before(before=datetime(2026, 1, 5, 16, 0, tzinfo=UTC))
        assert forgotten == 1
        assert await uow.processed_events.remember(event_id="late", at=T0) is False


async def test_naive_datetimes_are_rejected(store: SqlStore) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        async with store.transaction() as uow:
            await uow.processed_events.remember(event_id="Ev1", at=datetime(2026, 1, 5, 9, 0))
