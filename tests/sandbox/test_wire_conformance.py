"""Every key path the sandbox emits exists at the same path in Slack's reference samples.

The samples (/work/shared/slack/samples, beside the repo) are key-union templates from java-slack-sdk.
Paths are compared structurally: list elements against the union of the sample's elements; Block Kit
(`blocks`, `attachments`) only by element `type`; `metadata.event_payload` and `state.values` are free-form.

Where one sample is not enough, the reference is a documented union:
- envelopes: the event's own sample plus MemberJoinedChannelPayload's envelope, which carries the
  `context_team_id` / `context_enterprise_id` keys Slack sends on every event_callback;
- message events: plus `user_team` / `source_team`, which the samples only show on
  MessageChangedPayload's nested `message` (Slack sends them on messages from Slack Connect users);
  subtype samples (thread_broadcast, file_share) are unioned with the plain MessagePayload;
- conversations.join returns the same channel object as conversations.info.
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from sandbox import Sandbox, SeedInfo
from tests.sandbox.receiver import AppReceiver

SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "slack" / "samples"
pytestmark = [
    pytest.mark.skipif(
        not SAMPLES.is_dir(),
        reason=f"Slack reference samples not found at {SAMPLES} (the shared folder beside the repo)",
    ),
    pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing"),
]

FREE_LISTS = frozenset({"blocks", "attachments"})
API_SAMPLE = {"conversations.join": "conversations.info", "conversations.open": "conversations.info"}
EVENT_SAMPLES: dict[tuple[str, str | None], list[str]] = {
    ("message", None): ["MessagePayload"],
    ("message", "thread_broadcast"): ["MessageThreadBroadcastPayload", "MessagePayload"],
    ("message", "file_share"): ["MessageFileSharePayload", "MessagePayload"],
    ("message", "channel_join"): ["MessageChannelJoinPayload"],
    ("message", "message_changed"): ["MessageChangedPayload"],
    ("message", "message_deleted"): ["MessageDeletedPayload"],
    ("member_joined_channel", None): ["MemberJoinedChannelPayload"],
    ("app_home_opened", None): ["AppHomeOpenedPayload"],
    ("channel_shared", None): ["ChannelSharedPayload"],
    ("message", "bot_message"): ["MessageBotPayload"],
}
CARD: list[dict[str, Any]] = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "*Handoff*"}},
    {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "action_id": "claim",
                "text": {"type": "plain_text", "text": "Claim"},
                "value": "1",
            },
            {
                "type": "static_select",
                "action_id": "snooze",
                "options": [{"text": {"type": "plain_text", "text": "1 hour"}, "value": "60"}],
            },
            {"type": "users_select", "action_id": "assign"},
        ],
    },
]
MODAL: dict[str, Any] = {
    "type": "modal",
    "callback_id": "reassign",
    "external_id": "handoff-1",
    "title": {"type": "plain_text", "text": "Reassign"},
    "submit": {"type": "plain_text", "text": "Save"},
    "close": {"type": "plain_text", "text": "Cancel"},
    "private_metadata": "1",
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
    ],
}
METADATA: dict[str, Any] = {
    "event_type": "ai_assessment",
    "event_payload": {"confidence": 0.2, "nested": {"free": ["form"]}},
}


def key_paths(value: Any, prefix: str = "") -> set[str]:
    """Dotted key paths of a JSON value ("a.b", "a.list[].c"), with the free-form parts cut off."""
    paths: set[str] = set()
    if isinstance(value, dict):
        for key, child in value.items():
            if (key == "event_payload" and prefix.endswith("metadata")) or (
                key == "values" and prefix.endswith("state")
            ):
                continue
            path = f"{prefix}.{key}" if prefix else key
            paths.add(path)
            if key in FREE_LISTS and isinstance(child, list):
                paths |= {f"{path}[].type" for item in child if isinstance(item, dict) and "type" in item}
                continue
            paths |= key_paths(child, path)
    elif isinstance(value, list):
        for item in value:
            paths |= key_paths(item, prefix + "[]")
    return paths


@functools.cache
def sample_paths(relative: str) -> frozenset[str]:
    """Key paths of one sample file, e.g. "api/chat.postMessage"."""
    return frozenset(key_paths(json.loads((SAMPLES / f"{relative}.json").read_text())))


def envelope_reference(event_type: str, subtype: str | None) -> set[str]:
    """What an event_callback envelope of this kind may contain."""
    names = EVENT_SAMPLES[(event_type, subtype)]
    allowed = {p for name in names for p in sample_paths(f"events/{name}")}
    allowed |= {p for p in sample_paths("events/MemberJoinedChannelPayload") if not p.startswith("event")}
    if event_type == "message" and subtype in {None, "thread_broadcast", "file_share"}:
        changed = sample_paths("events/MessageChangedPayload")
        allowed |= {
            p.replace("event.message.", "event.", 1)
            for p in changed
            if p.split(".")[-1] in {"user_team", "source_team"}
        }
    return allowed


def assert_conforms(emitted: Any, allowed: set[str] | frozenset[str], what: str) -> None:
    extra = sorted(key_paths(emitted) - allowed)
    assert not extra, f"{what} emits key paths missing from the samples: {extra}"


@dataclass
class Wire:
    """Everything the sandbox emitted during the scenario."""

    api: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    envelopes: list[dict[str, Any]] = field(default_factory=list)
    interactive: list[dict[str, Any]] = field(default_factory=list)
    commands: list[dict[str, str]] = field(default_factory=list)


async def scenario(sandbox: Sandbox, app: AppReceiver, client: AsyncWebClient, seed: SeedInfo) -> Wire:
    """Drive every Web API method (successes and errors), every event kind and every interaction."""
    shared, triage = seed.shared_channel_id, seed.triage_channel_id
    app_client = AsyncWebClient(token=sandbox.app_token, base_url=sandbox.api_url)
    sandbox.add_channel("C0GENERAL", "general", members=[seed.rep_id])

    await client.auth_test()
    await app_client.apps_connections_open(app_token=sandbox.app_token)
    await sandbox.open_home(seed.rep_id)
    root = (await sandbox.post_message(seed.customer_id, shared, "I need help with billing")).message
    await sandbox.post_message(
        seed.ai_bot_user_id, shared, "Maybe this?", thread_ts=root.ts, metadata=METADATA
    )
    await sandbox.post_message(seed.rep_id, shared, "Looking", thread_ts=root.ts)
    await sandbox.post_message(
        seed.customer_id, shared, "Bump", thread_ts=root.ts, subtype="thread_broadcast"
    )
    await sandbox.post_message(seed.customer_id, shared, "Screenshot", files=["error.png"])
    typo = (await sandbox.post_message(seed.customer_id, shared, "teh")).message
    await sandbox.edit_message(seed.customer_id, shared, typo.ts, "the")
    await sandbox.delete_message(seed.customer_id, shared, typo.ts)
    await sandbox.join_channel(seed.admin_id, shared, inviter=seed.rep_id)
    await sandbox.share_channel(shared, "T0PARTNER")
    await sandbox.post_message(seed.ai_bot_user_id, shared, "Legacy answer", subtype="bot_message")

    card = await client.chat_postMessage(channel=triage, text="Handoff", blocks=CARD, metadata=METADATA)
    await client.chat_postMessage(channel=shared, thread_ts=root.ts, text="A specialist is joining")
    await client.chat_postMessage(channel=shared, thread_ts=root.ts, text="Also here", reply_broadcast=True)
    await client.chat_postMessage(channel=seed.rep_id, text="DM")
    await client.reactions_add(channel=triage, timestamp=card["ts"], name="eyes")
    await client.chat_update(channel=triage, ts=card["ts"], text="Claimed", blocks=CARD, metadata=METADATA)
    ephemeral = await client.chat_postEphemeral(channel=triage, user=seed.rep_id, text="psst", blocks=CARD)
    await client.chat_getPermalink(channel=triage, message_ts=card["ts"])
    await client.conversations_info(channel=shared, include_num_members=True)
    await client.conversations_info(channel=triage)
    await client.conversations_members(channel=shared, limit=2)
    await client.conversations_join(channel="C0GENERAL")
    await client.conversations_join(channel="C0GENERAL")
    await client.conversations_history(channel=triage, include_all_metadata=True, limit=5)
    await client.conversations_replies(channel=shared, ts=root.ts, include_all_metadata=True)
    await client.conversations_open(users=seed.rep_id)
    for user in (seed.customer_id, seed.ai_bot_user_id, seed.admin_id):
        await client.users_info(user=user)
    await client.usergroups_users_list(usergroup=seed.support_group_id)
    home = {"type": "home", "blocks": CARD}
    published = await client.views_publish(user_id=seed.rep_id, view=home)
    await client.views_update(view_id=published["view"]["id"], view=home, hash=published["view"]["hash"])
    await sandbox.open_home(seed.rep_id)

    clicked = await sandbox.click_button(seed.rep_id, triage, card["ts"], "claim")
    await sandbox.click_button(seed.rep_id, triage, card["ts"], "snooze", selected_option="60")
    await sandbox.click_button(seed.rep_id, triage, card["ts"], "assign", selected_user=seed.admin_id)
    await sandbox.click_button(seed.rep_id, triage, ephemeral["message_ts"], "claim")
    await sandbox.click_home_button(seed.rep_id, "claim")
    await sandbox.run_command(seed.admin_id, triage, "/baton", "rules")
    opened = await client.views_open(trigger_id=clicked.trigger_id, view=MODAL)
    await client.views_update(external_id="handoff-1", view=MODAL)
    await sandbox.submit_view(seed.rep_id, opened["view"]["id"], {"who": seed.admin_id, "note": "because"})
    doomed = await client.chat_postMessage(channel=triage, text="temporary")
    await client.chat_delete(channel=triage, ts=doomed["ts"])

    failing = [
        client.auth_test(token="xoxb-wrong"),
        app_client.apps_connections_open(app_token="xapp-wrong"),
        client.chat_postMessage(channel="C0NOPE", text="x"),
        client.chat_postMessage(channel=triage, blocks=[{"type": "divider"}] * 51, text="x"),
        client.chat_update(channel=triage, ts="1.000001", text="x"),
        client.chat_update(channel=triage, ts=card["ts"], blocks=[{"type": "divider"}] * 51),
        client.chat_delete(channel=shared, ts=root.ts),
        client.chat_postEphemeral(channel=triage, user=seed.customer_id, text="x"),
        client.chat_getPermalink(channel=triage, message_ts="1.000001"),
        client.reactions_add(channel=triage, timestamp=card["ts"], name="eyes"),
        client.conversations_info(channel="C0NOPE"),
        client.conversations_members(channel="C0NOPE"),
        client.conversations_join(channel="C0NOPE"),
        client.conversations_history(channel="C0NOPE"),
        client.conversations_replies(channel=shared, ts="1.000001"),
        client.conversations_open(users="U0NOBODY"),
        client.users_info(user="U0NOBODY"),
        client.usergroups_users_list(usergroup="S0NOPE"),
        client.views_open(trigger_id="1.2.bad", view=MODAL),
        client.views_publish(user_id=seed.rep_id, view={"type": "home"}),
        client.views_update(view_id=published["view"]["id"], view=home, hash="stale"),
    ]
    for call in failing:
        with contextlib.suppress(SlackApiError):
            await call
    await sandbox.drain()

    wire = Wire(api=[(c.method, c.response) for c in sandbox.calls], envelopes=list(sandbox.envelopes))
    for received in app.requests:
        form = received.form if received.content_type != "application/json" else {}
        if "payload" in form:
            wire.interactive.append(json.loads(form["payload"]))
        elif "command" in form:
            wire.commands.append(form)
    return wire


@pytest.fixture
async def wire(
    sandbox: Sandbox, app: AppReceiver, client: AsyncWebClient, seed: SeedInfo
) -> AsyncIterator[Wire]:
    yield await scenario(sandbox, app, client, seed)


async def test_web_api_responses_match_the_samples(wire: Wire) -> None:
    methods = {method for method, _ in wire.api}
    sampled = {path.stem for path in (SAMPLES / "api").glob("*.json")}
    assert methods == sampled | {"conversations.join", "conversations.open"}
    assert {m for m, r in wire.api if not r["ok"]} == methods
    for method, response in wire.api:
        assert_conforms(response, sample_paths(f"api/{API_SAMPLE.get(method, method)}"), f"{method} response")


async def test_event_envelopes_match_the_samples(wire: Wire) -> None:
    kinds = {(e["event"]["type"], e["event"].get("subtype")) for e in wire.envelopes}
    assert kinds == set(EVENT_SAMPLES)
    for envelope in wire.envelopes:
        event = envelope["event"]
        kind = (event["type"], event.get("subtype"))
        assert_conforms(envelope, envelope_reference(*kind), f"{kind} envelope")


async def test_interactive_payloads_match_the_samples(wire: Wire) -> None:
    containers = {(p["type"], p.get("container", {}).get("type")) for p in wire.interactive}
    assert containers == {("block_actions", "message"), ("block_actions", "view"), ("view_submission", None)}
    for payload in wire.interactive:
        sample = "BlockActionPayload" if payload["type"] == "block_actions" else "ViewSubmissionPayload"
        assert_conforms(payload, sample_paths(f"interactive/{sample}"), f"{payload['type']} payload")
    [command] = wire.commands
    assert set(command) == set(sample_paths("interactive/SlashCommandPayload"))
