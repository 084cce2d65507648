"""What people in the workspace do to messages: post, edit, delete, join a channel."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sandbox.errors import SandboxError
from sandbox.events import (
    channel_shared_event,
    channel_unshared_event,
    member_joined_event,
    message_changed_event,
    message_deleted_event,
    message_event,
)
from sandbox.ids import new_id
from sandbox.models import Channel, DeliveryOutcome, JsonDict, Message, PostResult, User
from sandbox.wire import rich_text_blocks
from sandbox.workspace import Workspace

POST_SUBTYPES = (None, "thread_broadcast", "file_share", "bot_message")  # bot_message: a bot's only


@dataclass
class JoinResult:
    """join_channel's result: the channel_join message and both deliveries."""

    message: Message
    member_event: JsonDict
    member_outcome: DeliveryOutcome | None
    message_outcome: DeliveryOutcome | None


def file_object(user: User, spec: str | JsonDict, external: bool) -> JsonDict:
    """A file object for a file_share message; spec is a file name or a partial file dict."""
    given: JsonDict = {"name": spec} if isinstance(spec, str) else dict(spec)
    name = str(given.get("name", "file.txt"))
    file_id = str(given.get("id") or new_id("F"))
    now = int(time.time())
    base: JsonDict = {
        "id": file_id,
        "created": now,
        "timestamp": now,
        "name": name,
        "title": name,
        "mimetype": "text/plain",
        "filetype": name.rpartition(".")[2] or "text",
        "pretty_type": "File",
        "user": user.id,
        "mode": "hosted",
        "editable": False,
        "is_external": False,
        "external_type": "",
        "is_public": False,
        "size": 0,
        "url_private": f"https://files.slack.com/files-pri/{user.team_id}-{file_id}/{name}",
        "url_private_download": f"https://files.slack.com/files-pri/{user.team_id}-{file_id}/download/{name}",
        "permalink": f"https://sandbox.slack.com/files/{user.id}/{file_id}/{name}",
        "display_as_bot": False,
        "has_rich_preview": False,
    }
    base.update(user_team=user.team_id)
    if external:
        base.update(source_team=user.team_id)
    base.update(given)
    return base


