"""Handoffs end to end: a customer's message, the decision, the card, the warm message, the reps' clicks."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from bot.runtime import Runtime
from handlers.cards import render_text
from routing.models import HandoffState
from sandbox import Sandbox, SeedInfo
from storage import SqlStore
from tests.bot.conftest import settle

PRICING = "I need to speak to someone about custom pricing"  # routed to the account owner by DM
WARM_PRICING = "I'll connect you with our pricing specialist who can help with custom arrangements."


async def handoffs_of(runtime: Runtime) -> list:
    async with SqlStore(runtime.engine).transaction() as tx:
        rows = await tx.connection.exec_driver_sql("SELECT id FROM handoffs ORDER BY id")
        return [await tx.handoffs.get(handoff_id=row[0]) for row in rows.all()]


def card_of(sandbox: Sandbox, channel: str):
    cards = [m for m in sandbox.messages(channel) if m.metadata and m.metadata["event_type"] == "baton_card"]
    assert len(cards) == 1, [m.text for m in sandbox.messages(channel)]
    return cards[0]


def thread_texts(sandbox: Sandbox, channel: str, ts: str) -> list[str]:
    return [m.text for m in sandbox.messages(channel, thread_ts=ts)[1:]]


def action_ids(card) -> list[str]:
    """The card's handoff controls (not the link to the customer's thread)."""
    return [
        e.get("action_id")
        for b in card.blocks
        if b["type"] == "actions" and b.get("block_id", "").startswith("baton_handoff:")
        for e in b["elements"]
    ]


async def test_asking_for_a_person_puts_a_card_in_triage_and_tells_the_customer(
    baton, sandbox: Sandbox, seed: SeedInfo
):
    posted = await sandbox.post_message(
        seed.customer_id, seed.shared_channel_id, "Can I talk to a person please?"
    )
    await settle(baton, sandbox)

    (handoff,) = await handoffs_of(baton)
    assert (handoff.escalation_type, handoff.state, handoff.target) == (
        "human_request",
        HandoffState.OPEN,
        f"channel:{seed.triage_channel_id}",
    )
    card = card_of(sandbox, seed.triage_channel_id)
    assert (handoff.card_channel, handoff.card_ts) == (seed.triage_channel_id, card.ts)
    text = render_text(card.text, card.blocks)
    assert "Human requested — Acme" in text and "Can I talk to a person please?" in text
    assert action_ids(card) == [
        "baton_claim",
        "baton_reassign",
        "baton_snooze",
        "baton_resolve",
        "baton_dismiss",
    ]
    (warm,) = thread_texts(sandbox, seed.shared_channel_id, posted.message.ts)
    assert "connecting you with a member of our team" in warm
    kinds = [e.kind for e in await baton.service.events(handoff.id)]
    assert kinds == ["opened", "card_posted"]


async def test_pricing_request_goes_to_the_account_owner_with_the_pricing_message(
    baton, sandbox: Sandbox, seed: SeedInfo
):
    text = "I need to speak to someone about custom pricing"
    posted = await sandbox.post_message(seed.customer_id, seed.shared_channel_id, text)
    await settle(baton, sandbox)

    (handoff,) = await handoffs_of(baton)
    assert (handoff.escalation_type, handoff.target, handoff.routed_to) == (
        "sales_opportunity",
        f"owner:{seed.rep_id}",
        seed.rep_id,
    )
    dm = sandbox.workspace.open_dm(seed.rep_id)
    card = card_of(sandbox, dm.id)
    assert "Sales opportunity" in render_text(card.text, card.blocks)
    assert thread_texts(sandbox, seed.shared_channel_id, posted.message.ts) == [WARM_PRICING]


async def test_later_messages_merge_into_the_handoff_and_are_mirrored_into_the_card_thread(
    baton, sandbox: Sandbox, seed: SeedInfo
):
    root = await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "Can I talk to a person?")
    await settle(baton, sandbox)
    ts = root.message.ts
    await sandbox.post_message(
        seed.customer_id, seed.shared_channel_id, "Also, the export is broken", thread_ts=ts
    )
    await sandbox.post_message(
        seed.customer_id, seed.shared_channel_id, "This is ridiculous, still no answer!!", thread_ts=ts
    )
    await settle(baton, sandbox)

    (handoff,) = await handoffs_of(baton)
    assert handoff.reasons[0] == "explicit_request" and "frustration" in handoff.reasons
    assert handoff.urgency.value == "urgent"
    mirrored = thread_texts(sandbox, seed.triage_channel_id, handoff.card_ts)
    assert len(mirrored) == 2 and "export is broken" in mirrored[0] and "ridiculous" in mirrored[1]
    card = card_of(sandbox, seed.triage_channel_id)
    assert card.edited, "the card was updated in place with the merged evidence"
    assert [e.kind for e in await baton.service.events(handoff.id)] == ["opened", "card_posted", "merged"]


async def test_routine_and_internal_messages_open_nothing(baton, sandbox: Sandbox, seed: SeedInfo):
    await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "How do I export a CSV report?")
    await sandbox.post_message(seed.rep_id, seed.shared_channel_id, "Can I talk to a person? (testing)")
    await sandbox.post_message(
        seed.customer_id, seed.shared_channel_id, "No need to talk to a person, thanks!"
    )
    await settle(baton, sandbox)
    assert await handoffs_of(baton) == []
    assert [m.text for m in sandbox.messages(seed.triage_channel_id)] == []


async def test_claim_updates_the_card_notes_the_thread_and_greets_the_customer(
    baton, sandbox: Sandbox, seed: SeedInfo
):
    root = await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "I want to speak to a human")
    await settle(baton, sandbox)
    card = card_of(sandbox, seed.triage_channel_id)

    clicked = await sandbox.click_button(seed.rep_id, seed.triage_channel_id, card.ts, "baton_claim")
    assert clicked.outcome.ok
    await settle(baton, sandbox)

    (handoff,) = await handoffs_of(baton)
    assert (handoff.state, handoff.assignee_id) == (HandoffState.CLAIMED, seed.rep_id)
    card = card_of(sandbox, seed.triage_channel_id)
    assert "baton_claim" not in action_ids(card)
    assert "Claimed by" in render_text(card.text, card.blocks)
    assert thread_texts(sandbox, seed.triage_channel_id, card.ts) == [
        f"<@{seed.rep_id}> claimed this handoff."
    ]
    customer_thread = thread_texts(sandbox, seed.shared_channel_id, root.message.ts)
    assert customer_thread[-1] == f"<@{seed.rep_id}> from our team is taking it from here."

    await sandbox.click_button(seed.rep_id, seed.triage_channel_id, card.ts, "baton_resolve")
    await settle(baton, sandbox)
    (handoff,) = await handoffs_of(baton)
    assert handoff.state is HandoffState.RESOLVED
    assert action_ids(card_of(sandbox, seed.triage_channel_id)) == []
    kinds = [e.kind for e in await baton.service.events(handoff.id)]
    assert kinds == ["opened", "card_posted", "claimed", "resolved"]


async def test_two_reps_claiming_at_once_exactly_one_wins_and_the_other_is_told(
    baton, sandbox: Sandbox, seed: SeedInfo
):
    await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "Please get me a real person")
    await settle(baton, sandbox)
    card = card_of(sandbox, seed.triage_channel_id)

    await asyncio.gather(
        sandbox.click_button(seed.rep_id, seed.triage_channel_id, card.ts, "baton_claim"),
        sandbox.click_button(seed.admin_id, seed.triage_channel_id, card.ts, "baton_claim"),
    )
    await settle(baton, sandbox)

    (handoff,) = await handoffs_of(baton)
    winner = handoff.assignee_id
    loser = seed.admin_id if winner == seed.rep_id else seed.rep_id
    assert winner in (seed.rep_id, seed.admin_id)
    told = [r for r in sandbox.responses if "already has this handoff" in str(r.body.get("text"))]
    assert len(told) == 1 and f"<@{winner}>" in told[0].body["text"]
    assert [e.kind for e in await baton.service.events(handoff.id)].count("claimed") == 1
    assert loser not in str([m.text for m in sandbox.messages(seed.shared_channel_id, include_replies=True)])


async def test_snooze_reassign_and_not_needed(baton, sandbox: Sandbox, seed: SeedInfo):
    await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "Could someone call me back?")
    await settle(baton, sandbox)
    card = card_of(sandbox, seed.triage_channel_id)

    await sandbox.click_button(
        seed.rep_id, seed.triage_channel_id, card.ts, "baton_snooze", selected_option="60"
    )
    await settle(baton, sandbox)
    (handoff,) = await handoffs_of(baton)
    assert handoff.state is HandoffState.SNOOZED and handoff.snoozed_until is not None

    await sandbox.click_button(
        seed.rep_id, seed.triage_channel_id, card.ts, "baton_reassign", selected_user=seed.admin_id
    )
    await settle(baton, sandbox)
    (handoff,) = await handoffs_of(baton)
    assert (handoff.state, handoff.assignee_id) == (HandoffState.CLAIMED, seed.admin_id)

    await sandbox.click_button(seed.admin_id, seed.triage_channel_id, card.ts, "baton_dismiss")
    await settle(baton, sandbox)
    (handoff,) = await handoffs_of(baton)
    assert handoff.state is HandoffState.DISMISSED
    assert [e.kind for e in await baton.service.events(handoff.id)] == [
        "opened",
        "card_posted",
        "snoozed",
        "reassigned",
        "not_needed",
    ]


async def test_after_a_resolve_the_conversation_cools_down(baton, sandbox: Sandbox, seed: SeedInfo):
    root = await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "I want to talk to a human")
    await settle(baton, sandbox)
    card = card_of(sandbox, seed.triage_channel_id)
    await sandbox.click_button(seed.rep_id, seed.triage_channel_id, card.ts, "baton_resolve")
    await settle(baton, sandbox)
    await sandbox.post_message(
        seed.customer_id,
        seed.shared_channel_id,
        "Actually, can I talk to a human again?",
        thread_ts=root.message.ts,
    )
    await settle(baton, sandbox)
    assert len(await handoffs_of(baton)) == 1


async def test_people_of_other_organisations_cannot_act_on_cards(baton, sandbox: Sandbox, seed: SeedInfo):
    await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "I need a person")
    await settle(baton, sandbox)
    card = card_of(sandbox, seed.triage_channel_id)
    sandbox.workspace.channels[seed.triage_channel_id].members.append(seed.customer_id)  # a forged click

    await sandbox.click_button(seed.customer_id, seed.triage_channel_id, card.ts, "baton_claim")
    await settle(baton, sandbox)
    (handoff,) = await handoffs_of(baton)
    assert handoff.state is HandoffState.OPEN
    assert any("Only members of our team" in str(r.body.get("text")) for r in sandbox.responses)


async def test_the_ai_reporting_low_confidence_hands_the_conversation_over(
    baton, sandbox: Sandbox, seed: SeedInfo
):
    root = await sandbox.post_message(
        seed.customer_id, seed.shared_channel_id, "Does the Business plan include SSO with Okta?"
    )
    ts = root.message.ts
    sure = {"event_type": "ai_assessment", "event_payload": {"confidence": 0.93, "summary": "Plan question"}}
    unsure = {
        "event_type": "ai_assessment",
        "event_payload": {
            "confidence": 0.45,
            "summary": "Unsure whether SSO is in Business",
            "intent": "qualification",
        },
    }
    await sandbox.post_message(
        seed.ai_bot_user_id, seed.shared_channel_id, "Let me check.", thread_ts=ts, metadata=sure
    )
    await settle(baton, sandbox)
    assert await handoffs_of(baton) == []

    await sandbox.post_message(
        seed.ai_bot_user_id,
        seed.shared_channel_id,
        "I believe so, but I'm not sure.",
        thread_ts=ts,
        metadata=unsure,
    )
    await settle(baton, sandbox)
    (handoff,) = await handoffs_of(baton)
    assert (handoff.escalation_type, handoff.reasons) == ("uncertain_ai", ("low_confidence",))
    text = render_text(*(lambda c: (c.text, c.blocks))(card_of(sandbox, seed.triage_channel_id)))
    assert "45%" in text and "Unsure whether SSO is in Business" in text


@pytest.mark.parametrize("who", ["customer_id", "ai_bot_user_id"])  # the other organisation's, a bot
async def test_reassign_to_someone_who_cannot_take_handoffs_is_refused(
    baton, sandbox: Sandbox, seed: SeedInfo, who: str
):
    assignee = getattr(seed, who)
    root = await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "I want to speak to a human")
    await settle(baton, sandbox)
    card = card_of(sandbox, seed.triage_channel_id)
    await sandbox.click_button(
        seed.rep_id, seed.triage_channel_id, card.ts, "baton_reassign", selected_user=assignee
    )
    await settle(baton, sandbox)
    (handoff,) = await handoffs_of(baton)
    assert not any(
        "taking it from here" in t for t in thread_texts(sandbox, seed.shared_channel_id, root.message.ts)
    )
    assert handoff.assignee_id != assignee, (handoff.state, handoff.assignee_id)


async def claimed_and_snoozed(baton: Runtime, sandbox: Sandbox, seed: SeedInfo) -> Any:
    """A request for a person, its card claimed by the rep and snoozed for an hour: the card."""
    await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "I want to speak to a human")
    await settle(baton, sandbox)
    card = card_of(sandbox, seed.triage_channel_id)
    await sandbox.click_button(seed.rep_id, seed.triage_channel_id, card.ts, "baton_claim")
    await settle(baton, sandbox)
    await sandbox.click_button(
        seed.rep_id, seed.triage_channel_id, card.ts, "baton_snooze", selected_option="60"
    )
    await settle(baton, sandbox)
    return card


async def test_claiming_a_handoff_someone_else_claimed_and_snoozed_is_refused(
    baton, sandbox: Sandbox, seed: SeedInfo
):
    card = await claimed_and_snoozed(baton, sandbox, seed)
    (handoff,) = await handoffs_of(baton)
    assert (handoff.state, handoff.assignee_id) == (HandoffState.SNOOZED, seed.rep_id)
    card = card_of(sandbox, seed.triage_channel_id)
    await sandbox.click_button(seed.admin_id, seed.triage_channel_id, card.ts, "baton_claim")
    await settle(baton, sandbox)
    (handoff,) = await handoffs_of(baton)
    events = await baton.service.events(handoff.id)
    assert [e.kind for e in events].count("claimed") == 1
    assert handoff.assignee_id == seed.rep_id, (handoff.state, handoff.assignee_id)


async def test_reassigning_to_the_current_assignee_is_not_a_reassignment(
    baton, sandbox: Sandbox, seed: SeedInfo
):
    await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "I want to speak to a human")
    await settle(baton, sandbox)
    card = card_of(sandbox, seed.triage_channel_id)
    await sandbox.click_button(seed.rep_id, seed.triage_channel_id, card.ts, "baton_claim")
    await settle(baton, sandbox)
    card = card_of(sandbox, seed.triage_channel_id)
    await sandbox.click_button(
        seed.rep_id, seed.triage_channel_id, card.ts, "baton_reassign", selected_user=seed.rep_id
    )
    await settle(baton, sandbox)
    (h,) = await handoffs_of(baton)
    events = [(e.kind, e.data) for e in await baton.service.events(h.id)]
    assert [k for k, _ in events].count("reassigned") == 0


async def test_a_snooze_the_configuration_no_longer_offers_is_refused(
    baton, sandbox: Sandbox, seed: SeedInfo
):
    # A card drawn under an earlier configuration (that offered 30 days), or a tampered value.
    await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "I want to speak to a human")
    await settle(baton, sandbox)
    card = card_of(sandbox, seed.triage_channel_id)
    for stale in ("43200", "99999999999"):
        await sandbox.click_button(
            seed.rep_id, seed.triage_channel_id, card.ts, "baton_snooze", selected_option=stale
        )
        await settle(baton, sandbox)
    (handoff,) = await handoffs_of(baton)
    assert handoff.state is HandoffState.OPEN and handoff.snoozed_until is None
    told = [r for r in sandbox.responses if "no longer offered" in str(r.body.get("text"))]
    assert len(told) == 2 and "1440 min" in str(told[0].body.get("text"))


async def test_a_reassign_is_answered_in_time_when_slack_is_slow_to_say_who_the_assignee_is(
    baton, sandbox: Sandbox, seed: SeedInfo
):
    await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "I want to speak to a human")
    await settle(baton, sandbox)
    card = card_of(sandbox, seed.triage_channel_id)
    sandbox.faults.inject("users.info", kind="slow", delay=3.5)  # Slack waits 3 s for the click's answer
    clicked = await sandbox.click_button(
        seed.rep_id, seed.triage_channel_id, card.ts, "baton_reassign", selected_user=seed.admin_id
    )
    assert clicked.outcome is not None and clicked.outcome.ok, clicked.outcome  # answered in time
    await settle(baton, sandbox)
    (handoff,) = await handoffs_of(baton)
    assert handoff.assignee_id is None  # not applied: who they are is unknown (a customer, perhaps)
    assert any("didn't say who they are in time" in str(r.body.get("text")) for r in sandbox.responses)


async def test_a_customer_is_never_made_the_assignee_while_slack_rate_limits_users_info(
    baton, sandbox: Sandbox, seed: SeedInfo
):
    await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "I want to speak to a human")
    await settle(baton, sandbox)
    card = card_of(sandbox, seed.triage_channel_id)
    sandbox.faults.inject("users.info", count=5, kind="ratelimit", retry_after=2)
    await sandbox.click_button(
        seed.rep_id, seed.triage_channel_id, card.ts, "baton_reassign", selected_user=seed.customer_id
    )
    await settle(baton, sandbox)
    (handoff,) = await handoffs_of(baton)
    assert handoff.assignee_id != seed.customer_id
    assert not any(
        "taking it from here" in m.text
        for m in sandbox.messages(seed.shared_channel_id, include_replies=True)
    )


async def test_an_urgent_request_in_the_cooldown_after_not_needed_opens_a_handoff(
    baton, sandbox: Sandbox, seed: SeedInfo
):
    """A rep marks a request for a person "Not needed"; minutes later the customer writes in the same thread
    that production is down and they need a person now: more urgent, new triggers, so the cooldown (meant to
    stop the same evidence ping-ponging: tests/routing/test_handoffs.py) does not hold it back (before:
    dropped for 30 minutes)."""
    root = await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "Can I talk to a person?")
    await settle(baton, sandbox)
    (first,) = await handoffs_of(baton)
    assert first.urgency.value != "urgent"
    await sandbox.click_button(seed.rep_id, seed.triage_channel_id, first.card_ts, "baton_dismiss")
    await settle(baton, sandbox)
    urgent = "This is ridiculous!! Production is down, we are losing money, get me a real person NOW"
    await sandbox.post_message(seed.customer_id, seed.shared_channel_id, urgent, thread_ts=root.message.ts)
    await settle(baton, sandbox)
    _, second = await handoffs_of(baton)
    assert second.state.is_live and second.urgency.value == "urgent" and second.thread_ts == root.message.ts


async def test_a_dm_card_handed_to_someone_else_is_posted_to_them(baton, sandbox: Sandbox, seed: SeedInfo):
    """A card in the account owner's DM is reassigned to a colleague: the card is posted again in the
    colleague's DM, and its updates, notes and SLA reminders go there (before: all of it stayed in the first
    rep's DM, which the new assignee can't see, while the customer was told they had it)."""
    await sandbox.post_message(seed.customer_id, seed.shared_channel_id, PRICING)
    await settle(baton, sandbox)
    riley, ada = sandbox.workspace.open_dm(seed.rep_id), sandbox.workspace.open_dm(seed.admin_id)
    card = card_of(sandbox, riley.id)
    await sandbox.click_button(seed.rep_id, riley.id, card.ts, "baton_reassign", selected_user=seed.admin_id)
    await settle(baton, sandbox)
    (handoff,) = await handoffs_of(baton)
    moved = card_of(sandbox, ada.id)
    assert (handoff.assignee_id, handoff.card_channel, handoff.card_ts) == (seed.admin_id, ada.id, moved.ts)
    await sandbox.click_button(seed.admin_id, ada.id, moved.ts, "baton_resolve")
    await settle(baton, sandbox)
    assert any("resolved" in text for text in thread_texts(sandbox, ada.id, moved.ts))
    assert card_of(sandbox, riley.id).ts == card.ts  # the first card stays, updated, in Riley's DM


def card_fields(card: Any) -> dict[str, str]:
    """The card's field section as {label: value} ("State", "SLA"…)."""
    section = next(b for b in card.blocks if b["type"] == "section" and b.get("fields"))
    pairs = (f["text"].split("\n", 1) for f in section["fields"])
    return {label.strip("*"): value for label, value in pairs}


