"""Retention, as the scheduler applies it: old messages, conversations and delivered writes go."""

from __future__ import annotations

from routing import service as service_module
from routing.config import Retention
from routing.handoffs import Action
from routing.models import EventSource
from routing.rules import parse_rules
from storage import SqlStore
from tests.bot.test_sla import MONDAY_10, Clock, customer, service_on, watched


async def count(store: SqlStore, table: str, where: str = "1 = 1") -> int:
    async with store.transaction(readonly=True) as tx:
        return (
            await tx.connection.exec_driver_sql(f"SELECT count(*) FROM {table} WHERE {where}")
        ).scalar_one()


async def test_the_sweep_forgets_what_is_older_than_retention_keeps(store: SqlStore):
    clock = Clock(MONDAY_10)
    quiet = parse_rules({"triggers": [{"id": "unanswered", "enabled": False}]}, source="test")
    service = service_on(store, clock, rules=quiet, retention=Retention(message_days=2, delivery_days=1))
    await watched(service)
    await service.handle_message(customer("How do I export a CSV report?", clock))
    live = (await service.handle_message(customer("Can I talk to a person?", clock))).handoff
    assert live is not None
    async with store.transaction() as tx:
        card = await tx.outbox.get(item_id=1)
    assert card is not None and card.method == "post_card"
    assert await service.delivered([(card, {"card": {"channel": "C0TRIAGE", "ts": "1.2"}})]) == 1  # warm
    async with store.transaction() as tx:  # Slack took every write
        await tx.connection.exec_driver_sql("UPDATE outbox SET delivered_at = created_at")
    assert (await count(store, "messages"), await count(store, "outbox")) == (
        2,
        2,
    )  # the card, the warm message

    clock.at(MONDAY_10, 36 * 60)  # a day and a half: the delivered writes are past their day, but the
    report = await service.sweep()  # handoff is live: their dedupe keys stop a second warm message
    assert report.forgotten == 0 and await count(store, "outbox", "delivered_at IS NOT NULL") == 2
    assert await count(store, "messages") == 2

    clock.at(MONDAY_10, 3 * 24 * 60)  # three days: the messages too, but not those of the live handoff
    assert (await service.sweep()).forgotten == 2  # the question and its conversation
    assert await count(store, "messages") == 1
    assert await count(store, "conversations") == 1
    assert (await service.handoff(live.id)).state.is_live

    assert live.id is not None
    await service.act(
        handoff_id=live.id, action=Action.RESOLVE, actor="U0REP", source=EventSource.SLACK_ACTION
    )
    async with store.transaction() as tx:  # Slack took the card update and the note
        await tx.connection.exec_driver_sql("UPDATE outbox SET delivered_at = created_at")
    clock.at(MONDAY_10, 3 * 24 * 60 + 11)  # (retention looks again ten minutes after finding little)
    await service.sweep()  # closed and nothing left to deliver: its old writes, messages and conversation go
    assert await count(store, "outbox", "created_at < '2026-12-02'") == 0
    assert (await count(store, "messages"), await count(store, "conversations")) == (0, 0)


async def test_retention_zero_keeps_everything(store: SqlStore):
    clock = Clock(MONDAY_10)
    service = service_on(store, clock, retention=Retention(message_days=0, delivery_days=0))
    await watched(service)
    await service.handle_message(customer("How do I export a CSV report?", clock))
    clock.at(MONDAY_10, 3650 * 24 * 60)
    assert not (await service.sweep()).forgotten
    assert await count(store, "messages") == 1


async def test_with_nothing_left_to_forget_retention_looks_again_only_after_a_while(
    store: SqlStore, monkeypatch
):
    monkeypatch.setattr(service_module, "FORGET_BATCH", 2)
    clock = Clock(MONDAY_10)
    quiet = parse_rules({"triggers": [{"id": "unanswered", "enabled": False}]}, source="test")
    service = service_on(store, clock, rules=quiet, retention=Retention(message_days=1, delivery_days=0))
    await watched(service)
    for question in ("How do I export a CSV report?", "Where is the API documentation?", "Is SSO included?"):
        await service.handle_message(customer(question, clock))
    clock.at(MONDAY_10, 2 * 24 * 60)
    assert (await service.sweep()).forgotten == 2 + 2  # a full batch of messages, and of conversations
    assert (await service.sweep()).forgotten == 1 + 1  # so it looked again at once: the rest
    clock.at(MONDAY_10, 0)
    await service.handle_message(customer("And the audit log?", clock))  # old at once, two days later
    clock.at(MONDAY_10, 2 * 24 * 60 + 9)
    assert not (await service.sweep()).forgotten  # less than a batch last time: no look for ten minutes
    clock.at(MONDAY_10, 2 * 24 * 60 + 10)
    assert (await service.sweep()).forgotten == 1 + 1
