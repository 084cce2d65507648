"""The workspace state: teams, users, channels, messages, views. Pure state, no I/O."""

from __future__ import annotations

import copy
import time
import uuid
from collections.abc import Iterable
from typing import Any

from sandbox.errors import SandboxError
from sandbox.ids import TsClock, new_id
from sandbox.models import Channel, Ephemeral, JsonDict, Message, Reaction, Team, User, UserGroup, View


class Workspace:
    """Everything Slack would know about our workspace and the orgs connected to it."""

    def __init__(self, *, team: Team, bot_user: User, app_name: str, clock: TsClock | None = None) -> None:
        if bot_user.bot_id is None or bot_user.app_id is None:
            raise ValueError("the app's bot user needs bot_id and app_id")
        self.our_team_id = team.id
        self.bot_user_id = bot_user.id
        self.bot_id: str = bot_user.bot_id
        self.app_id: str = bot_user.app_id
        self.app_name = app_name
        self.clock = clock or TsClock()
        self.teams: dict[str, Team] = {team.id: team}
        self.users: dict[str, User] = {bot_user.id: bot_user}
        self.channels: dict[str, Channel] = {}
        self.usergroups: dict[str, UserGroup] = {}
        self.ephemerals: list[Ephemeral] = []
        self.views: dict[str, View] = {}
        self.home_views: dict[str, View] = {}
        self.reactions: list[Reaction] = []
        self._messages: dict[str, list[Message]] = {}

    # -- directory -------------------------------------------------------------------------------------

    def add_team(self, team_id: str, name: str, domain: str | None = None) -> Team:
        """Add (or replace) a team."""
        team = Team(id=team_id, name=name, domain=domain or name.lower().replace(" ", "-"))
        self.teams[team_id] = team
        return team

    def add_user(self, user: User) -> User:
        """Add (or replace) a user; its team must exist."""
        if user.team_id not in self.teams:
            raise SandboxError("team_not_found", user.team_id)
        self.users[user.id] = user
        return user

    def add_channel(self, channel: Channel) -> Channel:
        """Add (or replace) a channel; members must exist."""
        for member in channel.members:
            self.require_user(member)
        channel.created = channel.created or int(time.time())
        channel.conversation_host_id = channel.conversation_host_id or self.our_team_id
        if not channel.connected_team_ids:
            channel.connected_team_ids = [channel.conversation_host_id]
        self.channels[channel.id] = channel
        self._messages.setdefault(channel.id, [])
        return channel

    def add_usergroup(self, group: UserGroup) -> UserGroup:
        """Add (or replace) a user group."""
        for member in group.users:
            self.require_user(member)
        self.usergroups[group.id] = group
        return group

    def require_user(self, user_id: str) -> User:
        """The user, or SandboxError user_not_found."""
        user = self.users.get(user_id)
        if user is None:
            raise SandboxError("user_not_found", user_id)
        return user

    def require_channel(self, channel_id: str) -> Channel:
        """The channel, or SandboxError channel_not_found."""
        channel = self.resolve_channel(channel_id)
        if channel is None:
            raise SandboxError("channel_not_found", channel_id)
        return channel

    def resolve_channel(self, ref: str) -> Channel | None:
        """A channel by id, "#name" or name."""
        if ref in self.channels:
            return self.channels[ref]
        name = ref.removeprefix("#")
        return next((c for c in self.channels.values() if c.name == name and not c.is_im), None)

    def open_dm(self, user_id: str) -> Channel:
        """The app's DM channel with a user, created on first use."""
        self.require_user(user_id)
        for channel in self.channels.values():
            if channel.is_im and channel.im_user == user_id:
                return channel
        dm = Channel(
            id=new_id("D"),
            name=user_id,
            is_im=True,
            is_private=True,
            members=[self.bot_user_id, user_id],
            im_user=user_id,
            creator=user_id,
        )
        return self.add_channel(dm)

    def channel_type(self, channel: Channel) -> str:
        """The event channel_type: "channel", "group" or "im"."""
        if channel.is_im:
            return "im"
        return "group" if channel.is_private else "channel"

    def is_external(self, user: User) -> bool:
        """Whether the user belongs to another org (a customer in a Slack Connect channel)."""
        return user.team_id != self.our_team_id

    def bot_is_member(self, channel: Channel) -> bool:
        """Whether our app's bot user is in the channel (Slack only sends it events from those)."""
        return self.bot_user_id in channel.members

    # -- messages --------------------------------------------------------------------------------------

    def message(self, channel_id: str, ts: str) -> Message | None:
        """A stored message by channel and ts."""
        return next((m for m in self._messages.get(channel_id, []) if m.ts == ts), None)

    def messages(
        self, channel_id: str, thread_ts: str | None = None, include_replies: bool = False
    ) -> list[Message]:
        """Channel history (top level, or everything), or one thread (root first), oldest first."""
        stored = self._messages.get(channel_id, [])
        if thread_ts is not None:
            return [m for m in stored if m.ts == thread_ts or m.thread_ts == thread_ts]
        if include_replies:
            return list(stored)
        return [m for m in stored if not m.is_reply or m.subtype == "thread_broadcast"]

    def create_message(
        self,
        channel: Channel,
        author: User,
        text: str,
        *,
        thread_ts: str | None = None,
        blocks: list[JsonDict] | None = None,
        attachments: list[JsonDict] | None = None,
        metadata: JsonDict | None = None,
        subtype: str | None = None,
        files: list[JsonDict] | None = None,
    ) -> Message:
        """Build and store a message by author, updating its thread root."""
        root = self.thread_root(channel.id, thread_ts) if thread_ts else None
        external = self.is_external(author)
        message = Message(
            ts=self.clock.next(),
            channel=channel.id,
            text=text,
            user=author.id,
            bot_id=author.bot_id,
            app_id=author.app_id,
            team=author.team_id,
            user_team=author.team_id if external else None,
            source_team=author.team_id if external else None,
            blocks=with_block_ids(blocks or []),
            attachments=copy.deepcopy(attachments or []),
            files=copy.deepcopy(files or []),
            thread_ts=root.ts if root else None,
            subtype=subtype,
            metadata=copy.deepcopy(metadata) if metadata else None,
            client_msg_id=None if author.is_bot else str(uuid.uuid4()),
        )
        self._messages.setdefault(channel.id, []).append(message)
        if root is not None:
            root.thread_ts = root.ts
            root.reply_count += 1
            if author.id not in root.reply_users:
                root.reply_users.append(author.id)
            root.latest_reply = message.ts
        return message

    def thread_root(self, channel_id: str, thread_ts: str) -> Message:
        """The root of the thread that thread_ts names (a reply's ts resolves to its root)."""
        message = self.message(channel_id, thread_ts)
        if message is None:
            raise SandboxError("thread_not_found", f"{channel_id}/{thread_ts}")
        if message.is_reply and message.thread_ts is not None:
            return self.thread_root(channel_id, message.thread_ts)
        return message

    def update_message(
        self,
        message: Message,
        editor: str,
        *,
        text: str | None = None,
        blocks: list[JsonDict] | None = None,
        **extra: Any,
    ) -> Message:
        """Edit a stored message in place; returns a copy of the previous version."""
        previous = copy.deepcopy(message)
        if text is not None:
            message.text = text
        if blocks is not None:
            message.blocks = with_block_ids(blocks)
        for key, value in extra.items():
            setattr(message, key, copy.deepcopy(value))
        message.edited = {"user": editor, "ts": self.clock.next()}
        return previous

    def tombstone_message(self, message: Message) -> Message:
        """Delete a thread's first message that has replies as Slack does: a tombstone keeps its place (and
        the thread); returns a copy of the message as it was."""
        previous = copy.deepcopy(message)
        message.subtype, message.user, message.text = "tombstone", "USLACKBOT", "This message was deleted."
        message.blocks, message.attachments, message.files = [], [], []
        message.team = message.user_team = message.source_team = message.client_msg_id = None
        message.bot_id = message.app_id = message.metadata = message.edited = None
        return previous

    def delete_message(self, message: Message) -> None:
        """Remove a message (and fix its thread root's counters)."""
        stored = self._messages.get(message.channel, [])
        stored.remove(message)
        if not message.is_reply or message.thread_ts is None:
            return
        root = self.message(message.channel, message.thread_ts)
        if root is None:
            return
        replies = [m for m in stored if m.thread_ts == root.ts and m.is_reply]
        root.reply_count = len(replies)
        root.reply_users = list(dict.fromkeys(m.user for m in replies if m.user))
        root.latest_reply = replies[-1].ts if replies else None

    def add_reaction(self, message: Message, name: str, user_id: str) -> Reaction | None:
        """Record a reaction; None if the user already reacted with that name."""
        users = message.reactions.setdefault(name, [])
        if user_id in users:
            return None
        users.append(user_id)
        reaction = Reaction(channel=message.channel, ts=message.ts, name=name, user=user_id)
        self.reactions.append(reaction)
        return reaction

    def join(self, user: User, channel: Channel, inviter: str | None = None) -> Message:
        """Add a member and store the `channel_join` message Slack posts for it."""
        if user.id not in channel.members:
            channel.members.append(user.id)
        message = self.create_message(
            channel, user, f"<@{user.id}> has joined the channel", subtype="channel_join"
        )
        message.client_msg_id = message.bot_id = message.app_id = None
        message.inviter = inviter
        return message

    def all_channels(self) -> Iterable[Channel]:
        """Every channel, in creation order."""
        return self.channels.values()


def with_block_ids(blocks: list[JsonDict]) -> list[JsonDict]:
    """A deep copy of blocks where each block has a block_id (Slack fills in missing ones)."""
    result = copy.deepcopy(blocks)
    for block in result:
        if isinstance(block, dict) and not block.get("block_id"):
            block["block_id"] = new_id("", 5)
    return result
