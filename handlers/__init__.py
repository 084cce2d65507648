"""The Slack adapter: thin Bolt listeners that turn payloads into domain facts and service calls."""

from __future__ import annotations

import re

from slack_bolt.async_app import AsyncApp

from handlers import actions, commands, errors, home, membership, messages, modals
from handlers.context import install_context
from handlers.directory import TeamDirectory
from handlers.unicode import install_unicode_scrub
from routing.service import BatonService


def register_all(app: AsyncApp, *, service: BatonService) -> None:
    """Install middleware, listeners and the error handler on a Bolt app."""
    install_unicode_scrub(app)
    install_context(app, service=service, directory=TeamDirectory())
    errors.register(app)
    # Bolt tries listeners in the order they were registered: messages first, they are most of the traffic.
    messages.register(app)
    membership.register(app)
    actions.register(app)
    commands.register(app)
    home.register(app)
    modals.register(app)
    # Last: acknowledge every other event quietly. Bolt answers 404 to an event no listener matched,
    # and Slack retries non-2xx answers, so an unmatched event would otherwise come back three times.
    app.event(re.compile(".*"))(_acknowledge)


async def _acknowledge() -> None:
    """Nothing to do for this event."""
