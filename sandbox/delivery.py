"""Deliver events, interactions and slash commands to the app, over Socket Mode or signed HTTP.

Events are retried like Slack does: up to 3 retries when the app does not answer 2xx within ack_timeout
(HTTP: X-Slack-Retry-Num / X-Slack-Retry-Reason headers; Socket Mode: retry_attempt / retry_reason).
Interactions and commands get one attempt: Slack shows the user an error instead of retrying them.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlencode

import aiohttp

from sandbox.errors import SandboxError
from sandbox.ids import new_id
from sandbox.models import Delivery, DeliveryOutcome, JsonDict
from sandbox.signing import signed_headers
from sandbox.socket_mode import SocketHub

_JSON = "application/json"
_FORM = "application/x-www-form-urlencoded"


@dataclass
class DeliverySettings:
    """Timing knobs. Real Slack waits 3 s for an ack and retries immediately, after 1 min, after 5 min."""

    ack_timeout: float = 3.0
    retry_delays: tuple[float, ...] = (0.0, 1.0, 5.0)
    retry_delay_scale: float = 1.0


@dataclass
class _Pending:
    id: str
    kind: str
    socket_type: str
    payload: JsonDict
    retries: bool
    accepts_response_payload: bool = False
    envelope_id: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass
class _Attempt:
    record: Delivery
    body: str = ""
    ack_payload: object = None


class Deliverer:
    """Sends bodies to the app and records every attempt in `records`."""

    def __init__(
        self,
        *,
        signing_secret: str,
        verification_token: str,
        settings: DeliverySettings,
        sockets: SocketHub,
        records: list[Delivery],
    ) -> None:
        self.signing_secret = signing_secret
        self.verification_token = verification_token
        self.settings = settings
        self.request_url: str | None = None
        self._sockets = sockets
        self._records = records
        self._events: dict[str, JsonDict] = {}
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        """Open the HTTP client session."""
        self._session = aiohttp.ClientSession()

    async def close(self) -> None:
        """Close the HTTP client session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def deliver_event(self, envelope: JsonDict) -> DeliveryOutcome:
        """Deliver an event_callback envelope, with retries."""
        self._events[envelope["event_id"]] = envelope
        pending = _Pending(envelope["event_id"], "event_callback", "events_api", envelope, retries=True)
        return await self._deliver(pending)

    async def deliver_interactive(self, payload: JsonDict) -> DeliveryOutcome:
        """Deliver a block_actions / view_submission payload (form field `payload` over HTTP)."""
        accepts = payload.get("type") == "view_submission"
        pending = _Pending(new_id("I"), str(payload.get("type")), "interactive", payload, False, accepts)
        return await self._deliver(pending)

    async def deliver_command(self, fields: JsonDict) -> DeliveryOutcome:
        """Deliver a slash command (form fields over HTTP)."""
        pending = _Pending(new_id("K"), "slash_command", "slash_commands", fields, False, True)
        return await self._deliver(pending)

    async def redeliver(self, event_id: str) -> DeliveryOutcome:
        """Send an already delivered event again, once, marked as a retry (a duplicate for dedupe tests)."""
        envelope = self._events.get(event_id)
        if envelope is None:
            raise SandboxError("event_not_found", event_id)
        previous = sum(1 for r in self._records if r.id == event_id)
        pending = _Pending(event_id, "event_callback", "events_api", envelope, retries=False)
        reason = "timeout" if self._sockets.connected else "http_timeout"
        return await self._deliver(pending, first_attempt=max(previous, 1), reason=reason)

    def envelope(self, event_id: str) -> JsonDict | None:
        """A delivered event envelope by event_id."""
        return self._events.get(event_id)

    async def verify_url(self) -> bool:
        """Send url_verification to the request URL; True if the app echoed the challenge."""
        challenge = secrets.token_urlsafe(24)
        body = {"token": self.verification_token, "challenge": challenge, "type": "url_verification"}
        pending = _Pending(new_id("U"), "url_verification", "", body, retries=False)
        attempt = await self._http_attempt(pending, 0, None)
        self._records.append(attempt.record)
        if not attempt.record.ok:
            return False
        if attempt.body.strip() == challenge:
            return True
        try:
            answer = json.loads(attempt.body)
        except ValueError:
            return False
        return isinstance(answer, dict) and answer.get("challenge") == challenge

    async def _deliver(
        self, pending: _Pending, first_attempt: int = 0, reason: str | None = None
    ) -> DeliveryOutcome:
        outcome = DeliveryOutcome(id=pending.id, kind=pending.kind)
        delays = self.settings.retry_delays
        attempt_no = first_attempt
        try:
            while True:
                if self._sockets.connected and pending.socket_type:
                    attempt = await self._socket_attempt(pending, attempt_no, reason)
                else:
                    attempt = await self._http_attempt(pending, attempt_no, reason)
                outcome.attempts.append(attempt.record)
                self._records.append(attempt.record)
                outcome.body, outcome.ack_payload = attempt.body, attempt.ack_payload
                retry_index = attempt_no - first_attempt
                no_receiver = attempt.record.error == "no_receiver"
                if attempt.record.ok or not pending.retries or no_receiver or retry_index >= len(delays):
                    return outcome
                await asyncio.sleep(delays[retry_index] * self.settings.retry_delay_scale)
                attempt_no += 1
                reason = attempt.record.error
        finally:
            self._sockets.forget(pending.envelope_id)

    def _encode(self, pending: _Pending) -> tuple[bytes, str]:
        if pending.socket_type == "interactive":
            return urlencode({"payload": json.dumps(pending.payload)}).encode(), _FORM
        if pending.socket_type == "slash_commands":
            fields = {k: _form_value(v) for k, v in pending.payload.items()}
            return urlencode(fields).encode(), _FORM
        return json.dumps(pending.payload).encode(), _JSON

    async def _http_attempt(self, pending: _Pending, attempt_no: int, reason: str | None) -> _Attempt:
        record = Delivery(pending.id, pending.kind, attempt_no, "http", ok=False, retry_reason=reason)
        if self.request_url is None or self._session is None:
            record.error = "no_receiver"
            return _Attempt(record)
        body, content_type = self._encode(pending)
        headers = signed_headers(self.signing_secret, body, content_type)
        if attempt_no > 0:
            headers["X-Slack-Retry-Num"] = str(attempt_no)
            headers["X-Slack-Retry-Reason"] = reason or "http_timeout"
        started = time.monotonic()
        text = ""
        try:
            async with asyncio.timeout(self.settings.ack_timeout):
                async with self._session.post(self.request_url, data=body, headers=headers) as response:
                    record.status = response.status
                    text = await response.text()
        except TimeoutError:
            record.error = "http_timeout"
        except (aiohttp.ClientError, OSError):
            record.error = "connection_failed"
        record.elapsed = time.monotonic() - started
        if record.status is not None:
            record.ok = 200 <= record.status < 300
            record.error = None if record.ok else "http_error"
        return _Attempt(record, body=text)

    async def _socket_attempt(self, pending: _Pending, attempt_no: int, reason: str | None) -> _Attempt:
        record = Delivery(pending.id, pending.kind, attempt_no, "socket", ok=False, retry_reason=reason)
        record.envelope_id = pending.envelope_id
        future = self._sockets.expect_ack(pending.envelope_id)
        envelope = {
            "envelope_id": pending.envelope_id,
            "type": pending.socket_type,
            "payload": pending.payload,
            "accepts_response_payload": pending.accepts_response_payload,
            "retry_attempt": attempt_no,
            "retry_reason": reason or "",
        }
        started = time.monotonic()
        if not await self._sockets.send(envelope):
            record.error = "connection_failed"
            return _Attempt(record)
        try:
            ack = await asyncio.wait_for(asyncio.shield(future), self.settings.ack_timeout)
        except TimeoutError:
            record.error = "timeout"
            record.elapsed = time.monotonic() - started
            return _Attempt(record)
        record.elapsed = time.monotonic() - started
        record.ok = True
        payload = ack.get("payload")
        return _Attempt(record, body=json.dumps(payload) if payload is not None else "", ack_payload=payload)


def _form_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)
