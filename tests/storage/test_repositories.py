from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta, timezone

from sqlalchemy import event

from routing.models import Account, AuthorKind, Conversation, StoredMessage, WatchedChannel
from storage import SqlStore
from storage.repositories import SqlConversations
from storage.store import SqlUnitOfWork

from .builders import T0, at, message


async def test_an_event_id_is_remembered_once(store: SqlStore) -> None:
    async with store.transaction() as uow:
        assert await uow.processed_events.remember(event_id="Ev1", at=T0) is True
        assert await uow.processed_events.remember(event_id="Ev1", at=at(1)) is False
    async with store.transaction() as uow:
        assert await uow.processed_events.remember(event_id="Ev1", at=at(2)) is False
        assert await uow.processed_events.remember(event_id="Ev2", at=at(2)) is True


async def test_old_event_ids_are_forgotten(store: SqlStore) -> None:
    async with store.transaction() as uow:
        for minute in range(5):
            await uow.processed_events.remember(event_id=f"Ev{minute}", at=at(minute))
    async with store.transaction() as uow:
        assert await uow.processed_events.forget_before(before=at(3)) == 3
        assert await uow.processed_events.forget_before(before=at(3)) == 0
        assert await uow.processed_events.remember(event_id="Ev0", at=at(10)) is True
        assert await uow.processed_events.remember(event_id="Ev3", at=at(10)) is False


async def test_channels_round_trip_and_upsert(store: SqlStore) -> None:
    acme = WatchedChannel(
        channel_id="C2",
        name="acme-support",
        is_shared=True,
        account=Account(name="Acme", tier="enterprise", value=125000.5, owner_user_id="U_AE"),
        ai_bot_ids=("B_AI", "B_AI2"),
        added_at=T0,
    )
    async with store.transaction() as uow:
        assert await uow.channels.get(channel_id="C2") is None
        assert await uow.channels.save(acme) == acme
    async with store.transaction() as uow:
        assert await uow.channels.get(channel_id="C2") == acme
        renamed = replace(acme, name="acme", account=Account(name="Acme Inc"), ai_bot_ids=(), added_at=None)
        saved = await uow.channels.save(renamed)
    # Replaced by id, but a missing added_at keeps the stored one.
    assert saved == replace(renamed, added_at=T0)
    async with store.transaction() as uow:
        assert await uow.channels.get(channel_id="C2") == saved


async def test_channels_are_listed_by_id(store: SqlStore) -> None:
    async with store.transaction() as uow:
        for channel_id, watched in (("C3", True), ("C1", False), ("C2", True)):
            await uow.channels.save(WatchedChannel(channel_id=channel_id, watched=watched))
    async with store.transaction() as uow:
        listed = await uow.channels.list()
        everything = await uow.channels.list(watched_only=False)
    assert [channel.channel_id for channel in listed] == ["C2", "C3"]
    assert [channel.channel_id for channel in everything] == ["C1", "C2", "C3"]


async def test_a_first_message_starts_a_conversation(store: SqlStore) -> None:
    first = message("1767600000.000100", received_at=T0, metadata={"ai": {"confidence": 0.4}})
    async with store.transaction() as uow:
        assert await uow.conversations.add_message(first) is True
        conversation = await uow.conversations.get(channel_id="C1", thread_ts=first.thread_ts)
        assert await uow.conversations.get_message(channel_id="C1", ts=first.ts) == first
    assert conversation is not None and conversation.id is not None
    assert conversation == Conversation(
        channel_id="C1",
        thread_ts=first.thread_ts,
        started_at=T0,
        last_message_at=T0,
        message_count=1,
        customer_message_count=1,
        waiting_since=T0,
        id=conversation.id,
    )


async def test_a_duplicate_message_changes_nothing(store: SqlStore) -> None:
    first = message("1767600000.000100")
    async with store.transaction() as uow:
        await uow.conversations.add_message(first)
    async with store.transaction() as uow:
        assert await uow.conversations.add_message(replace(first, text="again", received_at=at(5))) is False
        conversation = await uow.conversations.get(channel_id="C1", thread_ts=first.thread_ts)
        stored = await uow.conversations.get_message(channel_id="C1", ts=first.ts)
    assert conversation is not None
    assert (conversation.message_count, conversation.last_message_at) == (1, T0)
    assert stored == first


