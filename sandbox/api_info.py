"""Web API: auth.test, conversations.*, users.info, usergroups.users.list, apps.connections.open."""

from __future__ import annotations

import base64
import binascii

from sandbox.api_common import ApiHost, Handler, opt_bool, opt_int, opt_str, req_str
from sandbox.errors import ApiError
from sandbox.events import member_joined_event, message_event
from sandbox.models import Channel, JsonDict
from sandbox.wire import channel_dict, user_dict
from sandbox.workspace import Workspace


def _visible_channel(ws: Workspace, args: JsonDict) -> Channel:
    """A channel the bot may read: public ones, or private ones and DMs it belongs to."""
    channel = ws.resolve_channel(req_str(args, "channel", "channel_not_found"))
    if channel is None or (channel.is_private and not ws.bot_is_member(channel)):
        raise ApiError("channel_not_found")
    return channel


def _encode_cursor(offset: int) -> str:
    return base64.b64encode(f"offset:{offset}".encode()).decode()


def _decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        kind, _, value = base64.b64decode(cursor, validate=True).decode().partition(":")
        if kind != "offset":
            raise ValueError(cursor)
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise ApiError("invalid_cursor") from exc


def auth_test(host: ApiHost, args: JsonDict) -> JsonDict:
    """auth.test: who the bot token belongs to."""
    ws = host.workspace
    bot = ws.users[ws.bot_user_id]
    return {
        "ok": True,
        "url": host.url,
        "team": ws.teams[ws.our_team_id].name,
        "user": bot.name,
        "team_id": ws.our_team_id,
        "user_id": bot.id,
        "bot_id": ws.bot_id,
        "app_id": ws.app_id,
        "is_enterprise_install": False,
    }


def conversations_info(host: ApiHost, args: JsonDict) -> JsonDict:
    """conversations.info."""
    ws = host.workspace
    channel = _visible_channel(ws, args)
    return {
        "ok": True,
        "channel": channel_dict(ws, channel, num_members=opt_bool(args, "include_num_members")),
    }


def conversations_members(host: ApiHost, args: JsonDict) -> JsonDict:
    """conversations.members with cursor pagination (limit, cursor, response_metadata.next_cursor)."""
    channel = _visible_channel(host.workspace, args)
    limit = min(max(opt_int(args, "limit", 100), 1), 1000)
    offset = _decode_cursor(opt_str(args, "cursor"))
    page = channel.members[offset : offset + limit]
    more = offset + limit < len(channel.members)
    return {
        "ok": True,
        "members": page,
        "response_metadata": {"next_cursor": _encode_cursor(offset + limit) if more else ""},
    }


def conversations_join(host: ApiHost, args: JsonDict) -> JsonDict:
    """conversations.join: the bot joins a public channel (member_joined_channel + channel_join follow)."""
    ws = host.workspace
    channel = ws.resolve_channel(req_str(args, "channel", "channel_not_found"))
    if channel is None:
        raise ApiError("channel_not_found")
    if channel.is_im:
        raise ApiError("method_not_supported_for_channel_type")
    if channel.is_private and not ws.bot_is_member(channel):
        raise ApiError("channel_not_found")
    if ws.bot_is_member(channel):
        return {
            "ok": True,
            "channel": channel_dict(ws, channel),
            "warning": "already_in_channel",
        }
    bot = ws.users[ws.bot_user_id]
    message = ws.join(bot, channel)
    host.emit_event(member_joined_event(ws, bot, channel, None), actor_team=ws.our_team_id, channel=channel)
    host.emit_event(message_event(ws, message), actor_team=ws.our_team_id, channel=channel)
    return {"ok": True, "channel": channel_dict(ws, channel)}


def users_info(host: ApiHost, args: JsonDict) -> JsonDict:
    """users.info (external Slack Connect users included)."""
    ws = host.workspace
    user = ws.users.get(req_str(args, "user", "user_not_found"))
    if user is None:
        raise ApiError("user_not_found")
    return {"ok": True, "user": user_dict(ws, user)}


def usergroups_users_list(host: ApiHost, args: JsonDict) -> JsonDict:
    """usergroups.users.list."""
    group = host.workspace.usergroups.get(req_str(args, "usergroup", "no_such_subteam"))
    if group is None:
        raise ApiError("no_such_subteam")
    return {"ok": True, "users": list(group.users)}


def apps_connections_open(host: ApiHost, args: JsonDict) -> JsonDict:
    """apps.connections.open: a Socket Mode WebSocket URL (needs the app-level token)."""
    return {"ok": True, "url": host.socket_url()}


METHODS: dict[str, Handler] = {
    "auth.test": auth_test,
    "conversations.info": conversations_info,
    "conversations.members": conversations_members,
    "conversations.join": conversations_join,
    "users.info": users_info,
    "usergroups.users.list": usergroups_users_list,
    "apps.connections.open": apps_connections_open,
}
