"""slack_bolt's AsyncApp against the sandbox, over HTTP (signed requests) and Socket Mode."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from sandbox import Sandbox, SeedInfo

CARD = [
    {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "action_id": "claim",
                "text": {"type": "plain_text", "text": "Claim"},
                "value": "h1",
            }
        ],
    }
]


async def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


def build_app(sandbox: Sandbox) -> AsyncApp:
    """A small Bolt app: answers customers in thread, handles a button, a command and a modal."""
    app = AsyncApp(
        token=sandbox.bot_token,
        signing_secret=sandbox.signing_secret,
        client=AsyncWebClient(token=sandbox.bot_token, base_url=sandbox.api_url),
    )

    @app.message("human")
    async def hand_over(message: dict[str, Any], say: Any) -> None:
        await say(text="A specialist will join shortly", thread_ts=message["ts"])

    @app.action("claim")
    async def claim(ack: Any, body: dict[str, Any], respond: Any) -> None:
        await ack()
        await respond(replace_original=True, text=f"Claimed by <@{body['user']['id']}>")

    @app.command("/baton")
    async def baton(ack: Any, command: dict[str, Any]) -> None:
        await ack(f"rules for {command['user_id']}")

    @app.view("reassign")
    async def reassign(ack: Any, view: dict[str, Any]) -> None:
        await ack(response_action="errors", errors={"who": "Pick someone else"})

    return app


@pytest.fixture
async def bolt_http(sandbox: Sandbox) -> AsyncIterator[AsyncApp]:
    """The Bolt app served over HTTP at the sandbox's request URL."""
    app = build_app(sandbox)
    runner = web.AppRunner(app.web_app(path="/slack/events"), shutdown_timeout=0.5)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    sandbox.set_request_url(f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events")
    yield app
    await runner.cleanup()


async def test_bolt_over_http_replies_in_thread(
    sandbox: Sandbox, bolt_http: AsyncApp, seed: SeedInfo
) -> None:
    root = (await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "I want a human")).message

    await wait_until(lambda: root.reply_count == 1)
    await sandbox.drain()

    [_, reply] = sandbox.messages(seed.shared_channel_id, thread_ts=root.ts)
    assert (reply.user, reply.text) == (seed.bot_user_id, "A specialist will join shortly")
    assert root.reply_count == 1  # Bolt ignored the echo of its own reply


async def test_bolt_button_command_and_modal(
    sandbox: Sandbox, bolt_http: AsyncApp, client: AsyncWebClient, seed: SeedInfo
) -> None:
    card = await client.chat_postMessage(channel=seed.triage_channel_id, text="Handoff", blocks=CARD)

    clicked = await sandbox.click_button(seed.rep_id, seed.triage_channel_id, card["ts"], "claim")
    command = await sandbox.run_command(seed.admin_id, seed.triage_channel_id, "/baton", "rules")
    trigger = sandbox.triggers.issue(seed.rep_id)
    modal = {
        "type": "modal",
        "callback_id": "reassign",
        "title": {"type": "plain_text", "text": "Reassign"},
        "blocks": [
            {
                "type": "input",
                "block_id": "who",
                "label": {"type": "plain_text", "text": "To"},
                "element": {"type": "users_select", "action_id": "user"},
            }
        ],
    }
    view_id = (await client.views_open(trigger_id=trigger, view=modal))["view"]["id"]
    submitted = await sandbox.submit_view(seed.rep_id, view_id, {"who": seed.admin_id})

    assert clicked.outcome.ok
    assert sandbox.responses[0].body["replace_original"] is True
    assert sandbox.message(seed.triage_channel_id, card["ts"]).text == f"Claimed by <@{seed.rep_id}>"  # type: ignore[union-attr]
    assert command.response == f"rules for {seed.admin_id}"
    assert submitted.response == {"response_action": "errors", "errors": {"who": "Pick someone else"}}
    assert sandbox.views[view_id].is_open


async def test_bolt_over_socket_mode(sandbox: Sandbox, seed: SeedInfo) -> None:
    app = build_app(sandbox)
    handler = AsyncSocketModeHandler(
        app,
        app_token=sandbox.app_token,
        web_client=AsyncWebClient(token=sandbox.app_token, base_url=sandbox.api_url),
    )
    await handler.connect_async()
    try:
        await wait_until(lambda: sandbox.sockets.connected)
        root = (await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "human please")).message
        await wait_until(lambda: root.reply_count == 1)
        command = await sandbox.run_command(seed.admin_id, seed.triage_channel_id, "/baton", "")
    finally:
        await handler.close_async()

    assert sandbox.deliveries[0].transport == "socket"
    assert command.response == {"text": f"rules for {seed.admin_id}"}
