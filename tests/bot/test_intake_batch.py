"""Messages that arrive together are stored in one transaction, each with the result it would have alone."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from routing.config import BatonConfig
from routing.models import Account, AIAssessment, AuthorKind, MessageChange, MessageFacts, WatchedChannel
from routing.routes import RoutingTable, Target, TargetKind
from routing.service import BatonService
from storage import SqlStore

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def script(channel: str) -> list[MessageFacts]:
    """A morning in one shared channel: questions, answers, a duplicate, an edit, asks for a person, the AI
    doubting itself, a rep's reply, a thread that escalates and then gets more messages."""
    counter = iter(range(1, 1000))

    def message(
        text: str, *, kind: AuthorKind = AuthorKind.CUSTOMER, thread: str | None = None, **changes: object
    ) -> MessageFacts:
        ts = f"{1800000000 + next(counter)}.000100"
        author = {"customer": "U0ACME1", "internal": "U0REP", "ai": "B0AIBOT"}.get(kind.value, "B0OTHER")
        facts = MessageFacts(
            channel_id=channel, ts=ts, thread_ts=thread or ts, author_id=author,
            author_team="T0ACME" if kind is AuthorKind.CUSTOMER else "T0OURS", author_kind=kind, text=text,
            received_at=NOW + timedelta(seconds=next(counter)), event_id=f"Ev{channel}{ts}",
        )  # fmt: skip
        return replace(facts, **changes)  # type: ignore[arg-type]

    export = message("How do I export a CSV report?")
    answer = message("Use Reports > Export.", kind=AuthorKind.AI, thread=export.ts)
    person = message("Can I talk to a person please?")
    again = message("hello? anyone there?", thread=person.ts)
    typo = message("where is my invocie")
    pricing = message("What does the enterprise plan cost for 300 seats?")
    doubt = message(
        "Our enterprise plan is custom priced.",
        kind=AuthorKind.AI,
        thread=pricing.ts,
        assessment=AIAssessment(confidence=0.3, summary="pricing question", intent="pricing"),
    )
    angry = message("This is RIDICULOUS, third time I ask and still NO refund!!!")
    rep = message("On it, sorry about that.", kind=AuthorKind.INTERNAL, thread=angry.ts)
    more = message("Still waiting for a real answer here", thread=angry.ts)
    return [
        export,
        answer,
        person,
        replace(person, event_id=f"Ev-again-{channel}"),  # the same message delivered twice
        again,
        typo,
        replace(typo, change=MessageChange.EDITED, text="where is my invoice", event_id=f"Ev-edit-{channel}"),
        pricing,
        doubt,
        angry,
        rep,
        more,
        message("thanks, that worked!", thread=export.ts),
    ]


def service_on(store: SqlStore) -> BatonService:
    config = BatonConfig(routing=RoutingTable(default=Target(TargetKind.CHANNEL, "C0TRIAGE")))
    return BatonService(store=store, clock=lambda: NOW + timedelta(hours=1), config=config)


async def watch(service: BatonService, channel: str) -> None:
    account = Account(name="Acme", tier="enterprise", value=250_000)
    watched = WatchedChannel(
        channel_id=channel, name=channel, is_shared=True, account=account, ai_bot_ids=("B0AIBOT",)
    )
    await service.save_channel(watched)


async def state(store: SqlStore, channel: str) -> dict[str, list[tuple[object, ...]]]:
    """What is stored for one channel, without ids (channel names replaced, so two channels compare)."""
    queries = {
        "messages": "SELECT ts, thread_ts, author_kind, text, edited_at IS NOT NULL, deleted FROM messages "
        "WHERE channel_id = :c ORDER BY ts",
        "conversations": "SELECT thread_ts, message_count, customer_message_count, waiting_since, "
        "last_message_at FROM conversations WHERE channel_id = :c ORDER BY thread_ts",
        "handoffs": "SELECT thread_ts, escalation_type, urgency, state, reasons, version FROM handoffs "
        "WHERE channel_id = :c ORDER BY thread_ts",
        "events": "SELECT h.thread_ts, e.kind FROM handoff_events e JOIN handoffs h ON h.id = e.handoff_id "
        "WHERE h.channel_id = :c ORDER BY e.id",
        "outbox": "SELECT o.method, o.channel_key = :c, h.thread_ts FROM outbox o "
        "JOIN handoffs h ON h.id = o.handoff_id WHERE h.channel_id = :c ORDER BY o.id",
    }
    found = {}
    async with store.transaction(readonly=True) as tx:
        for name, query in queries.items():
            rows = (await tx.connection.execute(text(query), {"c": channel})).all()
            found[name] = [tuple(str(value) for value in row) for row in rows]
    return found