async def test_snoozing_keeps_whose_it_is_and_the_wake_up_reminds_who_asked(
    baton, sandbox: Sandbox, seed: SeedInfo
):
    """A claimed handoff snoozed: its card still names the rep and shows no claim deadline (it read as
    unclaimed, with a Claim button that only answered "Riley already has this"); handed to the rep who has it,
    nothing changes (it recorded a reassignment and cancelled the snooze). An unclaimed handoff snoozed in a
    channel: the wake-up note mentions who snoozed it (it mentioned nobody)."""
    card = await claimed_and_snoozed(baton, sandbox, seed)
    fields = card_fields(card_of(sandbox, seed.triage_channel_id))
    assert f"<@{seed.rep_id}> has it" in fields["State"] and "claim by" not in fields["SLA"], fields
    await sandbox.click_button(
        seed.admin_id, seed.triage_channel_id, card.ts, "baton_reassign", selected_user=seed.rep_id
    )
    await settle(baton, sandbox)
    (claimed,) = await handoffs_of(baton)
    assert claimed.state is HandoffState.SNOOZED
    assert "reassigned" not in [event.kind for event in await baton.service.events(claimed.id)]

    await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "Can I talk to a person?")
    await settle(baton, sandbox)
    _, second = await handoffs_of(baton)
    await sandbox.click_button(
        seed.rep_id, seed.triage_channel_id, second.card_ts, "baton_snooze", selected_option="30"
    )
    await settle(baton, sandbox)
    real = baton.service._clock
    baton.service._clock = baton.worker._clock = lambda: real() + timedelta(minutes=31)
    await baton.service.sweep()
    await settle(baton, sandbox)
    notes = thread_texts(sandbox, seed.triage_channel_id, second.card_ts)
    (wake,) = [text for text in notes if "Snooze is over" in text]
    assert f"<@{seed.rep_id}>" in wake


