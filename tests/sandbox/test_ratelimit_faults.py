"""Per-channel rate limits (HTTP 429 + Retry-After) and injected faults on Web API methods."""

from __future__ import annotations

import time
from typing import Any

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from sandbox import RateLimit, Sandbox, SeedInfo
from tests.sandbox.test_webapi_chat import api_error


async def post(
    http: aiohttp.ClientSession, sandbox: Sandbox, channel: str
) -> tuple[int, dict[str, Any], str | None]:
    """chat.postMessage over raw HTTP: (status, body, Retry-After)."""
    headers = {"Authorization": f"Bearer {sandbox.bot_token}"}
    payload = {"channel": channel, "text": "hello"}
    async with http.post(sandbox.api_url + "chat.postMessage", json=payload, headers=headers) as response:
        return response.status, await response.json(), response.headers.get("Retry-After")


async def test_rate_limit_is_off_by_default(
    sandbox: Sandbox, http: aiohttp.ClientSession, seed: SeedInfo
) -> None:
    statuses = [(await post(http, sandbox, seed.triage_channel_id))[0] for _ in range(10)]

    assert statuses == [200] * 10


async def test_third_quick_post_to_a_channel_is_rate_limited(
    sandbox: Sandbox, http: aiohttp.ClientSession, seed: SeedInfo
) -> None:
    sandbox.set_rate_limit(RateLimit(per_second=1, burst=2))

    results = [await post(http, sandbox, seed.triage_channel_id) for _ in range(3)]
    other_channel = await post(http, sandbox, seed.shared_channel_id)

    assert [status for status, _, _ in results] == [200, 200, 429]
    status, body, retry_after = results[2]
    assert body == {"ok": False, "error": "ratelimited"}
    assert retry_after is not None and int(retry_after) >= 1
    assert other_channel[0] == 200
    assert sandbox.calls_to("chat.postMessage")[2].status == 429
    assert len(sandbox.messages(seed.triage_channel_id)) == 2


async def test_rate_limit_refills_and_can_be_turned_off(
    sandbox: Sandbox, http: aiohttp.ClientSession, seed: SeedInfo
) -> None:
    sandbox.set_rate_limit(RateLimit(per_second=20, burst=1))
    channel = seed.triage_channel_id

    assert [(await post(http, sandbox, channel))[0] for _ in range(2)] == [200, 429]
    time.sleep(0.06)
    assert (await post(http, sandbox, channel))[0] == 200
    sandbox.set_rate_limit(None)
    assert [(await post(http, sandbox, channel))[0] for _ in range(5)] == [200] * 5


async def test_rate_limit_covers_update_and_ephemeral(
    sandbox: Sandbox, client: AsyncWebClient, seed: SeedInfo
) -> None:
    posted = await client.chat_postMessage(channel=seed.triage_channel_id, text="x")
    sandbox.set_rate_limit(RateLimit(per_second=0.5, burst=1))

    await client.chat_update(channel=seed.triage_channel_id, ts=posted["ts"], text="y")
    ephemeral = client.chat_postEphemeral(channel=seed.triage_channel_id, user=seed.rep_id, text="z")

    assert await api_error(ephemeral) == "ratelimited"
    assert (await client.users_info(user=seed.rep_id))["ok"]


async def test_error_fault_for_the_next_n_calls(
    sandbox: Sandbox, client: AsyncWebClient, seed: SeedInfo
) -> None:
    sandbox.faults.inject("chat.postMessage", count=2, kind="error", error="fatal_error")

    first = client.chat_postMessage(channel=seed.triage_channel_id, text="1")
    second = client.chat_postMessage(channel=seed.triage_channel_id, text="2")
    assert [await api_error(first), await api_error(second)] == ["fatal_error", "fatal_error"]
    assert (await client.chat_postMessage(channel=seed.triage_channel_id, text="3"))["ok"]
    assert [m.text for m in sandbox.messages(seed.triage_channel_id)] == ["3"]
    sandbox.faults.inject("users.info")
    assert await api_error(client.users_info(user=seed.rep_id)) == "internal_error"


async def test_http_5xx_fault(sandbox: Sandbox, http: aiohttp.ClientSession, seed: SeedInfo) -> None:
    sandbox.faults.inject("chat.postMessage", count=2, kind="http_500", status=503)

    statuses = [(await post(http, sandbox, seed.triage_channel_id))[0] for _ in range(3)]

    assert statuses == [503, 503, 200]
    assert [c.status for c in sandbox.calls_to("chat.postMessage")] == [503, 503, 200]


async def test_drop_fault_closes_the_connection(
    sandbox: Sandbox, http: aiohttp.ClientSession, seed: SeedInfo
) -> None:
    sandbox.faults.inject("chat.postMessage", count=1, kind="drop")

    with pytest.raises(aiohttp.ClientError):
        await post(http, sandbox, seed.triage_channel_id)

    assert (await post(http, sandbox, seed.triage_channel_id))[0] == 200
    assert [c.status for c in sandbox.calls_to("chat.postMessage")] == [0, 200]


async def test_ratelimit_fault(sandbox: Sandbox, http: aiohttp.ClientSession, seed: SeedInfo) -> None:
    sandbox.faults.inject("chat.postMessage", count=1, kind="ratelimit", retry_after=7)

    status, body, retry_after = await post(http, sandbox, seed.triage_channel_id)

    assert (status, body["error"], retry_after) == (429, "ratelimited", "7")
    assert (await post(http, sandbox, seed.triage_channel_id))[0] == 200


async def test_slow_fault_answers_late_but_normally(
    sandbox: Sandbox, http: aiohttp.ClientSession, seed: SeedInfo
) -> None:
    sandbox.faults.inject("chat.postMessage", count=1, kind="slow", delay=0.3)

    started = time.monotonic()
    status, body, _ = await post(http, sandbox, seed.triage_channel_id)

    assert time.monotonic() - started >= 0.3
    assert status == 200 and body["ok"] is True
    started = time.monotonic()
    await post(http, sandbox, seed.triage_channel_id)
    assert time.monotonic() - started < 0.3


async def test_clear_disarms_faults(sandbox: Sandbox, client: AsyncWebClient, seed: SeedInfo) -> None:
    sandbox.faults.inject("chat.postMessage", count=5)
    assert len(sandbox.faults.pending) == 1

    sandbox.faults.clear()

    assert (await client.chat_postMessage(channel=seed.triage_channel_id, text="ok"))["ok"]


def test_inject_validates_arguments(sandbox: Sandbox) -> None:
    with pytest.raises(ValueError):
        sandbox.faults.inject("chat.postMessage", kind="explode")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        sandbox.faults.inject("chat.postMessage", kind="http_500", status=404)
