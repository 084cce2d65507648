"""A customer's message travels from the sandbox to the database over signed Events API requests."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import replace

import aiohttp

from bot.runtime import Runtime, running
from bot.settings import Settings
from routing.models import AuthorKind
from sandbox import Sandbox, SeedInfo, seed_demo_workspace
from storage import SqlStore
from tests.bot.conftest import settle
from tests.bot.test_handoffs import handoffs_of


async def stored(runtime: Runtime, channel: str, thread_ts: str):
    async with SqlStore(runtime.engine).transaction() as tx:
        return await tx.conversations.messages(channel_id=channel, thread_ts=thread_ts)


def event_id_of(result) -> str:
    return result.outcome.attempts[0].id


async def test_customer_message_is_stored_once_even_when_delivered_twice(
    baton, sandbox: Sandbox, seed: SeedInfo
):
    posted = await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "Can I talk to a person?")
    assert posted.outcome.ok
    again = await sandbox.redeliver(event_id_of(posted))
    assert again.ok and again.attempts[-1].status == 200

    messages = await stored(baton, seed.shared_channel_id, posted.message.ts)
    assert [(m.text, m.author_kind, m.author_team) for m in messages] == [
        ("Can I talk to a person?", AuthorKind.CUSTOMER, seed.customer_team_id)
    ]
    async with SqlStore(baton.engine).transaction() as tx:
        conversation = await tx.conversations.get(
            channel_id=seed.shared_channel_id, thread_ts=posted.message.ts
        )
    assert conversation is not None and conversation.message_count == 1


async def test_thread_replies_join_their_conversation_with_author_kinds(
    baton, sandbox: Sandbox, seed: SeedInfo
):
    root = await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "Our invoices look wrong")
    ts = root.message.ts
    await sandbox.post_message(
        seed.ai_bot_user_id, seed.shared_channel_id, "Let me check that.", thread_ts=ts
    )
    await sandbox.post_message(seed.rep_id, seed.shared_channel_id, "I'm on it.", thread_ts=ts)

    messages = await stored(baton, seed.shared_channel_id, ts)
    assert [m.author_kind for m in messages] == [
        AuthorKind.CUSTOMER,
        AuthorKind.AI,
        AuthorKind.INTERNAL,
    ]


async def test_edits_and_deletes_update_history_not_add_messages(baton, sandbox: Sandbox, seed: SeedInfo):
    posted = await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "helo")
    await sandbox.edit_message(seed.customer_id, seed.shared_channel_id, posted.message.ts, "hello")
    second = await sandbox.post_message(
        seed.customer_id, seed.shared_channel_id, "oops", thread_ts=posted.message.ts
    )
    await sandbox.delete_message(seed.customer_id, seed.shared_channel_id, second.message.ts)

    messages = await stored(baton, seed.shared_channel_id, posted.message.ts)
    assert [(m.text, m.edited_at is not None, m.deleted) for m in messages] == [
        ("hello", True, False),
        ("oops", False, True),
    ]

    # The thread's first message, deleted once it has replies: Slack sends a tombstone as message_changed.
    await sandbox.post_message(seed.rep_id, seed.shared_channel_id, "Hi!", thread_ts=posted.message.ts)
    await sandbox.delete_message(seed.customer_id, seed.shared_channel_id, posted.message.ts)
    messages = await stored(baton, seed.shared_channel_id, posted.message.ts)
    assert [(m.text, m.deleted) for m in messages] == [("hello", True), ("oops", True), ("Hi!", False)]


async def test_an_edit_redelivered_late_does_not_undo_a_later_edit(baton, sandbox: Sandbox, seed: SeedInfo):
    posted = await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "helo")
    first = await sandbox.edit_message(seed.customer_id, seed.shared_channel_id, posted.message.ts, "hello")
    await sandbox.edit_message(seed.customer_id, seed.shared_channel_id, posted.message.ts, "hello there")
    again = await sandbox.redeliver(event_id_of(first))
    assert again.ok

    messages = await stored(baton, seed.shared_channel_id, posted.message.ts)
    assert [m.text for m in messages] == ["hello there"]


UNREACHABLE = "http://127.0.0.1:9/slack/events"  # nothing listens: every delivery attempt fails


async def test_an_older_edit_retried_after_a_newer_one_does_not_win(baton, sandbox: Sandbox, seed: SeedInfo):
    posted = await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "helo")
    sandbox.set_request_url(UNREACHABLE)  # the first edit's deliveries all fail...
    first = await sandbox.edit_message(seed.customer_id, seed.shared_channel_id, posted.message.ts, "hello")
    assert not first.outcome.ok
    sandbox.set_request_url(baton.events_url)
    second = await sandbox.edit_message(
        seed.customer_id, seed.shared_channel_id, posted.message.ts, "hello there"
    )
    assert second.outcome.ok
    assert (await sandbox.redeliver(first.outcome.id)).ok  # ...and Slack retries it minutes later

    messages = await stored(baton, seed.shared_channel_id, posted.message.ts)
    assert [m.text for m in messages] == ["hello there"]


async def test_an_edit_delivered_before_its_message_stands_for_it(baton, sandbox: Sandbox, seed: SeedInfo):
    sandbox.set_request_url(UNREACHABLE)
    posted = await sandbox.post_message(
        seed.customer_id, seed.shared_channel_id, "helo, can I talk to a person?"
    )
    assert not posted.outcome.ok
    sandbox.set_request_url(baton.events_url)
    edit = await sandbox.edit_message(
        seed.customer_id, seed.shared_channel_id, posted.message.ts, "hello, can I talk to a person?"
    )
    assert edit.outcome.ok
    assert (await sandbox.redeliver(posted.outcome.id)).ok  # the original, late: a duplicate
    await settle(baton, sandbox)

    messages = await stored(baton, seed.shared_channel_id, posted.message.ts)
    assert [(m.text, m.edited_at is not None) for m in messages] == [("hello, can I talk to a person?", True)]
    assert len(await handoffs_of(baton)) == 1  # judged once, with the edited text


async def test_a_message_deleted_before_it_arrives_is_neither_stored_as_live_nor_judged(
    baton, sandbox: Sandbox, seed: SeedInfo
):
    sandbox.set_request_url(UNREACHABLE)
    text = "Can I talk to a person? This is unacceptable."
    posted = await sandbox.post_message(seed.customer_id, seed.shared_channel_id, text)
    assert not posted.outcome.ok
    sandbox.set_request_url(baton.events_url)
    deleted = await sandbox.delete_message(seed.customer_id, seed.shared_channel_id, posted.message.ts)
    assert deleted.outcome.ok
    assert (await sandbox.redeliver(posted.outcome.id)).ok
    await settle(baton, sandbox)

    messages = await stored(baton, seed.shared_channel_id, posted.message.ts)
    assert [(m.text, m.deleted) for m in messages] == [(text, True)]
    assert await handoffs_of(baton) == []
    assert sandbox.messages(seed.triage_channel_id) == []
    async with SqlStore(baton.engine).transaction() as tx:
        conversation = await tx.conversations.get(
            channel_id=seed.shared_channel_id, thread_ts=posted.message.ts
        )
    assert conversation is not None and conversation.waiting_since is None


async def test_messages_outside_watched_channels_are_acknowledged_and_not_stored(
    baton, sandbox: Sandbox, seed: SeedInfo
):
    posted = await sandbox.post_message(seed.rep_id, seed.triage_channel_id, "internal chatter")
    assert [a.status for a in posted.outcome.attempts] == [200]  # answered at once: no Slack retries
    assert await stored(baton, seed.triage_channel_id, posted.message.ts) == []


async def test_bot_joining_a_shared_channel_starts_watching_it(sandbox: Sandbox, settings):
    seed = seed_demo_workspace(sandbox, bot_in_shared_channel=False)
    async with running(settings) as runtime:
        sandbox.set_request_url(runtime.events_url)
        assert await runtime.service.watched_channel(seed.shared_channel_id) is None
        joined = await sandbox.join_channel(seed.bot_user_id, seed.shared_channel_id, inviter=seed.admin_id)
        assert joined.member_outcome.ok
        channel = await runtime.service.watched_channel(seed.shared_channel_id)
        assert channel is not None and channel.is_shared and channel.name == "acme-support"
        assert [c.args["channel"] for c in sandbox.calls_to("conversations.info")] == [seed.shared_channel_id]


def signed(secret: str, body: bytes, *, timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": "application/json",
    }


def message_envelope(seed: SeedInfo, text: str, ts: str = "1800000000.000100") -> bytes:
    return json.dumps(
        {
            "type": "event_callback",
            "team_id": seed.customer_team_id,
            "api_app_id": seed.app_id,
            "event_id": f"Ev{ts.replace('.', '')}",
            "event_time": 1800000000,
            "is_ext_shared_channel": True,
            "authorizations": [
                {
                    "team_id": seed.team_id,
                    "user_id": seed.bot_user_id,
                    "is_bot": True,
                    "enterprise_id": None,
                    "is_enterprise_install": False,
                }
            ],
            "event": {
                "type": "message",
                "channel": seed.shared_channel_id,
                "user": seed.customer_id,
                "user_team": seed.customer_team_id,
                "text": text,
                "ts": ts,
                "channel_type": "channel",
            },
        }
    ).encode()


async def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.post(url, data=body, headers=headers) as response:
        return response.status, await response.text()


async def test_bad_or_stale_signatures_are_refused_and_store_nothing(baton, sandbox: Sandbox, seed: SeedInfo):
    body = message_envelope(seed, "forged")
    wrong_secret = signed("not-the-secret", body)
    stale = signed(sandbox.signing_secret, body, timestamp=int(time.time()) - 600)
    tampered = signed(sandbox.signing_secret, body)
    for headers, payload in (
        (wrong_secret, body),
        (stale, body),
        (tampered, body.replace(b"forged", b"forgeD")),
    ):
        status, _ = await post(baton.events_url, payload, headers)
        assert status == 401
    status, _ = await post(baton.events_url, body, {"Content-Type": "application/json"})
    assert status == 401
    assert await stored(baton, seed.shared_channel_id, "1800000000.000100") == []

    status, _ = await post(baton.events_url, body, signed(sandbox.signing_secret, body))
    assert status == 200
    assert [m.text for m in await stored(baton, seed.shared_channel_id, "1800000000.000100")] == ["forged"]


async def test_malformed_payloads_get_a_clear_error_and_the_server_keeps_serving(
    baton, sandbox: Sandbox, seed: SeedInfo
):
    for body in (b"{not json", b"[1, 2, 3]", b"\xff\xfe", b'{"type": "event_callback", "event": 5}'):
        status, text = await post(baton.events_url, body, signed(sandbox.signing_secret, body))
        assert status == 400 and "malformed request" in text, (body, status, text)
    # A message event of the right outer shape with a wrong inner one, signed.
    inner = {
        "the event's message is not an object": {"subtype": "message_changed", "message": "oops"},
        "the event's previous_message is not an object": {
            "subtype": "message_deleted",
            "previous_message": 5,
        },
        "event.message.ts is not a string": {"subtype": "message_changed", "message": {"ts": 1.5}},
        "event.thread_ts is not a string": {"thread_ts": {"a": 1}},
        "event.thread_ts is not a string ": {"thread_ts": 5},
        "event.channel is not a string": {"channel": {"a": 1}},
        "event.user_team is not a string": {"user_team": ["T1"]},
        "event.thread_ts contains a NUL character": {"thread_ts": "1800000000.0\u0000"},
    }
    for index, (problem, changes) in enumerate(inner.items()):
        body = json.loads(message_envelope(seed, "hello", ts=f"1800000001.{index:06d}"))
        body["event"].update(changes)
        raw = json.dumps(body).encode()
        status, text = await post(baton.events_url, raw, signed(sandbox.signing_secret, raw))
        assert (status, problem.strip() in text) == (400, True), (problem, status, text)
    posted = await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "still there?")
    assert posted.outcome.ok
    assert len(await stored(baton, seed.shared_channel_id, posted.message.ts)) == 1


async def test_url_verification_echoes_the_challenge(baton, sandbox: Sandbox):
    assert await sandbox.verify_url()


async def test_healthz_reports_the_database(baton):
    async with aiohttp.ClientSession() as session, session.get(f"{baton.url}healthz") as response:
        assert response.status == 200
        assert await response.json() == {"ok": True, "mode": "http", "database": "ok"}


async def test_a_channel_shared_after_baton_joined_it_is_watched_from_then_on(
    sandbox: Sandbox, seed: SeedInfo, settings: Settings
) -> None:
    """The usual Slack Connect set-up: create the channel, invite Baton, then invite the customer. At the join
    the channel is internal (not watched); Slack's `channel_shared` once the customer accepts makes it a
    watched shared channel, and the customer's request for a person opens a handoff. (Before: never watched,
    every customer message there missed.)"""
    async with running(settings) as runtime:
        sandbox.set_request_url(runtime.events_url)
        channel = sandbox.add_channel("C0ONBOARD", "acme-onboarding", members=[seed.rep_id])
        await sandbox.join_channel(seed.bot_user_id, channel.id, inviter=seed.rep_id)
        assert await runtime.service.watched_channel(channel.id) is None  # internal at the join

        channel.members.append(seed.customer_id)
        shared = await sandbox.share_channel(channel.id, seed.customer_team_id)
        assert shared is not None and shared.ok
        watched = await runtime.service.watched_channel(channel.id)
        assert watched is not None and watched.is_shared and watched.name == "acme-onboarding"

        await sandbox.post_message(seed.customer_id, channel.id, "Can I talk to a person please?")
        await settle(runtime, sandbox)
        assert len(await handoffs_of(runtime)) == 1


async def test_sharing_changes_keep_an_admin_s_choice_and_follow_slack(
    sandbox: Sandbox, seed: SeedInfo, settings: Settings
) -> None:
    """A channel an admin stopped watching stays unwatched when another organisation joins it (its sharing is
    updated); a channel whose last other organisation leaves is no longer shared; a pending invitation
    counts as shared at the join (nothing internal may be posted there); when Slack can't describe the
    channel the event fails, and Slack's redelivery watches it."""
    async with running(settings) as runtime:
        sandbox.set_request_url(runtime.events_url)
        service = runtime.service
        acme = await service.watch_channel(
            channel_id=seed.shared_channel_id, name="acme-support", is_shared=True
        )
        await service.save_channel(replace(acme, watched=False))
        await sandbox.share_channel(seed.shared_channel_id, "T0PARTNER")
        kept = await service.known_channel(seed.shared_channel_id)
        assert kept is not None and not kept.watched and kept.is_shared

        await service.save_channel(replace(kept, watched=True))
        await sandbox.unshare_channel(seed.shared_channel_id, "T0PARTNER")
        still = await service.watched_channel(seed.shared_channel_id)
        assert still is not None and still.is_shared  # Acme is still in it
        await sandbox.unshare_channel(seed.shared_channel_id, seed.customer_team_id)
        internal = await service.watched_channel(seed.shared_channel_id)
        assert internal is not None and not internal.is_shared

        pending = sandbox.add_channel("C0PENDING", "acme-pending", members=[seed.rep_id])
        pending.is_pending_ext_shared = True
        await sandbox.join_channel(seed.bot_user_id, pending.id, inviter=seed.rep_id)
        joined = await service.watched_channel(pending.id)
        assert joined is not None and joined.is_shared

        later = sandbox.add_channel("C0LATER", "acme-later", members=[seed.rep_id])
        await sandbox.join_channel(seed.bot_user_id, later.id, inviter=seed.rep_id)
        sandbox.faults.inject("conversations.info", count=1, kind="error", error="internal_error")
        failed = await sandbox.share_channel(later.id, seed.customer_team_id)
        assert failed is not None and len(failed.attempts) == 2 and failed.ok  # failed, then delivered again
        assert await service.watched_channel(later.id) is not None
