"""Baton joining a channel: Slack Connect shared channels are watched from then on."""

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
    if not channel.get("is_ext_shared"):
        logger.info("joined %s, not a shared channel: watched only when an admin says so", event["channel"])
        return
    await service_of(context).watch_channel(
        channel_id=event["channel"], name=str(channel.get("name") or ""), is_shared=True
    )


def register(app: AsyncApp) -> None:
    """Listen to channel joins."""
    app.event("member_joined_channel")(on_member_joined)
