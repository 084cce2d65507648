"""The App Home through the sandbox: a rep's queue with the card's buttons, the admins' dashboard, the empty
state, the 100-block cap, and acting from the Home tab (which is republished afterwards)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.runtime import Runtime
from handlers.home import HomeTab
from handlers.home_blocks import HomeView
from handlers.permissions import Role
from routing.models import Handoff, HandoffState, Urgency
from sandbox import Sandbox, SeedInfo, View
from storage import SqlStore
from tests.bot.conftest import settle
from tests.bot.test_commands_admin import slash
from tests.bot.test_handoffs import handoffs_of

PRICING = "I need to speak to someone about custom pricing"
CARD_ACTIONS = ["baton_claim", "baton_reassign", "baton_snooze", "baton_resolve", "baton_dismiss"]


def publishes(sandbox: Sandbox, user_id: str) -> int:
    return sum(1 for c in sandbox.calls_to("views.publish") if c.args.get("user_id") == user_id)


async def open_home(sandbox: Sandbox, user_id: str) -> View:
    """Open the Home tab and wait for Baton to publish it."""
    before = publishes(sandbox, user_id)
    result = await sandbox.open_home(user_id)
    assert result.outcome is not None and result.outcome.ok, result.outcome
    return await republished(sandbox, user_id, before)


async def republished(sandbox: Sandbox, user_id: str, before: int, *, timeout: float = 10.0) -> View:
    """The user's Home view once Baton has published it again (after `before` publishes)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while publishes(sandbox, user_id) <= before:
        assert loop.time() < deadline, f"no views.publish for {user_id}"
        await asyncio.sleep(0.02)
    call = [c for c in sandbox.calls_to("views.publish") if c.args.get("user_id") == user_id][-1]
    assert call.response.get("ok"), call.response
    return sandbox.home_views[user_id]


def texts(blocks: list[dict[str, Any]]) -> str:
    """Every text in the blocks, one per line."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(blocks)
    return "\n".join(found)


def handoff_controls(view: View) -> dict[str, list[str]]:
    """The handoff action blocks of a view: block id → action ids."""
    return {
        handoff_block(b["block_id"]): [e["action_id"] for e in b["elements"]]
        for b in view.blocks
        if b["type"] == "actions" and b.get("block_id", "").startswith("baton_handoff:")
    }


def drawn_block(view: View, handoff_id: int | None) -> str:
    """The full block id of a handoff's controls in a view (it says whose the handoff was when drawn)."""
    return next(
        b["block_id"]
        for b in view.blocks
        if handoff_block(b.get("block_id", "")) == f"baton_handoff:{handoff_id}"
    )


def handoff_block(block_id: str) -> str:
    """`baton_handoff:<id>` of a block id that also says whose the handoff was when drawn."""
    return ":".join(block_id.split(":")[:2])


async def test_a_rep_sees_their_queue_with_the_cards_buttons(
    baton: Runtime, sandbox: Sandbox, seed: SeedInfo
):
    await sandbox.post_message(seed.customer_id, seed.shared_channel_id, PRICING)
    await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "Can I talk to a person please?")
    await settle(baton, sandbox)
    pricing, person = await handoffs_of(baton)
    assert (pricing.routed_to, person.target) == (seed.rep_id, f"channel:{seed.triage_channel_id}")

    view = await open_home(sandbox, seed.rep_id)
    text = texts(view.blocks)
    assert "Your queue" in text and "*Sales opportunity* in <#C0ACME> (Acme)" in text
    assert "Waiting for someone to claim it" in text
    # Only the handoff routed to Riley: the other one went to the triage channel.
    assert handoff_controls(view) == {f"baton_handoff:{pricing.id}": CARD_ACTIONS}
    assert "Escalation health" not in text  # the dashboard is for admins


