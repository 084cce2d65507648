"""Bursts of Slack server errors: the outbox waits them out and posts every card once."""

from __future__ import annotations

import asyncio

from routing.models import AuthorKind
from sandbox import Sandbox, SeedInfo
from storage import SqlStore
from tests.bot.conftest import settle
from tests.bot.test_delivery import ASKS, assert_each_once, escalate_all
from tests.bot.test_handoffs import handoffs_of
from tests.bot.test_intake_http import stored


async def test_a_burst_of_5xx_answers_delays_cards_but_posts_each_once(
    baton, sandbox: Sandbox, seed: SeedInfo
):
    for status in (500, 502, 503, 504):
        sandbox.faults.inject("chat.postMessage", count=1, kind="http_500", status=status)
    await escalate_all(sandbox, seed, ASKS[:3])
    await settle(baton, sandbox, timeout=40)

    assert_each_once(sandbox, seed, 3)
    statuses = [c.status for c in sandbox.calls_to("chat.postMessage")]
    assert sorted({s for s in statuses if s >= 500}) == [500, 502, 503, 504]


ASK = "Here is the screenshot. I want to talk to a person now."


async def test_a_customer_s_broadcast_reply_waits_for_slack_to_say_whose_it_is(
    baton, sandbox: Sandbox, seed: SeedInfo
):
    # Slack's thread_broadcast events name no team: Baton asks users.info. Rate limited past the client's
    # retries, the event fails (a guess would file the customer's message as ours, unjudged) and Slack
    # delivers it again.
    root = await sandbox.post_message(seed.rep_id, seed.shared_channel_id, "Hello from the team")
    await settle(baton, sandbox)  # (the customer has never written: Baton can't know their team yet)
    sandbox.faults.inject("users.info", count=3, kind="ratelimit", retry_after=1)
    posted = await sandbox.post_message(
        seed.customer_id, seed.shared_channel_id, ASK, thread_ts=root.message.ts, subtype="thread_broadcast"
    )
    assert posted.event is not None and "team" not in posted.event and "user_team" not in posted.event
    assert posted.outcome is not None and posted.outcome.ok  # at Slack's retry
    assert posted.outcome.attempts[0].status != 200  # failed (or, retrying users.info, timed out)
    await settle(baton, sandbox)
    messages = await stored(baton, seed.shared_channel_id, root.message.ts)
    assert [(m.text, m.author_kind) for m in messages] == [
        ("Hello from the team", AuthorKind.INTERNAL),
        (ASK, AuthorKind.CUSTOMER),
    ]
    assert len(await handoffs_of(baton)) == 1


async def test_a_customer_s_file_share_is_theirs_by_the_file_without_asking_slack(
    baton, sandbox: Sandbox, seed: SeedInfo
):
    sandbox.faults.inject("users.info", count=100, kind="http_500")
    posted = await sandbox.post_message(seed.customer_id, seed.shared_channel_id, ASK, files=["shot.png"])
    assert posted.event is not None and "user_team" not in posted.event
    assert posted.outcome is not None and posted.outcome.ok
    await settle(baton, sandbox)
    messages = await stored(baton, seed.shared_channel_id, posted.message.ts)
    assert [(m.text, m.author_kind) for m in messages] == [(ASK, AuthorKind.CUSTOMER)]
    assert len(await handoffs_of(baton)) == 1
    assert sandbox.calls_to("users.info") == []


