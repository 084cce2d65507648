"""Slack payloads -> domain facts. Pure functions: no I/O, so every payload shape is easy to test."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from routing.models import AuthorKind, MessageChange, MessageFacts, WatchedChannel, slack_time
from routing.models import assessment_from_metadata as ai_assessment

# Subtypes that carry a customer-visible message. As of 2026, most bot posts arrive without a subtype,
# with `bot_id` set; `bot_message` is still used by legacy integrations.
NEW_MESSAGE_SUBTYPES = frozenset({None, "bot_message", "thread_broadcast", "file_share", "me_message"})


@dataclass(frozen=True, slots=True)
class Installation:
    """Who Baton is in this workspace (from the authorize result, never from the envelope's team_id)."""

    team_id: str
    bot_user_id: str
    bot_id: str


def message_facts(
    event: dict[str, Any],
    *,
    channel: WatchedChannel,
    installation: Installation,
    received_at: datetime,
    event_id: str | None = None,
    author_team: str | None = None,
) -> MessageFacts | None:
    """Translate a `message` event; None for subtypes that are not messages (joins, topic changes…)."""
    subtype = event.get("subtype")
    if subtype == "message_changed" and _deleted_thread_root(event):
        # A thread's first message deleted while it has replies: Slack leaves a tombstone in its place.
        message = {**(event.get("previous_message") or {}), "ts": event["message"].get("ts")}
        change = MessageChange.DELETED
    elif subtype == "message_changed":
        if _not_edited(event):
            return None  # a link preview added, say: the text is as it was
        message, change = event.get("message") or {}, MessageChange.EDITED
    elif subtype == "message_deleted":
        message = dict(event.get("previous_message") or {})
        message["ts"] = event.get("deleted_ts") or message.get("ts")
        change = MessageChange.DELETED
    elif subtype in NEW_MESSAGE_SUBTYPES:
        message, change = event, MessageChange.NEW
    else:
        return None
    ts = message.get("ts")
    if not isinstance(ts, str) or not ts:
        return None
    changed_at = None
    if change is not MessageChange.NEW:  # when the change happened: the event's own time, to the microsecond
        edited = message.get("edited") if change is MessageChange.EDITED else None
        stamp = (
            event.get("event_ts")
            or event.get("ts")
            or (edited.get("ts") if isinstance(edited, dict) else None)  # whole seconds only
        )
        changed_at = slack_time(stamp) if isinstance(stamp, str) else None
    team = author_team or message_author_team(message) or ""
    thread_ts = message.get("thread_ts") or ts
    metadata = message.get("metadata") if isinstance(message.get("metadata"), dict) else None
    if metadata is not None:
        metadata = _without_nul(metadata)
    return MessageFacts(
        channel_id=channel.channel_id,
        ts=ts,
        thread_ts=thread_ts,
        author_id=str(message.get("user") or message.get("bot_id") or ""),
        author_team=team,
        author_kind=author_kind(message, team=team, channel=channel, installation=installation),
        text=message_text(message).replace("\x00", ""),  # (it means nothing; PostgreSQL can't store it)
        received_at=received_at,
        event_id=event_id,
        change=change,
        assessment=ai_assessment(metadata),
        metadata=metadata,
        changed_at=changed_at,
    )


def _without_nul(value: Any) -> Any:
    """JSON data with any NUL character taken out of its strings (PostgreSQL's jsonb can't store one)."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    return value


def _deleted_thread_root(event: dict[str, Any]) -> bool:
    message = event.get("message")
    return isinstance(message, dict) and message.get("subtype") == "tombstone"


def _not_edited(event: dict[str, Any]) -> bool:
    """A `message_changed` that is no edit: no `edited` stamp and the text unchanged (Slack sends one when it
    adds a link preview or an attachment, for instance)."""
    message, before = event.get("message"), event.get("previous_message")
    if not isinstance(message, dict) or not isinstance(before, dict) or "edited" in message:
        return False
    return message.get("text") == before.get("text")


_TEXT_FIELDS = ("ts", "thread_ts", "deleted_ts", "channel", "user", "user_team", "team", "bot_id", "subtype")


def message_shape_problem(event: dict[str, Any]) -> str | None:
    """What is wrong with a `message` event's inner shape, or None (what `message_facts` relies on)."""
    inner = {"message_changed": "message", "message_deleted": "previous_message"}.get(
        str(event.get("subtype"))
    )
    shapes = [("event", event)]
    if inner is not None:
        nested = event.get(inner)
        if nested is not None and not isinstance(nested, dict):
            return f"the event's {inner} is not an object"
        shapes.append((f"event.{inner}", nested or {}))
    for where, shape in shapes:
        for key in _TEXT_FIELDS:
            value = shape.get(key)
            if value is not None and not isinstance(value, str):
                return f"{where}.{key} is not a string"
            if value is not None and "\x00" in value:
                return f"{where}.{key} contains a NUL character"
    return None


def message_author_team(message: dict[str, Any]) -> str | None:
    """The author's team as the payload states it: `user_team` first (Slack Connect), then `team`, then for a
    file share (whose event names no team) the `user_team` of a file the author shared."""
    for key in ("user_team", "team"):
        value = message.get(key)
        if isinstance(value, str) and value:
            return value
    files = message.get("files")
    for file in files if isinstance(files, list) else []:
        if isinstance(file, dict) and file.get("user") == message.get("user"):
            value = file.get("user_team")
            if isinstance(value, str) and value:
                return value
    return None


def author_kind(
    message: dict[str, Any], *, team: str, channel: WatchedChannel, installation: Installation
) -> AuthorKind:
    """Customer, internal member, the AI agent, another bot, or Baton itself."""
    user, bot_id = message.get("user"), message.get("bot_id")
    if bot_id == installation.bot_id or (user and user == installation.bot_user_id):
        return AuthorKind.SELF
    if bot_id in channel.ai_bot_ids or (user and user in channel.ai_bot_ids):
        return AuthorKind.AI
    if bot_id or message.get("subtype") == "bot_message":
        return AuthorKind.OTHER_BOT
    if team and team != installation.team_id and channel.is_shared:
        return AuthorKind.CUSTOMER
    return AuthorKind.INTERNAL


def message_text(message: dict[str, Any]) -> str:
    """The message's text, falling back to attachment and file titles when the text is empty."""
    text = message.get("text")
    if isinstance(text, str) and text.strip():
        return text
    parts: list[str] = []
    for attachment in message.get("attachments") or []:
        if isinstance(attachment, dict):
            parts.append(str(attachment.get("text") or attachment.get("fallback") or ""))
    for file in message.get("files") or []:
        if isinstance(file, dict):
            parts.append(str(file.get("title") or file.get("name") or ""))
    return "\n".join(p for p in parts if p)


def needs_team_lookup(event: dict[str, Any]) -> str | None:
    """The user whose team must be looked up because the payload does not state it, if any."""
    message = event.get("message") if event.get("subtype") == "message_changed" else event
    if not isinstance(message, dict) or message.get("bot_id") or _deleted_thread_root(event):
        return None
    user = message.get("user")
    if isinstance(user, str) and user and message_author_team(message) is None:
        return user
    return None
