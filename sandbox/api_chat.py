"""Web API: chat.* and reactions.add, plus the bot-side message operations they share with response_url."""

from __future__ import annotations

from sandbox.api_common import ApiHost, Handler, message_content, message_metadata, opt_bool, opt_str, req_str
from sandbox.errors import ApiError, SandboxError
from sandbox.events import message_changed_event, message_deleted_event, message_event
from sandbox.models import Channel, Ephemeral, JsonDict, Message
from sandbox.wire import POSTED_KEYS, UPDATED_KEYS, message_as
from sandbox.workspace import Workspace, with_block_ids


def target_channel(ws: Workspace, ref: str) -> Channel:
    """The channel a chat call names: an id, a #name, or a user id (the app's DM with that user)."""
    if ref[:1] in {"U", "W"} and ref in ws.users:
        return ws.open_dm(ref)
    channel = ws.resolve_channel(ref)
    if channel is None:
        raise ApiError("channel_not_found")
    return channel


def _stored_message(ws: Workspace, args: JsonDict, ts_arg: str) -> tuple[Channel, Message]:
    channel = target_channel(ws, req_str(args, "channel", "channel_not_found"))
    message = ws.message(channel.id, req_str(args, ts_arg, "message_not_found"))
    if message is None:
        raise ApiError("message_not_found")
    return channel, message


def post_as_bot(
    host: ApiHost,
    channel: Channel,
    text: str,
    *,
    blocks: list[JsonDict] | None = None,
    attachments: list[JsonDict] | None = None,
    thread_ts: str | None = None,
    metadata: JsonDict | None = None,
    broadcast: bool = False,
) -> Message:
    """Store a message from our bot and echo it to the app as a `message` event, as Slack does."""
    ws = host.workspace
    try:
        message = ws.create_message(
            channel,
            ws.users[ws.bot_user_id],
            text,
            thread_ts=thread_ts,
            blocks=blocks,
            attachments=attachments,
            metadata=metadata,
            subtype="thread_broadcast" if broadcast and thread_ts else None,
        )
    except SandboxError as exc:
        raise ApiError(exc.code) from exc
    host.emit_event(message_event(ws, message), actor_team=ws.our_team_id, channel=channel)
    return message


def update_as_bot(
    host: ApiHost, message: Message, *, text: str | None, blocks: list[JsonDict] | None, **extra: object
) -> None:
    """Edit one of our bot's messages and emit `message_changed`."""
    ws = host.workspace
    previous = ws.update_message(message, ws.bot_id, text=text, blocks=blocks, **extra)
    host.emit_event(
        message_changed_event(ws, message, previous),
        actor_team=ws.our_team_id,
        channel=ws.channels[message.channel],
    )


def delete_as_bot(host: ApiHost, message: Message) -> None:
    """Delete one of our bot's messages and emit `message_deleted`."""
    ws = host.workspace
    ws.delete_message(message)
    host.emit_event(
        message_deleted_event(ws, message), actor_team=ws.our_team_id, channel=ws.channels[message.channel]
    )


def chat_post_message(host: ApiHost, args: JsonDict) -> JsonDict:
    """chat.postMessage: post as the bot (a user id as channel opens the DM)."""
    ws = host.workspace
    channel = target_channel(ws, req_str(args, "channel", "channel_not_found"))
    if not ws.bot_is_member(channel):
        raise ApiError("not_in_channel")
    text, blocks, attachments = message_content(args)
    message = post_as_bot(
        host,
        channel,
        text,
        blocks=blocks,
        attachments=attachments,
        thread_ts=opt_str(args, "thread_ts"),
        metadata=message_metadata(args),
        broadcast=opt_bool(args, "reply_broadcast"),
    )
    return {
        "ok": True,
        "channel": channel.id,
        "ts": message.ts,
        "message": message_as(ws, message, POSTED_KEYS),
    }


def chat_update(host: ApiHost, args: JsonDict) -> JsonDict:
    """chat.update: edit one of the bot's messages."""
    ws = host.workspace
    channel, message = _stored_message(ws, args, "ts")
    if message.user != ws.bot_user_id:
        raise ApiError("cant_update_message")
    _, blocks, attachments = message_content(args)
    extra: dict[str, object] = {}
    if attachments is not None:
        extra["attachments"] = attachments
    metadata = message_metadata(args)
    if metadata is not None:
        extra["metadata"] = metadata
    text = args.get("text")
    update_as_bot(host, message, text=None if text is None else str(text), blocks=blocks, **extra)
    return {
        "ok": True,
        "channel": channel.id,
        "ts": message.ts,
        "text": message.text,
        "message": message_as(ws, message, UPDATED_KEYS),
    }


def chat_delete(host: ApiHost, args: JsonDict) -> JsonDict:
    """chat.delete: delete one of the bot's messages."""
    ws = host.workspace
    channel, message = _stored_message(ws, args, "ts")
    if message.user != ws.bot_user_id:
        raise ApiError("cant_delete_message")
    delete_as_bot(host, message)
    return {"ok": True, "channel": channel.id, "ts": message.ts}


def chat_post_ephemeral(host: ApiHost, args: JsonDict) -> JsonDict:
    """chat.postEphemeral: a message only `user` sees; recorded in sandbox.ephemerals, not in history."""
    ws = host.workspace
    channel = target_channel(ws, req_str(args, "channel", "channel_not_found"))
    user_id = req_str(args, "user", "user_not_found")
    if user_id not in ws.users:
        raise ApiError("user_not_found")
    if not ws.bot_is_member(channel):
        raise ApiError("not_in_channel")
    if user_id not in channel.members:
        raise ApiError("user_not_in_channel")
    text, blocks, attachments = message_content(args)
    ephemeral = Ephemeral(
        channel=channel.id,
        user=user_id,
        ts=ws.clock.next(),
        text=text,
        blocks=with_block_ids(blocks or []),
        attachments=attachments or [],
        thread_ts=opt_str(args, "thread_ts"),
    )
    ws.ephemerals.append(ephemeral)
    return {"ok": True, "message_ts": ephemeral.ts}


def chat_get_permalink(host: ApiHost, args: JsonDict) -> JsonDict:
    """chat.getPermalink: a link to a stored message on the sandbox server."""
    channel, message = _stored_message(host.workspace, args, "message_ts")
    link = f"{host.url}archives/{channel.id}/p{message.ts.replace('.', '')}"
    if message.is_reply:
        link += f"?thread_ts={message.thread_ts}&cid={channel.id}"
    return {"ok": True, "channel": channel.id, "permalink": link}


def reactions_add(host: ApiHost, args: JsonDict) -> JsonDict:
    """reactions.add: the bot reacts to a message."""
    ws = host.workspace
    _, message = _stored_message(ws, args, "timestamp")
    name = req_str(args, "name", "invalid_name").strip(":")
    if ws.add_reaction(message, name, ws.bot_user_id) is None:
        raise ApiError("already_reacted")
    return {"ok": True}


METHODS: dict[str, Handler] = {
    "chat.postMessage": chat_post_message,
    "chat.update": chat_update,
    "chat.delete": chat_delete,
    "chat.postEphemeral": chat_post_ephemeral,
    "chat.getPermalink": chat_get_permalink,
    "reactions.add": reactions_add,
}
