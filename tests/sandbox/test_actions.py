"""People acting in the workspace: post (threads, bots, metadata, broadcasts, files), edit, delete, join."""

from __future__ import annotations

import pytest

from sandbox import Sandbox, SandboxError, SeedInfo, seed_demo_workspace
from tests.sandbox.receiver import AppReceiver


def test_seeded_workspace(sandbox: Sandbox, seed: SeedInfo) -> None:
    ws = sandbox.workspace
    assert ws.teams[seed.team_id].name == "Baton Sandbox" and ws.teams[seed.customer_team_id].name == "Acme"
    assert ws.users[seed.rep_id].real_name == "Riley Rep"
    assert ws.users[seed.admin_id].is_admin
    assert (ws.users[seed.ai_bot_user_id].bot_id, ws.users[seed.ai_bot_user_id].real_name) == (
        seed.ai_bot_id,
        "Helper AI",
    )
    assert ws.users[seed.customer_id].team_id == seed.customer_team_id
    shared = ws.channels[seed.shared_channel_id]
    assert shared.name == "acme-support" and shared.is_ext_shared
    assert shared.connected_team_ids == [seed.team_id, seed.customer_team_id]
    assert shared.members == [seed.bot_user_id, seed.rep_id, seed.ai_bot_user_id, seed.customer_id]
    triage = ws.channels[seed.triage_channel_id]
    assert triage.name == "baton-triage" and triage.members == [seed.bot_user_id, seed.rep_id, seed.admin_id]
    assert ws.usergroups[seed.support_group_id].users == [seed.rep_id, seed.admin_id]


async def test_seed_returns_the_ids(seed: SeedInfo) -> None:
    async with Sandbox(app_name="Relay") as sandbox:
        info = seed_demo_workspace(sandbox)
        assert info == seed
        assert sandbox.workspace.users[info.bot_user_id].real_name == "Relay"


async def test_thread_reply_event(sandbox: Sandbox, app: AppReceiver, seed: SeedInfo) -> None:
    root = await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "Question")
    reply = await sandbox.post_message(
        seed.rep_id, seed.shared_channel_id, "Answer", thread_ts=root.message.ts
    )

    assert reply.event is not None
    assert reply.event["thread_ts"] == root.message.ts
    assert reply.event["parent_user_id"] == seed.customer_id
    assert (root.message.reply_count, root.message.reply_users) == (1, [seed.rep_id])
    assert root.message.latest_reply == reply.message.ts


async def test_ai_agent_posts_with_bot_identity_and_metadata(
    sandbox: Sandbox, app: AppReceiver, seed: SeedInfo
) -> None:
    metadata = {"event_type": "ai_assessment", "event_payload": {"confidence": 0.31, "intent": "refund"}}

    result = await sandbox.post_message(
        seed.ai_bot_user_id, seed.shared_channel_id, "I think so?", metadata=metadata
    )

    event = result.event
    assert event is not None
    assert (event["user"], event["bot_id"]) == (seed.ai_bot_user_id, seed.ai_bot_id)
    assert event["bot_profile"]["app_id"] == seed.ai_app_id and event["bot_profile"]["name"] == "Helper AI"
    assert event["metadata"] == metadata
    assert "client_msg_id" not in event and "blocks" not in event


async def test_thread_broadcast(sandbox: Sandbox, app: AppReceiver, seed: SeedInfo) -> None:
    root = await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "Root")

    result = await sandbox.post_message(
        seed.customer_id,
        seed.shared_channel_id,
        "Bump",
        thread_ts=root.message.ts,
        subtype="thread_broadcast",
    )

    assert result.event is not None
    assert result.event["subtype"] == "thread_broadcast"
    assert result.event["root"]["ts"] == root.message.ts and result.event["root"]["reply_count"] == 1
    assert [m.ts for m in sandbox.messages(seed.shared_channel_id)] == [root.message.ts, result.message.ts]


async def test_file_share(sandbox: Sandbox, app: AppReceiver, seed: SeedInfo) -> None:
    result = await sandbox.post_message(
        seed.customer_id,
        seed.shared_channel_id,
        "Screenshot",
        files=["error.png", {"name": "log.txt", "size": 12}],
    )

    assert result.event is not None
    assert result.event["subtype"] == "file_share"
    names = [f["name"] for f in result.event["files"]]
    assert names == ["error.png", "log.txt"]
    assert result.event["files"][1]["size"] == 12
    assert all(f["id"].startswith("F") and f["user"] == seed.customer_id for f in result.event["files"])


async def test_post_message_errors(sandbox: Sandbox, seed: SeedInfo) -> None:
    with pytest.raises(SandboxError, match="user_not_found"):
        await sandbox.post_message("U0NOBODY", seed.shared_channel_id, "x")
    with pytest.raises(SandboxError, match="channel_not_found"):
        await sandbox.post_message(seed.customer_id, "C0NOPE", "x")
    with pytest.raises(SandboxError, match="not_in_channel"):
        await sandbox.post_message(seed.customer_id, seed.triage_channel_id, "x")
    with pytest.raises(SandboxError, match="invalid_subtype"):
        await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "x", subtype="me_message")
    with pytest.raises(SandboxError, match="only a bot posts a bot_message"):
        await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "x", subtype="bot_message")
    with pytest.raises(SandboxError, match="thread_not_found"):
        await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "x", thread_ts="1.000001")