class MessageActions:
    """Mixin for Sandbox: message actions by people (and bots like the AI agent)."""

    workspace: Workspace

    async def _deliver_event(
        self, event: JsonDict, *, actor_team: str, channel: Channel | None, force: bool = False
    ) -> DeliveryOutcome | None:
        raise NotImplementedError

    def _member_of(self, user_id: str, channel_id: str) -> tuple[User, Channel]:
        user = self.workspace.require_user(user_id)
        channel = self.workspace.require_channel(channel_id)
        if user.id not in channel.members:
            raise SandboxError("not_in_channel", f"{user.id} is not a member of {channel.id}")
        return user, channel

    async def post_message(
        self,
        user_id: str,
        channel_id: str,
        text: str,
        thread_ts: str | None = None,
        metadata: JsonDict | None = None,
        subtype: str | None = None,
        files: list[Any] | None = None,
        blocks: list[JsonDict] | None = None,
    ) -> PostResult:
        """`user_id` posts in a channel (or a thread); delivers the `message` event if the app is there."""
        ws = self.workspace
        user, channel = self._member_of(user_id, channel_id)
        if files and subtype is None:
            subtype = "file_share"
        if subtype not in POST_SUBTYPES:
            raise SandboxError("invalid_subtype", f"{subtype!r}; expected one of {POST_SUBTYPES}")
        if subtype == "bot_message" and not user.is_bot:
            raise SandboxError("invalid_arguments", "only a bot posts a bot_message (a legacy integration)")
        if subtype == "thread_broadcast" and not thread_ts:
            raise SandboxError("invalid_arguments", "a thread_broadcast needs thread_ts")
        if subtype == "file_share" and not files:
            files = ["file.txt"]
        if blocks is None and not user.is_bot and text:
            blocks = rich_text_blocks(text)
        message = ws.create_message(
            channel,
            user,
            text,
            thread_ts=thread_ts,
            blocks=blocks,
            metadata=metadata,
            subtype=subtype,
            files=[file_object(user, f, ws.is_external(user)) for f in files or []],
        )
        event = message_event(ws, message)
        outcome = await self._deliver_event(event, actor_team=user.team_id, channel=channel)
        return PostResult(message=message, outcome=outcome, event=event)

    async def edit_message(self, user_id: str, channel_id: str, ts: str, new_text: str) -> PostResult:
        """The author edits a message; delivers `message_changed`."""
        ws = self.workspace
        user, channel = self._member_of(user_id, channel_id)
        message = ws.message(channel.id, ts)
        if message is None:
            raise SandboxError("message_not_found", f"{channel.id}/{ts}")
        if message.user != user.id:
            raise SandboxError("cant_update_message", "only the author can edit a message")
        rich = any(b.get("type") == "rich_text" for b in message.blocks)
        previous = ws.update_message(
            message, user.id, text=new_text, blocks=rich_text_blocks(new_text) if rich else None
        )
        event = message_changed_event(ws, message, previous)
        outcome = await self._deliver_event(event, actor_team=user.team_id, channel=channel)
        return PostResult(message=message, outcome=outcome, event=event)

    async def delete_message(self, user_id: str, channel_id: str, ts: str) -> PostResult:
        """The author (or an admin) deletes a message; delivers `message_deleted`, or for a thread's first
        message that has replies, `message_changed` to a tombstone (as Slack does)."""
        ws = self.workspace
        user, channel = self._member_of(user_id, channel_id)
        message = ws.message(channel.id, ts)
        if message is None:
            raise SandboxError("message_not_found", f"{channel.id}/{ts}")
        if message.user != user.id and not user.is_admin:
            raise SandboxError("cant_delete_message", "only the author or an admin can delete a message")
        if not message.is_reply and message.reply_count:
            event = message_changed_event(ws, message, ws.tombstone_message(message))
        else:
            ws.delete_message(message)
            event = message_deleted_event(ws, message)
        outcome = await self._deliver_event(event, actor_team=user.team_id, channel=channel)
        return PostResult(message=message, outcome=outcome, event=event)

    async def share_channel(self, channel_id: str, team_id: str) -> DeliveryOutcome | None:
        """Another organisation accepts a Slack Connect invitation to a channel: it becomes shared (no longer
        pending) and Slack sends `channel_shared` to the apps in it."""
        channel = self.workspace.require_channel(channel_id)
        channel.is_ext_shared, channel.is_pending_ext_shared = True, False
        if team_id not in channel.connected_team_ids:
            channel.connected_team_ids.append(team_id)
        event = channel_shared_event(self.workspace, channel, team_id)
        return await self._deliver_event(event, actor_team=self.workspace.our_team_id, channel=channel)

    async def unshare_channel(self, channel_id: str, team_id: str) -> DeliveryOutcome | None:
        """An organisation is removed from a shared channel; `channel_unshared` says whether others remain."""
        channel = self.workspace.require_channel(channel_id)
        channel.connected_team_ids = [team for team in channel.connected_team_ids if team != team_id]
        channel.is_ext_shared = any(team != self.workspace.our_team_id for team in channel.connected_team_ids)
        event = channel_unshared_event(self.workspace, channel, team_id)
        return await self._deliver_event(event, actor_team=self.workspace.our_team_id, channel=channel)

    async def join_channel(self, user_id: str, channel_id: str, inviter: str | None = None) -> JoinResult:
        """A user joins (or is invited to) a channel: `member_joined_channel` + `channel_join` message."""
        ws = self.workspace
        user = ws.require_user(user_id)
        channel = ws.require_channel(channel_id)
        if inviter is not None:
            ws.require_user(inviter)
        if user.id in channel.members:
            raise SandboxError("already_in_channel", f"{user.id} is already in {channel.id}")
        message = ws.join(user, channel, inviter)
        member_event = member_joined_event(ws, user, channel, inviter)
        member_outcome = await self._deliver_event(member_event, actor_team=user.team_id, channel=channel)
        message_outcome = await self._deliver_event(
            message_event(ws, message), actor_team=user.team_id, channel=channel
        )
        return JoinResult(message, member_event, member_outcome, message_outcome)
