"""Build Events API events and their event_callback envelopes."""

from __future__ import annotations

import base64
import json
import time

from sandbox.ids import new_event_id
from sandbox.models import Channel, JsonDict, Message, User, View
from sandbox.wire import CHANGED_KEYS, EVENT_KEYS, ROOT_KEYS, message_as, view_dict
from sandbox.workspace import Workspace

NO_TEAM_SUBTYPES = frozenset({"file_share", "thread_broadcast"})


def message_event(ws: Workspace, message: Message) -> JsonDict:
    """A `message` event (plain, bot, thread_broadcast, file_share or channel_join)."""
    channel = ws.channels[message.channel]
    event = message_as(ws, message, EVENT_KEYS)
    event.update(event_ts=message.ts, channel_type=ws.channel_type(channel))
    if message.subtype in NO_TEAM_SUBTYPES:  # as Slack sends them: the author's team is not named
        for key in ("team", "user_team", "source_team"):
            event.pop(key, None)
    if message.subtype == "thread_broadcast" and message.thread_ts:
        root = ws.message(message.channel, message.thread_ts)
        if root is not None:
            event["root"] = message_as(ws, root, ROOT_KEYS)
    return event


def message_changed_event(ws: Workspace, message: Message, previous: Message) -> JsonDict:
    """A `message_changed` event for an edit."""
    channel = ws.channels[message.channel]
    event_ts = (message.edited or {}).get("ts") or ws.clock.next()
    return {
        "type": "message",
        "subtype": "message_changed",
        "channel": channel.id,
        "hidden": True,
        "message": message_as(ws, message, CHANGED_KEYS),
        "previous_message": message_as(ws, previous, CHANGED_KEYS),
        "event_ts": event_ts,
        "ts": event_ts,
        "channel_type": ws.channel_type(channel),
    }


def message_deleted_event(ws: Workspace, previous: Message) -> JsonDict:
    """A `message_deleted` event; previous is the message as it was before deletion."""
    channel = ws.channels[previous.channel]
    event_ts = ws.clock.next()
    return {
        "type": "message",
        "subtype": "message_deleted",
        "channel": channel.id,
        "hidden": True,
        "deleted_ts": previous.ts,
        "previous_message": message_as(ws, previous, CHANGED_KEYS),
        "event_ts": event_ts,
        "ts": event_ts,
        "channel_type": ws.channel_type(channel),
    }


def member_joined_event(ws: Workspace, user: User, channel: Channel, inviter: str | None) -> JsonDict:
    """A `member_joined_channel` event (channel_type is "C" or "G" for this event, unlike messages)."""
    event: JsonDict = {
        "type": "member_joined_channel",
        "user": user.id,
        "channel": channel.id,
        "channel_type": "G" if channel.is_private else "C",
        "team": user.team_id,
        "event_ts": ws.clock.next(),
    }
    if inviter:
        event["inviter"] = inviter
    return event


def channel_shared_event(ws: Workspace, channel: Channel, team_id: str) -> JsonDict:
    """A `channel_shared` event: another organisation joined the channel (as ChannelSharedPayload.json)."""
    return {
        "type": "channel_shared",
        "connected_team_id": team_id,
        "channel": channel.id,
        "event_ts": ws.clock.next(),
    }


def channel_unshared_event(ws: Workspace, channel: Channel, team_id: str) -> JsonDict:
    """A `channel_unshared` event: an organisation was removed from the channel; `is_ext_shared` says whether
    others remain."""
    return {
        "type": "channel_unshared",
        "previously_connected_team_id": team_id,
        "channel": channel.id,
        "is_ext_shared": channel.is_ext_shared,
        "event_ts": ws.clock.next(),
    }


def app_home_opened_event(ws: Workspace, user: User, dm: Channel, view: View | None) -> JsonDict:
    """An `app_home_opened` event for the home tab, with the published view if any."""
    event: JsonDict = {
        "type": "app_home_opened",
        "user": user.id,
        "channel": dm.id,
        "tab": "home",
        "event_ts": ws.clock.next(),
    }
    if view is not None:
        event["view"] = view_dict(ws, view, blocks=False)
    return event


def event_context(ws: Workspace, event: JsonDict) -> str:
    """An opaque event_context string like Slack's ("4-" + base64 JSON)."""
    raw = json.dumps(
        {"et": event.get("type"), "tid": ws.our_team_id, "aid": ws.app_id, "cid": event.get("channel")}
    )
    return "4-" + base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def envelope(
    ws: Workspace, event: JsonDict, *, actor_team: str, channel: Channel | None, token: str
) -> JsonDict:
    """The event_callback envelope.

    As in real Slack Connect channels (bolt-python's shared-channel tests, 2026), `team_id` is the acting
    user's team, so an app must find its installation through `authorizations[0]`, which always names our
    team and bot user.
    """
    return {
        "token": token,
        "team_id": actor_team,
        "api_app_id": ws.app_id,
        "event": event,
        "type": "event_callback",
        "event_id": new_event_id(),
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": ws.our_team_id,
                "user_id": ws.bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": bool(channel and channel.is_ext_shared),
        "context_team_id": ws.our_team_id,
        "context_enterprise_id": None,
        "event_context": event_context(ws, event),
    }
