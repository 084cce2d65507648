"""Render workspace state as Slack wire objects (messages, users, channels, views).

Each context (a chat.postMessage response, a message event, a message_changed body, a block_actions
payload, …) carries a different subset of message keys in the reference samples, so a message is rendered
once with every key we know and then cut down to the key set of that context.
"""

from __future__ import annotations

import copy
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sandbox.models import Channel, JsonDict, Message, User, View
from sandbox.workspace import Workspace

_IMAGE = "https://a.slack-edge.com/80588/img/avatars/user_shapes/ava_0001-48.png"

# Message keys per context, as in /work/shared/slack/samples (see tests/sandbox/test_wire_conformance.py).
# As of the 2026 samples, message events carry the app id only inside bot_profile (no top-level app_id),
# and message_changed/message_deleted bodies carry no metadata.
POSTED_KEYS = frozenset(
    {"type", "subtype", "text", "user", "ts", "team", "bot_id", "app_id", "bot_profile", "thread_ts"}
    | {"parent_user_id", "metadata", "attachments", "blocks"}
)
UPDATED_KEYS = frozenset(
    {"type", "text", "user", "team", "bot_id", "app_id", "bot_profile", "edited", "metadata", "blocks"}
)
EVENT_KEYS = frozenset(
    {"type", "subtype", "channel", "user", "text", "ts", "team", "user_team", "source_team", "client_msg_id"}
    | {"blocks", "attachments", "thread_ts", "parent_user_id", "bot_id", "bot_profile", "metadata", "edited"}
    | {"files", "upload", "display_as_bot", "inviter", "username", "icons"}
)
CHANGED_KEYS = frozenset(
    {"type", "subtype", "user", "team", "user_team", "source_team", "client_msg_id", "bot_id", "bot_profile"}
    | {"edited", "text", "blocks", "attachments", "thread_ts", "parent_user_id", "ts", "reply_count"}
    | {"reply_users_count", "latest_reply", "upload", "display_as_bot"}
)
ACTION_KEYS = frozenset(
    {"type", "subtype", "team", "user", "text", "blocks", "attachments", "ts", "thread_ts", "reactions"}
    | {"app_id", "bot_id", "bot_profile", "files", "upload", "display_as_bot", "parent_user_id", "inviter"}
    | {"client_msg_id", "edited", "reply_count", "reply_users", "reply_users_count", "latest_reply"}
    | {"metadata"}
)
ROOT_KEYS = frozenset(
    {"type", "subtype", "text", "user", "team", "bot_id", "bot_profile", "thread_ts", "edited", "ts"}
    | {"reply_count", "reply_users_count", "latest_reply", "parent_user_id"}
)


def bot_profile(ws: Workspace, user: User, *, icons: bool = True) -> JsonDict:
    """The bot_profile object Slack attaches to messages posted by a bot user."""
    profile: JsonDict = {
        "id": user.bot_id,
        "deleted": False,
        "name": user.real_name or user.name,
        "updated": 1700000000,
        "app_id": user.app_id,
        "team_id": user.team_id,
    }
    if icons:
        profile["icons"] = {"image_36": _IMAGE, "image_48": _IMAGE, "image_72": _IMAGE}
    return profile


