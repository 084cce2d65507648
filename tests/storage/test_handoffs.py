from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from routing.models import HandoffState, Urgency
from storage import LiveHandoffExists, SqlStore
from storage.handoffs import _LAST_CLOSED
from storage.tables import HANDOFFS

from .builders import T0, at, event, handoff, query_plan


async def test_a_handoff_round_trips_exactly(store: SqlStore) -> None:
    original = handoff(version=7, id=999)
    async with store.transaction() as uow:
        added = await uow.handoffs.add(original)
    assert added.id is not None and added.id != 999
    assert added == replace(original, id=added.id, version=0)
    async with store.transaction() as uow:
        stored = await uow.handoffs.get(handoff_id=added.id)
        assert await uow.handoffs.get(handoff_id=added.id + 1) is None
    assert stored == added
    assert isinstance(stored.reasons, tuple) and isinstance(stored.urgency, Urgency)
    assert stored.state is HandoffState.OPEN


async def test_live_for_finds_only_live_handoffs(store: SqlStore) -> None:
    async with store.transaction() as uow:
        assert await uow.handoffs.live_for(channel_id="C1", thread_ts="1767600000.000100") is None
        resolved = await uow.handoffs.add(handoff(state=HandoffState.RESOLVED))
        dismissed = await uow.handoffs.add(handoff(state=HandoffState.DISMISSED))
        assert await uow.handoffs.live_for(channel_id="C1", thread_ts="1767600000.000100") is None
        snoozed = await uow.handoffs.add(handoff(state=HandoffState.SNOOZED))
        elsewhere = await uow.handoffs.add(handoff(thread_ts="1767600055.000100"))
        assert await uow.handoffs.live_for(channel_id="C1", thread_ts="1767600000.000100") == snoozed
        assert await uow.handoffs.live_for(channel_id="C1", thread_ts="1767600055.000100") == elsewhere
        keys = [("C1", "1767600000.000100"), ("C1", "1767600055.000100"), ("C1", "1767600099.000100")]
        assert await uow.handoffs.live_for_many(keys) == {keys[0]: snoozed, keys[1]: elsewhere}
        assert await uow.handoffs.live_for_many([]) == {}
        # Another channel with the same thread ts is another conversation.
        assert await uow.handoffs.live_for_many([("C2", "1767600055.000100"), keys[0]]) == {keys[0]: snoozed}
    assert len({resolved.id, dismissed.id, snoozed.id, elsewhere.id}) == 4


async def test_a_second_live_handoff_is_refused_and_the_transaction_goes_on(store: SqlStore) -> None:
    async with store.transaction() as uow:
        first = await uow.handoffs.add(handoff())
        with pytest.raises(LiveHandoffExists) as raised:
            await uow.handoffs.add(handoff(state=HandoffState.CLAIMED, urgency=Urgency.LOW))
        assert (raised.value.channel_id, raised.value.thread_ts) == ("C1", "1767600000.000100")
        # The caller can merge into the live one in the same transaction.
        assert await uow.handoffs.live_for(channel_id="C1", thread_ts="1767600000.000100") == first
    async with store.transaction() as uow:
        assert await uow.handoffs.get(handoff_id=first.id or 0) == first


async def test_the_database_itself_allows_one_live_handoff_per_conversation(store: SqlStore) -> None:
    row = {**_row(), "state": "claimed"}
    async with store.transaction() as uow:
        await uow.connection.execute(insert(HANDOFFS).values(row))
        await uow.connection.execute(insert(HANDOFFS).values({**row, "state": "resolved"}))
    with pytest.raises(IntegrityError):
        async with store.transaction() as uow:
            await uow.connection.execute(insert(HANDOFFS).values({**row, "state": "snoozed"}))


async def test_reopening_beside_a_live_handoff_is_refused(store: SqlStore) -> None:
    async with store.transaction() as uow:
        old = await uow.handoffs.add(handoff(state=HandoffState.RESOLVED))
        await uow.handoffs.add(handoff())
    with pytest.raises(LiveHandoffExists):
        async with store.transaction() as uow:
            await uow.handoffs.update(replace(old, state=HandoffState.OPEN), expected_version=0)


async def test_updates_are_compare_and_set_on_the_version(store: SqlStore) -> None:
    async with store.transaction() as uow:
        added = await uow.handoffs.add(handoff())
    claimed = replace(added, state=HandoffState.CLAIMED, assignee_id="U_OTHER", reasons=("deal_moment",))
    async with store.transaction() as uow:
        stored = await uow.handoffs.update(claimed, expected_version=0)
        assert stored == replace(claimed, version=1)
        assert await uow.handoffs.update(replace(added, assignee_id="U_LATE"), expected_version=0) is None
    resolved = replace(claimed, state=HandoffState.RESOLVED, closed_at=at(30), policy={}, context={})
    async with store.transaction() as uow:
        assert await uow.handoffs.update(resolved, expected_version=1) == replace(resolved, version=2)
        assert await uow.handoffs.get(handoff_id=added.id or 0) == replace(resolved, version=2)
        assert await uow.handoffs.live_for(channel_id="C1", thread_ts="1767600000.000100") is None


async def test_updating_an_unsaved_handoff_is_a_programming_error(store: SqlStore) -> None:
    async with store.transaction() as uow:
        with pytest.raises(ValueError, match="no id"):
            await uow.handoffs.update(handoff(), expected_version=0)


async def test_events_are_appended_and_read_in_order(store: SqlStore) -> None:
    async with store.transaction() as uow:
        first = await uow.handoffs.add(handoff())
        second = await uow.handoffs.add(handoff(thread_ts="1767600055.000100"))
        assert first.id is not None and second.id is not None
        # Appended with times out of order: the log keeps append order.
        opened = await uow.handoff_events.append(event(first.id, "opened", minutes=5))
        await uow.handoff_events.append(event(second.id, "opened"))
        claimed = await uow.handoff_events.append(event(first.id, "claimed", minutes=1))
    async with store.transaction() as uow:
        assert await uow.handoff_events.for_handoff(handoff_id=first.id) == [opened, claimed]
        assert await uow.handoff_events.for_handoff(handoff_id=first.id + second.id + 1) == []
    assert opened == replace(event(first.id, "opened", minutes=5), id=opened.id)
    assert opened.id is not None and claimed.id is not None and opened.id < claimed.id


async def test_events_need_an_existing_handoff(store: SqlStore) -> None:
    with pytest.raises(IntegrityError):
        async with store.transaction() as uow:
            await uow.handoff_events.append(event(12345, "opened"))


def _row() -> dict[str, object]:
    return {
        "channel_id": "C1",
        "thread_ts": "1767600000.000100",
        "escalation_type": "human_request",
        "urgency": "normal",
        "opened_at": T0,
        "target": "",
        "level": 0,
        "breached": False,
        "reasons": [],
        "policy": {},
        "context": {},
        "version": 0,
    }


async def test_a_conversations_last_closed_handoff_is_found_through_its_index(engine: AsyncEngine) -> None:
    # Every escalating message and the unanswered sweep ask: without the index, each read every handoff.
    plan = await query_plan(engine, _LAST_CLOSED.params(channel_id="C1", thread_ts="1767600000.000100"))
    assert any("ix_handoffs_channel_id_thread_ts_closed_at" in line for line in plan), plan
