"""GET /metrics: scrape, make Baton do something in the sandbox, scrape again and see the numbers move."""

from __future__ import annotations

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from bot.metrics import Metrics, request_kind
from bot.runtime import Runtime
from sandbox import Sandbox, SeedInfo
from tests.bot.conftest import settle

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(runtime: Runtime) -> Samples:
    async with aiohttp.ClientSession() as http, http.get(f"{runtime.url}metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text = await response.text()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum over every sample of `name` whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)


async def test_metrics_move_as_a_customer_is_handed_over(baton: Runtime, sandbox: Sandbox, seed: SeedInfo):
    before = await scrape(baton)
    for name in (
        "baton_outbox_pending",
        "baton_outbox_oldest_age_seconds",
        "baton_slack_ack_seconds_count",
        "baton_sweep_duration_seconds_count",
    ):
        assert any(n == name for n, _ in before), name
    assert total(before, "baton_handoffs") == 0

    posted = await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "Can I talk to a person?")
    await sandbox.redeliver(posted.outcome.attempts[0].id)  # Slack sends it again: stored once
    await settle(baton, sandbox)
    after = await scrape(baton)

    def moved(name: str, **labels: str) -> float:
        return total(after, name, **labels) - total(before, name, **labels)

    assert moved("baton_slack_requests_total", kind="message") >= 2
    assert moved("baton_slack_redeliveries_total") >= 1
    assert moved("baton_messages_total", outcome="opened") == 1
    assert moved("baton_messages_total", outcome="duplicate") == 1
    assert moved("baton_decisions_total", trigger="explicit_request", source="message") == 1
    assert value(after, "baton_handoffs", state="open", type="human_request") == 1
    assert moved("baton_slack_api_calls_total", method="chat.postMessage", outcome="ok") >= 2  # card, warm
    assert moved("baton_slack_ack_seconds_count") >= 2
    assert value(after, "baton_outbox_pending") == 0


async def test_rate_limits_and_failed_deliveries_are_counted(
    baton: Runtime, sandbox: Sandbox, seed: SeedInfo
):
    sandbox.faults.inject("chat.postMessage", count=1, kind="ratelimit", retry_after=1)
    sandbox.faults.inject("chat.postMessage", count=1, kind="http_500")
    before = await scrape(baton)
    await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "I need to speak to a human please")
    await settle(baton, sandbox)
    after = await scrape(baton)

    def moved(name: str, **labels: str) -> float:
        return total(after, name, **labels) - total(before, name, **labels)

    assert moved("baton_slack_rate_limited_total", method="chat.postMessage") == 1
    assert moved("baton_slack_api_calls_total", method="chat.postMessage", outcome="rate_limited") == 1
    assert moved("baton_slack_api_calls_total", method="chat.postMessage", outcome="server_error") == 1
    assert moved("baton_outbox_delivery_errors_total", kind="ratelimited") == 1
    assert moved("baton_outbox_delivery_errors_total", kind="ambiguous") == 1
    assert value(after, "baton_outbox_pending") == 0


async def test_a_sweep_is_timed(baton: Runtime):
    assert baton.metrics is not None
    before = await scrape(baton)
    await baton.metrics.timed_sweep(baton.service.sweep)()
    after = await scrape(baton)
    assert (
        total(after, "baton_sweep_duration_seconds_count")
        == total(before, "baton_sweep_duration_seconds_count") + 1
    )


def test_each_runtime_has_its_own_registry():
    first, second = Metrics(), Metrics()  # the global registry would refuse the second set of names
    first.errors.labels("api").inc()
    assert second.registry.get_sample_value("baton_errors_total", {"where": "api"}) is None
    assert first.registry.get_sample_value("baton_errors_total", {"where": "api"}) == 1


def test_request_kinds():
    assert request_kind({"type": "event_callback", "event": {"type": "message"}}) == "message"
    assert request_kind({"type": "block_actions"}) == "block_actions"
    assert request_kind({"command": "/baton", "text": "help"}) == "command"
    assert request_kind({}) == "unknown"
