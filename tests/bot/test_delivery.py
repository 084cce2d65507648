"""Durable delivery: whatever Slack or the process does, every card and message goes out exactly once."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml
from pydantic import SecretStr

import bot.runtime
import handlers.notifier
from bot.outbox import OutboxWorker
from bot.runtime import Runtime, running
from bot.sandbox_mode import describe_acme
from handlers.delivery_errors import InternalPostRefused
from routing.config import BatonConfig
from routing.handoffs import Action
from routing.models import EventSource
from routing.routes import Route, RoutingTable, Strategy, Target, TargetKind
from sandbox import RateLimit, Sandbox, SeedInfo
from storage import SqlStore
from tests.bot.conftest import settle
from tests.bot.test_handoffs import card_of, handoffs_of

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"

ASKS = [
    "Can I talk to a person please?",
    "I want to speak to a human",
    "Please get me a real person",
    "I need a person",
    "Could someone call me back?",
    "Let me talk to an agent",
]


def posts(sandbox: Sandbox, channel: str, event_type: str) -> list:
    return [
        m
        for m in sandbox.messages(channel, include_replies=True)
        if m.metadata and m.metadata["event_type"] == event_type
    ]


async def escalate_all(sandbox: Sandbox, seed: SeedInfo, texts=ASKS) -> list[str]:
    roots = [await sandbox.post_message(seed.customer_id, seed.shared_channel_id, text) for text in texts]
    return [r.message.ts for r in roots]


def assert_each_once(sandbox: Sandbox, seed: SeedInfo, count: int) -> None:
    cards = posts(sandbox, seed.triage_channel_id, "baton_card")
    warm = posts(sandbox, seed.shared_channel_id, "baton_handoff")
    assert len(cards) == count and len({m.metadata["event_payload"]["handoff_id"] for m in cards}) == count
    assert len(warm) == count and len({m.thread_ts for m in warm}) == count


async def test_a_429_storm_delays_cards_but_posts_each_once(baton, sandbox: Sandbox, seed: SeedInfo):
    sandbox.set_rate_limit(RateLimit(per_second=2.0, burst=1))
    await escalate_all(sandbox, seed)
    await settle(baton, sandbox, timeout=30)

    assert_each_once(sandbox, seed, len(ASKS))
    assert any(c.status == 429 for c in sandbox.calls_to("chat.postMessage"))
    # Rows behind a rate-limited one wait for it: each channel gets its writes in the order they were queued.
    cards = [
        m.metadata["event_payload"]["handoff_id"]
        for m in posts(sandbox, seed.triage_channel_id, "baton_card")
    ]
    warm = [
        m.metadata["event_payload"]["handoff_id"]
        for m in posts(sandbox, seed.shared_channel_id, "baton_handoff")
    ]
    assert cards == sorted(cards) and warm == sorted(warm)


async def test_slack_down_for_seconds_then_the_outbox_catches_up(baton, sandbox: Sandbox, seed: SeedInfo):
    port = urlparse(sandbox.url).port
    # (A warm message waits for its card, so these fall on the first card, whose backoff doubles each time.)
    sandbox.faults.inject("chat.postMessage", count=1, kind="http_500")
    sandbox.faults.inject("chat.postMessage", count=1, kind="drop")
    await escalate_all(sandbox, seed, ASKS[:3])
    await sandbox.stop()  # connection refused from here on
    await asyncio.sleep(2.5)
    await sandbox.start(port=port)
    await settle(baton, sandbox, timeout=40)

    assert_each_once(sandbox, seed, 3)


async def test_a_lost_answer_does_not_post_twice(baton, sandbox: Sandbox, seed: SeedInfo):
    sandbox.faults.inject("chat.postMessage", count=2, kind="drop_after")  # Slack posts, the answer is lost
    await escalate_all(sandbox, seed, ASKS[:1])
    await settle(baton, sandbox)

    assert_each_once(sandbox, seed, 1)
    (handoff,) = await handoffs_of(baton)
    assert handoff.card_ts == card_of(sandbox, seed.triage_channel_id).ts


async def test_a_lost_answer_does_not_post_twice_when_slack_s_clock_is_behind_ours(
    baton, sandbox: Sandbox, seed: SeedInfo
):
    """Slack's clock 3 s behind this host's (a drifting VM): the retry's look-up for the earlier post must
    reach back past the row's own time (it looked from one second before: the warm message went twice)."""
    sandbox.workspace.clock._now = lambda: time.time() - 3.0  # type: ignore[method-assign]
    sandbox.faults.inject("chat.postMessage", count=1, kind="slow", delay=0.0)  # the card: answered
    sandbox.faults.inject("chat.postMessage", count=1, kind="drop_after")  # the warm message: answer lost
    await escalate_all(sandbox, seed, ASKS[:1])
    await settle(baton, sandbox, timeout=30)
    assert_each_once(sandbox, seed, 1)