async def test_edit_message(sandbox: Sandbox, app: AppReceiver, seed: SeedInfo) -> None:
    posted = await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "teh typo")

    edited = await sandbox.edit_message(
        seed.customer_id, seed.shared_channel_id, posted.message.ts, "the typo"
    )

    event = edited.event
    assert event is not None
    assert (event["type"], event["subtype"], event["hidden"]) == ("message", "message_changed", True)
    assert event["message"]["text"] == "the typo" and event["previous_message"]["text"] == "teh typo"
    assert event["message"]["edited"]["user"] == seed.customer_id
    assert event["message"]["ts"] == posted.message.ts
    assert app.events()[-1]["team_id"] == seed.customer_team_id
    assert sandbox.message(seed.shared_channel_id, posted.message.ts).text == "the typo"  # type: ignore[union-attr]
    with pytest.raises(SandboxError, match="cant_update_message"):
        await sandbox.edit_message(seed.rep_id, seed.shared_channel_id, posted.message.ts, "hijack")


async def test_delete_message_fixes_the_thread(sandbox: Sandbox, app: AppReceiver, seed: SeedInfo) -> None:
    root = await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "Root")
    reply = await sandbox.post_message(
        seed.customer_id, seed.shared_channel_id, "oops", thread_ts=root.message.ts
    )

    deleted = await sandbox.delete_message(seed.customer_id, seed.shared_channel_id, reply.message.ts)

    event = deleted.event
    assert event is not None
    assert (event["subtype"], event["deleted_ts"]) == ("message_deleted", reply.message.ts)
    assert event["previous_message"]["text"] == "oops"
    assert (root.message.reply_count, root.message.reply_users, root.message.latest_reply) == (0, [], None)
    with pytest.raises(SandboxError, match="message_not_found"):
        await sandbox.delete_message(seed.customer_id, seed.shared_channel_id, reply.message.ts)


async def test_deleting_a_thread_s_first_message_leaves_a_tombstone(
    sandbox: Sandbox, app: AppReceiver, seed: SeedInfo
) -> None:
    root = await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "Root")
    await sandbox.post_message(seed.rep_id, seed.shared_channel_id, "answer", thread_ts=root.message.ts)

    deleted = await sandbox.delete_message(seed.customer_id, seed.shared_channel_id, root.message.ts)

    event = deleted.event
    assert event is not None and event["subtype"] == "message_changed"
    tomb = event["message"]
    assert (tomb["subtype"], tomb["user"], tomb["text"]) == (
        "tombstone",
        "USLACKBOT",
        "This message was deleted.",
    )
    assert (tomb["ts"], tomb["thread_ts"], tomb["reply_count"]) == (root.message.ts, root.message.ts, 1)
    assert (event["previous_message"]["text"], event["previous_message"]["user"]) == (
        "Root",
        seed.customer_id,
    )
    assert sandbox.message(seed.shared_channel_id, root.message.ts) is not None  # the thread stays


async def test_join_channel(sandbox: Sandbox, app: AppReceiver, seed: SeedInfo) -> None:
    result = await sandbox.join_channel(seed.admin_id, seed.shared_channel_id, inviter=seed.rep_id)

    assert result.member_event == {
        "type": "member_joined_channel",
        "user": seed.admin_id,
        "channel": seed.shared_channel_id,
        "channel_type": "C",
        "team": seed.team_id,
        "inviter": seed.rep_id,
        "event_ts": result.member_event["event_ts"],
    }
    assert result.member_outcome is not None and result.member_outcome.ok
    assert (result.message.subtype, result.message.inviter) == ("channel_join", seed.rep_id)
    [joined_message] = app.events("message")
    assert joined_message["event"]["subtype"] == "channel_join"
    assert seed.admin_id in sandbox.workspace.channels[seed.shared_channel_id].members
    with pytest.raises(SandboxError, match="already_in_channel"):
        await sandbox.join_channel(seed.admin_id, seed.shared_channel_id)


async def test_adding_the_bot_to_a_channel_is_delivered(
    sandbox: Sandbox, app: AppReceiver, seed: SeedInfo
) -> None:
    sandbox.add_channel("C0GLOBEX", "globex-support", is_ext_shared=True, members=[seed.rep_id])

    result = await sandbox.join_channel(seed.bot_user_id, "C0GLOBEX", inviter=seed.rep_id)

    assert result.member_outcome is not None and result.member_outcome.ok
    assert app.events("member_joined_channel")[0]["event"]["user"] == seed.bot_user_id
    assert sandbox.workspace.channels["C0GLOBEX"].connected_team_ids == [seed.team_id]


async def test_a_user_writes_to_the_bot_in_a_dm(sandbox: Sandbox, app: AppReceiver, seed: SeedInfo) -> None:
    dm = sandbox.open_dm(seed.rep_id)

    result = await sandbox.post_message(seed.rep_id, dm.id, "show my handoffs")

    assert result.event is not None and result.event["channel_type"] == "im"
    assert app.events("message")[0]["event"]["channel"] == dm.id
    assert sandbox.open_dm(seed.rep_id).id == dm.id
