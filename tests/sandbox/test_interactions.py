"""click_button, click_home_button, run_command, submit_view, open_home and response_url."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from sandbox import Sandbox, SandboxError, SeedInfo
from tests.sandbox.receiver import AppReceiver

CLAIM: dict[str, Any] = {
    "type": "button",
    "action_id": "claim",
    "text": {"type": "plain_text", "text": "Claim"},
    "value": "h1",
}
SNOOZE: dict[str, Any] = {
    "type": "static_select",
    "action_id": "snooze",
    "options": [
        {"text": {"type": "plain_text", "text": "1 hour"}, "value": "60"},
        {"text": {"type": "plain_text", "text": "1 day"}, "value": "1440"},
    ],
}
CARD: list[dict[str, Any]] = [
    {"type": "section", "block_id": "summary", "text": {"type": "mrkdwn", "text": "Handoff"}},
    {"type": "actions", "block_id": "buttons", "elements": [CLAIM, SNOOZE]},
    {
        "type": "section",
        "block_id": "assign",
        "text": {"type": "mrkdwn", "text": "Assign"},
        "accessory": {"type": "users_select", "action_id": "assignee"},
    },
]
COMMAND_FIELDS = (
    "token",
    "team_id",
    "team_domain",
    "enterprise_id",
    "enterprise_name",
    "channel_id",
    "channel_name",
    "user_id",
    "user_name",
    "command",
    "text",
    "response_url",
    "trigger_id",
    "api_app_id",
    "is_enterprise_install",
)
MODAL: dict[str, Any] = {
    "type": "modal",
    "callback_id": "reassign",
    "title": {"type": "plain_text", "text": "Reassign"},
    "submit": {"type": "plain_text", "text": "Save"},
    "blocks": [
        {
            "type": "input",
            "block_id": "who",
            "label": {"type": "plain_text", "text": "To"},
            "element": {"type": "users_select", "action_id": "user"},
        },
        {
            "type": "input",
            "block_id": "note",
            "label": {"type": "plain_text", "text": "Note"},
            "element": {"type": "plain_text_input", "action_id": "text"},
        },
        {
            "type": "input",
            "block_id": "urgency",
            "label": {"type": "plain_text", "text": "Urgency"},
            "element": {
                "type": "static_select",
                "action_id": "level",
                "options": [{"text": {"type": "plain_text", "text": "High"}, "value": "high"}],
            },
        },
    ],
}


async def post_card(client: AsyncWebClient, sandbox: Sandbox, channel: str) -> str:
    ts = (await client.chat_postMessage(channel=channel, text="Handoff", blocks=CARD))["ts"]
    await sandbox.drain()
    return str(ts)


async def test_click_button_payload(
    sandbox: Sandbox, app: AppReceiver, client: AsyncWebClient, seed: SeedInfo
) -> None:
    ts = await post_card(client, sandbox, seed.triage_channel_id)
    before = len(app.requests)

    result = await sandbox.click_button(seed.rep_id, seed.triage_channel_id, ts, "claim")

    received = app.requests[before]
    assert received.content_type == "application/x-www-form-urlencoded"
    assert set(received.form) == {"payload"}
    payload = received.payload
    assert payload == result.payload
    assert payload["type"] == "block_actions"
    assert payload["user"] == {
        "id": seed.rep_id,
        "username": "riley",
        "name": "riley",
        "team_id": seed.team_id,
    }
    assert payload["team"] == {"id": seed.team_id, "domain": "baton-sandbox"}
    assert (payload["api_app_id"], payload["token"]) == (seed.app_id, sandbox.verification_token)
    assert payload["container"] == {
        "type": "message",
        "message_ts": ts,
        "channel_id": seed.triage_channel_id,
        "is_ephemeral": False,
    }
    assert payload["channel"] == {"id": seed.triage_channel_id, "name": "baton-triage"}
    assert payload["message"]["ts"] == ts and payload["message"]["blocks"][1]["block_id"] == "buttons"
    assert payload["trigger_id"] == result.trigger_id
    assert payload["response_url"] == result.response_url
    assert str(result.response_url).startswith(sandbox.url + "response/")
    [action] = payload["actions"]
    assert (action["action_id"], action["block_id"], action["type"], action["value"]) == (
        "claim",
        "buttons",
        "button",
        "h1",
    )
    assert action["text"] == CLAIM["text"] and action["action_ts"]


async def test_click_button_trigger_opens_a_modal(
    sandbox: Sandbox, app: AppReceiver, client: AsyncWebClient, seed: SeedInfo
) -> None:
    ts = await post_card(client, sandbox, seed.triage_channel_id)
    result = await sandbox.click_button(seed.rep_id, seed.triage_channel_id, ts, "claim", value="other")

    opened = await client.views_open(trigger_id=result.trigger_id, view=MODAL)

    assert result.payload["actions"][0]["value"] == "other"
    assert sandbox.views[opened["view"]["id"]].user == seed.rep_id


async def test_selects_carry_the_selection(
    sandbox: Sandbox, app: AppReceiver, client: AsyncWebClient, seed: SeedInfo
) -> None:
    ts = await post_card(client, sandbox, seed.triage_channel_id)

    snooze = await sandbox.click_button(
        seed.rep_id, seed.triage_channel_id, ts, "snooze", selected_option="1440"
    )
    assign = await sandbox.click_button(
        seed.rep_id, seed.triage_channel_id, ts, "assignee", selected_user=seed.admin_id
    )

    assert snooze.payload["actions"][0]["selected_option"] == SNOOZE["options"][1]
    assert assign.payload["actions"][0]["selected_user"] == seed.admin_id
    assert assign.payload["actions"][0]["block_id"] == "assign"


async def test_click_button_errors(
    sandbox: Sandbox, app: AppReceiver, client: AsyncWebClient, seed: SeedInfo
) -> None:
    ts = await post_card(client, sandbox, seed.triage_channel_id)

    with pytest.raises(SandboxError) as missing_action:
        await sandbox.click_button(seed.rep_id, seed.triage_channel_id, ts, "resolve")
    assert missing_action.value.code == "action_not_found" and "claim" in missing_action.value.detail
    with pytest.raises(SandboxError) as missing_message:
        await sandbox.click_button(seed.rep_id, seed.triage_channel_id, "1.000001", "claim")
    assert missing_message.value.code == "message_not_found"


async def test_click_in_an_ephemeral_message(
    sandbox: Sandbox, app: AppReceiver, client: AsyncWebClient, seed: SeedInfo
) -> None:
    posted = await client.chat_postEphemeral(
        channel=seed.triage_channel_id, user=seed.rep_id, text="x", blocks=CARD
    )

    result = await sandbox.click_button(seed.rep_id, seed.triage_channel_id, posted["message_ts"], "claim")

    assert result.payload["container"]["is_ephemeral"] is True
    assert "message" not in result.payload


async def respond(http: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> int:
    async with http.post(url, json=body) as response:
        return response.status


async def test_response_url_replace_delete_in_channel_and_ephemeral(
    sandbox: Sandbox, app: AppReceiver, client: AsyncWebClient, http: aiohttp.ClientSession, seed: SeedInfo
) -> None:
    channel = seed.triage_channel_id
    ts = await post_card(client, sandbox, channel)
    url = (await sandbox.click_button(seed.rep_id, channel, ts, "claim")).response_url
    assert url is not None

    assert (
        await respond(http, url, {"replace_original": True, "text": "Claimed by Riley", "blocks": []}) == 200
    )
    assert sandbox.message(channel, ts).text == "Claimed by Riley"  # type: ignore[union-attr]
    assert await respond(http, url, {"text": "Only you see this"}) == 200
    assert sandbox.ephemerals[-1].text == "Only you see this" and sandbox.ephemerals[-1].user == seed.rep_id
    assert await respond(http, url, {"response_type": "in_channel", "text": "Riley has it"}) == 200
    assert sandbox.messages(channel)[-1].text == "Riley has it"
    assert await respond(http, url, {"delete_original": True}) == 200
    assert sandbox.message(channel, ts) is None
    assert [r.body.get("text") for r in sandbox.responses] == [
        "Claimed by Riley",
        "Only you see this",
        "Riley has it",
        None,
    ]
    assert all(r.user == seed.rep_id and r.channel == channel for r in sandbox.responses)
    assert await respond(http, sandbox.url + "response/RNOPE", {"text": "x"}) == 404


async def test_run_command_fields_and_immediate_response(
    sandbox: Sandbox, app: AppReceiver, http: aiohttp.ClientSession, seed: SeedInfo
) -> None:
    app.reply = lambda r: {"response_type": "ephemeral", "text": "3 rules active"}

    result = await sandbox.run_command(seed.admin_id, seed.triage_channel_id, "/baton", "rules list")

    [received] = app.requests
    assert received.content_type == "application/x-www-form-urlencoded"
    fields = received.form
    assert set(fields) == set(COMMAND_FIELDS)
    assert (fields["command"], fields["text"], fields["user_id"]) == ("/baton", "rules list", seed.admin_id)
    assert (fields["channel_id"], fields["channel_name"], fields["team_id"]) == (
        seed.triage_channel_id,
        "baton-triage",
        seed.team_id,
    )
    assert fields["is_enterprise_install"] == "false"
    assert result.response == {"response_type": "ephemeral", "text": "3 rules active"}
    assert sandbox.ephemerals[-1].text == "3 rules active"
    assert result.response_url is not None
    assert await respond(http, result.response_url, {"text": "later answer"}) == 200
    assert (
        sandbox.responses[-1].body == {"text": "later answer"}
        and sandbox.responses[-1].source == "slash_command"
    )


async def test_run_command_by_a_customer_carries_their_team(
    sandbox: Sandbox, app: AppReceiver, seed: SeedInfo
) -> None:
    result = await sandbox.run_command(seed.customer_id, seed.shared_channel_id, "baton", "rules")

    assert result.payload["team_id"] == seed.customer_team_id
    assert result.payload["command"] == "/baton"


async def test_open_home_before_and_after_publishing(
    sandbox: Sandbox, app: AppReceiver, client: AsyncWebClient, seed: SeedInfo
) -> None:
    first = await sandbox.open_home(seed.rep_id)
    home = {"type": "home", "blocks": [{"type": "actions", "elements": [CLAIM]}]}
    published = (await client.views_publish(user_id=seed.rep_id, view=home))["view"]
    second = await sandbox.open_home(seed.rep_id)

    events = app.events("app_home_opened")
    assert [e["event"] for e in events] == [first.event, second.event]
    assert first.event["tab"] == "home" and first.event["user"] == seed.rep_id
    assert first.event["channel"].startswith("D") and "view" not in first.event
    assert second.event["view"]["id"] == published["id"] and second.event["view"]["hash"] == published["hash"]
    assert events[0]["team_id"] == seed.team_id


async def test_click_home_button(
    sandbox: Sandbox, app: AppReceiver, client: AsyncWebClient, seed: SeedInfo
) -> None:
    home = {"type": "home", "blocks": [{"type": "actions", "block_id": "home_actions", "elements": [CLAIM]}]}
    view_id = (await client.views_publish(user_id=seed.rep_id, view=home))["view"]["id"]

    result = await sandbox.click_home_button(seed.rep_id, "claim")

    payload = app.requests[-1].payload
    assert payload == result.payload
    assert payload["container"] == {"type": "view", "view_id": view_id}
    assert payload["view"]["id"] == view_id and payload["view"]["type"] == "home"
    assert payload["actions"][0]["block_id"] == "home_actions"
    with pytest.raises(SandboxError):
        await sandbox.click_home_button(seed.admin_id, "claim")


async def open_modal(sandbox: Sandbox, client: AsyncWebClient, user: str) -> str:
    opened = await client.views_open(trigger_id=sandbox.triggers.issue(user), view=MODAL)
    return str(opened["view"]["id"])


async def test_submit_view_state_values_and_errors_response(
    sandbox: Sandbox, app: AppReceiver, client: AsyncWebClient, seed: SeedInfo
) -> None:
    view_id = await open_modal(sandbox, client, seed.rep_id)
    app.reply = lambda r: {"response_action": "errors", "errors": {"note": "Say why"}}

    result = await sandbox.submit_view(seed.rep_id, view_id, {"who": seed.admin_id, "level": "high"})

    payload = app.requests[-1].payload
    assert payload == result.payload
    assert payload["type"] == "view_submission"
    assert payload["user"]["id"] == seed.rep_id and payload["team"]["id"] == seed.team_id
    assert payload["view"]["id"] == view_id and payload["view"]["callback_id"] == "reassign"
    assert payload["view"]["state"]["values"] == {
        "who": {"user": {"type": "users_select", "selected_user": seed.admin_id}},
        "note": {"text": {"type": "plain_text_input", "value": None}},
        "urgency": {
            "level": {"type": "static_select", "selected_option": MODAL["blocks"][2]["element"]["options"][0]}
        },
    }
    assert result.response == {"response_action": "errors", "errors": {"note": "Say why"}}
    assert sandbox.views[view_id].is_open


async def test_submit_view_closes_on_empty_ack(
    sandbox: Sandbox, app: AppReceiver, client: AsyncWebClient, seed: SeedInfo
) -> None:
    view_id = await open_modal(sandbox, client, seed.rep_id)

    result = await sandbox.submit_view(seed.rep_id, view_id, {"note": {"text": "Customer asked for Ada"}})

    assert result.response is None
    assert (
        app.requests[-1].payload["view"]["state"]["values"]["note"]["text"]["value"]
        == "Customer asked for Ada"
    )
    assert not sandbox.views[view_id].is_open
    with pytest.raises(SandboxError):
        await sandbox.submit_view(seed.rep_id, view_id, {})


async def test_submit_view_update_response(
    sandbox: Sandbox, app: AppReceiver, client: AsyncWebClient, seed: SeedInfo
) -> None:
    view_id = await open_modal(sandbox, client, seed.rep_id)
    new_view = {**MODAL, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Done"}}]}
    app.reply = lambda r: {"response_action": "update", "view": new_view}

    await sandbox.submit_view(seed.rep_id, view_id, {})

    assert [b["type"] for b in sandbox.views[view_id].blocks] == ["section"]


async def test_submit_view_rejects_unknown_inputs(
    sandbox: Sandbox, app: AppReceiver, client: AsyncWebClient, seed: SeedInfo
) -> None:
    view_id = await open_modal(sandbox, client, seed.rep_id)

    with pytest.raises(SandboxError) as info:
        await sandbox.submit_view(seed.rep_id, view_id, {"nope": "x"})
    assert info.value.code == "input_not_found"
    with pytest.raises(SandboxError):
        await sandbox.submit_view(seed.admin_id, view_id, {})


async def test_interaction_responses_are_parsed(sandbox: Sandbox, app: AppReceiver, seed: SeedInfo) -> None:
    app.reply = lambda r: json.dumps({"text": "json as text"})
    assert (await sandbox.run_command(seed.rep_id, seed.triage_channel_id, "/baton", "")).response == {
        "text": "json as text"
    }
    app.reply = lambda r: "plain words"
    assert (
        await sandbox.run_command(seed.rep_id, seed.triage_channel_id, "/baton", "")
    ).response == "plain words"
