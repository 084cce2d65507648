"""The AI-agent HTTP API under /api/v1: escalations, handoffs, conversations; bearer tokens.

Requests are checked against the constraints of the OpenAPI document (bot/api_schema.py) before anything is
read or changed; errors are JSON `{"ok": false, "error": code, "message": …, "field": …}`.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from aiohttp import web

from bot.api_schema import (
    CHANNEL_PATTERN,
    ESCALATION_REQUEST,
    MAX_HANDOFF_ID,
    TEXT_LIMITS,
    TS_PATTERN,
    openapi_document,
)
from bot.metrics import Metrics
from routing.agent import (
    ChannelNotWatched,
    ConversationStatus,
    EscalationOutcome,
    EscalationRequest,
    EscalationResult,
    InvalidRequest,
    UnknownConversation,
)
from routing.errors import Conflict
from routing.models import ApiToken, Handoff
from routing.service import BatonService

logger = logging.getLogger(__name__)

TOKEN = web.RequestKey("baton_api_token", ApiToken)  # the authenticated token, in the request
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_CHANNEL = re.compile(CHANNEL_PATTERN)
_TS = re.compile(TS_PATTERN)
_FIELDS = tuple(ESCALATION_REQUEST["properties"])


class Invalid(Exception):
    """A request that does not match the document: the status and the field at fault."""

    def __init__(self, field: str, message: str, *, status: int = 422, code: str = "invalid_field") -> None:
        super().__init__(message)
        self.field, self.message, self.status, self.code = field, message, status, code


API_PREFIX = "/api/v1"
PUBLIC = "api.openapi"  # the one route served without a token


def add_api(app: web.Application, *, service: BatonService, metrics: Metrics | None = None) -> None:
    """Serve the API under /api/v1 on `app` (its middleware must include `api_middleware`)."""
    document = openapi_document()

    async def openapi(request: web.Request) -> web.StreamResponse:
        return web.json_response(document)

    async def escalations(request: web.Request) -> web.StreamResponse:
        body = await _json_object(request)
        token = request[TOKEN]
        result = await service.escalate(escalation_request(body, agent=token.name))
        if metrics is not None:
            metrics.escalated(result)
        status = 201 if result.outcome is EscalationOutcome.OPENED else 200
        return web.json_response(escalation_json(result), status=status)

    async def handoff(request: web.Request) -> web.StreamResponse:
        raw = request.match_info["handoff_id"]
        if not raw.isascii() or not raw.isdigit() or len(raw) > 19 or not 1 <= int(raw) <= MAX_HANDOFF_ID:
            raise Invalid("handoff_id", "must be a positive integer")
        found = await service.handoff(int(raw))
        if found is None:
            return error(404, "handoff_not_found", f"there is no handoff {raw}")
        return web.json_response(handoff_json(found))

    async def conversation(request: web.Request) -> web.StreamResponse:
        channel, thread_ts = request.match_info["channel"], request.match_info["thread_ts"]
        if not _CHANNEL.fullmatch(channel):
            raise Invalid("channel", "must be a Slack channel id")
        if not _TS.fullmatch(thread_ts):
            raise Invalid("thread_ts", "must be a Slack message ts such as 1712345678.000100")
        status = await service.conversation_status(channel_id=channel, thread_ts=thread_ts)
        return web.json_response(conversation_json(status))

    app.router.add_get(f"{API_PREFIX}/openapi.json", openapi, name=PUBLIC)
    app.router.add_post(f"{API_PREFIX}/escalations", escalations, name="api.escalations")
    app.router.add_get(f"{API_PREFIX}/handoffs/{{handoff_id}}", handoff, name="api.handoff")
    app.router.add_get(
        f"{API_PREFIX}/conversations/{{channel}}/{{thread_ts}}", conversation, name="api.conversation"
    )


def api_middleware(*, service: BatonService, metrics: Metrics | None = None) -> Any:
    """For /api/ paths: the bearer token is checked (but for the document), known errors become JSON answers
    (404 and 405 too), unknown ones a logged 500; every answer is counted. Other paths pass through."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith("/api/"):
            return await handler(request)
        route = request.match_info.route.name
        try:
            if route is not None and route != PUBLIC:
                await _authenticate(request, service)
            response = await handler(request)
        except Invalid as problem:
            response = error(problem.status, problem.code, problem.message, field=problem.field)
            if problem.status == 401:
                response.headers["WWW-Authenticate"] = 'Bearer realm="baton"'
        except InvalidRequest as problem:
            response = error(422, "invalid_field", problem.message, field=problem.field)
        except ChannelNotWatched as problem:
            response = error(404, "channel_not_watched", str(problem))
        except UnknownConversation as problem:
            response = error(404, "conversation_unknown", str(problem))
        except Conflict as problem:
            response = error(409, "conflict", str(problem))
        except web.HTTPException as http:
            response = error(http.status, http.reason.lower().replace(" ", "_"), http.reason)
            if "Allow" in http.headers:
                response.headers["Allow"] = http.headers["Allow"]
        except Exception:
            logger.exception("API request %s %s failed", request.method, request.path)
            if metrics is not None:
                metrics.errors.labels("api").inc()
            response = error(500, "internal_error", "Baton failed to answer; the error is logged")
        if metrics is not None:
            metrics.api_requests.labels(route or "unmatched", str(response.status)).inc()
        return response

    return middleware