async def test_waiting_since_tracks_the_oldest_unanswered_customer_message(store: SqlStore) -> None:
    steps = [
        (AuthorKind.CUSTOMER, 0),  # waiting from 0
        (AuthorKind.CUSTOMER, 1),  # still from 0
        (AuthorKind.OTHER_BOT, 2),  # other bots don't answer
        (AuthorKind.SELF, 3),  # nor does Baton
        (AuthorKind.AI, 4),  # answered
        (AuthorKind.CUSTOMER, 5),  # waiting from 5
        (AuthorKind.INTERNAL, 6),  # answered
    ]
    expected_waiting = [at(0), at(0), at(0), at(0), None, at(5), None]
    seen = []
    for number, (kind, minute) in enumerate(steps):
        async with store.transaction() as uow:
            ts = f"1767600000.{number + 100:06d}"
            await uow.conversations.add_message(message(ts, kind=kind, received_at=at(minute)))
            conversation = await uow.conversations.get(channel_id="C1", thread_ts="1767600000.000100")
        assert conversation is not None
        seen.append(conversation.waiting_since)
    assert seen == expected_waiting
    assert conversation is not None
    assert conversation.message_count == 7
    assert conversation.customer_message_count == 3
    assert conversation.started_at == at(0)
    assert conversation.last_message_at == at(6)


async def test_a_conversation_started_by_us_is_not_waiting(store: SqlStore) -> None:
    async with store.transaction() as uow:
        await uow.conversations.add_message(message("1767600000.000100", kind=AuthorKind.INTERNAL))
        conversation = await uow.conversations.get(channel_id="C1", thread_ts="1767600000.000100")
    assert conversation is not None
    assert (conversation.customer_message_count, conversation.waiting_since) == (0, None)


async def test_messages_are_edited_and_deleted_in_place(store: SqlStore) -> None:
    original = message("1767600000.000100", text="first words")
    async with store.transaction() as uow:
        await uow.conversations.add_message(original)
        edited = await uow.conversations.edit_message(
            channel_id="C1", ts=original.ts, text="better", at=at(1)
        )
        deleted = await uow.conversations.delete_message(channel_id="C1", ts=original.ts, at=at(2))
        assert await uow.conversations.edit_message(channel_id="C1", ts="1.0", text="x", at=at(1)) is None
        assert await uow.conversations.delete_message(channel_id="C9", ts=original.ts, at=at(1)) is None
        assert await uow.conversations.get_message(channel_id="C1", ts="1.0") is None
        assert await uow.conversations.get(channel_id="C1", thread_ts="1.0") is None
    assert edited == replace(original, text="better", edited_at=at(1))
    assert deleted == replace(original, text="better", edited_at=at(1), deleted=True)


async def test_history_is_the_last_messages_oldest_first(store: SqlStore) -> None:
    thread = "1767600000.000100"
    async with store.transaction() as uow:
        # Inserted out of order, in two threads; the order that counts is ts.
        for number in (3, 1, 4, 0, 2):
            await uow.conversations.add_message(
                message(f"1767600000.{number + 100:06d}", received_at=at(number))
            )
        await uow.conversations.add_message(message("1767600099.000001", thread_ts="1767600099.000001"))
        await uow.conversations.delete_message(channel_id="C1", ts="1767600000.000104", at=at(9))
        last_three = await uow.conversations.messages(channel_id="C1", thread_ts=thread, limit=3)
        everything = await uow.conversations.messages(channel_id="C1", thread_ts=thread)
    assert [stored.ts for stored in last_three] == [
        "1767600000.000102",
        "1767600000.000103",
        "1767600000.000104",
    ]
    assert last_three[-1].deleted is True
    assert len(everything) == 5


async def test_add_messages_stores_like_add_message_one_at_a_time(store: SqlStore) -> None:
    def conversation(channel: str) -> list[StoredMessage]:
        return [
            message("1.1", channel_id=channel, received_at=at(1)),
            message("1.2", channel_id=channel, kind=AuthorKind.INTERNAL, received_at=at(2)),
            message("1.3", channel_id=channel, received_at=at(3)),
            message("1.3", channel_id=channel, received_at=at(4), text="the same message again"),
            message("2.1", channel_id=channel, thread_ts="2.1", kind=AuthorKind.OTHER_BOT, received_at=at(5)),
        ]

    async with store.transaction() as uow:
        alone = [await uow.conversations.add_message(m) for m in conversation("C1")]
        together = await uow.conversations.add_messages(conversation("C2"))
        assert together == alone == [True, True, True, False, True]
        assert await uow.conversations.add_messages(conversation("C2")[:1]) == [False]
        for thread in ("1767600000.000100", "2.1"):
            one = await uow.conversations.get(channel_id="C1", thread_ts=thread)
            other = await uow.conversations.get(channel_id="C2", thread_ts=thread)
            assert one is not None and other is not None
            assert replace(other, channel_id="C1", id=one.id) == one
        recent = await uow.conversations.recent_messages(
            [("C1", "1767600000.000100"), ("C2", "2.1"), ("C3", "9.9")], limit=2
        )
    assert [m.ts for m in recent[("C1", "1767600000.000100")]] == ["1.2", "1.3"]
    assert [m.ts for m in recent[("C2", "2.1")]] == ["2.1"]
    assert recent[("C3", "9.9")] == []