async def test_handoffs_routed_to_a_user_group_are_in_every_members_queue(
    baton: Runtime, sandbox: Sandbox, seed: SeedInfo
):
    group = f"<!subteam^{seed.support_group_id}|@support>"
    assert "route `type-human_request`" in await slash(
        sandbox, seed, f"types set human_request route {group}"
    )
    await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "Can I talk to a person please?")
    await settle(baton, sandbox)
    (handoff,) = await handoffs_of(baton)
    assert handoff.target == f"group:{seed.support_group_id}"
    block = f"baton_handoff:{handoff.id}"

    assert block in handoff_controls(await open_home(sandbox, seed.rep_id))
    assert block in handoff_controls(ada_home := await open_home(sandbox, seed.admin_id))
    drawn = drawn_block(ada_home, handoff.id)  # (the same in both: drawn open, nobody's)

    # Riley claims it from the Home tab: Ada's stale Home still offers it, and her click is answered there.
    before = publishes(sandbox, seed.rep_id)
    await sandbox.click_home_button(seed.rep_id, "baton_claim", block_id=drawn)
    mine = await republished(sandbox, seed.rep_id, before)
    assert "Claimed by you" in texts(mine.blocks)
    before = publishes(sandbox, seed.admin_id)
    await sandbox.click_home_button(seed.admin_id, "baton_claim", block_id=drawn)
    hers = await republished(sandbox, seed.admin_id, before)
    assert f"<@{seed.rep_id}>" in texts(hers.blocks).split("\n")[1]  # the notice, right under the header
    assert block not in handoff_controls(hers)
    await settle(baton, sandbox)
    (handoff,) = await handoffs_of(baton)
    assert (handoff.state, handoff.assignee_id) == (HandoffState.CLAIMED, seed.rep_id)


async def test_an_admin_sees_the_dashboard(baton: Runtime, sandbox: Sandbox, seed: SeedInfo):
    await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "Can I talk to a person please?")
    await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "Thanks, that is all")
    await settle(baton, sandbox)

    view = await open_home(sandbox, seed.admin_id)
    text = texts(view.blocks)
    assert "Escalation health, last 7 days" in text
    assert "*Escalation rate*: 50.0% (1 handoff for 2 customer messages)" in text
    assert "above the healthy 5–15% band" in text
    assert "*Handoffs by trigger*\n• Asked for a person: 1" in text
    assert "No handoff was marked not needed." in text
    assert "*SLA compliance*" in text
    (picker,) = [
        e
        for b in view.blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["type"] == "static_select"
    ]
    assert picker["action_id"] == "baton_edit_type"
    assert "upset_customer" in [o["value"] for o in picker["options"]]


async def test_someone_with_nothing_waiting_learns_what_baton_does(
    baton: Runtime, sandbox: Sandbox, seed: SeedInfo
):
    view = await open_home(sandbox, seed.rep_id)
    text = texts(view.blocks)
    assert "Nothing is waiting for you." in text
    assert "hands a conversation to a person when it needs one" in text
    assert not handoff_controls(view)


async def add_handoffs(runtime: Runtime, user_id: str, count: int) -> list[Handoff]:
    now = datetime.now(UTC)
    urgencies = [Urgency.LOW, Urgency.NORMAL, Urgency.HIGH, Urgency.URGENT]
    async with SqlStore(runtime.engine).transaction() as tx:
        return [
            await tx.handoffs.add(
                Handoff(
                    channel_id="C0ACME",
                    thread_ts=f"1700000000.{i:06d}",
                    escalation_type="complex_question",
                    urgency=urgencies[i % 4],
                    opened_at=now - timedelta(minutes=count - i),
                    target=f"user:{user_id}",
                    routed_to=user_id,
                    reasons=("sensitive_topic",),
                )
            )
            for i in range(count)
        ]


