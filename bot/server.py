"""The aiohttp server: Slack's request URL, health, and (later) metrics and the agent API."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

logger = logging.getLogger(__name__)

HealthCheck = Callable[[], Awaitable[dict[str, Any]]]
# Slack's own payloads stay far below this; anything larger is refused before it is parsed.
MAX_BODY_BYTES = 1024 * 1024


def build_web_app(*, bolt: AsyncApp, health: HealthCheck) -> web.Application:
    """Routes: POST /slack/events (events, interactivity, commands) and GET /healthz."""

    async def slack_events(request: web.Request) -> web.StreamResponse:
        try:
            bolt_request = await to_bolt_request(request)
        except Exception as error:  # Bolt parses while building the request: any failure is bad input
            logger.warning("rejected a malformed request: %s: %s", type(error).__name__, error)
            return _error(400, "malformed request: the body is not a Slack payload")
        problem = shape_problem(bolt_request.body)
        if problem is not None:
            logger.warning("rejected a malformed request: %s", problem)
            return _error(400, f"malformed request: {problem}")
        bolt_response = await bolt.async_dispatch(bolt_request)
        return await to_aiohttp_response(bolt_response)

    async def healthz(request: web.Request) -> web.StreamResponse:
        report = await health()
        return web.json_response(report, status=200 if report.get("ok") else 503)

    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app.router.add_post("/slack/events", slack_events)
    app.router.add_get("/healthz", healthz)
    return app


def shape_problem(body: dict[str, Any]) -> str | None:
    """What is wrong with a parsed payload's outer shape, or None; Bolt assumes these shapes."""
    if not isinstance(body, dict) or not body:
        return "the body is empty or not an object"
    if body.get("type") == "event_callback" and not isinstance(body.get("event"), dict):
        return "event_callback without an event object"
    for key in ("authorizations",):
        if key in body and not isinstance(body[key], list):
            return f"{key} is not a list"
    return None


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"ok": False, "error": message}, status=status)