async def test_duplicate_event_deliveries_open_one_handoff(baton, sandbox: Sandbox, seed: SeedInfo):
    posted = await sandbox.post_message(
        seed.customer_id, seed.shared_channel_id, "I need to talk to a person"
    )
    for _ in range(3):
        await sandbox.redeliver(posted.outcome.attempts[0].id)
    await settle(baton, sandbox)

    assert len(await handoffs_of(baton)) == 1
    assert_each_once(sandbox, seed, 1)


async def test_stopped_mid_flow_and_restarted_nothing_lost_nothing_doubled(
    sandbox: Sandbox, seed: SeedInfo, settings, config
):
    async with running(settings, config=config) as first:
        sandbox.set_request_url(first.events_url)
        await first.service.watch_channel(
            channel_id=seed.shared_channel_id, name="acme-support", is_shared=True
        )
        await describe_acme(first, seed)
        sandbox.faults.inject("chat.postMessage", count=1, kind="drop_after")
        sandbox.set_rate_limit(RateLimit(per_second=0.2, burst=1))  # most writes wait for Retry-After
        await escalate_all(sandbox, seed, ASKS[:4])
        await asyncio.sleep(0.3)
    async with SqlStore(first.engine).transaction() as tx:
        pending, _ = await tx.outbox.pending()
    assert pending > 0, "the first process stopped with deliveries outstanding"

    sandbox.set_rate_limit(None)
    async with running(settings, config=config) as second:
        sandbox.set_request_url(second.events_url)
        await settle(second, sandbox, timeout=30)
        assert len(await handoffs_of(second)) == 4
    assert_each_once(sandbox, seed, 4)


@asynccontextmanager
async def routed_carelessly(
    sandbox: Sandbox, seed: SeedInfo, settings: Any, target: Target
) -> AsyncIterator[Runtime]:
    """Baton with every card routed to `target`, after the customer asked for a person."""
    careless = BatonConfig(routing=RoutingTable(default=target))
    async with running(settings, config=careless) as baton:
        sandbox.set_request_url(baton.events_url)
        await baton.service.watch_channel(
            channel_id=seed.shared_channel_id, name="acme-support", is_shared=True
        )
        await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "Can I talk to a person?")
        await settle(baton, sandbox)
        yield baton


async def assert_refused_and_nothing_promised(baton: Runtime, sandbox: Sandbox, seed: SeedInfo) -> None:
    """The card was refused for good, and so the customer was told nothing ("a specialist is coming")."""
    everything = sandbox.messages(seed.shared_channel_id, include_replies=True)
    assert [m for m in everything if m.user == seed.bot_user_id and m.subtype != "channel_join"] == []
    async with SqlStore(baton.engine).transaction() as tx:
        row = await tx.outbox.get(item_id=1)
    assert row.method == "post_card" and row.failed_at is not None and row.last_error.startswith("refused")


async def test_internal_content_is_never_posted_into_a_shared_channel(
    sandbox: Sandbox, seed: SeedInfo, settings
):
    shared = Target(TargetKind.CHANNEL, seed.shared_channel_id)
    async with routed_carelessly(sandbox, seed, settings, shared) as baton:
        await assert_refused_and_nothing_promised(baton, sandbox, seed)
        notifier = baton.notifier
        with pytest.raises(InternalPostRefused):
            await notifier.guard(seed.shared_channel_id)
        sandbox.add_channel("C0OTHERORG", "partner", is_ext_shared=True, members=[seed.bot_user_id])
        with pytest.raises(InternalPostRefused):  # not watched, but Slack says it is shared
            await notifier.guard("C0OTHERORG")
        await notifier.guard(seed.triage_channel_id)