async def test_a_long_queue_stays_within_slacks_100_blocks(baton: Runtime, sandbox: Sandbox, seed: SeedInfo):
    added = await add_handoffs(baton, seed.admin_id, 150)

    view = await open_home(
        sandbox, seed.admin_id
    )  # the sandbox refuses a view over 100 blocks, as Slack does
    assert len(view.blocks) <= 100
    shown = list(handoff_controls(view))
    assert 0 < len(shown) <= 20
    text = texts(view.blocks)
    assert f"…and {150 - len(shown)} more handoffs." in text
    assert "Escalation health" in text  # the dashboard still fits
    # Most urgent first, then newest: the urgent ones, the newest of them on top.
    urgent = sorted(
        (h for h in added if h.urgency is Urgency.URGENT), key=lambda h: h.opened_at, reverse=True
    )
    assert shown == [f"baton_handoff:{h.id}" for h in urgent[: len(shown)]]


async def test_acting_from_the_home_tab_updates_the_card_and_the_home(
    baton: Runtime, sandbox: Sandbox, seed: SeedInfo
):
    await sandbox.post_message(seed.customer_id, seed.shared_channel_id, PRICING)
    await settle(baton, sandbox)
    (handoff,) = await handoffs_of(baton)
    await open_home(sandbox, seed.rep_id)

    before = publishes(sandbox, seed.rep_id)
    result = await sandbox.click_home_button(seed.rep_id, "baton_claim")
    assert result.outcome.ok and "container" in result.payload and "response_url" not in result.payload
    view = await republished(sandbox, seed.rep_id, before)
    assert "Claimed by you" in texts(view.blocks)
    assert handoff_controls(view)[f"baton_handoff:{handoff.id}"] == CARD_ACTIONS[1:]  # no Claim any more

    before = publishes(sandbox, seed.rep_id)
    await sandbox.click_home_button(seed.rep_id, "baton_resolve")
    view = await republished(sandbox, seed.rep_id, before)
    assert "Nothing is waiting for you." in texts(view.blocks)
    await settle(baton, sandbox)
    (handoff,) = await handoffs_of(baton)
    assert handoff.state is HandoffState.RESOLVED
    card = sandbox.message(handoff.card_channel, handoff.card_ts)
    assert "Resolved by" in texts(card.blocks)
    kinds = [e.kind for e in await baton.service.events(handoff.id)]
    assert kinds[:2] == ["opened", "card_posted"] and "claimed" in kinds and kinds[-1] == "resolved"


async def test_a_failed_publish_is_logged_and_the_next_one_works(
    baton: Runtime, sandbox: Sandbox, seed: SeedInfo, caplog
):
    sandbox.faults.inject("views.publish", kind="error", error="internal_error")
    result = await sandbox.open_home(seed.rep_id)
    assert result.outcome is not None and result.outcome.ok  # the event is answered all the same
    await asyncio.sleep(0.2)
    assert seed.rep_id not in sandbox.home_views
    assert any("publishing the App Home of U0REP failed" in r.getMessage() for r in caplog.records)
    assert "Nothing is waiting for you." in texts((await open_home(sandbox, seed.rep_id)).blocks)


async def test_an_older_render_sent_again_after_a_429_does_not_leave_the_home_stale(
    baton, sandbox: Sandbox, seed: SeedInfo
):
    await sandbox.post_message(seed.customer_id, seed.shared_channel_id, PRICING)
    await settle(baton, sandbox)
    await open_home(sandbox, seed.rep_id)
    # The next views.publish is rate limited: the client waits Retry-After and sends that render again.
    sandbox.faults.inject("views.publish", kind="ratelimit", retry_after=1)
    await sandbox.open_home(seed.rep_id)  # render 1: "Waiting for someone to claim it"
    await asyncio.sleep(0.3)
    before = publishes(sandbox, seed.rep_id)
    await sandbox.click_home_button(seed.rep_id, "baton_claim")  # render 2: "Claimed by you"
    assert "Claimed by you" in texts((await republished(sandbox, seed.rep_id, before)).blocks)
    await asyncio.sleep(1.5)  # render 1 lands over it, then the current state again
    await settle(baton, sandbox)
    for _ in range(50):
        if "Claimed by you" in texts(sandbox.home_views[seed.rep_id].blocks):
            break
        await asyncio.sleep(0.1)
    assert "Claimed by you" in texts(sandbox.home_views[seed.rep_id].blocks)


