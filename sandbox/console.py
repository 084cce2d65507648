"""Endpoints for a person: JSON state and actions under /sandbox/, and a read-only HTML page at /."""

from __future__ import annotations

import dataclasses
import html
import json
from typing import Any, Protocol

from aiohttp import web

from sandbox.errors import SandboxError
from sandbox.models import DeliveryOutcome, InteractionResult, JsonDict, Message, PostResult
from sandbox.wire import message_full
from sandbox.workspace import Workspace


class ConsoleHost(Protocol):
    """The parts of the sandbox the console drives."""

    @property
    def workspace(self) -> Workspace: ...

    async def post_message(
        self, user_id: str, channel_id: str, text: str, thread_ts: str | None = None
    ) -> PostResult: ...

    async def click_button(
        self, user_id: str, channel_id: str, message_ts: str, action_id: str, value: str | None = None
    ) -> InteractionResult: ...

    async def run_command(
        self, user_id: str, channel_id: str, command: str, text: str = ""
    ) -> InteractionResult: ...

    async def redeliver(self, event_id: str) -> DeliveryOutcome: ...


def outcome_json(outcome: DeliveryOutcome | None) -> JsonDict | None:
    """A delivery outcome as JSON."""
    if outcome is None:
        return None
    return {
        "ok": outcome.ok,
        "attempts": [dataclasses.asdict(a) for a in outcome.attempts],
        "response": outcome.response,
    }


def state_json(ws: Workspace) -> JsonDict:
    """The whole workspace as JSON: teams, users, user groups, channels with messages and threads."""

    def with_replies(message: Message) -> JsonDict:
        out = message_full(ws, message)
        if message.reply_count:
            replies = ws.messages(message.channel, thread_ts=message.ts)[1:]
            out["replies"] = [message_full(ws, r) for r in replies]
        return out

    return {
        "team_id": ws.our_team_id,
        "bot_user_id": ws.bot_user_id,
        "teams": [dataclasses.asdict(t) for t in ws.teams.values()],
        "users": [dataclasses.asdict(u) for u in ws.users.values()],
        "usergroups": [dataclasses.asdict(g) for g in ws.usergroups.values()],
        "channels": [
            {**dataclasses.asdict(c), "messages": [with_replies(m) for m in ws.messages(c.id)]}
            for c in ws.all_channels()
        ],
        "ephemerals": [dataclasses.asdict(e) for e in ws.ephemerals],
    }


class Console:
    """aiohttp handlers for the console endpoints."""

    def __init__(self, host: ConsoleHost) -> None:
        self._host = host

    def add_routes(self, app: web.Application) -> None:
        """Register GET /, GET /sandbox/state and the POST /sandbox/* actions."""
        app.router.add_get("/", self.page)
        app.router.add_get("/sandbox/state", self.state)
        app.router.add_post("/sandbox/post", self.post)
        app.router.add_post("/sandbox/click", self.click)
        app.router.add_post("/sandbox/command", self.command)
        app.router.add_post("/sandbox/redeliver", self.redeliver)

    async def state(self, request: web.Request) -> web.Response:
        """GET /sandbox/state."""
        return web.json_response(state_json(self._host.workspace), dumps=_dumps)

    async def post(self, request: web.Request) -> web.Response:
        """POST /sandbox/post {"user", "channel", "text", "thread_ts"?}."""
        body, from_form = await _body(request)
        result = await self._host.post_message(
            _need(body, "user"), _need(body, "channel"), _need(body, "text"), body.get("thread_ts") or None
        )
        if from_form:
            raise web.HTTPSeeOther(f"/#{result.message.channel}")
        ws = self._host.workspace
        return web.json_response(
            {
                "ok": True,
                "message": message_full(ws, result.message),
                "delivery": outcome_json(result.outcome),
            },
            dumps=_dumps,
        )

    async def click(self, request: web.Request) -> web.Response:
        """POST /sandbox/click {"user", "channel", "ts", "action_id", "value"?}."""
        body, _ = await _body(request)
        result = await self._host.click_button(
            _need(body, "user"),
            _need(body, "channel"),
            _need(body, "ts"),
            _need(body, "action_id"),
            body.get("value"),
        )
        return web.json_response(
            {"ok": True, "payload": result.payload, "delivery": outcome_json(result.outcome)}
        )

    async def command(self, request: web.Request) -> web.Response:
        """POST /sandbox/command {"user", "channel", "command", "text"}."""
        body, _ = await _body(request)
        result = await self._host.run_command(
            _need(body, "user"), _need(body, "channel"), _need(body, "command"), str(body.get("text") or "")
        )
        return web.json_response(
            {"ok": True, "response": result.response, "delivery": outcome_json(result.outcome)}, dumps=_dumps
        )

    async def redeliver(self, request: web.Request) -> web.Response:
        """POST /sandbox/redeliver {"event_id"}: send an event again, as Slack does when it retries."""
        body, _ = await _body(request)
        outcome = await self._host.redeliver(_need(body, "event_id"))
        return web.json_response({"ok": True, "delivery": outcome_json(outcome)}, dumps=_dumps)

    async def page(self, request: web.Request) -> web.Response:
        """GET /: channels, messages and threads, and a form to post as a user."""
        return web.Response(text=render_page(self._host.workspace), content_type="text/html")


