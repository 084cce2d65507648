"""Message metadata end to end in the sandbox: the AI agent's `ai_assessment` in, `baton_handoff` out."""

from __future__ import annotations

from typing import Any

from bot.runtime import Runtime
from handlers.cards import render_text
from sandbox import Sandbox, SeedInfo
from tests.bot.conftest import settle
from tests.bot.test_handoffs import card_of, handoffs_of


def assessment(confidence: float, summary: str, intent: str) -> dict[str, Any]:
    return {
        "event_type": "ai_assessment",
        "event_payload": {"confidence": confidence, "summary": summary, "intent": intent},
    }


def ours_in_thread(sandbox: Sandbox, seed: SeedInfo, thread_ts: str) -> list[Any]:
    return [
        m for m in sandbox.messages(seed.shared_channel_id, thread_ts=thread_ts) if m.user == seed.bot_user_id
    ]


async def test_the_agents_assessment_reaches_the_card_and_baton_tells_the_agent_the_state(
    baton: Runtime, sandbox: Sandbox, seed: SeedInfo
):
    root = await sandbox.post_message(
        seed.customer_id, seed.shared_channel_id, "Can we move our data to the EU?"
    )
    thread_ts = root.message.ts
    await sandbox.post_message(
        seed.ai_bot_user_id,
        seed.shared_channel_id,
        "I think EU hosting is available, but let me double-check.",
        thread_ts=thread_ts,
        metadata=assessment(0.35, "Unsure whether EU data residency is in their plan", "data_residency"),
    )
    await settle(baton, sandbox)

    (handoff,) = await handoffs_of(baton)
    assert (handoff.escalation_type, handoff.reasons) == ("uncertain_ai", ("low_confidence",))
    assert handoff.context["assessment"] == {
        "confidence": 0.35,
        "summary": "Unsure whether EU data residency is in their plan",
        "intent": "data_residency",
    }
    card = card_of(sandbox, seed.triage_channel_id)
    text = render_text(card.text, card.blocks)
    assert "35%" in text and "EU data residency" in text and "Intent: data_residency" in text

    # What the AI agent reads in the thread: Baton's customer-facing message names the handoff and its state.
    (warm,) = ours_in_thread(sandbox, seed, thread_ts)
    assert warm.metadata["event_type"] == "baton_handoff"
    assert warm.metadata["event_payload"]["handoff_id"] == handoff.id
    assert warm.metadata["event_payload"]["state"] == "open"
    assert "card" not in str(warm.metadata)  # nothing internal rides along into the shared channel

    await sandbox.click_button(seed.rep_id, seed.triage_channel_id, card.ts, "baton_claim")
    await settle(baton, sandbox)
    told = ours_in_thread(sandbox, seed, thread_ts)
    assert [m.metadata["event_payload"]["state"] for m in told] == ["open", "claimed"]
    assert f"<@{seed.rep_id}>" in told[-1].text


async def test_an_assessment_from_a_bot_that_is_not_the_agent_is_ignored(
    baton: Runtime, sandbox: Sandbox, seed: SeedInfo
):
    sandbox.add_user("U0OTHERBOT", "other-bot", is_bot=True, bot_id="B0OTHERBOT")
    await sandbox.join_channel("U0OTHERBOT", seed.shared_channel_id)
    root = await sandbox.post_message(
        seed.customer_id, seed.shared_channel_id, "Does the API support webhooks?"
    )
    await sandbox.post_message(
        "U0OTHERBOT",
        seed.shared_channel_id,
        "Maybe?",
        thread_ts=root.message.ts,
        metadata=assessment(0.1, "No idea", "integration"),
    )
    await settle(baton, sandbox)
    assert await handoffs_of(baton) == []


async def test_a_confident_assessment_opens_nothing(baton: Runtime, sandbox: Sandbox, seed: SeedInfo):
    root = await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "How do I rotate my API key?")
    thread_ts = root.message.ts
    await sandbox.post_message(
        seed.ai_bot_user_id,
        seed.shared_channel_id,
        "Settings → API → Rotate.",
        thread_ts=thread_ts,
        metadata=assessment(0.95, "Key rotation how-to", "how_to"),
    )
    await settle(baton, sandbox)
    assert await handoffs_of(baton) == []
    assert ours_in_thread(sandbox, seed, thread_ts) == []  # Baton stays silent when nobody is needed


async def test_an_agent_named_by_mention_is_known_when_it_posts_as_a_legacy_integration(
    baton: Runtime, sandbox: Sandbox, seed: SeedInfo
):
    """An admin names the AI agent by @mention (its user id); the agent posts as a legacy integration, whose
    `bot_message` events name its bot id only (samples/events/MessageBotPayload.json). Baton stores the bot
    id with the mention, so the agent's low-confidence answer is its (before: another bot's, ignored)."""
    result = await sandbox.run_command(
        seed.admin_id, seed.shared_channel_id, "/baton", f"channel set ai <@{seed.ai_bot_user_id}>"
    )
    assert "Saved" in str(result.response)
    channel = await baton.service.watched_channel(seed.shared_channel_id)
    assert channel is not None and channel.ai_bot_ids == (seed.ai_bot_user_id, seed.ai_bot_id)
    root = await sandbox.post_message(
        seed.customer_id, seed.shared_channel_id, "Can we move our data to the EU?"
    )
    posted = await sandbox.post_message(
        seed.ai_bot_user_id,
        seed.shared_channel_id,
        "I think EU hosting is available, but let me double-check.",
        thread_ts=root.message.ts,
        metadata=assessment(0.35, "Unsure about EU data residency", "data_residency"),
        subtype="bot_message",
    )
    assert "user" not in posted.event and posted.event["bot_id"] == seed.ai_bot_id
    await settle(baton, sandbox)
    (handoff,) = await handoffs_of(baton)
    assert (handoff.escalation_type, handoff.reasons) == ("uncertain_ai", ("low_confidence",))