async def test_a_reassign_racing_a_claim_does_not_override_it(baton, sandbox: Sandbox, seed: SeedInfo):
    """Ada picks Sam in "Reassign…" on an open card while Riley clicks Claim; Riley's claim lands while
    Ada's click waits on Slack's users.info. The claim stands, Ada is told it changed since she saw it, and
    the customer hears of one rep (before: the view was checked before users.info, outside the transaction,
    and the reassign landed over the claim)."""
    sandbox.add_user("U0SAM", "sam", real_name="Sam Support")
    root = await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "I want to speak to a human")
    await settle(baton, sandbox)
    card = card_of(sandbox, seed.triage_channel_id)  # drawn open, nobody's
    sandbox.faults.inject("users.info", kind="slow", delay=1.0)  # within Baton's wait for users.info
    reassign = asyncio.create_task(
        sandbox.click_button(
            seed.admin_id, seed.triage_channel_id, card.ts, "baton_reassign", selected_user="U0SAM"
        )
    )
    await asyncio.sleep(0.2)
    await sandbox.click_button(seed.rep_id, seed.triage_channel_id, card.ts, "baton_claim")
    (claimed,) = await handoffs_of(baton)
    assert claimed.assignee_id == seed.rep_id  # the claim landed first
    await reassign
    await settle(baton, sandbox)
    (handoff,) = await handoffs_of(baton)
    assert (handoff.state, handoff.assignee_id) == (HandoffState.CLAIMED, seed.rep_id)
    told = [t for t in thread_texts(sandbox, seed.shared_channel_id, root.message.ts) if "taking it" in t]
    assert len(told) == 1
    ada = [e.text for e in sandbox.workspace.ephemerals if e.user == seed.admin_id]
    assert any("changed since you saw it" in text for text in ada), ada


async def test_the_same_request_again_after_not_needed_opens_nothing_in_the_cooldown(
    baton, sandbox: Sandbox, seed: SeedInfo
):
    """The very same words again a minute after "Not needed": the repetition reads as frustrated and urgent
    against the whole conversation, but the cooldown judges what came after the close only, so it holds the
    ping-pong back (it opened an urgent handoff)."""
    ask = "Can I talk to a person?"
    root = await sandbox.post_message(seed.customer_id, seed.shared_channel_id, ask)
    await settle(baton, sandbox)
    (first,) = await handoffs_of(baton)
    await sandbox.click_button(seed.rep_id, seed.triage_channel_id, first.card_ts, "baton_dismiss")
    await settle(baton, sandbox)
    await sandbox.post_message(seed.customer_id, seed.shared_channel_id, ask, thread_ts=root.message.ts)
    await settle(baton, sandbox)
    assert len(await handoffs_of(baton)) == 1
