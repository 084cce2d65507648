"""The Web API endpoint: `/api/{method}` with Slack's parsing, auth, errors, faults and rate limits."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web

from sandbox import api_chat, api_history, api_info, api_views
from sandbox.api_common import ApiHost, Handler
from sandbox.errors import ApiError
from sandbox.faults import Fault, Faults
from sandbox.models import ApiCall, JsonDict
from sandbox.ratelimit import RATE_LIMITED_METHODS, RateLimiter

logger = logging.getLogger(__name__)

METHODS: dict[str, Handler] = {
    **api_chat.METHODS,
    **api_info.METHODS,
    **api_history.METHODS,
    **api_views.METHODS,
}
APP_TOKEN_METHODS = frozenset({"apps.connections.open"})
# Methods whose error responses carry response_metadata.messages (as in the reference samples).
_MESSAGES_METHODS = frozenset(
    {
        "chat.postMessage",
        "chat.update",
        "views.open",
        "views.publish",
        "views.update",
        "apps.connections.open",
    }
)
_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


async def parse_args(request: web.Request) -> tuple[JsonDict, str | None]:
    """Merge query-string, JSON and form arguments; return them (token removed) and the token."""
    args: JsonDict = dict(request.query)
    if request.method == "POST" and request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError as exc:
                raise ApiError("invalid_json") from exc
            if not isinstance(body, dict):
                raise ApiError("invalid_json")
            args.update(body)
        elif request.content_type in _FORM_TYPES:
            form = await request.post()
            args.update({k: v for k, v in form.items() if isinstance(v, str)})
    token = args.pop("token", None)
    auth = request.headers.get("Authorization", "")
    if auth.lower().startswith("bearer "):
        token = auth[7:].strip()
    return args, str(token) if token else None


class WebApi:
    """Answers Web API calls against the workspace and records each one."""

    def __init__(
        self,
        host: ApiHost,
        *,
        bot_token: str,
        app_token: str,
        faults: Faults,
        limiter: RateLimiter,
        calls: list[ApiCall],
    ) -> None:
        self._host = host
        self._bot_token = bot_token
        self._app_token = app_token
        self._faults = faults
        self._limiter = limiter
        self._calls = calls

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """aiohttp handler for GET/POST /api/{method}."""
        method = request.match_info["method"]
        args: JsonDict = {}
        try:
            args, token = await parse_args(request)
            self._authenticate(method, token)
            fault = self._faults.take(method)
            if fault is not None and fault.kind == "drop_after":
                done = METHODS[method](self._host, args)
                self._calls.append(ApiCall(method, dict(args), done, 0))
                if request.transport is not None:
                    request.transport.abort()
                return web.Response(status=500)
            if fault is not None:
                faulted = await self._apply_fault(request, method, args, fault)
                if faulted is not None:
                    return faulted
            retry_after = (
                self._limiter.check(str(args.get("channel", ""))) if method in RATE_LIMITED_METHODS else None
            )
            if retry_after is not None:
                return self._answer(method, args, {"ok": False, "error": "ratelimited"}, 429, retry_after)
            return self._answer(method, args, METHODS[method](self._host, args))
        except ApiError as exc:
            body: JsonDict = {"ok": False, "error": exc.code}
            if exc.messages and method in _MESSAGES_METHODS:
                body["response_metadata"] = {"messages": exc.messages}
            return self._answer(method, args, body)
        except Exception:
            logger.exception("sandbox Web API method %s failed", method)
            return self._answer(method, args, {"ok": False, "error": "internal_error"}, 500)

    def _authenticate(self, method: str, token: str | None) -> None:
        if method not in METHODS:
            raise ApiError("unknown_method")
        if not token:
            raise ApiError("not_authed")
        if token not in {self._bot_token, self._app_token}:
            raise ApiError("invalid_auth")
        if (token == self._app_token) != (method in APP_TOKEN_METHODS):
            raise ApiError("not_allowed_token_type")

    async def _apply_fault(
        self, request: web.Request, method: str, args: JsonDict, fault: Fault
    ) -> web.StreamResponse | None:
        if fault.kind == "slow":
            await asyncio.sleep(fault.delay)
            return None
        if fault.kind == "error":
            return self._answer(method, args, {"ok": False, "error": fault.error})
        if fault.kind == "http_500":
            return self._answer(method, args, {"ok": False, "error": "fatal_error"}, fault.status)
        if fault.kind == "ratelimit":
            return self._answer(method, args, {"ok": False, "error": "ratelimited"}, 429, fault.retry_after)
        self._calls.append(ApiCall(method, args, {}, 0))
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=500)

    def _answer(
        self, method: str, args: JsonDict, body: JsonDict, status: int = 200, retry_after: int | None = None
    ) -> web.Response:
        self._calls.append(ApiCall(method, dict(args), body, status))
        headers: dict[str, Any] = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        return web.json_response(body, status=status, headers=headers)