class Unauthorized(Invalid):
    """No usable bearer token."""

    def __init__(self, message: str) -> None:
        super().__init__("Authorization", message, status=401, code="unauthorized")


async def _authenticate(request: web.Request, service: BatonService) -> None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip() or not value.isascii():
        # (aiohttp hands bytes that are not text over as lone surrogates; no token of ours has them)
        raise Unauthorized("send the API token as 'Authorization: Bearer <token>'")
    token = await service.authenticate(value.strip())
    if token is None:
        raise Unauthorized("the token is unknown or revoked")
    request[TOKEN] = token


def error(status: int, code: str, message: str, *, field: str | None = None) -> web.Response:
    """A JSON error answer."""
    body: dict[str, Any] = {"ok": False, "error": code, "message": message}
    if field is not None:
        body["field"] = field
    return web.json_response(body, status=status)


async def _json_object(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        raise Invalid("body", "the body is not JSON", status=400, code="invalid_json") from None
    if not isinstance(body, dict):
        raise Invalid("body", "the body must be a JSON object", status=400, code="invalid_json")
    return body


def escalation_request(body: dict[str, Any], *, agent: str) -> EscalationRequest:
    """The request a body describes, checked field by field (`Invalid` names the first bad one)."""
    for key in body:
        if key not in _FIELDS:
            raise Invalid(str(key)[:100], "is not a field of an escalation request")
    for key in ("channel", "thread_ts", "reason"):
        if key not in body:
            raise Invalid(key, "is required")
    channel = body["channel"]
    if not isinstance(channel, str) or not _CHANNEL.fullmatch(channel):
        raise Invalid("channel", "must be a Slack channel id such as C0123ABCD")
    thread_ts = body["thread_ts"]
    if not isinstance(thread_ts, str) or not _TS.fullmatch(thread_ts):
        raise Invalid("thread_ts", "must be a Slack message ts such as 1712345678.000100")
    texts = {key: _text(body, key) for key in ("reason", "summary", "suggested_approach", "intent")}
    if not texts["reason"].strip():
        raise Invalid("reason", "must say why a human is needed")
    escalation_type = None
    if "type" in body:
        escalation_type = _text(body, "type")
        if not escalation_type:
            raise Invalid("type", "must name an escalation type")
    return EscalationRequest(
        channel_id=channel,
        thread_ts=thread_ts,
        reason=texts["reason"],
        confidence=_confidence(body.get("confidence")),
        summary=texts["summary"],
        suggested_approach=texts["suggested_approach"],
        intent=texts["intent"],
        escalation_type=escalation_type,
        agent=agent,
    )


def _text(body: dict[str, Any], key: str) -> str:
    value = body.get(key, "")
    if not isinstance(value, str):
        raise Invalid(key, "must be a string")
    if len(value) > TEXT_LIMITS[key]:
        raise Invalid(key, f"must be at most {TEXT_LIMITS[key]} characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise Invalid(key, "must be valid Unicode text") from None
    if "\x00" in value:
        raise Invalid(key, "must not contain NUL characters")
    return value


def _confidence(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Invalid("confidence", "must be a number from 0 to 1")
    try:
        number = float(value)
    except OverflowError:
        raise Invalid("confidence", "must be a number from 0 to 1") from None
    if not math.isfinite(number) or not 0.0 <= number <= 1.0:
        raise Invalid("confidence", "must be a number from 0 to 1")
    return number


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def handoff_json(handoff: Handoff) -> dict[str, Any]:
    """A handoff as the API shows it."""
    return {
        "id": handoff.id,
        "channel": handoff.channel_id,
        "thread_ts": handoff.thread_ts,
        "state": handoff.state.value,
        "type": handoff.escalation_type,
        "urgency": handoff.urgency.value,
        "assignee": handoff.assignee_id,
        "human_engaged": handoff.human_engaged,
        "reasons": list(handoff.reasons),
        "target": handoff.target,
        "level": handoff.level,
        "breached": handoff.breached,
        "opened_at": _time(handoff.opened_at),
        "closed_at": _time(handoff.closed_at),
        "claim_due_at": _time(handoff.claim_due_at),
        "resolve_due_at": _time(handoff.resolve_due_at),
    }


def conversation_json(status: ConversationStatus) -> dict[str, Any]:
    """A conversation's handoff status as the API shows it."""
    handoff = status.handoff
    return {
        "channel": status.channel_id,
        "thread_ts": status.thread_ts,
        "known": status.known,
        "handoff_live": status.handoff_live,
        "human_engaged": status.human_engaged,
        "state": handoff.state.value if handoff else None,
        "assignee": handoff.assignee_id if handoff else None,
        "handoff": handoff_json(handoff) if handoff else None,
    }


def escalation_json(result: EscalationResult) -> dict[str, Any]:
    """An escalation's outcome as the API shows it."""
    decision = result.decision
    return {
        "outcome": result.outcome.value,
        "handoff": handoff_json(result.handoff),
        "decision": {
            "type": decision.escalation_type,
            "urgency": decision.urgency.value if decision.urgency else None,
            "reasons": list(decision.reasons),
            "score": decision.score,
        },
    }
