"""The aiohttp server: Slack's request URL, health, metrics and the AI-agent API."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

from bot.metrics import Metrics
from handlers.facts import message_shape_problem

logger = logging.getLogger(__name__)

HealthCheck = Callable[[], Awaitable[dict[str, Any]]]
MetricsPage = Callable[[], Awaitable[bytes]]
# Slack's own payloads stay far below this; anything larger is refused before it is parsed.
MAX_BODY_BYTES = 1024 * 1024
_SECONDS = re.compile(r"[0-9]{1,20}")  # ASCII digits only: int() refuses some that isdigit() takes ("²")


def build_web_app(
    *,
    bolt: AsyncApp,
    health: HealthCheck,
    metrics: Metrics | None = None,
    metrics_page: MetricsPage | None = None,
    api: Callable[[web.Application], None] | None = None,
    middlewares: Sequence[Any] = (),
    slack_events_route: bool = True,
) -> web.Application:
    """Routes: POST /slack/events (events, interactivity, commands; not in Socket Mode, where Slack's
    requests come over the socket and Bolt checks no signature), GET /healthz, GET /metrics (with
    `metrics_page`) and the AI-agent API under /api/v1 (`api` adds its routes; its middleware comes in
    `middlewares`)."""

    async def slack_events(request: web.Request) -> web.StreamResponse:
        started = time.perf_counter()
        try:
            response = await answer_slack(request)
        except Exception:
            if metrics is not None:
                metrics.errors.labels("slack_events").inc()
            raise
        if metrics is not None:
            metrics.ack_seconds.observe(time.perf_counter() - started)
            if response.status >= 500:
                metrics.errors.labels("slack_events").inc()
        return response

    async def answer_slack(request: web.Request) -> web.StreamResponse:
        try:
            bolt_request = await to_bolt_request(request)
        except Exception as error:  # Bolt parses while building the request: any failure is bad input
            logger.warning("rejected a malformed request: %s: %s", type(error).__name__, error)
            return _error(400, "malformed request: the body is not a Slack payload")
        timestamp = request.headers.get("X-Slack-Request-Timestamp")
        if timestamp is not None and not _SECONDS.fullmatch(timestamp.strip()):
            # Slack sends whole seconds; anything else can't be a signed request (the signature check would
            # raise on it, answering 500 to anyone who can reach this URL)
            logger.warning("rejected a request with a malformed X-Slack-Request-Timestamp")
            return _error(401, "invalid request signature")
        problem = shape_problem(bolt_request.body)
        if problem is not None:
            logger.warning("rejected a malformed request: %s", problem)
            return _error(400, f"malformed request: {problem}")
        bolt_response = await bolt.async_dispatch(bolt_request)
        return await to_aiohttp_response(bolt_response)

    async def healthz(request: web.Request) -> web.StreamResponse:
        report = await health()
        return web.json_response(report, status=200 if report.get("ok") else 503)

    async def metrics_endpoint(request: web.Request) -> web.StreamResponse:
        assert metrics_page is not None
        return web.Response(body=await metrics_page(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=list(middlewares))
    if slack_events_route:
        app.router.add_post("/slack/events", slack_events)
    app.router.add_get("/healthz", healthz)
    if metrics_page is not None:
        app.router.add_get("/metrics", metrics_endpoint)
    if api is not None:
        api(app)
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
    event = body.get("event")
    if isinstance(event, dict) and event.get("type") == "message":
        return message_shape_problem(event)
    return None


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"ok": False, "error": message}, status=status)
