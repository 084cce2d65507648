"""Prometheus metrics: one registry per runtime (tests run several runtimes in one process).

Counters move as things happen; the database gauges (handoffs by state and type, the outbox's depth and age)
are read when /metrics is scraped. Names are listed in the README's "Metrics" section.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Any

import aiohttp
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from handlers.telemetry import TELEMETRY
from routing.agent import EscalationResult
from routing.decision import Decision
from routing.models import HandoffState
from routing.ports import Store
from routing.service import IntakeResult
from routing.sweep import SweepReport

logger = logging.getLogger(__name__)

# Slack expects an answer within 3 s: the buckets are finest below that.
ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)
SWEEP_BUCKETS = (0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    """Baton's metrics on a registry of their own; also the listeners' Telemetry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "baton_slack_requests",
            "Requests from Slack by kind (event type, action, command)",
            ["kind"],
            registry=r,
        )
        self.redelivered = Counter(
            "baton_slack_redeliveries", "Requests Slack sent again (X-Slack-Retry-Num)", registry=r
        )
        self.messages = Counter(
            "baton_messages",
            "Message events by intake outcome (stored, duplicate, edited, deleted, opened, merged…)",
            ["outcome"],
            registry=r,
        )
        self.decisions = Counter(
            "baton_decisions",
            "Escalation decisions by trigger kind that fired ('none': no trigger) and source",
            ["trigger", "source"],
            registry=r,
        )
        self.slack_calls = Counter(
            "baton_slack_api_calls",
            "Slack Web API calls by method and HTTP outcome",
            ["method", "outcome"],
            registry=r,
        )
        self.rate_limited = Counter(
            "baton_slack_rate_limited", "Slack Web API calls answered 429", ["method"], registry=r
        )
        self.delivery_errors = Counter(
            "baton_outbox_delivery_errors",
            "Outbox deliveries that did not succeed, by kind (ratelimited, transient, ambiguous, permanent…)",
            ["kind"],
            registry=r,
        )
        self.errors = Counter("baton_errors", "Errors by where they happened", ["where"], registry=r)
        self.api_requests = Counter(
            "baton_api_requests",
            "AI-agent API requests by endpoint and status",
            ["endpoint", "status"],
            registry=r,
        )
        self.sweep_seconds = Histogram(
            "baton_sweep_duration_seconds",
            "Duration of one scheduler sweep",
            buckets=SWEEP_BUCKETS,
            registry=r,
        )
        self.ack_seconds = Histogram(
            "baton_slack_ack_seconds",
            "Time to answer Slack on /slack/events",
            buckets=ACK_BUCKETS,
            registry=r,
        )
        self._database = DatabaseGauges()
        r.register(self._database)

    # ---- the scrape ----

    async def scrape(self, store: Store, *, now: datetime) -> bytes:
        """The exposition text, with the database gauges read now (kept from the last read if that fails)."""
        try:
            async with store.transaction(readonly=True) as tx:
                handoffs = await tx.gauges.handoffs_by_state()
                pending, oldest = await tx.outbox.pending()
            age = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
            self._database.update(handoffs=handoffs, outbox_pending=pending, outbox_age=age)
        except Exception as error:  # the scrape still answers with the counters
            logger.warning("metrics: could not read the database gauges: %s", error)
            self.errors.labels("metrics").inc()
        return generate_latest(self.registry)

    # ---- what listeners, the API and the scheduler report ----

    def message_handled(self, result: IntakeResult) -> None:
        """Telemetry: one message event went through intake."""
        self.messages.labels(result.outcome.value).inc()
        if result.decision is not None:
            self.decided(result.decision, source="message")

    def decided(self, decision: Decision, *, source: str) -> None:
        """One decision: a count per trigger kind that fired, or 'none'."""
        for kind in decision.reasons or ("none",):
            self.decisions.labels(kind, source).inc()

    def escalated(self, result: EscalationResult) -> None:
        """An escalation request of the AI agent was decided."""
        self.decided(result.decision, source="api")

    def delivery_failed(self, kind: str) -> None:
        """The outbox worker could not deliver a row this time (or for good)."""
        self.delivery_errors.labels(kind).inc()

    def timed_sweep(
        self, sweep: Callable[[], Awaitable[SweepReport]]
    ) -> Callable[[], Awaitable[SweepReport]]:
        """`sweep`, timed; what it opened counts as `unanswered` decisions, a failure as an error."""

        async def run() -> SweepReport:
            started = time.perf_counter()
            try:
                report = await sweep()
            except Exception:
                self.errors.labels("sweep").inc()
                raise
            finally:
                self.sweep_seconds.observe(time.perf_counter() - started)
            if report.opened:
                self.decisions.labels("unanswered", "scheduler").inc(report.opened)
            if report.failed:
                self.errors.labels("sweep").inc(report.failed)
            return report

        return run

    # ---- Bolt and aiohttp hooks ----

    def bolt_middleware(self) -> AsyncMiddleware:
        """Bolt middleware counting each request from Slack (HTTP or Socket Mode) and putting this Telemetry
        into its context."""
        return _CountRequests(self)

    def slack_trace(self, base_url: str) -> aiohttp.TraceConfig:
        """An aiohttp trace counting every Web API call made through a session, by method and outcome."""
        trace = aiohttp.TraceConfig()

        async def ended(session: Any, context: Any, params: aiohttp.TraceRequestEndParams) -> None:
            method = _api_method(str(params.url), base_url)
            if method is None:
                return
            status = params.response.status
            self.slack_calls.labels(method, _outcome(status)).inc()
            if status == 429:
                self.rate_limited.labels(method).inc()

        async def failed(session: Any, context: Any, params: aiohttp.TraceRequestExceptionParams) -> None:
            method = _api_method(str(params.url), base_url)
            if method is not None:
                self.slack_calls.labels(method, "connection_error").inc()

        trace.on_request_end.append(ended)
        trace.on_request_exception.append(failed)
        return trace