async def test_internal_content_is_never_sent_to_a_person_of_another_organisation(
    sandbox: Sandbox, seed: SeedInfo, settings
):
    customer = Target(TargetKind.USER, seed.customer_id)
    async with routed_carelessly(sandbox, seed, settings, customer) as baton:
        await assert_refused_and_nothing_promised(baton, sandbox, seed)
        dms = [c for c in sandbox.calls_to("chat.postMessage") if c.args.get("channel") == seed.customer_id]
        assert dms == [] and sandbox.calls_to("conversations.open") == []
        with pytest.raises(InternalPostRefused):
            await baton.notifier.guard(seed.customer_id)
        await baton.notifier.guard(seed.rep_id)


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [
        (Strategy.ROUND_ROBIN, ["U0REP", "U0ADMIN", "U0REP"]),
        # The admin's handoff is resolved before the third arrives: the admin is then the least loaded.
        (Strategy.LEAST_LOADED, ["U0REP", "U0ADMIN", "U0ADMIN"]),
    ],
)
async def test_group_routes_pick_members(sandbox: Sandbox, seed: SeedInfo, settings, strategy, expected):
    group = Target(TargetKind.GROUP, seed.support_group_id, channel=seed.triage_channel_id, strategy=strategy)
    config = BatonConfig(routing=RoutingTable(routes=(Route(id="support", target=group),)))
    async with running(settings, config=config) as baton:
        sandbox.set_request_url(baton.events_url)
        await baton.service.watch_channel(
            channel_id=seed.shared_channel_id, name="acme-support", is_shared=True
        )
        picked = []
        for text in ASKS[:3]:
            await sandbox.post_message(seed.customer_id, seed.shared_channel_id, text)
            await settle(baton, sandbox)
            handoff = (await handoffs_of(baton))[-1]
            picked.append(handoff.routed_to)
            if strategy is Strategy.LEAST_LOADED and len(picked) == 2:
                await baton.service.act(
                    handoff_id=handoff.id,
                    action=Action.RESOLVE,
                    actor=seed.admin_id,
                    source=EventSource.COMMAND,
                )
        cards = posts(sandbox, seed.triage_channel_id, "baton_card")
        assert picked == expected
        assert [c.text.count(f"<@{user}>") > 0 for c, user in zip(cards, picked, strict=True)] == [True] * 3


async def test_socket_mode_journey(sandbox: Sandbox, seed: SeedInfo, settings, config):
    socket_settings = settings.model_copy(update={"slack_app_token": SecretStr(sandbox.app_token)})
    async with running(socket_settings, config=config) as baton:
        await baton.service.watch_channel(
            channel_id=seed.shared_channel_id, name="acme-support", is_shared=True
        )
        for _ in range(100):
            if sandbox.sockets.connected:
                break
            await asyncio.sleep(0.05)
        posted = await sandbox.post_message(
            seed.customer_id, seed.shared_channel_id, "Can I talk to a person?"
        )
        assert posted.outcome.attempts[0].transport == "socket"
        await settle(baton, sandbox)
        card = card_of(sandbox, seed.triage_channel_id)
        clicked = await sandbox.click_button(seed.rep_id, seed.triage_channel_id, card.ts, "baton_claim")
        assert clicked.outcome.attempts[0].transport == "socket"
        await settle(baton, sandbox)
        (handoff,) = await handoffs_of(baton)
        assert handoff.assignee_id == seed.rep_id


async def test_two_replicas_on_one_postgresql_post_every_card_once(
    sandbox: Sandbox, seed: SeedInfo, settings, config
):
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("several replicas share PostgreSQL (SQLite serves one process)")
    sandbox.set_rate_limit(RateLimit(per_second=5.0, burst=2))
    async with running(settings, config=config) as first, running(settings, config=config) as second:
        await first.service.watch_channel(
            channel_id=seed.shared_channel_id, name="acme-support", is_shared=True
        )
        await describe_acme(first, seed)
        for index, text in enumerate(ASKS * 2):
            sandbox.set_request_url((first, second)[index % 2].events_url)  # a load balancer, alternating
            await sandbox.post_message(seed.customer_id, seed.shared_channel_id, f"{text} ({index})")
        await settle(first, sandbox, timeout=30)
        await settle(second, sandbox, timeout=30)
        assert len(await handoffs_of(first)) == len(ASKS) * 2
    assert_each_once(sandbox, seed, len(ASKS) * 2)


