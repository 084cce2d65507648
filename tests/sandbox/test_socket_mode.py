"""Socket Mode with slack_sdk's aiohttp SocketModeClient: hello, envelopes, acks, retries, disconnects."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

from sandbox import Sandbox, SeedInfo


class Recorder:
    """Records raw messages and requests the client receives; acks according to `ack`."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.requests: list[SocketModeRequest] = []
        self.ack_payload: dict[str, Any] | None = None
        self.skip_acks = 0

    async def on_message(
        self, client: AsyncBaseSocketModeClient, message: dict[str, Any], raw: str | None
    ) -> None:
        self.messages.append(message)

    async def on_request(self, client: AsyncBaseSocketModeClient, request: SocketModeRequest) -> None:
        self.requests.append(request)
        if self.skip_acks > 0:
            self.skip_acks -= 1
            return
        await client.send_socket_mode_response(
            SocketModeResponse(request.envelope_id, payload=self.ack_payload)
        )

    def hellos(self) -> list[dict[str, Any]]:
        return [m for m in self.messages if m.get("type") == "hello"]


async def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll until predicate() holds."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


@pytest.fixture
async def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
async def socket_client(sandbox: Sandbox, recorder: Recorder) -> AsyncIterator[SocketModeClient]:
    """slack_sdk's aiohttp SocketModeClient connected to the sandbox."""
    client = SocketModeClient(
        app_token=sandbox.app_token,
        web_client=AsyncWebClient(token=sandbox.app_token, base_url=sandbox.api_url),
        ping_interval=1,
    )
    client.message_listeners.append(recorder.on_message)
    client.socket_mode_request_listeners.append(recorder.on_request)
    await client.connect()
    await wait_until(lambda: bool(recorder.hellos()))
    yield client
    await client.close()


async def test_client_connects_and_gets_hello(
    sandbox: Sandbox, socket_client: SocketModeClient, recorder: Recorder, seed: SeedInfo
) -> None:
    [hello] = recorder.hellos()

    assert hello["num_connections"] == 1
    assert hello["connection_info"] == {"app_id": seed.app_id}
    assert "debug_info" in hello
    assert sandbox.sockets.connected
    assert sandbox.calls_to("apps.connections.open")[0].status == 200


async def test_event_goes_over_the_socket_and_is_acked(
    sandbox: Sandbox, socket_client: SocketModeClient, recorder: Recorder, seed: SeedInfo
) -> None:
    result = await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "over the socket")

    [request] = recorder.requests
    assert request.type == "events_api"
    assert request.retry_attempt == 0
    assert request.payload["event"] == result.event
    assert request.payload["authorizations"][0]["team_id"] == seed.team_id
    [envelope] = sandbox.sockets.sent
    assert envelope["accepts_response_payload"] is False and envelope["retry_reason"] == ""
    assert [a["envelope_id"] for a in sandbox.sockets.acks] == [request.envelope_id]
    assert result.outcome is not None and result.outcome.ok
    assert [(d.transport, d.ok) for d in result.outcome.attempts] == [("socket", True)]
    assert result.outcome.attempts[0].envelope_id == request.envelope_id


async def test_missing_ack_is_retried(
    sandbox: Sandbox, socket_client: SocketModeClient, recorder: Recorder, seed: SeedInfo
) -> None:
    recorder.skip_acks = 1

    result = await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "ack me")

    assert [(r.retry_attempt, r.retry_reason) for r in recorder.requests] == [(0, ""), (1, "timeout")]
    assert len({r.envelope_id for r in recorder.requests}) == 1
    assert result.outcome is not None and result.outcome.ok
    assert [(a.attempt, a.error) for a in result.outcome.attempts] == [(0, "timeout"), (1, None)]


async def test_slash_command_ack_payload_is_the_response(
    sandbox: Sandbox, socket_client: SocketModeClient, recorder: Recorder, seed: SeedInfo
) -> None:
    recorder.ack_payload = {"text": "Rules: 3 active"}

    result = await sandbox.run_command(seed.admin_id, seed.triage_channel_id, "/baton", "rules")

    [request] = recorder.requests
    assert request.type == "slash_commands"
    assert request.payload["command"] == "/baton" and request.payload["user_id"] == seed.admin_id
    assert sandbox.sockets.sent[0]["accepts_response_payload"] is True
    assert result.response == {"text": "Rules: 3 active"}
    assert sandbox.ephemerals[-1].text == "Rules: 3 active"


async def test_interactive_payloads_go_over_the_socket(
    sandbox: Sandbox,
    socket_client: SocketModeClient,
    recorder: Recorder,
    client: AsyncWebClient,
    seed: SeedInfo,
) -> None:
    button = {"type": "button", "action_id": "claim", "text": {"type": "plain_text", "text": "Claim"}}
    posted = await client.chat_postMessage(
        channel=seed.triage_channel_id, text="card", blocks=[{"type": "actions", "elements": [button]}]
    )
    await sandbox.drain()

    await sandbox.click_button(seed.rep_id, seed.triage_channel_id, posted["ts"], "claim")

    interactive = [r for r in recorder.requests if r.type == "interactive"]
    assert [r.payload["type"] for r in interactive] == ["block_actions"]


async def test_disconnect_makes_the_client_reconnect(
    sandbox: Sandbox, socket_client: SocketModeClient, recorder: Recorder, seed: SeedInfo
) -> None:
    told = await sandbox.disconnect_socket_clients(reason="refresh_requested")

    assert told == 1
    await wait_until(lambda: len(recorder.hellos()) == 2)
    await wait_until(lambda: len(sandbox.sockets.clients) == 1)
    assert len(sandbox.calls_to("apps.connections.open")) == 2
    result = await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "still there?")
    assert result.outcome is not None and result.outcome.ok


async def test_socket_requires_a_ticket(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError):
        await http.ws_connect(sandbox.url.replace("http", "ws") + "socket?ticket=forged")


async def test_http_is_used_when_no_socket_is_connected(sandbox: Sandbox, seed: SeedInfo) -> None:
    result = await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "x")

    assert result.outcome is not None and result.outcome.attempts[0].transport == "http"
