"""The endpoints for a person: /sandbox/state, /sandbox/post|click|command, and the HTML page."""

from __future__ import annotations

from typing import Any

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

from sandbox import Sandbox, SeedInfo
from tests.sandbox.receiver import AppReceiver


async def call(http: aiohttp.ClientSession, sandbox: Sandbox, path: str, body: Any) -> tuple[int, Any]:
    async with http.post(sandbox.url + path, json=body) as response:
        return response.status, await response.json()


async def test_post_as_the_customer(
    sandbox: Sandbox, app: AppReceiver, http: aiohttp.ClientSession, seed: SeedInfo
) -> None:
    body = {"user": seed.customer_id, "channel": seed.shared_channel_id, "text": "Is anyone there?"}

    status, answer = await call(http, sandbox, "sandbox/post", body)

    assert status == 200 and answer["ok"] is True
    assert answer["message"]["text"] == "Is anyone there?" and answer["message"]["user"] == seed.customer_id
    assert answer["delivery"]["ok"] is True and answer["delivery"]["attempts"][0]["status"] == 200
    assert app.events("message")[0]["event"]["ts"] == answer["message"]["ts"]
    status, reply = await call(http, sandbox, "sandbox/post", {**body, "thread_ts": answer["message"]["ts"]})
    assert reply["message"]["thread_ts"] == answer["message"]["ts"]


async def test_post_rejects_bad_input(sandbox: Sandbox, http: aiohttp.ClientSession, seed: SeedInfo) -> None:
    unknown_user = {"user": "U0NOBODY", "channel": seed.shared_channel_id, "text": "x"}
    unknown_channel = {"user": seed.customer_id, "channel": "C0NOPE", "text": "x"}

    assert await call(http, sandbox, "sandbox/post", unknown_user) == (
        400,
        {"ok": False, "error": "user_not_found", "detail": "U0NOBODY"},
    )
    status, answer = await call(http, sandbox, "sandbox/post", unknown_channel)
    assert (status, answer["error"]) == (400, "channel_not_found")
    status, answer = await call(http, sandbox, "sandbox/post", {"user": seed.customer_id})
    assert (status, answer["error"]) == (400, "invalid_request") and "channel" in answer["detail"]
    async with http.post(
        sandbox.url + "sandbox/post", data=b"{not json", headers={"Content-Type": "application/json"}
    ) as r:
        assert r.status == 400 and (await r.json())["error"] == "invalid_request"


async def test_state_lists_channels_messages_and_threads(
    sandbox: Sandbox, http: aiohttp.ClientSession, seed: SeedInfo
) -> None:
    root = await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "Root")
    await sandbox.post_message(seed.rep_id, seed.shared_channel_id, "Reply", thread_ts=root.message.ts)

    async with http.get(sandbox.url + "sandbox/state") as response:
        state = await response.json()

    assert {t["id"] for t in state["teams"]} == {seed.team_id, seed.customer_team_id}
    assert seed.customer_id in {u["id"] for u in state["users"]}
    shared = next(c for c in state["channels"] if c["id"] == seed.shared_channel_id)
    [message] = shared["messages"]
    assert message["text"] == "Root" and [r["text"] for r in message["replies"]] == ["Reply"]


async def test_click_and_command(
    sandbox: Sandbox, app: AppReceiver, http: aiohttp.ClientSession, client: AsyncWebClient, seed: SeedInfo
) -> None:
    button = {"type": "button", "action_id": "claim", "text": {"type": "plain_text", "text": "Claim"}}
    card = await client.chat_postMessage(
        channel=seed.triage_channel_id, text="card", blocks=[{"type": "actions", "elements": [button]}]
    )
    app.reply = lambda r: {"text": "ok!"} if "command" in r.form else None

    status, clicked = await call(
        http,
        sandbox,
        "sandbox/click",
        {"user": seed.rep_id, "channel": seed.triage_channel_id, "ts": card["ts"], "action_id": "claim"},
    )
    _, command = await call(
        http,
        sandbox,
        "sandbox/command",
        {"user": seed.admin_id, "channel": seed.triage_channel_id, "command": "/baton", "text": "rules"},
    )
    missing, _ = await call(
        http,
        sandbox,
        "sandbox/click",
        {"user": seed.rep_id, "channel": seed.triage_channel_id, "ts": card["ts"], "action_id": "nope"},
    )

    assert status == 200 and clicked["payload"]["actions"][0]["action_id"] == "claim"
    assert command["response"] == {"text": "ok!"}
    assert missing == 400


async def test_html_page_and_form_post(
    sandbox: Sandbox, app: AppReceiver, http: aiohttp.ClientSession, seed: SeedInfo
) -> None:
    await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "<b>not bold</b>")

    async with http.get(sandbox.url) as response:
        page, page_type = await response.text(), response.content_type
    form = {
        "user": seed.customer_id,
        "channel": seed.shared_channel_id,
        "text": "from the form",
        "thread_ts": "",
    }
    async with http.post(sandbox.url + "sandbox/post", data=form, allow_redirects=False) as response:
        redirect = (response.status, response.headers["Location"])

    assert page_type == "text/html"
    assert "#acme-support" in page and "#baton-triage" in page
    assert "&lt;b&gt;not bold&lt;/b&gt;" in page and "<b>not bold</b>" not in page
    assert '<form method="post" action="/sandbox/post">' in page
    assert redirect == (303, f"/#{seed.shared_channel_id}")
    assert sandbox.messages(seed.shared_channel_id)[-1].text == "from the form"