async def test_a_slow_slack_outlasting_a_lease_still_posts_the_card_once(
    sandbox: Sandbox, seed: SeedInfo, settings, config, monkeypatch
):
    """Two replicas; Slack answers each call slowly (inside the client's timeout), so one card's calls take
    longer than its lease: the worker gives the row up before the lease ends, and whoever tries it next
    finds the post by its metadata instead of posting again. (Production's timings scaled by 1/20.)"""
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("several replicas share PostgreSQL (SQLite serves one process)")
    scaled = functools.partial(
        OutboxWorker, lease=timedelta(seconds=3), idle_seconds=0.2, in_flight=timedelta(seconds=2)
    )
    monkeypatch.setattr(bot.runtime, "OutboxWorker", scaled)
    async with running(settings, config=config) as first, running(settings, config=config) as second:
        await first.service.watch_channel(
            channel_id=seed.shared_channel_id, name="acme-support", is_shared=True
        )
        await describe_acme(first, seed)
        for method, count in (("conversations.info", 1), ("auth.test", 2), ("chat.postMessage", 2)):
            sandbox.faults.inject(method, count=count, kind="slow", delay=1.4)
        sandbox.set_request_url(first.events_url)
        await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "Can I talk to a person please?")
        await settle(first, sandbox, timeout=20)
        await settle(second, sandbox, timeout=20)
        await asyncio.sleep(2)  # any call still on its way lands
    assert len(posts(sandbox, seed.triage_channel_id, "baton_card")) == 1


async def test_a_dm_card_whose_first_try_failed_is_posted_even_if_the_dm_cannot_be_read(
    sandbox: Sandbox, seed: SeedInfo, settings
):
    """Before a retry the notifier looks for the first try's post (conversations.history on the DM, which
    needs im:history, in the manifest). Where Baton may not read, it posts rather than lose the card."""
    assert "im:history" in yaml.safe_load(MANIFEST.read_text())["oauth_config"]["scopes"]["bot"]
    to_rep = BatonConfig(routing=RoutingTable(default=Target(TargetKind.USER, seed.rep_id)))
    async with running(settings, config=to_rep) as baton:
        sandbox.set_request_url(baton.events_url)
        await baton.service.watch_channel(
            channel_id=seed.shared_channel_id, name="acme-support", is_shared=True
        )
        await describe_acme(baton, seed)
        sandbox.faults.inject("chat.postMessage", count=2, kind="http_500")  # the first tries fail
        sandbox.faults.inject("conversations.history", count=5, kind="error", error="missing_scope")
        await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "Can I talk to a person?")
        await settle(baton, sandbox, timeout=30)
        (handoff,) = await handoffs_of(baton)
    assert handoff.card_ts is not None


async def test_a_group_with_no_members_posts_the_card_where_its_fallback_says(
    sandbox: Sandbox, seed: SeedInfo, settings
):
    sandbox.add_usergroup("S0EMPTY", "nobody")  # nobody in it
    fallback = Target(TargetKind.CHANNEL, seed.triage_channel_id)
    group = Target(TargetKind.GROUP, "S0EMPTY", fallback=fallback)  # members by DM: no channel of its own
    config = BatonConfig(routing=RoutingTable(routes=(Route(id="support", target=group),)))
    async with running(settings, config=config) as baton:
        sandbox.set_request_url(baton.events_url)
        await baton.service.watch_channel(
            channel_id=seed.shared_channel_id, name="acme-support", is_shared=True
        )
        await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "Can I talk to a person please?")
        await settle(baton, sandbox)
        (handoff,) = await handoffs_of(baton)
    assert handoff.card_channel == seed.triage_channel_id
    assert len(posts(sandbox, seed.triage_channel_id, "baton_card")) == 1


@asynccontextmanager
async def asked_with(
    settings: Any,
    sandbox: Sandbox,
    seed: SeedInfo,
    table: RoutingTable,
    text: str = "Can I talk to a person?",
) -> AsyncIterator[Runtime]:
    """Baton with this routing, the customer's `text` handled and every Slack write delivered."""
    async with running(settings, config=BatonConfig(routing=table)) as baton:
        sandbox.set_request_url(baton.events_url)
        await baton.service.watch_channel(
            channel_id=seed.shared_channel_id, name="acme-support", is_shared=True
        )
        await describe_acme(baton, seed)  # the account owner: the rep
        await sandbox.post_message(seed.customer_id, seed.shared_channel_id, text)
        await settle(baton, sandbox)
        yield baton


