"""Bursts of Slack server errors: the outbox waits them out and posts every card once."""

from __future__ import annotations

from sandbox import Sandbox, SeedInfo
from tests.bot.conftest import settle
from tests.bot.test_delivery import ASKS, assert_each_once, escalate_all


async def test_a_burst_of_5xx_answers_delays_cards_but_posts_each_once(
    baton, sandbox: Sandbox, seed: SeedInfo
):
    for status in (500, 502, 503, 504):
        sandbox.faults.inject("chat.postMessage", count=2, kind="http_500", status=status)
    await escalate_all(sandbox, seed, ASKS[:3])
    await settle(baton, sandbox, timeout=40)

    assert_each_once(sandbox, seed, 3)
    statuses = [c.status for c in sandbox.calls_to("chat.postMessage")]
    assert sorted({s for s in statuses if s >= 500}) == [500, 502, 503, 504]
