"""The batch writes the SLA sweep uses: update_many, append_many, enqueue_many (on SQLite and PostgreSQL)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta, timezone

import pytest
from sqlalchemy import func, select

from routing.models import HandoffState, Urgency
from storage import LiveHandoffExists, SqlStore
from storage.tables import HANDOFF_EVENTS, OUTBOX

from .builders import at, event, handoff, outbox_item


async def _added(store: SqlStore, count: int) -> list:
    async with store.transaction() as uow:
        return [await uow.handoffs.add(handoff(thread_ts=f"17676000{i:02d}.000100")) for i in range(count)]


async def test_update_many_writes_every_field_like_update(store: SqlStore) -> None:
    first, second = await _added(store, 2)
    changed = [
        replace(
            first,
            state=HandoffState.CLAIMED,
            urgency=Urgency.LOW,
            assignee_id=None,
            level=3,
            next_check_at=at(99),
            snoozed_until=None,
            breached=False,
            reasons=(),
            policy={"claim_within_minutes": 5},
            context={"sla": {"warned": True, "breached_at": None}, "quote": 'it\'s "broken" ü'},
            closed_at=None,
        ),
        replace(second, next_check_at=None, card_ts=None, level=0),
    ]
    async with store.transaction() as uow:
        written = await uow.handoffs.update_many([(h, 0) for h in changed])
    assert written == [replace(h, version=1) for h in changed]
    async with store.transaction() as uow:
        stored = [await uow.handoffs.get(handoff_id=h.id or 0) for h in changed]
    assert stored == written


async def _add_due(store: SqlStore, count: int) -> None:
    """`count` handoffs due at at(1) (the ones `_added` makes are not due until at(10))."""
    async with store.transaction() as uow:
        for i in range(count):
            await uow.handoffs.add(handoff(thread_ts=f"17676001{i:02d}.000100", next_check_at=at(0)))


async def test_update_many_after_due_writes_the_changes_of_what_it_read(store: SqlStore) -> None:
    # Read by due(): only the changed columns are written (PostgreSQL merges a context's changed keys).
    await _add_due(store, 3)
    async with store.transaction() as uow:
        first, second, third = await uow.handoffs.due(now=at(1), limit=10)
        changed = [
            replace(
                first, next_check_at=at(9), breached=True, context={**first.context, "sla": {"warned": True}}
            ),
            replace(second, level=2, context={**second.context, "new": [1, "two"]}),
            third,  # unchanged: its version still moves
        ]
        written = await uow.handoffs.update_many([(h, h.version) for h in changed])
        assert written == [replace(h, version=h.version + 1) for h in changed]
        again = [replace(h, state=HandoffState.CLAIMED) for h in written]  # a second batch in the same unit
        assert await uow.handoffs.update_many([(h, h.version) for h in again]) == [
            replace(h, version=h.version + 1) for h in again
        ]
    async with store.transaction() as uow:
        stored = [await uow.handoffs.get(handoff_id=h.id or 0) for h in again]
    assert stored == [replace(h, version=h.version + 1) for h in again]


async def test_update_many_after_due_writes_a_context_that_lost_a_key(store: SqlStore) -> None:
    await _add_due(store, 2)
    async with store.transaction() as uow:
        first, second = await uow.handoffs.due(now=at(1), limit=10)
        shrunk = replace(first, context={"sla": {"warned": True}})  # every other key gone
        grown = replace(second, context={**second.context, "extra": True})
        written = await uow.handoffs.update_many([(shrunk, first.version), (grown, second.version)])
    async with store.transaction() as uow:
        stored = [await uow.handoffs.get(handoff_id=h.id or 0) for h in written]
    assert stored == written and stored[0].context == {"sla": {"warned": True}}  # type: ignore[union-attr]


async def test_update_many_mixing_read_and_unread_handoffs_writes_them_whole(store: SqlStore) -> None:
    (other,) = await _added(store, 1)  # never read by this unit of work below
    await _add_due(store, 1)
    async with store.transaction() as uow:
        (read,) = await uow.handoffs.due(now=at(1), limit=10)
        pairs = [(replace(read, level=4), read.version), (replace(other, urgency=Urgency.URGENT, level=1), 0)]
        written = await uow.handoffs.update_many(pairs)
    async with store.transaction() as uow:
        stored = [await uow.handoffs.get(handoff_id=h.id or 0) for h in written]
    assert stored == written == [replace(h, version=v + 1) for h, v in pairs]


async def test_update_many_skips_a_row_whose_version_moved(store: SqlStore) -> None:
    first, second, third = await _added(store, 3)
    async with store.transaction() as uow:
        moved = await uow.handoffs.update(replace(second, level=7), expected_version=0)
    assert moved is not None and moved.version == 1
    pairs = [(replace(h, level=2), 0) for h in (first, second, third)]
    async with store.transaction() as uow:
        written = await uow.handoffs.update_many(pairs)
    assert [h.id for h in written] == [first.id, third.id]
    assert all(h.version == 1 and h.level == 2 for h in written)
    async with store.transaction() as uow:
        assert await uow.handoffs.get(handoff_id=second.id or 0) == moved  # untouched


async def test_update_many_of_nothing_is_a_no_op(store: SqlStore) -> None:
    (only,) = await _added(store, 1)
    async with store.transaction() as uow:
        assert await uow.handoffs.update_many([]) == []
        assert await uow.handoffs.get(handoff_id=only.id or 0) == only


async def test_update_many_converts_times_to_utc_and_refuses_naive_ones(store: SqlStore) -> None:
    (only,) = await _added(store, 1)
    plus_two = timezone(timedelta(hours=2))
    async with store.transaction() as uow:
        await uow.handoffs.update_many([(replace(only, next_check_at=at(30).astimezone(plus_two)), 0)])
        assert (await uow.handoffs.get(handoff_id=only.id or 0)).next_check_at == at(30)  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="naive"):
        async with store.transaction() as uow:
            await uow.handoffs.update_many([(replace(only, next_check_at=at(1).replace(tzinfo=None)), 1)])


async def test_update_many_refuses_unsaved_or_repeated_handoffs(store: SqlStore) -> None:
    (only,) = await _added(store, 1)
    async with store.transaction() as uow:
        with pytest.raises(ValueError):
            await uow.handoffs.update_many([(handoff(), 0)])
        with pytest.raises(ValueError):
            await uow.handoffs.update_many([(only, 0), (only, 0)])


async def test_update_many_refuses_a_second_live_handoff(store: SqlStore) -> None:
    async with store.transaction() as uow:
        old = await uow.handoffs.add(handoff(state=HandoffState.RESOLVED))
        await uow.handoffs.add(handoff())
    with pytest.raises(LiveHandoffExists):
        async with store.transaction() as uow:
            await uow.handoffs.update_many([(replace(old, state=HandoffState.OPEN), 0)])


async def test_append_many_appends_in_order(store: SqlStore) -> None:
    first, second = await _added(store, 2)
    assert first.id is not None and second.id is not None
    events = [event(first.id, "sla_breached"), event(second.id, "escalated"), event(first.id, "escalated")]
    async with store.transaction() as uow:
        await uow.handoff_events.append_many(events)
        await uow.handoff_events.append_many([])
    async with store.transaction() as uow:
        of_first = await uow.handoff_events.for_handoff(handoff_id=first.id)
        of_second = await uow.handoff_events.for_handoff(handoff_id=second.id)
    assert [replace(e, id=None) for e in of_first] == [events[0], events[2]]
    assert [replace(e, id=None) for e in of_second] == [events[1]]
    assert (of_first[0].id or 0) < (of_second[0].id or 0) < (of_first[1].id or 0)


async def test_append_many_of_nothing_is_a_no_op(store: SqlStore) -> None:
    async with store.transaction() as uow:
        await uow.handoff_events.append_many([])
        count = (await uow.connection.execute(select(func.count()).select_from(HANDOFF_EVENTS))).scalar()
    assert count == 0


async def test_enqueue_many_skips_duplicate_dedupe_keys(store: SqlStore) -> None:
    async with store.transaction() as uow:
        existing = await uow.outbox.enqueue(outbox_item(dedupe_key="card:1"))
    items = [
        outbox_item("C1", dedupe_key="card:1", text="again"),  # stored already
        outbox_item("C2", dedupe_key="note:1"),
        outbox_item("C2", dedupe_key="note:1", text="twice in one batch"),
        outbox_item("C3"),  # no dedupe key: never a duplicate
        outbox_item("C3"),
    ]
    async with store.transaction() as uow:
        await uow.outbox.enqueue_many(items)
    async with store.transaction() as uow:
        rows = (await uow.connection.execute(select(OUTBOX.c.id).order_by(OUTBOX.c.id))).scalars().all()
        stored = [await uow.outbox.get(item_id=row) for row in rows]
    assert stored[0] == existing
    assert [replace(item, id=None) for item in stored[1:]] == [items[1], items[3], items[4]]  # type: ignore[arg-type]


async def test_enqueue_many_of_nothing_is_a_no_op(store: SqlStore) -> None:
    async with store.transaction() as uow:
        await uow.outbox.enqueue_many([])
        assert await uow.outbox.pending() == (0, None)
