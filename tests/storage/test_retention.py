"""Retention deletes old messages, conversations and finished Slack writes, oldest first, in batches."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from routing.models import HandoffState
from storage import SqlStore
from storage.retention import _OLD_CONVERSATIONS, _OLD_DELIVERIES, _OLD_MESSAGES
from tests.storage.builders import at, handoff, message, outbox_item, query_plan


async def _messages(store: SqlStore, *messages) -> None:
    async with store.transaction() as tx:
        for item in messages:
            await tx.conversations.add_message(item)


async def _left(store: SqlStore, table: str) -> list:
    async with store.transaction(readonly=True) as tx:
        rows = await tx.connection.exec_driver_sql(f"SELECT * FROM {table} ORDER BY id")
        return rows.all()


async def test_old_messages_and_conversations_go_and_recent_ones_stay(store: SqlStore) -> None:
    await _messages(
        store,
        message("1.1", thread_ts="1.1", received_at=at(0)),  # an old conversation, all of it old
        message("1.2", thread_ts="1.1", received_at=at(10)),
        message("2.1", thread_ts="2.1", received_at=at(5)),  # old root, recent reply: the reply stays
        message("2.2", thread_ts="2.1", received_at=at(100)),
        message("3.1", thread_ts="3.1", received_at=at(120)),
    )
    async with store.transaction() as tx:
        forgotten = await tx.retention.forget_messages(before=at(60), limit=100, spare_waiting_since=at(60))
        forgotten += await tx.retention.forget_conversations(
            before=at(60), limit=100, spare_waiting_since=at(60)
        )
        old = await tx.conversations.get(channel_id="C1", thread_ts="1.1")
        replied = await tx.conversations.get(channel_id="C1", thread_ts="2.1")
        history = await tx.conversations.messages(channel_id="C1", thread_ts="2.1")
    assert forgotten == 3 + 1  # three messages, one conversation
    assert old is None
    assert replied is not None and [m.ts for m in history] == ["2.2"]
    assert sorted(row.ts for row in await _left(store, "messages")) == ["2.2", "3.1"]


async def test_a_conversation_with_a_live_handoff_keeps_its_messages(store: SqlStore) -> None:
    await _messages(
        store,
        message("1.1", thread_ts="1.1", received_at=at(0)),
        message("2.1", thread_ts="2.1", received_at=at(0)),
        message("3.1", thread_ts="3.1", received_at=at(0)),
    )
    async with store.transaction() as tx:
        await tx.handoffs.add(handoff(thread_ts="1.1", state=HandoffState.CLAIMED, closed_at=None))
        await tx.handoffs.add(handoff(thread_ts="2.1", state=HandoffState.RESOLVED))
        await tx.retention.forget_messages(before=at(60), limit=100, spare_waiting_since=at(60))
        await tx.retention.forget_conversations(before=at(60), limit=100, spare_waiting_since=at(60))
    assert [row.ts for row in await _left(store, "messages")] == ["1.1"]
    assert [row.thread_ts for row in await _left(store, "conversations")] == ["1.1"]


async def test_each_call_deletes_at_most_a_batch_oldest_first(store: SqlStore) -> None:
    await _messages(store, *(message(f"{i}.1", thread_ts=f"{i}.1", received_at=at(i)) for i in range(1, 8)))
    async with store.transaction() as tx:
        assert await tx.retention.forget_messages(before=at(60), limit=3, spare_waiting_since=at(60)) == 3
        assert (
            await tx.retention.forget_conversations(before=at(60), limit=5, spare_waiting_since=at(60)) == 5
        )
    assert [row.ts for row in await _left(store, "messages")] == ["4.1", "5.1", "6.1", "7.1"]
    assert [row.thread_ts for row in await _left(store, "conversations")] == ["6.1", "7.1"]
    async with store.transaction() as tx:
        assert [
            await tx.retention.forget_messages(before=at(60), limit=3, spare_waiting_since=at(60))
            for _ in range(3)
        ] == [3, 1, 0]


async def test_finished_slack_writes_go_once_old_and_pending_ones_stay(store: SqlStore) -> None:
    async with store.transaction() as tx:
        rows = [await tx.outbox.enqueue(outbox_item(created=created)) for created in (0, 1, 2, 100)]
        delivered, failed, pending, recent = [row.id for row in rows if row is not None]
        await tx.outbox.mark_delivered(item_id=delivered, at=at(1), result={"ok": True})
        await tx.outbox.mark_failed(item_id=failed, at=at(2), error="channel_not_found")
        await tx.outbox.mark_delivered(item_id=recent, at=at(101), result={"ok": True})
    async with store.transaction() as tx:
        assert await tx.retention.forget_deliveries(before=at(60), limit=100) == 2
    assert [row.id for row in await _left(store, "outbox")] == [pending, recent]


@pytest.mark.parametrize(
    ("statement", "index"),
    [
        (_OLD_MESSAGES, "ix_messages_received_at"),
        (_OLD_CONVERSATIONS, "ix_conversations_started_at"),
        (_OLD_DELIVERIES, "ix_outbox_created_at"),
    ],
)
async def test_the_oldest_rows_are_read_off_their_index(engine: AsyncEngine, statement, index: str) -> None:
    # Called on every sweep: without the index each call would read the whole table.
    plan = await query_plan(engine, statement.params(before=at(60), limit=1000, spare_waiting_since=at(50)))
    assert any(index in line for line in plan), plan
