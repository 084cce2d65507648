"""`/baton` through signed slash-command requests: help, a dry run, and bad input."""

from __future__ import annotations

import pytest

from sandbox import Sandbox, SeedInfo


async def command(sandbox: Sandbox, seed: SeedInfo, text: str, *, user: str | None = None):
    result = await sandbox.run_command(user or seed.rep_id, seed.shared_channel_id, "/baton", text)
    assert result.outcome.ok
    return result.response


async def test_test_is_a_dry_run_with_triggers_type_and_route(baton, sandbox: Sandbox, seed: SeedInfo):
    answer = await command(sandbox, seed, "test I need to speak to someone about custom pricing")
    text = answer["text"]
    assert answer["response_type"] == "ephemeral"
    assert "`sales_opportunity`" in text and "`deal_moment`" in text and "`explicit_request`" in text
    assert f"the account owner <@{seed.rep_id}>" in text
    assert sandbox.messages(seed.triage_channel_id) == []  # nothing posted


async def test_a_routine_message_stays_with_the_ai(baton, sandbox: Sandbox, seed: SeedInfo):
    answer = await command(sandbox, seed, "test How do I export a CSV?")
    assert answer["text"].startswith("*No handoff*")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "`/baton test <a customer message>`"),
        ("help", "`/baton test <a customer message>`"),
        ("frobnicate now", "I don't know `/baton frobnicate`"),
        ("test", "Usage: `/baton test <a customer message>`"),
        ("test " + "x" * 5000, "over 4000 characters"),
    ],
)
async def test_help_and_bad_input_get_a_clear_private_answer(
    baton, sandbox: Sandbox, seed: SeedInfo, text, expected
):
    answer = await command(sandbox, seed, text)
    assert answer["response_type"] == "ephemeral" and expected in answer["text"]


async def test_customers_get_no_dry_run(baton, sandbox: Sandbox, seed: SeedInfo):
    answer = await command(sandbox, seed, "test Can I talk to a person?", user=seed.customer_id)
    assert "`human_request`" not in answer["text"] and "Nothing was changed" in answer["text"]
