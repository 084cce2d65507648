"""A tiny app-side HTTP receiver for tests: checks Slack signatures itself and records what arrives."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web


@dataclass
class Received:
    """One request the sandbox sent to the app."""

    headers: dict[str, str]
    body: bytes
    content_type: str

    @property
    def json(self) -> Any:
        """The JSON body (events)."""
        return json.loads(self.body)

    @property
    def form(self) -> dict[str, str]:
        """The form fields (interactivity, slash commands)."""
        return {k: v[0] for k, v in parse_qs(self.body.decode(), keep_blank_values=True).items()}

    @property
    def payload(self) -> Any:
        """The interactivity payload (form field `payload`, JSON)."""
        return json.loads(self.form["payload"])

    @property
    def retry_num(self) -> str | None:
        """X-Slack-Retry-Num, if any."""
        return self.headers.get("X-Slack-Retry-Num")


Reply = Callable[[Received], Any]


@dataclass
class AppReceiver:
    """Plays the app at /slack/events: verifies signatures, optionally stalls or fails, then answers."""

    signing_secret: str
    requests: list[Received] = field(default_factory=list)
    bad_signatures: int = 0
    statuses: list[int] = field(default_factory=list)
    delays: list[float] = field(default_factory=list)
    reply: Reply | None = None
    url: str = ""
    _runner: web.AppRunner | None = None
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def verify(self, headers: dict[str, str], body: bytes) -> bool:
        """Check X-Slack-Signature exactly as an app must."""
        timestamp = headers.get("X-Slack-Request-Timestamp", "")
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > 300:
            return False
        base = b"v0:" + timestamp.encode() + b":" + body
        expected = "v0=" + hmac.new(self.signing_secret.encode(), base, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, headers.get("X-Slack-Signature", ""))

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        headers = dict(request.headers)
        if not self.verify(headers, body):
            self.bad_signatures += 1
            return web.Response(status=401, text="bad signature")
        received = Received(headers, body, request.content_type)
        self.requests.append(received)
        self._arrived.set()
        if self.delays:
            await asyncio.sleep(self.delays.pop(0))
        status = self.statuses.pop(0) if self.statuses else 200
        answer = self.reply(received) if self.reply is not None else None
        if isinstance(answer, web.StreamResponse):
            return answer
        if isinstance(answer, dict):
            return web.json_response(answer, status=status)
        return web.Response(status=status, text=answer or "")

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/slack/events", self.handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/slack/events"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        """Wait until at least count requests arrived."""
        async with asyncio.timeout(timeout):
            while len(self.requests) < count:
                self._arrived.clear()
                await self._arrived.wait()
        return self.requests

    def events(self, type_: str | None = None) -> list[dict[str, Any]]:
        """Event envelopes received (optionally only those whose event.type is type_)."""
        bodies = [r.json for r in self.requests if r.content_type == "application/json"]
        envelopes = [b for b in bodies if b.get("type") == "event_callback"]
        return [e for e in envelopes if type_ is None or e["event"]["type"] == type_]
