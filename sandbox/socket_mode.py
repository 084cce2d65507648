"""Socket Mode: the WebSocket endpoint apps.connections.open points at, envelopes out, acks in."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from dataclasses import dataclass, field

from aiohttp import WSCloseCode, WSMsgType, web

from sandbox.ids import new_id
from sandbox.models import JsonDict

logger = logging.getLogger(__name__)


@dataclass
class SocketClient:
    """One connected Socket Mode WebSocket."""

    id: str
    ws: web.WebSocketResponse
    connected_at: float = field(default_factory=time.time)


class SocketHub:
    """Connected Socket Mode clients, envelopes sent to them and acks received."""

    def __init__(self, app_id: str) -> None:
        self._app_id = app_id
        self._tickets: set[str] = set()
        self._pending: dict[str, asyncio.Future[JsonDict]] = {}
        self._next = 0
        self.clients: list[SocketClient] = []
        self.sent: list[JsonDict] = []
        self.acks: list[JsonDict] = []

    @property
    def connected(self) -> bool:
        """Whether at least one client is connected (deliveries then go over Socket Mode)."""
        return any(not c.ws.closed for c in self.clients)

    def issue_ticket(self) -> str:
        """A ticket for the ?ticket= query of the WebSocket URL."""
        ticket = secrets.token_hex(16)
        self._tickets.add(ticket)
        return ticket

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """aiohttp handler for GET /socket?ticket=…."""
        if request.query.get("ticket") not in self._tickets:
            return web.Response(status=401, text="invalid or missing ticket; call apps.connections.open")
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        client = SocketClient(id=new_id("WS"), ws=ws)
        self.clients.append(client)
        try:
            await ws.send_json(
                {
                    "type": "hello",
                    "num_connections": len(self.clients),
                    "debug_info": {
                        "host": "sandbox",
                        "build_number": 1,
                        "approximate_connection_time": 18060,
                    },
                    "connection_info": {"app_id": self._app_id},
                }
            )
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    self._on_text(msg.data)
        finally:
            if client in self.clients:
                self.clients.remove(client)
        return ws

    def _on_text(self, data: str) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            logger.warning("sandbox: ignoring non-JSON Socket Mode message %r", data[:200])
            return
        envelope_id = message.get("envelope_id") if isinstance(message, dict) else None
        if not envelope_id:
            return
        self.acks.append(message)
        future = self._pending.get(envelope_id)
        if future is not None and not future.done():
            future.set_result(message)

    def expect_ack(self, envelope_id: str) -> asyncio.Future[JsonDict]:
        """The future an ack for envelope_id resolves (shared by all attempts of one delivery)."""
        future = self._pending.get(envelope_id)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._pending[envelope_id] = future
        return future

    def forget(self, envelope_id: str) -> None:
        """Stop waiting for acks of an envelope."""
        future = self._pending.pop(envelope_id, None)
        if future is not None and not future.done():
            future.cancel()

    async def send(self, envelope: JsonDict) -> bool:
        """Send to one connected client, round robin; False if none could take it."""
        for _ in range(len(self.clients)):
            live = [c for c in self.clients if not c.ws.closed]
            if not live:
                return False
            client = live[self._next % len(live)]
            self._next += 1
            try:
                await client.ws.send_json(envelope)
            except (ConnectionError, RuntimeError):
                logger.info("sandbox: Socket Mode client %s went away", client.id)
                continue
            self.sent.append(envelope)
            return True
        return False

    async def disconnect_all(self, reason: str = "refresh_requested") -> int:
        """Send {"type": "disconnect", "reason"} to every client (they reconnect); returns how many."""
        count = 0
        for client in list(self.clients):
            with contextlib.suppress(ConnectionError, RuntimeError):
                await client.ws.send_json(
                    {"type": "disconnect", "reason": reason, "debug_info": {"host": "sandbox"}}
                )
                count += 1
        return count

    async def close(self) -> None:
        """Close every connection and stop waiting for acks."""
        for envelope_id in list(self._pending):
            self.forget(envelope_id)
        for client in list(self.clients):
            with contextlib.suppress(ConnectionError, RuntimeError):
                await client.ws.close(code=WSCloseCode.GOING_AWAY, message=b"sandbox stopping")
        self.clients.clear()