async def test_a_broadcast_reply_whose_author_slack_cannot_name_is_a_customer_s_at_the_last_retry(
    baton, sandbox: Sandbox, seed: SeedInfo
):
    # users.info down for longer than Slack retries an event: at its last retry the author of a message in
    # a shared channel counts as a customer (a rep taken for one costs a needless handoff at worst).
    sandbox.delivery_settings.retry_delay_scale = 0.01
    root = await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "Hello")
    await settle(baton, sandbox)
    sandbox.faults.inject("users.info", count=1000, kind="error", error="internal_error")
    posted = await sandbox.post_message(
        seed.rep_id, seed.shared_channel_id, ASK, thread_ts=root.message.ts, subtype="thread_broadcast"
    )
    assert posted.outcome is not None and posted.outcome.ok
    assert [a.status for a in posted.outcome.attempts][:3] == [500, 500, 500]
    await settle(baton, sandbox)
    messages = await stored(baton, seed.shared_channel_id, root.message.ts)
    assert [(m.text, m.author_kind) for m in messages] == [
        ("Hello", AuthorKind.CUSTOMER),
        (ASK, AuthorKind.CUSTOMER),  # (the rep's, in truth: a needless handoff, not a lost request)
    ]


async def test_a_customer_slack_cannot_describe_to_us_is_a_customer(baton, sandbox: Sandbox, seed: SeedInfo):
    """A second person of the customer's, never seen, replies with "Also send to channel" (no team in the
    event): users.info answers user_not_visible (or user_not_found) for someone of another organisation.
    Every member of our workspace is visible to our bot, so they are a customer and their request is judged
    (before: filed as ours, never judged)."""
    sandbox.add_user("U0ACME2", "jordan", team_id=seed.customer_team_id, real_name="Jordan Acme")
    sandbox.workspace.channels[seed.shared_channel_id].members.append("U0ACME2")
    root = await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "Our sync stopped overnight.")
    await settle(baton, sandbox)
    for error in ("user_not_visible", "user_not_found"):
        sandbox.faults.inject("users.info", count=1, kind="error", error=error)
    for text in ("We need a person on this now, can someone call me?", ASK):
        await sandbox.post_message(
            "U0ACME2", seed.shared_channel_id, text, thread_ts=root.message.ts, subtype="thread_broadcast"
        )
        await settle(baton, sandbox)
    messages = await stored(baton, seed.shared_channel_id, root.message.ts)
    assert [m.author_kind for m in messages] == [AuthorKind.CUSTOMER] * 3
    assert len(await handoffs_of(baton)) == 1


async def test_a_customer_who_wrote_before_is_known_without_asking_slack(
    baton, sandbox: Sandbox, seed: SeedInfo
):
    root = await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "Hello")  # states their team
    await settle(baton, sandbox)
    sandbox.faults.inject("users.info", count=1000, kind="error", error="internal_error")
    posted = await sandbox.post_message(
        seed.customer_id, seed.shared_channel_id, ASK, thread_ts=root.message.ts, subtype="thread_broadcast"
    )
    assert posted.outcome is not None and [a.status for a in posted.outcome.attempts] == [200]
    await settle(baton, sandbox)
    assert sandbox.calls_to("users.info") == []
    assert len(await handoffs_of(baton)) == 1


async def test_a_token_slack_refuses_for_a_while_loses_no_card_nor_warm_message(
    baton, sandbox: Sandbox, seed: SeedInfo
):
    """The bot token refused for a while (revoked and reinstalled, an incident): the outbox rows wait and go
    out once it works again, instead of being failed for good on the first `token_revoked` (the card and the
    customer's warm message were lost, nobody told)."""
    await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "Hello")  # Bolt has authorized
    await settle(baton, sandbox)
    for method in ("conversations.info", "auth.test", "chat.postMessage"):
        sandbox.faults.inject(method, count=2, kind="error", error="token_revoked")
    await sandbox.post_message(seed.customer_id, seed.shared_channel_id, ASKS[0])
    for _ in range(200):  # until the outbox has met the refusal
        if any(c.response.get("error") == "token_revoked" for c in sandbox.calls):
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(1)
    sandbox.faults.clear()  # reinstalled
    await settle(baton, sandbox, timeout=30)

    async with SqlStore(baton.engine).transaction() as tx:
        rows = await tx.connection.exec_driver_sql("SELECT method, failed_at, delivered_at FROM outbox")
        outbox = rows.all()
    assert [(method, failed) for method, failed, _ in outbox if failed is not None] == []
    assert all(delivered is not None for *_, delivered in outbox)
    assert_each_once(sandbox, seed, 1)
