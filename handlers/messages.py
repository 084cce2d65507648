"""Message events in watched channels become stored domain facts."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from handlers.context import CHANNEL, DIRECTORY, in_watched_channel, installation_of, service_of
from handlers.facts import message_facts, needs_team_lookup
from handlers.telemetry import report_message

logger = logging.getLogger(__name__)


async def on_message(
    body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
) -> None:
    """Record the message once; edits and deletes update the stored history."""
    service = service_of(context)
    user = needs_team_lookup(event)
    team = await context[DIRECTORY].team_of(client, user) if user else None
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


def register(app: AsyncApp) -> None:
    """Listen to every message subtype in watched channels."""
    app.event("message", matchers=[in_watched_channel])(on_message)
