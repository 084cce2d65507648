"""Web API: conversations.history, conversations.replies and conversations.open.

Baton never reads history on its hot path (since 2025 Slack limits these reads to about one call a minute for
apps outside the Marketplace); it asks only after an ambiguous failure, to learn whether a post went through.
"""

from __future__ import annotations

from sandbox.api_common import ApiHost, Handler, opt_bool, opt_int, opt_str, req_str
from sandbox.errors import ApiError
from sandbox.models import Channel, JsonDict, Message
from sandbox.wire import channel_dict, message_as
from sandbox.workspace import Workspace

# Message keys of /work/shared/slack/samples/api/conversations.history.json (and .replies).
HISTORY_KEYS = frozenset(
    {"type", "subtype", "text", "user", "ts", "team", "bot_id", "app_id", "bot_profile", "thread_ts"}
    | {"parent_user_id", "metadata", "blocks", "attachments", "edited", "reply_count", "reply_users"}
    | {"reply_users_count", "latest_reply", "reactions", "files", "upload", "display_as_bot"}
    | {"client_msg_id", "inviter"}
)
REPLIES_KEYS = HISTORY_KEYS - {"client_msg_id", "subtype", "inviter"}


def _readable(ws: Workspace, args: JsonDict) -> Channel:
    channel = ws.resolve_channel(req_str(args, "channel", "channel_not_found"))
    if channel is None or (channel.is_private and not ws.bot_is_member(channel)):
        raise ApiError("channel_not_found")
    if not ws.bot_is_member(channel):
        raise ApiError("not_in_channel")
    return channel


def _window(messages: list[Message], args: JsonDict) -> list[Message]:
    oldest, latest = float(opt_str(args, "oldest") or 0), float(opt_str(args, "latest") or "inf")
    return [m for m in messages if oldest <= float(m.ts) <= latest]


def _render(ws: Workspace, messages: list[Message], args: JsonDict, keys: frozenset[str]) -> list[JsonDict]:
    rendered = [message_as(ws, m, keys) for m in messages]
    if not opt_bool(args, "include_all_metadata"):
        for message in rendered:
            message.pop("metadata", None)
    return rendered


def conversations_history(host: ApiHost, args: JsonDict) -> JsonDict:
    """conversations.history: top-level messages, newest first (oldest/latest/limit/include_all_metadata)."""
    ws = host.workspace
    channel = _readable(ws, args)
    limit = min(max(opt_int(args, "limit", 100), 1), 999)
    found = list(reversed(_window(ws.messages(channel.id), args)))
    return {
        "ok": True,
        "messages": _render(ws, found[:limit], args, HISTORY_KEYS),
        "has_more": len(found) > limit,
    }


def conversations_replies(host: ApiHost, args: JsonDict) -> JsonDict:
    """conversations.replies: a thread, root first, oldest first."""
    ws = host.workspace
    channel = _readable(ws, args)
    ts = req_str(args, "ts", "thread_not_found")
    if ws.message(channel.id, ts) is None:
        raise ApiError("thread_not_found")
    limit = min(max(opt_int(args, "limit", 100), 1), 999)
    found = _window(ws.messages(channel.id, thread_ts=ts), args)
    return {
        "ok": True,
        "messages": _render(ws, found[:limit], args, REPLIES_KEYS),
        "has_more": len(found) > limit,
    }


def conversations_open(host: ApiHost, args: JsonDict) -> JsonDict:
    """conversations.open: the app's DM with one user."""
    ws = host.workspace
    users = [u for u in req_str(args, "users", "users_list_not_supplied").split(",") if u]
    if len(users) != 1:
        raise ApiError("not_supported")  # group DMs are not emulated
    if users[0] not in ws.users:
        raise ApiError("user_not_found")
    return {"ok": True, "channel": channel_dict(ws, ws.open_dm(users[0]))}


METHODS: dict[str, Handler] = {
    "conversations.history": conversations_history,
    "conversations.replies": conversations_replies,
    "conversations.open": conversations_open,
}
