"""chat.* and reactions.add through slack_sdk's AsyncWebClient: happy paths and Slack's errors."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from sandbox import Sandbox, SeedInfo

CARD: list[dict[str, Any]] = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "*Handoff*"}},
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
    },
]


async def api_error(call: Awaitable[Any]) -> str:
    """The Slack error code a call fails with."""
    with pytest.raises(SlackApiError) as info:
        await call
    return str(info.value.response["error"])


async def test_post_message_returns_the_bot_message_and_stores_it(
    sandbox: Sandbox, client: AsyncWebClient, seed: SeedInfo
) -> None:
    metadata = {"event_type": "baton_handoff", "event_payload": {"handoff_id": 7}}
    response = await client.chat_postMessage(
        channel=seed.triage_channel_id, text="New handoff", blocks=CARD, metadata=metadata
    )

    assert response["ok"] is True
    assert response["channel"] == seed.triage_channel_id
    message = response["message"]
    assert message["ts"] == response["ts"]
    assert (message["user"], message["bot_id"], message["app_id"]) == (
        seed.bot_user_id,
        seed.bot_id,
        seed.app_id,
    )
    assert message["bot_profile"]["id"] == seed.bot_id
    assert message["metadata"] == metadata
    assert [b["type"] for b in message["blocks"]] == ["section", "actions"]
    assert all(b["block_id"] for b in message["blocks"])
    stored = sandbox.messages(seed.triage_channel_id)
    assert [m.ts for m in stored] == [response["ts"]]
    assert stored[0].metadata == metadata
    assert sandbox.calls_to("chat.postMessage")[0].args["channel"] == seed.triage_channel_id


async def test_thread_reply_updates_the_root(
    sandbox: Sandbox, client: AsyncWebClient, seed: SeedInfo
) -> None:
    root = (await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "Help please")).message

    reply = await client.chat_postMessage(
        channel=seed.shared_channel_id, thread_ts=root.ts, text="A specialist is on it"
    )

    assert reply["message"]["thread_ts"] == root.ts
    assert reply["message"]["parent_user_id"] == seed.customer_id
    assert (root.reply_count, root.reply_users, root.latest_reply) == (1, [seed.bot_user_id], reply["ts"])
    assert [m.ts for m in sandbox.messages(seed.shared_channel_id, thread_ts=root.ts)] == [
        root.ts,
        reply["ts"],
    ]
    assert [m.ts for m in sandbox.messages(seed.shared_channel_id)] == [root.ts]


async def test_reply_broadcast_is_also_in_channel_history(
    sandbox: Sandbox, client: AsyncWebClient, seed: SeedInfo
) -> None:
    root = await client.chat_postMessage(channel=seed.triage_channel_id, text="root")
    reply = await client.chat_postMessage(
        channel=seed.triage_channel_id, thread_ts=root["ts"], text="also here", reply_broadcast=True
    )

    assert reply["message"]["subtype"] == "thread_broadcast"
    assert [m.ts for m in sandbox.messages(seed.triage_channel_id)] == [root["ts"], reply["ts"]]


async def test_reply_to_a_reply_joins_the_root_thread(
    sandbox: Sandbox, client: AsyncWebClient, seed: SeedInfo
) -> None:
    root = await client.chat_postMessage(channel=seed.triage_channel_id, text="root")
    first = await client.chat_postMessage(channel=seed.triage_channel_id, thread_ts=root["ts"], text="1")
    second = await client.chat_postMessage(channel=seed.triage_channel_id, thread_ts=first["ts"], text="2")

    assert second["message"]["thread_ts"] == root["ts"]
    assert sandbox.message(seed.triage_channel_id, root["ts"]).reply_count == 2  # type: ignore[union-attr]


async def test_message_ts_are_strictly_increasing(client: AsyncWebClient, seed: SeedInfo) -> None:
    stamps = [
        (await client.chat_postMessage(channel=seed.triage_channel_id, text=str(i)))["ts"] for i in range(20)
    ]

    assert stamps == sorted(stamps, key=float)
    assert len(set(stamps)) == 20
    assert all(len(ts.split(".")[1]) == 6 for ts in stamps)


async def test_user_id_as_channel_opens_and_reuses_a_dm(
    sandbox: Sandbox, client: AsyncWebClient, seed: SeedInfo
) -> None:
    first = await client.chat_postMessage(channel=seed.rep_id, text="You have a handoff")
    second = await client.chat_postMessage(channel=seed.rep_id, text="And another")

    assert first["channel"].startswith("D")
    assert second["channel"] == first["channel"]
    dm = sandbox.workspace.channels[first["channel"]]
    assert dm.is_im and dm.im_user == seed.rep_id
    assert len(sandbox.messages(dm.id)) == 2


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
async def test_post_message_errors(sandbox: Sandbox, client: AsyncWebClient, seed: SeedInfo) -> None:
    sandbox.add_channel("C0NOBOT", "no-bot", members=[seed.rep_id])
    channel = seed.triage_channel_id

    assert await api_error(client.chat_postMessage(channel="C0MISSING", text="x")) == "channel_not_found"
    assert await api_error(client.chat_postMessage(channel="C0NOBOT", text="x")) == "not_in_channel"
    assert await api_error(client.chat_postMessage(channel=channel)) == "no_text"
    assert await api_error(client.chat_postMessage(channel=channel, text="x" * 40_001)) == "msg_too_long"
    too_many = [{"type": "divider"}] * 51
    assert await api_error(client.chat_postMessage(channel=channel, blocks=too_many)) == "invalid_blocks"
    assert (
        await api_error(client.chat_postMessage(channel=channel, text="x", thread_ts="1.000001"))
        == "thread_not_found"
    )
    bad_metadata = {"event_type": "x"}
    assert await api_error(client.chat_postMessage(channel=channel, text="x", metadata=bad_metadata)) == (
        "invalid_metadata_format"
    )
    assert sandbox.messages(channel) == []
    assert await client.chat_postMessage(channel=channel, text="x" * 40_000)


async def test_update_edits_the_bot_message(sandbox: Sandbox, client: AsyncWebClient, seed: SeedInfo) -> None:
    posted = await client.chat_postMessage(channel=seed.triage_channel_id, text="Open", blocks=CARD)

    updated = await client.chat_update(
        channel=seed.triage_channel_id, ts=posted["ts"], text="Claimed by Riley", blocks=[]
    )

    assert (updated["channel"], updated["ts"], updated["text"]) == (
        seed.triage_channel_id,
        posted["ts"],
        "Claimed by Riley",
    )
    assert updated["message"]["edited"]["ts"]
    stored = sandbox.message(seed.triage_channel_id, posted["ts"])
    assert stored is not None and stored.text == "Claimed by Riley" and stored.blocks == []


async def test_update_errors(sandbox: Sandbox, client: AsyncWebClient, seed: SeedInfo) -> None:
    customer = (await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "hi")).message

    missing = client.chat_update(channel=seed.triage_channel_id, ts="1.000001", text="x")
    assert await api_error(missing) == "message_not_found"
    not_ours = client.chat_update(channel=seed.shared_channel_id, ts=customer.ts, text="x")
    assert await api_error(not_ours) == "cant_update_message"
    assert (
        await api_error(client.chat_update(channel="C0MISSING", ts=customer.ts, text="x"))
        == "channel_not_found"
    )


async def test_delete_removes_the_bot_message(
    sandbox: Sandbox, client: AsyncWebClient, seed: SeedInfo
) -> None:
    posted = await client.chat_postMessage(channel=seed.triage_channel_id, text="oops")
    customer = (await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "hi")).message

    deleted = await client.chat_delete(channel=seed.triage_channel_id, ts=posted["ts"])

    assert (deleted["channel"], deleted["ts"]) == (seed.triage_channel_id, posted["ts"])
    assert sandbox.messages(seed.triage_channel_id) == []
    again = client.chat_delete(channel=seed.triage_channel_id, ts=posted["ts"])
    assert await api_error(again) == "message_not_found"
    not_ours = client.chat_delete(channel=seed.shared_channel_id, ts=customer.ts)
    assert await api_error(not_ours) == "cant_delete_message"


async def test_post_ephemeral_is_recorded_but_not_in_history(
    sandbox: Sandbox, client: AsyncWebClient, seed: SeedInfo
) -> None:
    response = await client.chat_postEphemeral(
        channel=seed.triage_channel_id, user=seed.admin_id, text="Only you"
    )

    assert response["message_ts"]
    [ephemeral] = sandbox.ephemerals
    assert (ephemeral.channel, ephemeral.user, ephemeral.ts, ephemeral.text) == (
        seed.triage_channel_id,
        seed.admin_id,
        response["message_ts"],
        "Only you",
    )
    assert sandbox.messages(seed.triage_channel_id) == []


async def test_post_ephemeral_errors(sandbox: Sandbox, client: AsyncWebClient, seed: SeedInfo) -> None:
    sandbox.add_channel("C0NOBOT", "no-bot", members=[seed.rep_id])

    outsider = client.chat_postEphemeral(channel=seed.triage_channel_id, user=seed.customer_id, text="x")
    assert await api_error(outsider) == "user_not_in_channel"
    assert (
        await api_error(client.chat_postEphemeral(channel="C0NOBOT", user=seed.rep_id, text="x"))
        == "not_in_channel"
    )
    assert await api_error(client.chat_postEphemeral(channel="C0MISSING", user=seed.rep_id, text="x")) == (
        "channel_not_found"
    )
    assert await api_error(
        client.chat_postEphemeral(channel=seed.triage_channel_id, user="U0NOBODY", text="x")
    ) == ("user_not_found")


async def test_get_permalink(sandbox: Sandbox, client: AsyncWebClient, seed: SeedInfo) -> None:
    root = await client.chat_postMessage(channel=seed.triage_channel_id, text="root")
    reply = await client.chat_postMessage(channel=seed.triage_channel_id, thread_ts=root["ts"], text="reply")

    link = await client.chat_getPermalink(channel=seed.triage_channel_id, message_ts=root["ts"])
    reply_link = await client.chat_getPermalink(channel=seed.triage_channel_id, message_ts=reply["ts"])

    assert (
        link["permalink"] == f"{sandbox.url}archives/{seed.triage_channel_id}/p{root['ts'].replace('.', '')}"
    )
    assert reply_link["permalink"].endswith(f"?thread_ts={root['ts']}&cid={seed.triage_channel_id}")
    missing = client.chat_getPermalink(channel=seed.triage_channel_id, message_ts="1.000001")
    assert await api_error(missing) == "message_not_found"


async def test_reactions_add(sandbox: Sandbox, client: AsyncWebClient, seed: SeedInfo) -> None:
    message = (await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "Thanks!")).message

    await client.reactions_add(channel=seed.shared_channel_id, timestamp=message.ts, name="eyes")

    assert [(r.channel, r.ts, r.name, r.user) for r in sandbox.reactions] == [
        (seed.shared_channel_id, message.ts, "eyes", seed.bot_user_id)
    ]
    assert message.reactions == {"eyes": [seed.bot_user_id]}
    again = client.reactions_add(channel=seed.shared_channel_id, timestamp=message.ts, name="eyes")
    assert await api_error(again) == "already_reacted"
    missing = client.reactions_add(channel=seed.shared_channel_id, timestamp="1.000001", name="eyes")
    assert await api_error(missing) == "message_not_found"
