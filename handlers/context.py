"""Cross-cutting Bolt middleware and matchers: service injection, the watched-channel matcher, user roles."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from handlers.directory import TeamDirectory
from handlers.facts import Installation
from handlers.permissions import Permissions, Role
from routing.service import BatonService

SERVICE = "baton_service"
PERMISSIONS = "baton_permissions"
ROLE = "baton_role"
DIRECTORY = "baton_directory"
CHANNEL = "baton_channel"


def install_context(
    app: AsyncApp, *, service: BatonService, directory: TeamDirectory, permissions: Permissions | None = None
) -> None:
    """Put the service, the team directory and the permission checker into every request's context."""
    checker = permissions or Permissions()
    app.middleware(ContextValues({SERVICE: service, DIRECTORY: directory, PERMISSIONS: checker}))


class ContextValues(AsyncMiddleware):
    """Middleware that puts the same values into every request's context.

    A middleware object, not a function: Bolt calls a function middleware with the arguments it names, and
    builds every argument a listener could ask for (payload views, `say`, `respond`…) to find them, which
    costs far more than setting a few keys.
    """

    def __init__(self, values: Mapping[str, object]) -> None:
        self._values = dict(values)

    async def async_process(
        self, *, req: AsyncBoltRequest, resp: BoltResponse, next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse:
        req.context.update(self._values)
        return await next()


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


async def role_of(context: AsyncBoltContext, client: AsyncWebClient, *, user_id: str, team_id: str) -> Role:
    """A user's role in this request: another organisation's, a member of our workspace, or an admin.

    For any listener (commands, App Home, modals); `team_id` is the team the payload says the user is from.
    """
    permissions: Permissions = context[PERMISSIONS]
    return await permissions.role(
        client=client,
        user_id=user_id,
        team_id=team_id,
        our_team=installation_of(context).team_id,
        is_named_admin=service_of(context).is_named_admin,
    )


async def attach_command_role(
    context: AsyncBoltContext,
    command: dict[str, Any],
    client: AsyncWebClient,
    next: Callable[[], Awaitable[None]],
) -> None:
    """Listener middleware: the role of the slash command's user lands in the context (`ROLE`)."""
    user_id, team_id = str(command.get("user_id") or ""), str(command.get("team_id") or "")
    context[ROLE] = await role_of(context, client, user_id=user_id, team_id=team_id)
    await next()
