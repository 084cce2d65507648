"""Message events in watched channels become stored domain facts."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from handlers.context import CHANNEL, DIRECTORY, in_watched_channel, installation_of, service_of
from handlers.directory import TeamDirectory
from handlers.facts import message_author_team, message_facts, needs_team_lookup
from handlers.telemetry import report_message

logger = logging.getLogger(__name__)

LAST_RETRY = 3  # Slack retries a failed event three times (X-Slack-Retry-Num 1 to 3), then gives up
UNKNOWN_TEAM = "T?"  # a team that is not ours: the author counts as a customer in a shared channel


async def on_message(
    body: dict[str, Any],
    event: dict[str, Any],
    context: AsyncBoltContext,
    client: AsyncWebClient,
    request: AsyncBoltRequest,
) -> None:
    """Record the message once; edits and deletes update the stored history."""
    service = service_of(context)
    directory = context[DIRECTORY]
    user = needs_team_lookup(event)
    team = await _team_of(directory, client, user, request) if user else None
    if not user and isinstance(event.get("user"), str):
        directory.learn(event["user"], message_author_team(event) or "")
    facts = message_facts(
        event,
        channel=context[CHANNEL],
        installation=installation_of(context),
        received_at=service.now(),
        event_id=body.get("event_id"),
        author_team=team,
    )
    if facts is None:
        return
    result = await service.handle_message(facts)
    report_message(context, result)
    logger.debug("message %s/%s by %s: %s", facts.channel_id, facts.ts, facts.author_kind, result.outcome)


async def _team_of(
    directory: TeamDirectory, client: AsyncWebClient, user: str, request: AsyncBoltRequest
) -> str | None:
    """The author's team from users.info; when Slack can't answer, the event fails and Slack delivers it
    again, and at its last retry the author counts as of another organisation (as a customer in a shared
    channel): a rep's message taken for a customer's costs a needless handoff at worst, a customer's taken
    for ours would be lost unjudged. A user Slack can't describe to us (`user_not_found`,
    `user_not_visible`) is not one of ours either: every member of our workspace is visible to our bot."""
    try:
        return await directory.team_of(client, user) or UNKNOWN_TEAM
    except SlackApiError as error:
        if int(request.headers.get("x-slack-retry-num", ["0"])[0] or 0) < LAST_RETRY:
            raise
        logger.warning(
            "users.info %s failed at Slack's last retry (%s): taken for a person of another organisation",
            user,
            error.response.get("error"),
        )
        return UNKNOWN_TEAM


def register(app: AsyncApp) -> None:
    """Listen to every message subtype in watched channels."""
    app.event("message", matchers=[in_watched_channel])(on_message)