async def test_a_batch_stores_and_decides_exactly_as_one_message_at_a_time(store: SqlStore) -> None:
    one_by_one, together = service_on(store), service_on(store)
    await watch(one_by_one, "C0SEQUENTIAL")
    await watch(together, "C0BATCH")

    alone = [await one_by_one.handle_message(facts) for facts in script("C0SEQUENTIAL")]
    sizes = record_batches(together)
    batched = await asyncio.gather(*(together.handle_message(facts) for facts in script("C0BATCH")))

    assert sizes == [len(script("C0BATCH"))]  # all of them in one transaction
    assert [r.outcome for r in batched] == [r.outcome for r in alone]
    assert [r.decision.reasons if r.decision else None for r in batched] == [
        r.decision.reasons if r.decision else None for r in alone
    ]
    assert await state(store, "C0BATCH") == await state(store, "C0SEQUENTIAL")
    outcomes = {r.outcome.value for r in alone}
    assert {"stored", "duplicate", "edited", "opened", "merged"} <= outcomes  # the script covers the paths


def record_batches(service: BatonService) -> list[int]:
    """The sizes of the batches the service's intake queue stores from now on."""
    sizes: list[int] = []
    queue = service._intake_queue
    original = queue._batch

    async def counted(batch: list[MessageFacts]):  # type: ignore[no-untyped-def]
        sizes.append(len(batch))
        return await original(batch)

    queue._batch = counted
    return sizes


async def test_one_bad_message_fails_alone_when_its_batch_fails(store: SqlStore) -> None:
    service = service_on(store)
    await watch(service, "C0BATCH")
    sizes = record_batches(service)
    original = service._judge

    async def breaks_on_boom(tx, facts, **context):  # type: ignore[no-untyped-def]
        if facts.text == "boom":
            raise RuntimeError("a bug that only this message meets")
        return await original(tx, facts, **context)

    service._judge = breaks_on_boom  # type: ignore[method-assign]
    first, second, third = script("C0BATCH")[:3]
    boom = replace(first, ts="1800000999.000100", thread_ts="1800000999.000100", text="boom")
    results = await asyncio.gather(
        *(service.handle_message(f) for f in [first, boom, second, third]), return_exceptions=True
    )
    assert sizes == [4]  # tried together first, then one by one
    assert isinstance(results[1], RuntimeError)
    assert [r.outcome.value for r in results if not isinstance(r, BaseException)] == [
        "stored",
        "stored",
        "opened",
    ]
    assert [row[0] for row in (await state(store, "C0BATCH"))["messages"]] == [first.ts, second.ts, third.ts]


async def test_a_live_handoff_without_stored_messages_still_gets_the_next_message(store: SqlStore) -> None:
    # Retention deletes old messages of conversations with no live handoff; an agent's escalation of such a
    # conversation in the same instant can leave a live handoff whose messages are gone. The batch path then
    # looks up no handoff for the next message and its insert meets the live one: the message is stored and
    # decided one at a time instead (full lookup), never lost.
    service = service_on(store)
    await watch(service, "C0GONE")
    person = script("C0GONE")[2]  # "Can I talk to a person please?"
    opened = await service.handle_message(person)
    assert opened.handoff is not None
    async with store.transaction() as tx:
        await tx.connection.execute(text("DELETE FROM messages WHERE channel_id = 'C0GONE'"))
        await tx.connection.execute(text("DELETE FROM conversations WHERE channel_id = 'C0GONE'"))
    again = replace(person, ts="1800000200.000100", text="I need a human NOW", event_id="Ev-now")
    order = replace(person, ts="1800000201.000100", text="my order number is 12345", event_id="Ev-order")
    for message in (again, order):  # one that escalates again, one that does not
        result = await service.handle_message(message)
        assert result.handoff is not None and result.handoff.id == opened.handoff.id  # added to the live one
        stored = await state(store, "C0GONE")
        assert stored["messages"][-1][0] == message.ts
        assert [row[0] for row in stored["outbox"]][-1] == "mirror"  # and copied into its card's thread
