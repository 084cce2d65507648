"""What the customer is told is checked as it goes out, not as it was queued: nothing stale, nothing promised
that nobody was told about."""

from __future__ import annotations

import asyncio
from typing import Any

from sandbox import Sandbox, SeedInfo
from tests.bot.conftest import settle
from tests.bot.test_handoffs import card_of, handoffs_of, thread_texts

ASK = "Can I talk to a person please?"


def customer_thread(sandbox: Sandbox, seed: SeedInfo, ts: str) -> list[str]:
    return thread_texts(sandbox, seed.shared_channel_id, ts)


async def asked(baton: Any, sandbox: Sandbox, seed: SeedInfo) -> str:
    """The customer asks for a person and Baton has done everything about it; the message's ts."""
    posted = await sandbox.post_message(seed.customer_id, seed.shared_channel_id, ASK)
    await settle(baton, sandbox)
    return posted.message.ts


async def click(
    baton: Any, sandbox: Sandbox, seed: SeedInfo, user: str, action_id: str, **given: Any
) -> None:
    """`user` clicks the card as it is now, and Baton has done everything about it."""
    card = card_of(sandbox, seed.triage_channel_id)
    await sandbox.click_button(user, seed.triage_channel_id, card.ts, action_id, **given)
    await settle(baton, sandbox)


async def test_a_warm_message_still_queued_when_the_handoff_is_closed_is_not_sent(
    baton, sandbox: Sandbox, seed: SeedInfo
):
    # Slack rate-limits the busy shared channel for a while; meanwhile a rep clicks Not needed on the card.
    limited = {"on": True}
    real_check = sandbox.limiter.check
    sandbox.limiter.check = lambda key: (
        3 if limited["on"] and key == seed.shared_channel_id else real_check(key)
    )  # type: ignore[method-assign]
    posted = await sandbox.post_message(seed.customer_id, seed.shared_channel_id, ASK)
    for _ in range(100):
        if [m for m in sandbox.messages(seed.triage_channel_id) if m.metadata]:
            break
        await asyncio.sleep(0.05)
    card = card_of(sandbox, seed.triage_channel_id)
    await sandbox.click_button(seed.rep_id, seed.triage_channel_id, card.ts, "baton_dismiss")
    ((handoff,),) = [await handoffs_of(baton)]
    assert handoff.state.value == "dismissed"
    limited["on"] = False
    await settle(baton, sandbox)
    assert customer_thread(sandbox, seed, posted.message.ts) == []


async def test_no_claim_message_in_a_channel_no_longer_watched(baton, sandbox: Sandbox, seed: SeedInfo):
    ts = await asked(baton, sandbox, seed)
    told = customer_thread(sandbox, seed, ts)
    await sandbox.run_command(seed.admin_id, seed.shared_channel_id, "/baton", "channel unwatch")
    await click(baton, sandbox, seed, seed.rep_id, "baton_claim")
    assert customer_thread(sandbox, seed, ts) == told  # nothing more


async def test_a_handoff_reassigned_back_tells_the_customer_who_has_it(
    baton, sandbox: Sandbox, seed: SeedInfo
):
    ts = await asked(baton, sandbox, seed)
    await click(baton, sandbox, seed, seed.rep_id, "baton_claim")
    for actor, to in ((seed.rep_id, seed.admin_id), (seed.admin_id, seed.rep_id)):
        await click(baton, sandbox, seed, actor, "baton_reassign", selected_user=to)
    (handoff,) = await handoffs_of(baton)
    assert handoff.assignee_id == seed.rep_id
    texts = customer_thread(sandbox, seed, ts)
    assert texts[-1].startswith(f"<@{seed.rep_id}>") and len(texts) == 4  # warm, rep, admin, rep again


async def test_a_rep_claiming_their_own_snoozed_handoff_back_tells_the_customer_nothing_new(
    baton, sandbox: Sandbox, seed: SeedInfo
):
    ts = await asked(baton, sandbox, seed)
    for action_id, given in (
        ("baton_claim", {}),
        ("baton_snooze", {"selected_option": "60"}),
        ("baton_claim", {}),
    ):
        await click(baton, sandbox, seed, seed.rep_id, action_id, **given)
    (handoff,) = await handoffs_of(baton)
    assert (handoff.state.value, handoff.assignee_id) == ("claimed", seed.rep_id)
    texts = customer_thread(sandbox, seed, ts)
    assert len(texts) == 2 and texts[1].startswith(f"<@{seed.rep_id}>")  # the warm message, one claim message


async def test_no_someone_is_coming_message_once_one_of_ours_answered_in_the_thread(
    baton, sandbox: Sandbox, seed: SeedInfo
):
    """A customer asks for a person; a rep answers in the thread at once, while the card and the warm
    message still wait (Slack rate-limits the triage channel): no "I'm connecting you with a member of our
    team" under the rep's answer (before: posted after it)."""
    limited = {"on": True}
    real_check = sandbox.limiter.check
    sandbox.limiter.check = lambda key: (  # type: ignore[method-assign]
        3 if limited["on"] and key == seed.triage_channel_id else real_check(key)
    )
    posted = await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "Can I talk to a person?")
    for _ in range(100):
        if await handoffs_of(baton):
            break
        await asyncio.sleep(0.05)
    answer = "Hi Casey, Riley here. What can I do for you?"
    await sandbox.post_message(seed.rep_id, seed.shared_channel_id, answer, thread_ts=posted.message.ts)
    limited["on"] = False
    await settle(baton, sandbox)
    assert thread_texts(sandbox, seed.shared_channel_id, posted.message.ts) == [answer]
    (handoff,) = await handoffs_of(baton)
    assert handoff.card_ts is not None  # the team still has the card