@web.middleware
async def console_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """Turn SandboxError and bad input on /sandbox/* into HTTP 400 with a clear message."""
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except SandboxError as exc:
        return web.json_response({"ok": False, "error": exc.code, "detail": exc.detail}, status=400)
    except _BadInput as exc:
        return web.json_response({"ok": False, "error": "invalid_request", "detail": str(exc)}, status=400)


_EMPTY = "<li><i>no messages</i></li>"


class _BadInput(Exception):
    pass


def _dumps(value: Any) -> str:
    return json.dumps(value, default=str)


async def _body(request: web.Request) -> tuple[JsonDict, bool]:
    if request.content_type in {"application/x-www-form-urlencoded", "multipart/form-data"}:
        form = await request.post()
        return {k: v for k, v in form.items() if isinstance(v, str)}, True
    try:
        body = await request.json()
    except ValueError as exc:
        raise _BadInput("the body must be a JSON object") from exc
    if not isinstance(body, dict):
        raise _BadInput("the body must be a JSON object")
    return body, False


def _need(body: JsonDict, key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise _BadInput(f"missing or empty string field {key!r}")
    return value


def render_page(ws: Workspace) -> str:
    """A plain HTML view of the workspace."""
    esc = html.escape

    def name(user_id: str | None) -> str:
        user = ws.users.get(user_id or "")
        return esc(user.real_name or user.name) if user else esc(user_id or "?")

    def line(m: Message) -> str:
        actions = [
            str(e.get("action_id"))
            for b in m.blocks
            for e in (b.get("elements") or []) + [b.get("accessory")]
            if isinstance(e, dict) and e.get("action_id")
        ]
        extra = f" <small>[buttons: {esc(', '.join(actions))}]</small>" if actions else ""
        return f"<li><b>{name(m.user)}</b> <small>{esc(m.ts)}</small>: {esc(m.text)}{extra}"

    sections = []
    for channel in ws.all_channels():
        items = []
        for message in ws.messages(channel.id):
            replies = ws.messages(channel.id, thread_ts=message.ts)[1:] if message.reply_count else []
            nested = "<ul>" + "".join(line(r) + "</li>" for r in replies) + "</ul>" if replies else ""
            items.append(line(message) + nested + "</li>")
        flags = " (Slack Connect)" if channel.is_ext_shared else " (DM)" if channel.is_im else ""
        members = ", ".join(name(m) for m in channel.members)
        sections.append(
            f'<h2 id="{esc(channel.id)}">#{esc(channel.name)} <small>{esc(channel.id)}{flags}</small></h2>'
            f"<p><small>members: {members}</small></p><ul>{''.join(items) or _EMPTY}</ul>"
        )
    users = "".join(
        f'<option value="{esc(u.id)}">{name(u.id)} ({esc(u.id)})</option>' for u in ws.users.values()
    )
    channels = "".join(f'<option value="{esc(c.id)}">#{esc(c.name)}</option>' for c in ws.all_channels())
    form = (
        '<form method="post" action="/sandbox/post"><select name="user">'
        + users
        + '</select> in <select name="channel">'
        + channels
        + '</select> <input name="text" size="60" placeholder="message"> <input name="thread_ts" size="18"'
        ' placeholder="thread_ts (optional)"> <button>Post</button></form>'
    )
    team = esc(ws.teams[ws.our_team_id].name)
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{team} sandbox</title></head>"
        f"<body><h1>{team} — Slack sandbox</h1>{form}{''.join(sections)}"
        "<p><small>JSON: <a href='/sandbox/state'>/sandbox/state</a></small></p></body></html>"
    )
