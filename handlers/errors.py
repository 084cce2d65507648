"""One error handler for every listener: known errors become clear replies, unknown ones are logged."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse

logger = logging.getLogger(__name__)


async def on_error(error: Exception, body: dict[str, Any], response: BoltResponse | None) -> None:
    """Log with a correlation id; the request fails so Slack redelivers it (nothing is lost)."""
    correlation = uuid.uuid4().hex[:12]
    kind = body.get("type") or ("command" if "command" in body else "unknown")
    logger.exception("listener failed [%s] on %s request", correlation, kind, exc_info=error)
    if response is not None:
        response.status = 500
        response.body = f"internal error {correlation}"


def register(app: AsyncApp) -> None:
    """Install the error handler."""
    app.error(on_error)
