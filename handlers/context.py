"""Cross-cutting Bolt middleware and matchers: service injection and the watched-channel matcher."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from handlers.directory import TeamDirectory
from handlers.facts import Installation
from routing.service import BatonService

SERVICE = "baton_service"
DIRECTORY = "baton_directory"
CHANNEL = "baton_channel"


def install_context(app: AsyncApp, *, service: BatonService, directory: TeamDirectory) -> None:
    """Put the service and the team directory into every request's context."""

    async def inject(context: AsyncBoltContext, next: Callable[[], Awaitable[None]]) -> None:
        context[SERVICE] = service
        context[DIRECTORY] = directory
        await next()

    app.middleware(inject)


def service_of(context: AsyncBoltContext) -> BatonService:
    """The service the middleware injected."""
    service: BatonService = context[SERVICE]
    return service


def installation_of(context: AsyncBoltContext) -> Installation:
    """Baton's own ids in this workspace, from the authorize result (auth.test of our token).

    Never from a payload's team id: in a Slack Connect channel that can be the other organisation's.
    """
    result = context.authorize_result
    team = (result.team_id if result is not None else None) or context.team_id or ""
    return Installation(team_id=team, bot_user_id=context.bot_user_id or "", bot_id=context.bot_id or "")


async def in_watched_channel(event: dict[str, Any], context: AsyncBoltContext) -> bool:
    """Matcher: the event happened in a channel Baton watches (the channel lands in the context)."""
    channel_id = event.get("channel")
    if not isinstance(channel_id, str):
        return False
    channel = await service_of(context).watched_channel(channel_id)
    context[CHANNEL] = channel
    return channel is not None