async def test_recent_messages_where_they_were_stored_match_a_fresh_read(
    store: SqlStore,
) -> None:
    # recent_messages answers conversations its transaction started from what it stored:
    # randomised batches (duplicates, thread replies, edits, several time zones) against a fresh read.
    rnd = random.Random(3)
    kinds = list(AuthorKind)
    base, n, checked = 1_700_000_000.0, 0, 0
    for _ in range(60):
        async with store.transaction() as uow:
            conversations = uow.conversations
            keys: set[tuple[str, str]] = set()
            for _ in range(rnd.randint(1, 4)):
                batch = []
                for _ in range(rnd.randint(1, 5)):
                    n += 1
                    old_thread = rnd.random() < 0.5
                    thread = f"{base + (rnd.randint(0, 40) if old_thread else 1000 + n):.6f}"
                    ts = f"{base + 2000 + n:.6f}" if rnd.random() < 0.9 else thread
                    zone = timezone(timedelta(hours=rnd.choice([0, 2, -5])))
                    batch.append(
                        message(
                            ts,
                            thread_ts=thread,
                            kind=rnd.choice(kinds),
                            channel_id=rnd.choice(["C1", "C2"]),
                            received_at=(T0 + timedelta(seconds=n)).astimezone(zone),
                            text=f"m{n}",
                            metadata={"n": n} if rnd.random() < 0.3 else None,
                        )
                    )
                if rnd.random() < 0.2:
                    batch.append(batch[0])  # a duplicate inside the batch
                if rnd.random() < 0.3:
                    await conversations.add_message(batch[0])
                await conversations.add_messages(batch)
                keys |= {(m.channel_id, m.thread_ts) for m in batch}
                if rnd.random() < 0.2:
                    edited = rnd.choice(batch)
                    await conversations.edit_message(
                        channel_id=edited.channel_id, ts=edited.ts, text="edited", at=T0 + timedelta(hours=1)
                    )
                limit = rnd.randint(1, 25)
                got = await conversations.recent_messages(sorted(keys), limit=limit)
                fresh = await SqlConversations(uow.connection).recent_messages(sorted(keys), limit=limit)
                assert got == fresh
                assert [str(m.received_at) for k in sorted(keys) for m in got[k]] == [
                    str(m.received_at) for k in sorted(keys) for m in fresh[k]
                ]
                checked += len(keys)
    assert checked > 500


def recorded_statements(uow: SqlUnitOfWork) -> list[str]:
    """The SQL the unit of work's connection runs from now on (appended as it runs)."""
    seen: list[str] = []

    def record(connection: object, cursor: object, statement: str, *rest: object) -> None:
        seen.append(statement)

    event.listen(uow.connection.sync_connection, "before_cursor_execute", record)
    return seen


async def test_a_conversation_the_transaction_started_is_not_read_back(store: SqlStore) -> None:
    # On both databases add_messages knows which conversations it started (their count is its messages'
    # alone): recent_messages answers those from what was stored, and reads only the others.
    async with store.transaction() as uow:
        await uow.conversations.add_message(message("1.0", thread_ts="1.0", received_at=at(0)))
    async with store.transaction() as uow:
        sql = recorded_statements(uow)
        stored = await uow.conversations.add_messages(
            [
                message("2.0", thread_ts="2.0", received_at=at(1)),
                message("1.1", thread_ts="1.0", received_at=at(2)),
                message("2.1", thread_ts="2.0", received_at=at(3), kind=AuthorKind.AI),
            ]
        )
        assert stored == [True, True, True]
        sql.clear()
        started = await uow.conversations.recent_messages([("C1", "2.0")], limit=5)
        assert sql == []
        older = await uow.conversations.recent_messages([("C1", "1.0")], limit=5)
        assert len(sql) == 1
    assert [m.ts for m in started[("C1", "2.0")]] == ["2.0", "2.1"]
    assert started[("C1", "2.0")][0].received_at == at(1)
    assert [m.ts for m in older[("C1", "1.0")]] == ["1.0", "1.1"]