class DatabaseGauges(Collector):
    """Gauges read from the database at scrape time (the last read is kept between scrapes)."""

    def __init__(self) -> None:
        self._handoffs: dict[tuple[str, str], int] = {}
        self._outbox_pending = 0
        self._outbox_age = 0.0

    def update(self, *, handoffs: dict[tuple[str, str], int], outbox_pending: int, outbox_age: float) -> None:
        # Every state of every escalation type seen reads 0 when none are in it, rather than the series
        # vanishing (an absent series reads as "no data", and sums and alerts over it come out empty).
        types = {kind for _, kind in self._handoffs} | {kind for _, kind in handoffs}
        zeros = {(state.value, kind): 0 for state in HandoffState for kind in types}
        self._handoffs = zeros | dict(handoffs)
        self._outbox_pending, self._outbox_age = outbox_pending, outbox_age

    def collect(self) -> Iterable[Metric]:
        handoffs = GaugeMetricFamily(
            "baton_handoffs", "Handoffs by state and escalation type", labels=["state", "type"]
        )
        for (state, kind), count in sorted(self._handoffs.items()):
            handoffs.add_metric([state, kind], count)
        yield handoffs
        yield GaugeMetricFamily(
            "baton_outbox_pending", "Slack writes waiting for delivery", value=self._outbox_pending
        )
        yield GaugeMetricFamily(
            "baton_outbox_oldest_age_seconds",
            "Age of the oldest undelivered Slack write",
            value=self._outbox_age,
        )

    def describe(self) -> Iterable[Metric]:
        return self.collect()


class _CountRequests(AsyncMiddleware):
    """Metrics.bolt_middleware: an object, which Bolt calls without building a function's arguments."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    async def async_process(
        self, *, req: AsyncBoltRequest, resp: BoltResponse, next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse:
        metrics = self._metrics
        req.context[TELEMETRY] = metrics
        metrics.requests.labels(request_kind(req.body)).inc()
        if req.headers.get("x-slack-retry-num"):
            metrics.redelivered.inc()
        return await next()


def request_kind(body: dict[str, Any]) -> str:
    """A Slack request's kind: the event type, the interaction type, or 'command'."""
    if body.get("command"):
        return "command"
    if body.get("type") == "event_callback" and isinstance(body.get("event"), dict):
        kind = body["event"].get("type")
    else:
        kind = body.get("type")
    return str(kind)[:40] if kind else "unknown"


def _api_method(url: str, base_url: str) -> str | None:
    """The Web API method of a request URL (e.g. chat.postMessage), or None for other URLs."""
    if not url.startswith(base_url):
        return None
    method = url[len(base_url) :].split("?", 1)[0].strip("/")
    return method[:60] or None


def _outcome(status: int) -> str:
    if status == 429:
        return "rate_limited"
    if 200 <= status < 300:
        return "ok"
    return "server_error" if status >= 500 else "client_error"
