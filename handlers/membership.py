"""Baton joining a channel, and channels becoming Slack Connect channels: shared channels are watched."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from handlers.context import service_of

logger = logging.getLogger(__name__)


async def on_member_joined(event: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient) -> None:
    """When the bot itself joins a shared channel, start watching it."""
    if event.get("user") != context.bot_user_id:
        return
    info = await client.conversations_info(channel=event["channel"])
    channel = info.get("channel") or {}
    if not is_shared_channel(channel):
        logger.info("joined %s, not a shared channel: watched only when an admin says so", event["channel"])
        return
    await service_of(context).watch_channel(
        channel_id=event["channel"], name=str(channel.get("name") or ""), is_shared=True
    )


async def on_sharing_changed(
    event: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
) -> None:
    """A channel Baton is in was shared with another organisation (`channel_shared`: the usual order is to
    create the channel, invite Baton, then send the Slack Connect invitation) or one was removed from it
    (`channel_unshared`): Slack says what the channel is now. If Slack can't say, the event fails and Slack
    delivers it again."""
    channel_id = str(event.get("channel") or "")
    if not channel_id:
        return
    channel = (await client.conversations_info(channel=channel_id)).get("channel") or {}
    if not channel.get("is_member"):
        return  # a channel Baton is not in: nothing of it reaches Baton
    await service_of(context).sharing_changed(
        channel_id=channel_id, name=str(channel.get("name") or ""), is_shared=is_shared_channel(channel)
    )


def is_shared_channel(channel: dict[str, Any]) -> bool:
    """Whether conversations.info's channel is a Slack Connect channel."""
    # A pending invitation counts: nothing internal may be posted there, and the customer may join any time.
    return bool(channel.get("is_ext_shared") or channel.get("is_pending_ext_shared"))


def register(app: AsyncApp) -> None:
    """Listen to channel joins and to channels being shared or unshared."""
    app.event("member_joined_channel")(on_member_joined)
    app.event("channel_shared")(on_sharing_changed)
    app.event("channel_unshared")(on_sharing_changed)