async def routed_with(settings: Any, sandbox: Sandbox, seed: SeedInfo, table: RoutingTable) -> Any:
    """A customer's request for a person, with this routing; the handoff once everything was delivered."""
    async with asked_with(settings, sandbox, seed, table, "Can I talk to a person please?") as baton:
        (handoff,) = await handoffs_of(baton)
        events = await baton.service.events(handoff.id)
    return handoff, events


async def test_an_owner_who_left_or_is_a_bot_gets_no_card_the_route_s_fallback_does(
    sandbox: Sandbox, seed: SeedInfo, settings
):
    """The account owner was deactivated (or is a bot): the card goes to the route's fallback, and the
    handoff is no longer meant for them (reminders would name them). Before: DMed to them, nobody saw it."""
    sandbox.workspace.users[seed.rep_id].deleted = True
    triage = Target(TargetKind.CHANNEL, seed.triage_channel_id)
    owner = Target(TargetKind.ACCOUNT_OWNER, fallback=triage)
    handoff, events = await routed_with(settings, sandbox, seed, RoutingTable(default=owner))
    assert handoff.card_channel == seed.triage_channel_id and handoff.routed_to is None
    assert not posts(sandbox, sandbox.workspace.open_dm(seed.rep_id).id, "baton_card")
    (posted,) = [event for event in events if event.kind == "card_posted"]
    assert "can't take handoffs" in posted.data["rerouted"]
    assert len(posts(sandbox, seed.shared_channel_id, "baton_handoff")) == 1  # the customer is told once


async def test_a_card_its_destination_refuses_for_good_goes_to_the_route_s_fallback(
    sandbox: Sandbox, seed: SeedInfo, settings
):
    """Slack refuses the card for good where the route sends it (an archived channel, a DM it won't open):
    the card goes to the route's fallback instead of being lost."""
    sandbox.add_channel("C0OLD", "old-triage", members=[seed.bot_user_id, seed.rep_id])
    sandbox.faults.inject("chat.postMessage", count=1, kind="error", error="is_archived")
    triage = Target(TargetKind.CHANNEL, seed.triage_channel_id)
    table = RoutingTable(default=Target(TargetKind.CHANNEL, "C0OLD", fallback=triage))
    handoff, events = await routed_with(settings, sandbox, seed, table)
    assert handoff.card_channel == seed.triage_channel_id
    (posted,) = [event for event in events if event.kind == "card_posted"]
    assert "is_archived" in posted.data["rerouted"]


async def test_a_group_slack_cannot_list_posts_in_its_channel_and_an_empty_group_falls_back_to_a_group(
    sandbox: Sandbox, seed: SeedInfo, settings
):
    """A user group Slack no longer knows (deleted, a wrong id) counts as having no members: the card goes
    to the group's channel (before: failed for good). An empty group whose fallback is another group that
    DMs its members: one of those is picked and DMed (before: the fallback was squashed to no channel)."""
    gone = Target(TargetKind.GROUP, "S0GONE", channel=seed.triage_channel_id)
    handoff, _ = await routed_with(settings, sandbox, seed, RoutingTable(default=gone))
    assert handoff.card_channel == seed.triage_channel_id

    sandbox.add_usergroup("S0TIER2", "tier2")  # nobody in it
    support = Target(TargetKind.GROUP, seed.support_group_id)
    tier2 = Target(TargetKind.GROUP, "S0TIER2", fallback=support)
    sandbox.workspace.channels[seed.shared_channel_id].members.append(seed.customer_id)
    async with asked_with(
        settings, sandbox, seed, RoutingTable(default=tier2), "I need a human, please"
    ) as baton:
        *_, handoff = await handoffs_of(baton)
    dms = {sandbox.workspace.open_dm(member).id: member for member in (seed.rep_id, seed.admin_id)}
    assert handoff.card_channel in dms and handoff.routed_to == dms[handoff.card_channel]
    assert handoff.target == f"group:{seed.support_group_id}"


