"""Socket Mode: Baton connects to the sandbox over a WebSocket, receives events and acknowledges them."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from pydantic import SecretStr

from bot.runtime import StartupRefused, running
from bot.settings import Mode
from sandbox import Sandbox, SeedInfo
from storage import SqlStore
from tests.bot.test_intake_http import message_envelope, post, stored


async def test_socket_mode_delivers_and_acknowledges_events(sandbox: Sandbox, seed: SeedInfo, settings):
    socket_settings = settings.model_copy(update={"slack_app_token": SecretStr(sandbox.app_token)})
    assert socket_settings.mode is Mode.SOCKET
    async with running(socket_settings) as runtime:
        await runtime.service.watch_channel(
            channel_id=seed.shared_channel_id, name="acme-support", is_shared=True
        )
        for _ in range(100):
            if sandbox.sockets.connected:
                break
            await asyncio.sleep(0.05)
        posted = await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "hello over a socket")
        assert [(a.transport, a.ok) for a in posted.outcome.attempts] == [("socket", True)]
        again = await sandbox.redeliver(posted.outcome.attempts[0].id)
        assert again.ok

        async with SqlStore(runtime.engine).transaction() as tx:
            messages = await tx.conversations.messages(
                channel_id=seed.shared_channel_id, thread_ts=posted.message.ts
            )
        assert [m.text for m in messages] == ["hello over a socket"]


async def test_in_socket_mode_the_http_port_takes_no_slack_requests(
    sandbox: Sandbox, seed: SeedInfo, settings
):
    """Over the socket Bolt checks no signature (Slack's requests come from the connection Baton opened), so
    the HTTP port must not take them: an unsigned POST there would act as any user, admins included."""
    socket_settings = settings.model_copy(update={"slack_app_token": SecretStr(sandbox.app_token)})
    async with running(socket_settings) as runtime:
        await runtime.service.watch_channel(
            channel_id=seed.shared_channel_id, name="acme-support", is_shared=True
        )
        body = message_envelope(seed, "Can I talk to a person please?")
        status, _ = await post(runtime.events_url, body, {"Content-Type": "application/json"})
        assert status == 404
        assert await stored(runtime, seed.shared_channel_id, "1800000000.000100") == []
        async with (
            aiohttp.ClientSession() as session,
            session.get(runtime.url.rstrip("/") + "/healthz") as health,
        ):
            assert health.status == 200  # the rest of the port serves on


async def test_an_app_token_slack_refuses_stops_the_start_with_a_clear_error(
    sandbox: Sandbox, seed: SeedInfo, settings
):
    wrong = settings.model_copy(update={"slack_app_token": SecretStr("xapp-1-not-the-app-token")})
    with pytest.raises(StartupRefused, match="invalid_auth"):
        async with asyncio.timeout(10), running(wrong):
            pass


async def test_a_bot_token_slack_refuses_stops_the_start_with_a_clear_error(
    sandbox: Sandbox, seed: SeedInfo, settings, caplog
):
    """Before: Baton started, /healthz said ok, and Bolt acked every event with "installation no longer
    available", so Slack never delivered them again: every customer message lost. Slack unreachable at
    start is no reason to refuse (the outbox and Slack's redeliveries catch up)."""
    wrong = settings.model_copy(update={"slack_bot_token": SecretStr("xoxb-typo")})
    with pytest.raises(StartupRefused, match="SLACK_BOT_TOKEN .invalid_auth."):
        async with asyncio.timeout(10), running(wrong):
            pass
    sandbox.faults.inject("auth.test", count=1, kind="drop")
    async with asyncio.timeout(10), running(settings) as runtime:
        assert runtime.port
    assert "Slack unreachable at start" in caplog.text


async def test_health_says_when_the_socket_is_down(sandbox: Sandbox, seed: SeedInfo, settings):
    socket_settings = settings.model_copy(update={"slack_app_token": SecretStr(sandbox.app_token)})
    async with running(socket_settings) as runtime, aiohttp.ClientSession() as session:
        health_url = runtime.url.rstrip("/") + "/healthz"
        async with session.get(health_url) as response:
            assert (response.status, (await response.json())["socket"]) == (200, "connected")
        assert runtime.socket is not None
        await runtime.socket.client.disconnect()
        async with session.get(health_url) as response:
            assert (response.status, (await response.json())["socket"]) == (503, "disconnected")


async def test_a_request_that_failed_over_the_socket_is_counted_as_over_http(
    sandbox: Sandbox, seed: SeedInfo, settings
):
    async def broken(facts: object) -> None:
        raise RuntimeError("the database went away")

    def failed(runtime: object) -> float:
        registry = runtime.metrics.registry  # type: ignore[attr-defined]
        return registry.get_sample_value("baton_errors_total", {"where": "slack_events"}) or 0.0

    sandbox.delivery_settings.retry_delay_scale = 0.01  # Slack's retries, a hundred times sooner
    sandbox.delivery_settings.ack_timeout = 0.5  # and its wait for an ack that never comes
    for socket in (False, True):
        token = SecretStr(sandbox.app_token) if socket else None
        async with running(settings.model_copy(update={"slack_app_token": token})) as runtime:
            if socket:
                for _ in range(100):
                    if sandbox.sockets.connected:
                        break
                    await asyncio.sleep(0.05)
            else:
                sandbox.set_request_url(runtime.events_url)
            await runtime.service.watch_channel(
                channel_id=seed.shared_channel_id, name="acme", is_shared=True
            )
            runtime.service.handle_message = broken  # type: ignore[method-assign]
            posted = await sandbox.post_message(seed.customer_id, seed.shared_channel_id, f"hello {socket}")
            assert not posted.outcome.ok  # not acknowledged: Slack would redeliver it
            assert failed(runtime) >= 1, socket
