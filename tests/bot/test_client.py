"""The Web API client Baton builds: base URL from settings, and retries that honour Slack's answers."""

from __future__ import annotations

import time

import pytest
from slack_sdk.errors import SlackApiError

from bot.client import build_web_client
from sandbox import RateLimit, Sandbox, SeedInfo


async def test_429_is_retried_after_the_retry_after_it_names(sandbox: Sandbox, seed: SeedInfo):
    sandbox.set_rate_limit(RateLimit(per_second=1.0, burst=1))
    client = build_web_client(token=sandbox.bot_token, base_url=sandbox.api_url)
    await client.chat_postMessage(channel=seed.triage_channel_id, text="first")
    started = time.monotonic()
    response = await client.chat_postMessage(channel=seed.triage_channel_id, text="second")
    waited = time.monotonic() - started

    assert response["ok"]
    statuses = [c.status for c in sandbox.calls_to("chat.postMessage")]
    assert statuses == [200, 429, 200]
    assert waited >= 0.9  # the sandbox said Retry-After: 1; the client waited before trying again


@pytest.mark.parametrize("kind", ["http_500", "drop"])
async def test_server_errors_and_dropped_connections_are_retried(sandbox: Sandbox, seed: SeedInfo, kind):
    sandbox.faults.inject("auth.test", count=1, kind=kind)
    client = build_web_client(token=sandbox.bot_token, base_url=sandbox.api_url)
    assert (await client.auth_test())["user_id"] == seed.bot_user_id
    assert [c.status for c in sandbox.calls_to("auth.test")][-1] == 200


async def test_slack_errors_are_raised_not_retried(sandbox: Sandbox, seed: SeedInfo):
    client = build_web_client(token=sandbox.bot_token, base_url=sandbox.api_url)
    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel="C0NOWHERE", text="x")
    assert raised.value.response["error"] == "channel_not_found"
    assert len(sandbox.calls_to("chat.postMessage")) == 1