async def test_a_triage_channel_shared_later_gets_no_more_internal_posts(
    baton, sandbox: Sandbox, seed: SeedInfo, monkeypatch
):
    """ "Not shared" is believed only briefly (NOT_SHARED_SECONDS, 10 s; here 50 ms): once a Slack Connect
    invitation makes the triage channel shared, cards, mirrors and notes stop going there."""
    monkeypatch.setattr(handlers.notifier, "NOT_SHARED_SECONDS", 0.05)
    first = await sandbox.post_message(
        seed.customer_id, seed.shared_channel_id, "Can I talk to a person please?"
    )
    await settle(baton, sandbox)
    triage = sandbox.workspace.channels[seed.triage_channel_id]
    assert posts(sandbox, triage.id, "baton_card")
    triage.is_ext_shared = True  # the customer's organisation accepted an invitation
    triage.connected_team_ids = [seed.team_id, seed.customer_team_id]
    before = len(sandbox.messages(triage.id, include_replies=True))
    await asyncio.sleep(0.1)
    await sandbox.post_message(
        seed.customer_id, seed.shared_channel_id, "still here", thread_ts=first.message.ts
    )
    await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "I want to speak to a human")
    await settle(baton, sandbox)
    after = sandbox.messages(triage.id, include_replies=True)[before:]
    assert [m for m in after if m.user == seed.bot_user_id] == []


async def test_a_deleted_card_of_a_live_handoff_is_posted_anew(baton, sandbox: Sandbox, seed: SeedInfo):
    """Someone deletes a live handoff's card (tidying up, a misclick): at its next change the card is posted
    anew, showing the state then, and nothing fails (before: the update failed for good, later notes went
    into a deleted thread, and the team never saw the handoff again)."""
    await escalate_all(sandbox, seed, ASKS[:1])
    await settle(baton, sandbox)
    card = card_of(sandbox, seed.triage_channel_id)
    await sandbox.delete_message(seed.admin_id, seed.triage_channel_id, card.ts)
    await settle(baton, sandbox)
    (handoff,) = await handoffs_of(baton)
    await baton.service.act(
        handoff_id=handoff.id, action=Action.CLAIM, actor=seed.rep_id, source=EventSource.COMMAND
    )
    await settle(baton, sandbox)
    (handoff,) = await handoffs_of(baton)
    anew = card_of(sandbox, seed.triage_channel_id)  # the only one not deleted
    assert anew.ts != card.ts and (handoff.card_channel, handoff.card_ts) == (seed.triage_channel_id, anew.ts)
    assert f"<@{seed.rep_id}>" in str(anew.blocks)  # drawn as it is now: claimed
    async with SqlStore(baton.engine).transaction() as tx:
        failed = await tx.connection.exec_driver_sql("SELECT method FROM outbox WHERE failed_at IS NOT NULL")
        assert failed.all() == []
    kinds = [event.kind for event in await baton.service.events(handoff.id)]
    assert kinds.count("card_deleted") == 1 and kinds.count("card_posted") == 2
    told = [
        m.metadata["event_payload"]["state"] for m in posts(sandbox, seed.shared_channel_id, "baton_handoff")
    ]
    assert told == ["open", "claimed"]  # the warm message once (not again with the new card), then who has it


async def test_a_post_slack_refused_with_429_is_retried_without_a_look_up(
    baton, sandbox: Sandbox, seed: SeedInfo
):
    """A 429 means Slack did not post: the retry posts at once, without first reading the channel's history
    for an earlier try (history reads are rate-limited far harder than posts: about one a minute for apps
    outside the Marketplace, so the card came a minute late). A try that may have posted (a dropped answer)
    is still looked up, so it is not posted twice."""
    sandbox.faults.inject("conversations.history", count=10, kind="ratelimit", retry_after=60)
    sandbox.faults.inject("chat.postMessage", count=1, kind="ratelimit", retry_after=1)  # the card: 429
    await escalate_all(sandbox, seed, ASKS[:1])
    for _ in range(100):
        if posts(sandbox, seed.triage_channel_id, "baton_card"):
            break
        await asyncio.sleep(0.1)
    assert len(posts(sandbox, seed.triage_channel_id, "baton_card")) == 1
    assert sandbox.calls_to("conversations.history") == []
    await settle(baton, sandbox)
    sandbox.faults.clear()
    sandbox.faults.inject("chat.postMessage", count=1, kind="drop_after")  # posted, the answer lost
    await escalate_all(sandbox, seed, ASKS[1:2])
    await settle(baton, sandbox)
    assert len(posts(sandbox, seed.triage_channel_id, "baton_card")) == 2
    assert len(sandbox.calls_to("conversations.history")) == 1


