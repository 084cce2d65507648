"""response_url endpoints: the app answers an interaction or a command later by POSTing to them."""

from __future__ import annotations

import json
from dataclasses import dataclass

from aiohttp import web

from sandbox.api_chat import delete_as_bot, post_as_bot, update_as_bot
from sandbox.api_common import ApiHost
from sandbox.errors import ApiError
from sandbox.ids import new_id
from sandbox.models import Ephemeral, JsonDict, ResponsePost
from sandbox.workspace import with_block_ids


@dataclass
class ResponseContext:
    """Where a response_url's answers go."""

    channel: str | None
    user: str
    message_ts: str | None
    source: str
    ephemeral: bool = False


def _truthy(value: object) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


class ResponseUrls:
    """Issues response URLs and applies what the app posts to them (recorded in `posts`)."""

    def __init__(self, host: ApiHost, posts: list[ResponsePost]) -> None:
        self._host = host
        self._posts = posts
        self._contexts: dict[str, ResponseContext] = {}

    def issue(self, context: ResponseContext) -> str:
        """A new response URL on the sandbox server."""
        url_id = new_id("R", 16)
        self._contexts[url_id] = context
        return f"{self._host.url}response/{url_id}"

    async def handle(self, request: web.Request) -> web.Response:
        """aiohttp handler for POST /response/{id}."""
        url_id = request.match_info["id"]
        context = self._contexts.get(url_id)
        if context is None:
            return web.json_response({"ok": False, "error": "expired_url"}, status=404)
        try:
            body = await _read_body(request)
        except ValueError:
            return web.json_response({"ok": False, "error": "invalid_payload"}, status=400)
        self._posts.append(
            ResponsePost(url_id, context.channel, context.user, body, context.message_ts, context.source)
        )
        try:
            self.apply(context, body)
        except ApiError as exc:
            return web.json_response({"ok": False, "error": exc.code}, status=404)
        return web.json_response({"ok": True})

    def apply(self, context: ResponseContext, body: JsonDict) -> None:
        """Apply a response body: replace/delete the original, post in channel, or answer ephemerally."""
        ws = self._host.workspace
        text = str(body.get("text") or "")
        blocks = body.get("blocks") if isinstance(body.get("blocks"), list) else None
        original = (
            ws.message(context.channel, context.message_ts)
            if context.channel and context.message_ts
            else None
        )
        if context.ephemeral and (
            _truthy(body.get("replace_original")) or _truthy(body.get("delete_original"))
        ):
            ws.ephemerals = [
                e for e in ws.ephemerals if not (e.user == context.user and e.ts == context.message_ts)
            ]
            if _truthy(body.get("delete_original")):
                return
        elif _truthy(body.get("delete_original")):
            if original is None:
                raise ApiError("message_not_found")
            delete_as_bot(self._host, original)
            return
        elif _truthy(body.get("replace_original")) and original is not None:
            update_as_bot(self._host, original, text=text if "text" in body else None, blocks=blocks)
            return
        channel = ws.channels.get(context.channel or "")
        if channel is None:
            return
        if body.get("response_type") == "in_channel":
            post_as_bot(self._host, channel, text, blocks=blocks, thread_ts=body.get("thread_ts"))
            return
        ws.ephemerals.append(
            Ephemeral(
                channel=channel.id,
                user=context.user,
                ts=ws.clock.next(),
                text=text,
                blocks=with_block_ids(blocks or []),
                thread_ts=body.get("thread_ts"),
                source="response_url",
            )
        )


async def _read_body(request: web.Request) -> JsonDict:
    if request.content_type == "application/json":
        body = await request.json()
    else:
        form = await request.post()
        raw = form.get("payload")
        body = (
            json.loads(raw) if isinstance(raw, str) else {k: v for k, v in form.items() if isinstance(v, str)}
        )
    if not isinstance(body, dict):
        raise ValueError("response body must be a JSON object")
    return body
