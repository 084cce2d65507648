"""auth, conversations.*, users.info, usergroups, apps.connections.open; tokens; GET, form and JSON bodies."""

from __future__ import annotations

import json

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from sandbox import Sandbox, SeedInfo
from tests.sandbox.receiver import AppReceiver
from tests.sandbox.test_webapi_chat import api_error


async def test_auth_test_describes_the_bot(sandbox: Sandbox, client: AsyncWebClient, seed: SeedInfo) -> None:
    response = await client.auth_test()

    assert response["team_id"] == seed.team_id
    assert (response["user_id"], response["bot_id"]) == (seed.bot_user_id, seed.bot_id)
    assert response["url"] == sandbox.url
    assert response["team"] == "Baton Sandbox"


async def test_missing_token_is_not_authed(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    async with http.post(sandbox.api_url + "auth.test") as response:
        assert response.status == 200
        assert await response.json() == {"ok": False, "error": "not_authed"}


async def test_wrong_token_is_invalid_auth(sandbox: Sandbox) -> None:
    wrong = AsyncWebClient(token="xoxb-wrong", base_url=sandbox.api_url)

    assert await api_error(wrong.auth_test()) == "invalid_auth"
    assert await api_error(wrong.users_info(user="U0REP")) == "invalid_auth"


async def test_unknown_method(sandbox: Sandbox, client: AsyncWebClient) -> None:
    assert await api_error(client.api_call("chat.teleport")) == "unknown_method"


async def test_app_token_is_only_for_socket_mode(sandbox: Sandbox, client: AsyncWebClient) -> None:
    app_client = AsyncWebClient(token=sandbox.app_token, base_url=sandbox.api_url)

    opened = await app_client.apps_connections_open(app_token=sandbox.app_token)

    assert opened["url"].startswith(f"ws://{sandbox.url.removeprefix('http://')}socket?ticket=")
    assert (
        await api_error(client.apps_connections_open(app_token=sandbox.bot_token)) == "not_allowed_token_type"
    )
    assert await api_error(app_client.auth_test()) == "not_allowed_token_type"


async def test_get_with_query_params_and_token_param(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    params = {"user": "U0REP", "token": sandbox.bot_token}
    async with http.get(sandbox.api_url + "users.info", params=params) as response:
        body = await response.json()

    assert body["ok"] is True and body["user"]["id"] == "U0REP"
    assert sandbox.calls_to("users.info")[-1].args == {"user": "U0REP"}


async def test_form_body_with_json_encoded_blocks(
    sandbox: Sandbox, http: aiohttp.ClientSession, seed: SeedInfo
) -> None:
    form = {
        "token": sandbox.bot_token,
        "channel": seed.triage_channel_id,
        "text": "from a form",
        "blocks": json.dumps([{"type": "divider"}]),
    }
    async with http.post(sandbox.api_url + "chat.postMessage", data=form) as response:
        body = await response.json()

    assert body["ok"] is True
    assert body["message"]["blocks"][0]["type"] == "divider"


async def test_multipart_form_body(sandbox: Sandbox, http: aiohttp.ClientSession, seed: SeedInfo) -> None:
    form = aiohttp.FormData()
    form.add_field("channel", seed.triage_channel_id)
    form.add_field("text", "multipart")
    headers = {"Authorization": f"Bearer {sandbox.bot_token}"}
    async with http.post(sandbox.api_url + "chat.postMessage", data=form(), headers=headers) as response:
        body = await response.json()

    assert body["ok"] is True and body["message"]["text"] == "multipart"


async def test_json_body_with_bearer_token(
    sandbox: Sandbox, http: aiohttp.ClientSession, seed: SeedInfo
) -> None:
    headers = {"Authorization": f"Bearer {sandbox.bot_token}"}
    payload = {"channel": seed.triage_channel_id, "text": "json", "blocks": [{"type": "divider"}]}
    async with http.post(sandbox.api_url + "chat.postMessage", json=payload, headers=headers) as response:
        body = await response.json()

    assert body["ok"] is True
    assert sandbox.calls_to("chat.postMessage")[-1].args["blocks"] == [{"type": "divider"}]


async def test_invalid_json_body(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    headers = {"Authorization": f"Bearer {sandbox.bot_token}", "Content-Type": "application/json"}
    async with http.post(sandbox.api_url + "chat.postMessage", data=b"{nope", headers=headers) as response:
        assert (await response.json())["error"] == "invalid_json"


async def test_conversations_info(client: AsyncWebClient, seed: SeedInfo) -> None:
    shared = (await client.conversations_info(channel=seed.shared_channel_id, include_num_members=True))[
        "channel"
    ]
    triage = (await client.conversations_info(channel=seed.triage_channel_id))["channel"]

    assert shared["is_ext_shared"] is True and shared["is_shared"] is True
    assert shared["connected_team_ids"] == [seed.team_id, seed.customer_team_id]
    assert shared["conversation_host_id"] == seed.team_id
    assert shared["num_members"] == 4
    assert shared["is_member"] is True
    assert triage["is_ext_shared"] is False and triage["name"] == "baton-triage"


async def test_conversations_info_errors(sandbox: Sandbox, client: AsyncWebClient, seed: SeedInfo) -> None:
    sandbox.add_channel("G0SECRET", "secret", is_private=True, members=[seed.rep_id])

    assert await api_error(client.conversations_info(channel="C0MISSING")) == "channel_not_found"
    assert await api_error(client.conversations_info(channel="G0SECRET")) == "channel_not_found"


async def test_conversations_members_paginates(
    sandbox: Sandbox, client: AsyncWebClient, seed: SeedInfo
) -> None:
    pages = []
    cursor = None
    while True:
        response = await client.conversations_members(channel=seed.shared_channel_id, limit=3, cursor=cursor)
        pages.append(response["members"])
        cursor = response["response_metadata"]["next_cursor"]
        if not cursor:
            break

    assert pages == [[seed.bot_user_id, seed.rep_id, seed.ai_bot_user_id], [seed.customer_id]]
    assert sandbox.calls_to("conversations.members")[0].args["limit"] == "3"
    assert await api_error(client.conversations_members(channel=seed.shared_channel_id, cursor="%%%")) == (
        "invalid_cursor"
    )
    assert await api_error(client.conversations_members(channel="C0MISSING")) == "channel_not_found"


async def test_conversations_join(
    sandbox: Sandbox, client: AsyncWebClient, app: AppReceiver, seed: SeedInfo
) -> None:
    sandbox.add_channel("C0GENERAL", "general", members=[seed.rep_id])

    joined = await client.conversations_join(channel="C0GENERAL")
    await sandbox.drain()

    assert joined["channel"]["id"] == "C0GENERAL" and joined["channel"]["is_member"] is True
    assert seed.bot_user_id in sandbox.workspace.channels["C0GENERAL"].members
    [member_joined] = app.events("member_joined_channel")
    assert member_joined["event"]["user"] == seed.bot_user_id
    assert [m.subtype for m in sandbox.messages("C0GENERAL")] == ["channel_join"]
    again = await client.conversations_join(channel="C0GENERAL")
    assert again["warning"] == "already_in_channel"
    assert await api_error(client.conversations_join(channel="C0MISSING")) == "channel_not_found"


async def test_users_info(client: AsyncWebClient, seed: SeedInfo) -> None:
    customer = (await client.users_info(user=seed.customer_id))["user"]
    admin = (await client.users_info(user=seed.admin_id))["user"]
    ai = (await client.users_info(user=seed.ai_bot_user_id))["user"]

    assert (customer["team_id"], customer["real_name"]) == (seed.customer_team_id, "Casey Customer")
    assert customer["tz"] == "America/New_York" and isinstance(customer["tz_offset"], int)
    assert admin["is_admin"] is True
    assert ai["is_bot"] is True and ai["profile"]["bot_id"] == seed.ai_bot_id
    assert await api_error(client.users_info(user="U0NOBODY")) == "user_not_found"


async def test_usergroups_users_list(client: AsyncWebClient, seed: SeedInfo) -> None:
    response = await client.usergroups_users_list(usergroup=seed.support_group_id)

    assert response["users"] == [seed.rep_id, seed.admin_id]
    assert await api_error(client.usergroups_users_list(usergroup="S0NOPE")) == "no_such_subteam"


async def test_history_replies_and_open(sandbox, seed, client) -> None:
    root = (await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "first")).message
    await sandbox.post_message(seed.rep_id, seed.shared_channel_id, "reply", thread_ts=root.ts)
    second = await client.chat_postMessage(
        channel=seed.shared_channel_id, text="second", metadata={"event_type": "x", "event_payload": {"n": 1}}
    )
    history = await client.conversations_history(channel=seed.shared_channel_id, include_all_metadata=True)
    assert [m["text"] for m in history["messages"]] == ["second", "first"]
    assert history["messages"][0]["metadata"]["event_payload"] == {"n": 1}
    plain = await client.conversations_history(channel=seed.shared_channel_id, oldest=second["ts"])
    assert [m["text"] for m in plain["messages"]] == ["second"] and "metadata" not in plain["messages"][0]
    replies = await client.conversations_replies(channel=seed.shared_channel_id, ts=root.ts)
    assert [m["text"] for m in replies["messages"]] == ["first", "reply"]
    dm = await client.conversations_open(users=seed.rep_id)
    posted = await client.chat_postMessage(channel=seed.rep_id, text="hi")
    assert dm["channel"]["id"] == posted["channel"]


async def test_drop_after_does_the_work_but_loses_the_answer(sandbox, seed, client) -> None:
    sandbox.faults.inject("chat.postMessage", kind="drop_after")
    with pytest.raises(aiohttp.ClientError):
        await AsyncWebClient(
            token=sandbox.bot_token, base_url=sandbox.api_url, retry_handlers=[]
        ).chat_postMessage(channel=seed.triage_channel_id, text="did it arrive?")
    assert [m.text for m in sandbox.messages(seed.triage_channel_id)][-1] == "did it arrive?"