def rich_text_blocks(text: str) -> list[JsonDict]:
    """The rich_text block Slack's clients attach to a typed message."""
    section = {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
    return [{"type": "rich_text", "elements": [section]}]


def message_full(ws: Workspace, message: Message) -> JsonDict:
    """Every key the sandbox knows for a message (no context filtering)."""
    out: JsonDict = {"type": "message", "text": message.text, "ts": message.ts, "channel": message.channel}
    optional: JsonDict = {
        "subtype": message.subtype,
        "user": message.user,
        "team": message.team,
        "user_team": message.user_team,
        "source_team": message.source_team,
        "client_msg_id": message.client_msg_id,
        "inviter": message.inviter,
        "thread_ts": message.thread_ts,
        "metadata": copy.deepcopy(message.metadata),
        "edited": dict(message.edited) if message.edited else None,
    }
    out.update({k: v for k, v in optional.items() if v is not None})
    if message.bot_id:
        out["bot_id"] = message.bot_id
        out["app_id"] = message.app_id
        author = ws.users.get(message.user or "")
        if author is not None:
            out["bot_profile"] = bot_profile(ws, author)
    if message.subtype == "bot_message":  # a legacy integration's post: no user, a username and icons
        author = ws.users.get(message.user or "")
        for key in ("user", "team", "user_team", "source_team", "client_msg_id", "app_id", "bot_profile"):
            out.pop(key, None)
        out.update(username=author.name if author else "bot", icons={"emoji": ":robot_face:"})
    if message.blocks:
        out["blocks"] = copy.deepcopy(message.blocks)
    if message.attachments:
        out["attachments"] = copy.deepcopy(message.attachments)
    if message.files:
        out.update(files=copy.deepcopy(message.files), upload=False, display_as_bot=False)
    if message.is_reply and message.thread_ts:
        root = ws.message(message.channel, message.thread_ts)
        if root is not None and root.user:
            out["parent_user_id"] = root.user
    if message.reply_count:
        out.update(
            reply_count=message.reply_count,
            reply_users=list(message.reply_users),
            reply_users_count=len(message.reply_users),
            latest_reply=message.latest_reply,
        )
    if message.reactions:
        out["reactions"] = [{"name": n, "count": len(u)} for n, u in message.reactions.items() if u]
    return out


def message_as(ws: Workspace, message: Message, keys: frozenset[str]) -> JsonDict:
    """A message rendered with only the keys of one context."""
    full = message_full(ws, message)
    out = {k: v for k, v in full.items() if k in keys}
    if keys is ROOT_KEYS and "bot_profile" in out:
        out["bot_profile"].pop("icons", None)
    return out


def _tz_fields(tz: str) -> tuple[str, int]:
    try:
        now = datetime.now(ZoneInfo(tz))
    except (ZoneInfoNotFoundError, ValueError):
        return tz, 0
    offset = now.utcoffset()
    return now.tzname() or tz, int(offset.total_seconds()) if offset else 0


def user_dict(ws: Workspace, user: User) -> JsonDict:
    """A users.info user object."""
    tz_label, tz_offset = _tz_fields(user.tz)
    first, _, last = user.real_name.partition(" ")
    profile: JsonDict = {
        "real_name": user.real_name,
        "real_name_normalized": user.real_name,
        "display_name": user.name,
        "display_name_normalized": user.name,
        "first_name": first,
        "last_name": last,
        "status_text": "",
        "status_emoji": "",
        "avatar_hash": "",
        "team": user.team_id,
        "image_48": _IMAGE,
        "image_72": _IMAGE,
    }
    if user.email:
        profile["email"] = user.email
    if user.is_bot:
        profile.update(bot_id=user.bot_id, api_app_id=user.app_id, always_active=True)
    return {
        "id": user.id,
        "team_id": user.team_id,
        "name": user.name,
        "deleted": user.deleted,
        "color": "9f69e7",
        "real_name": user.real_name,
        "tz": user.tz,
        "tz_label": tz_label,
        "tz_offset": tz_offset,
        "profile": profile,
        "is_admin": user.is_admin,
        "is_owner": user.is_owner,
        "is_primary_owner": user.is_primary_owner,
        "is_restricted": False,
        "is_ultra_restricted": False,
        "is_bot": user.is_bot,
        "is_app_user": False,
        "updated": 1700000000,
    }


def channel_dict(ws: Workspace, channel: Channel, *, num_members: bool = False) -> JsonDict:
    """A conversations.info channel object, as seen by our bot."""
    public = not channel.is_private and not channel.is_im
    out: JsonDict = {
        "id": channel.id,
        "name": channel.name,
        "is_channel": public,
        "is_group": channel.is_private and not channel.is_im,
        "is_im": channel.is_im,
        "is_mpim": False,
        "is_private": channel.is_private,
        "created": channel.created,
        "is_archived": False,
        "is_general": False,
        "name_normalized": channel.name,
        "is_shared": channel.is_ext_shared,
        "is_ext_shared": channel.is_ext_shared,
        "is_org_shared": False,
        "is_pending_ext_shared": channel.is_pending_ext_shared,
        "shared_team_ids": list(channel.connected_team_ids),
        "is_member": ws.bot_is_member(channel),
        "creator": channel.creator,
        "topic": {"value": channel.topic, "creator": "", "last_set": 0},
        "purpose": {"value": channel.purpose, "creator": "", "last_set": 0},
        "conversation_host_id": channel.conversation_host_id,
        "context_team_id": ws.our_team_id,
        "updated": channel.created * 1000,
    }
    if channel.is_ext_shared:
        out["connected_team_ids"] = list(channel.connected_team_ids)
        out["internal_team_ids"] = []
    if num_members:
        out["num_members"] = len(channel.members)
    return out


def view_dict(ws: Workspace, view: View, *, blocks: bool = True) -> JsonDict:
    """A view object; payloads (view_submission, app_home_opened, block_actions) carry it without blocks."""
    out: JsonDict = {
        "id": view.id,
        "team_id": view.team_id,
        "type": view.type,
        "title": copy.deepcopy(view.title),
        "submit": copy.deepcopy(view.submit),
        "close": copy.deepcopy(view.close),
        "private_metadata": view.private_metadata,
        "callback_id": view.callback_id,
        "external_id": view.external_id,
        "state": copy.deepcopy(view.state),
        "hash": view.hash,
        "clear_on_close": view.clear_on_close,
        "notify_on_close": view.notify_on_close,
        "submit_disabled": False,
        "root_view_id": view.root_view_id or view.id,
        "previous_view_id": view.previous_view_id,
        "app_id": ws.app_id,
        "app_installed_team_id": ws.our_team_id,
        "bot_id": ws.bot_id,
    }
    if blocks:
        out["blocks"] = copy.deepcopy(view.blocks)
    return out