async def test_a_burst_of_changes_to_one_card_is_drawn_once(baton, sandbox: Sandbox, seed: SeedInfo):
    """Five quick changes to one handoff while the triage channel waits out a 429: the first update draws
    the latest state, the rest are skipped, not five chat.update calls of the same card spending Slack's
    budget while new cards wait behind them."""
    await escalate_all(sandbox, seed, ASKS[:1])
    await settle(baton, sandbox)
    (handoff,) = await handoffs_of(baton)
    sandbox.faults.inject("chat.update", count=1, kind="ratelimit", retry_after=2)
    before = len(sandbox.calls_to("chat.update"))
    for action, assignee in [
        (Action.CLAIM, None),
        (Action.REASSIGN, seed.admin_id),
        (Action.REASSIGN, seed.rep_id),
        (Action.REASSIGN, seed.admin_id),
    ]:
        await baton.service.act(
            handoff_id=handoff.id,
            action=action,
            actor=seed.rep_id,
            source=EventSource.COMMAND,
            assignee=assignee,
        )
    await settle(baton, sandbox, timeout=30)
    updates = [c for c in sandbox.calls_to("chat.update")[before:] if c.status == 200]
    assert len(updates) == 1
    assert f"<@{seed.admin_id}>" in str(card_of(sandbox, seed.triage_channel_id).blocks)  # the latest state


async def test_a_lost_answer_is_looked_up_even_after_the_look_up_itself_was_rate_limited(
    baton, sandbox: Sandbox, seed: SeedInfo
):
    """Try 1 posts the card but its answer is lost; try 2's look-up for it gets a 429. Try 3 must look
    again, not post blind because the latest try "surely" failed: any earlier try that may have posted keeps
    the row looked up (it was posted twice)."""
    sandbox.faults.inject("chat.postMessage", count=1, kind="drop_after")  # the card: posted, answer lost
    sandbox.faults.inject("conversations.history", count=1, kind="ratelimit", retry_after=1)
    await escalate_all(sandbox, seed, ASKS[:1])
    await settle(baton, sandbox, timeout=40)
    assert_each_once(sandbox, seed, 1)


async def test_a_person_slack_does_not_know_gets_no_card_the_route_s_fallback_does(
    sandbox: Sandbox, seed: SeedInfo, settings
):
    """A route's person Slack does not know (a mistyped id in an imported file: users.info user_not_found):
    the card goes to the route's fallback (it failed for good: the check ran outside the reroute)."""
    triage = Target(TargetKind.CHANNEL, seed.triage_channel_id)
    table = RoutingTable(default=Target(TargetKind.USER, "U0GHOST", fallback=triage))
    handoff, _ = await routed_with(settings, sandbox, seed, table)
    assert handoff.card_channel == seed.triage_channel_id and handoff.routed_to is None


@pytest.mark.parametrize("how", ["the person it went to left", "its group is empty"])
async def test_a_card_that_fell_back_to_a_person_s_dm_stays_one_card_when_handed_to_them(
    sandbox: Sandbox, seed: SeedInfo, settings, how: str
):
    """The card went to a fallback person's DM (the route's person left; the route's group is empty): the
    handoff records whose DM the card is in, so handing it to that person does not post it in the same DM
    a second time (it did: the reroute recorded nobody)."""
    riley_first = Target(TargetKind.USER, seed.rep_id)
    if how == "the person it went to left":
        sandbox.add_user("U0SAM", "sam", real_name="Sam Support")
        sandbox.workspace.users["U0SAM"].deleted = True
        default = Target(TargetKind.USER, "U0SAM", fallback=riley_first)
    else:
        sandbox.add_usergroup("S0EMPTY", "nobody")
        default = Target(TargetKind.GROUP, "S0EMPTY", fallback=riley_first)
    async with asked_with(settings, sandbox, seed, RoutingTable(default=default)) as baton:
        riley = sandbox.workspace.open_dm(seed.rep_id)
        (handoff,) = await handoffs_of(baton)
        assert handoff.card_channel == riley.id and handoff.context["card_dm_of"] == seed.rep_id
        card = card_of(sandbox, riley.id)
        await sandbox.click_button(
            seed.rep_id, riley.id, card.ts, "baton_reassign", selected_user=seed.rep_id
        )
        await settle(baton, sandbox)
    assert card_of(sandbox, riley.id).ts == card.ts  # (card_of: exactly one)