async def test_many_people_s_renders_forget_the_one_refreshed_longest_ago_not_everyone_s() -> None:
    home = HomeTab(max_entries=2)
    published: list[str] = []

    async def publish(*, user_id: str, number: int | None = None, **_: Any) -> bool:
        await asyncio.sleep(0)
        if home._renders.get(user_id) == number:  # what the real publish checks
            published.append(user_id)
        return True

    home.publish = publish  # type: ignore[method-assign]
    for user in ("U1", "U2", "U3"):
        home.refresh(client=None, service=None, user_id=user, role=Role.MEMBER)  # type: ignore[arg-type]
    await home.idle()
    assert published == ["U2", "U3"]  # (clearing everything published only U3's)


async def test_a_click_from_a_home_drawn_before_a_colleague_claimed_is_stopped_and_explained(
    baton, sandbox: Sandbox, seed: SeedInfo
):
    group = f"<!subteam^{seed.support_group_id}|@support>"
    await slash(sandbox, seed, f"types set human_request route {group}")
    await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "Can I talk to a person please?")
    await settle(baton, sandbox)
    (handoff,) = await handoffs_of(baton)
    stale = drawn_block(await open_home(sandbox, seed.admin_id), handoff.id)  # Ada's: waiting for a claim
    card = sandbox.message(handoff.card_channel, handoff.card_ts)
    await sandbox.click_button(seed.rep_id, handoff.card_channel, card.ts, "baton_claim")  # Riley takes it
    await settle(baton, sandbox)

    before = publishes(sandbox, seed.admin_id)
    await sandbox.click_home_button(seed.admin_id, "baton_dismiss", block_id=stale)  # Ada: "not needed"
    hers = await republished(sandbox, seed.admin_id, before)
    (handoff,) = await handoffs_of(baton)
    assert (handoff.state, handoff.assignee_id) == (HandoffState.CLAIMED, seed.rep_id)
    assert f"changed since you saw it: <@{seed.rep_id}> has it" in texts(hers.blocks)
    assert f"baton_handoff:{handoff.id}" not in handoff_controls(hers)  # (Riley's now: not in her queue)
    # The card shows whose it is: clicked from there, it is done (she meant it).
    card = sandbox.message(handoff.card_channel, handoff.card_ts)
    await sandbox.click_button(seed.admin_id, handoff.card_channel, card.ts, "baton_dismiss")
    await settle(baton, sandbox)
    (handoff,) = await handoffs_of(baton)
    assert handoff.state is HandoffState.DISMISSED


async def test_someone_forgotten_and_back_is_published_once_not_again_and_again() -> None:
    home = HomeTab(max_entries=2)
    calls: list[str] = []

    class Client:
        async def views_publish(self, *, user_id: str, view: dict[str, Any]) -> None:
            calls.append(user_id)

    async def view(**_: Any) -> HomeView:
        return HomeView("U0", Role.MEMBER)

    home.view = view  # type: ignore[method-assign]

    async def refresh(user: str) -> None:
        home.refresh(client=Client(), service=None, user_id=user, role=Role.MEMBER)  # type: ignore[arg-type]
        await home.idle()

    await refresh("UB")
    for _ in range(20):
        await refresh("UA")  # A looks at their Home often
    await refresh("UB")
    await refresh("UC")  # a third person: A, refreshed longest ago, is forgotten
    calls.clear()
    await refresh("UA")  # A opens their Home once
    for _ in range(50):
        await home.idle()
        await asyncio.sleep(0)
    assert calls == ["UA"]
