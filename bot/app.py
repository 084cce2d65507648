"""Assembles the Bolt app: the Web API client, the listeners and the service they call."""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp

from bot.client import build_web_client
from bot.settings import Mode, Settings
from handlers import register_all
from routing.service import BatonService


class _TokenFromClient(logging.Filter):
    """Bolt also reads SLACK_BOT_TOKEN from the environment and warns that the client's token wins: it is the
    same token, so the warning at every start says nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


BOLT_LOGGER = logging.getLogger("baton.bolt")
BOLT_LOGGER.addFilter(_TokenFromClient())


def build_bolt_app(settings: Settings, *, service: BatonService) -> AsyncApp:
    """A Bolt AsyncApp for the configured workspace, with every Baton listener registered."""
    client = build_web_client(token=settings.secret("slack_bot_token"), base_url=settings.slack_api_url)
    app = AsyncApp(
        client=client,
        signing_secret=settings.secret("slack_signing_secret") or None,
        # Listeners only touch the database (Slack writes go through the outbox), so they finish well
        # inside Slack's 3 s: answering after the work means a failure is a non-200 and Slack redelivers.
        process_before_response=True,
        request_verification_enabled=settings.mode is not Mode.SOCKET,
        logger=BOLT_LOGGER,
    )
    register_all(app, service=service)
    return app
