"""Edits and deletes as Slack sends them: in the order Slack made them, and only of messages Baton keeps or
may still receive."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from handlers.facts import Installation, message_facts, needs_team_lookup
from routing.intake import IntakeOutcome
from routing.models import Account, MessageChange, MessageFacts, WatchedChannel
from sandbox import Sandbox, SeedInfo
from storage import SqlStore
from tests.bot.conftest import settle
from tests.bot.test_handoffs import handoffs_of
from tests.bot.test_retention import count
from tests.bot.test_sla import MONDAY_10, Clock, service_on, watched

ACME = WatchedChannel(channel_id="C0ACME", name="acme", is_shared=True, account=Account(name="Acme"))
OURS = Installation(team_id="T0OURS", bot_user_id="U0BATON", bot_id="B0BATON")
TS = "1796032800.000100"  # Monday 2026-11-30 10:00 UTC: MONDAY_10


def changed(facts: MessageFacts, change: MessageChange, clock: Clock, text: str = "") -> MessageFacts:
    at, text = clock(), text or facts.text
    return replace(facts, change=change, text=text, received_at=at, changed_at=at, event_id=f"Ev{change}")


def customer_at(clock: Clock, text: str) -> MessageFacts:
    return message_facts(
        {"type": "message", "user": "U0ACME1", "team": "T0ACME", "text": text, "ts": TS},
        channel=ACME, installation=OURS, received_at=clock(), event_id="Ev0",
    )  # fmt: skip


async def test_a_change_to_a_message_baton_forgot_or_never_saw_stores_and_opens_nothing(store: SqlStore):
    clock = Clock(MONDAY_10)
    service = service_on(store, clock)
    await watched(service)
    message = customer_at(clock, "How do I export a CSV report?")  # never delivered to Baton
    clock.at(MONDAY_10, 3 * 24 * 60)  # days later (or forgotten by retention): it can't come any more
    edit = changed(message, MessageChange.EDITED, clock, "Can I talk to a person please?")
    assert (await service.handle_message(edit)).outcome is IntakeOutcome.UNKNOWN_MESSAGE
    delete = changed(message, MessageChange.DELETED, clock)
    assert (await service.handle_message(delete)).outcome is IntakeOutcome.UNKNOWN_MESSAGE
    counts = [await count(store, table) for table in ("messages", "conversations", "handoffs")]
    assert counts == [0, 0, 0]


async def test_a_change_to_a_message_sent_before_the_channel_was_watched_is_ignored(store: SqlStore):
    clock = Clock(MONDAY_10)
    service = service_on(store, clock)
    message = customer_at(clock, "How do I export a CSV report?")
    clock.at(MONDAY_10, 5)
    await service.save_channel(replace(ACME, added_at=clock()))  # watched from 10:05
    edit = changed(message, MessageChange.EDITED, clock, "Can I talk to a person please?")
    assert (await service.handle_message(edit)).outcome is IntakeOutcome.UNKNOWN_MESSAGE
    assert await count(store, "messages") == 0


def slack_edit(text: str, *, event_ts: str, edited: str | None = None) -> dict:
    message = {"type": "message", "user": "U0ACME1", "team": "T0ACME", "text": text, "ts": TS}
    if edited:
        message["edited"] = {"user": "U0ACME1", "ts": edited}  # whole seconds, as Slack gives it
    return {"type": "message", "subtype": "message_changed", "message": message, "event_ts": event_ts}


async def test_edits_within_one_second_apply_in_order_and_an_edit_after_an_unfurl_is_kept(store: SqlStore):
    clock = Clock(MONDAY_10)
    service = service_on(store, clock)
    await watched(service)
    await service.handle_message(customer_at(clock, "see https://x.example pls hlep"))
    events = [
        slack_edit("see https://x.example pls hlep", event_ts="1796032860.600000"),  # the link unfurled
        slack_edit(
            "see https://x.example pls help", event_ts="1796032860.900000", edited="1796032860.000000"
        ),
        slack_edit(
            "see https://x.example, pls help!", event_ts="1796032860.950000", edited="1796032860.000000"
        ),
    ]
    for number, event in enumerate(events, start=1):
        clock.now += timedelta(seconds=1)
        facts = message_facts(
            event, channel=ACME, installation=OURS, received_at=clock(), event_id=f"Ev{number}"
        )
        assert (await service.handle_message(facts)).outcome is IntakeOutcome.EDITED
    async with store.transaction() as tx:
        stored = await tx.conversations.get_message(channel_id="C0ACME", ts=TS)
    assert stored is not None and stored.text == "see https://x.example, pls help!"


def tombstone(event_ts: str) -> dict:
    """Slack's event for a thread's first message deleted while it has replies (no `message_deleted`)."""
    return {
        "type": "message", "subtype": "message_changed", "channel": "C0ACME", "hidden": True,
        "ts": event_ts, "event_ts": event_ts, "channel_type": "channel",
        "message": {
            "type": "message", "subtype": "tombstone", "user": "USLACKBOT", "hidden": True,
            "text": "This message was deleted.", "ts": TS, "thread_ts": TS,
            "reply_count": 1, "reply_users_count": 1, "latest_reply": "1796032900.000100",
        },
        "previous_message": {"type": "message", "user": "U0ACME1", "team": "T0ACME", "user_team": "T0ACME",
                             "text": "Can I talk to a person please?", "ts": TS, "thread_ts": TS},
    }  # fmt: skip


async def test_a_thread_s_first_message_deleted_after_replies_is_a_delete_not_an_edit(store: SqlStore):
    clock = Clock(MONDAY_10)
    service = service_on(store, clock)
    await watched(service)
    await service.handle_message(customer_at(clock, "Can I talk to a person please?"))
    event = tombstone("1796032960.000100")
    assert needs_team_lookup(event) is None  # USLACKBOT's team is nobody's business
    facts = message_facts(event, channel=ACME, installation=OURS, received_at=clock(), event_id="EvTomb")
    assert facts is not None and (facts.change, facts.ts) == (MessageChange.DELETED, TS)
    assert (await service.handle_message(facts)).outcome is IntakeOutcome.DELETED
    stored = await service.message(channel_id="C0ACME", ts=TS)
    assert stored is not None and stored.deleted and stored.text == "Can I talk to a person please?"


async def test_a_link_preview_is_not_an_edit(store: SqlStore):
    clock = Clock(MONDAY_10)
    service = service_on(store, clock)
    await watched(service)
    text = "see https://x.example please, I need a person"
    await service.handle_message(customer_at(clock, text))
    unfurl = slack_edit(text, event_ts="1796032801.000100")  # no `edited`: Slack added a preview
    unfurl["message"]["attachments"] = [{"from_url": "https://x.example", "title": "X", "id": 1}]
    unfurl["previous_message"] = {
        "type": "message",
        "user": "U0ACME1",
        "team": "T0ACME",
        "text": text,
        "ts": TS,
    }
    assert message_facts(unfurl, channel=ACME, installation=OURS, received_at=clock(), event_id="EvU") is None
    edited = {
        **unfurl,
        "message": {**unfurl["message"], "edited": {"user": "U0ACME1", "ts": "1796032801.000000"}},
    }
    facts = message_facts(edited, channel=ACME, installation=OURS, received_at=clock(), event_id="EvE")
    assert facts is not None and facts.change is MessageChange.EDITED  # saved unchanged: still an edit
    changed_text = {**unfurl, "message": {**unfurl["message"], "text": text + "!"}}
    facts = message_facts(changed_text, channel=ACME, installation=OURS, received_at=clock(), event_id="EvT")
    assert facts is not None and facts.change is MessageChange.EDITED
    stored = await service.message(channel_id="C0ACME", ts=TS)
    assert stored is not None and stored.edited_at is None


async def test_a_channel_another_replica_starts_watching_is_watched_here_at_once(store: SqlStore):
    clock = Clock(MONDAY_10)
    here, there = service_on(store, clock), service_on(store, clock)  # two replicas, one database
    assert await here.watched_channel("C0ACME") is None  # a message came before the channel was watched
    await watched(there, watched=False)
    assert await here.watched_channel("C0ACME") is None  # ... and while it was not watched
    await watched(there)  # `/baton channel watch` on the other replica
    assert await here.watched_channel("C0ACME") is not None  # its next message is not dropped


async def test_a_customer_s_edit_that_adds_a_request_for_a_person_is_judged(
    baton, sandbox: Sandbox, seed: SeedInfo
):
    """ "hello, quick one" edited into a request for a person opens a handoff (before: stored, never judged,
    though the same edit was judged when it happened to arrive before the message); an edit that fires
    nothing new (the request reworded) opens no second one."""
    posted = await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "hello, quick one")
    await settle(baton, sandbox)
    assert await handoffs_of(baton) == []
    ask = "hello, quick one: can I talk to a person please? this is urgent"
    await sandbox.edit_message(seed.customer_id, seed.shared_channel_id, posted.message.ts, ask)
    await settle(baton, sandbox)
    (handoff,) = await handoffs_of(baton)
    assert handoff.thread_ts == posted.message.ts and "explicit_request" in handoff.reasons
    await sandbox.edit_message(seed.customer_id, seed.shared_channel_id, posted.message.ts, ask + "!")
    await settle(baton, sandbox)
    assert len(await handoffs_of(baton)) == 1
    thread = sandbox.messages(seed.shared_channel_id, posted.message.ts)
    assert len([m for m in thread if m.user != seed.customer_id]) == 1  # told once


async def test_an_edit_of_a_message_a_rep_already_dealt_with_reopens_nothing(
    baton, sandbox: Sandbox, seed: SeedInfo
):
    """The customer's request was claimed and resolved; a minute later the customer tidies up that same
    message, adding what it was about: no new handoff, no second "someone is coming" (the edit was judged as
    new and opened one)."""
    posted = await sandbox.post_message(
        seed.customer_id, seed.shared_channel_id, "Can I talk to a person please?"
    )
    await settle(baton, sandbox)
    (first,) = await handoffs_of(baton)
    await sandbox.click_button(seed.rep_id, seed.triage_channel_id, first.card_ts, "baton_claim")
    await settle(baton, sandbox)
    await sandbox.click_button(seed.rep_id, seed.triage_channel_id, first.card_ts, "baton_resolve")
    await settle(baton, sandbox)
    edited = "Can I talk to a person please? It's about a security incident."
    await sandbox.edit_message(seed.customer_id, seed.shared_channel_id, posted.message.ts, edited)
    await settle(baton, sandbox)
    assert len(await handoffs_of(baton)) == 1
