"""Bad and disordered input over HTTP: every bad request refused and counted, nothing stored, serving on."""

from __future__ import annotations

import time

import aiohttp
import pytest

from bot.server import MAX_BODY_BYTES
from sandbox import Sandbox, SeedInfo
from storage import SqlStore
from tests.bot.conftest import settle
from tests.bot.test_delivery import assert_each_once
from tests.bot.test_handoffs import handoffs_of
from tests.bot.test_intake_http import message_envelope, signed, stored


async def post_all(url: str, requests: list[tuple[bytes, dict[str, str]]]) -> list[int]:
    async with aiohttp.ClientSession() as session:
        statuses = []
        for body, headers in requests:
            async with session.post(url, data=body, headers=headers) as response:
                statuses.append(response.status)
        return statuses


async def test_an_oversized_payload_is_refused_before_parsing_and_stores_nothing(
    baton, sandbox: Sandbox, seed: SeedInfo
):
    body = message_envelope(seed, "Can I talk to a person? " + "x" * (MAX_BODY_BYTES + 1))
    (status,) = await post_all(baton.events_url, [(body, signed(sandbox.signing_secret, body))])

    assert 400 <= status < 500
    assert await stored(baton, seed.shared_channel_id, "1800000000.000100") == []
    posted = await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "still there?")
    assert posted.outcome.ok


async def test_a_flood_of_bad_requests_is_all_refused_while_valid_events_are_served(
    baton, sandbox: Sandbox, seed: SeedInfo
):
    secret = sandbox.signing_secret
    bad: list[tuple[bytes, dict[str, str]]] = []
    for index in range(10):
        body = message_envelope(seed, "I want a person", ts=f"1800000000.{index:06d}")
        bad += [
            (body, signed("forged-secret", body)),
            (body, signed(secret, body, timestamp=int(time.time()) - 600)),
            (body, {"Content-Type": "application/json"}),
            (body.replace(b"person", b"PERSON"), signed(secret, body)),
            (body[:40], signed(secret, body[:40])),
        ]
    valid = [
        await sandbox.post_message(seed.customer_id, seed.shared_channel_id, f"I need a person ({i})")
        for i in range(3)
    ]
    statuses = await post_all(baton.events_url, bad)
    await settle(baton, sandbox)

    assert sum(400 <= s < 500 for s in statuses) == len(bad) == 50
    assert all(v.outcome.ok for v in valid)
    async with SqlStore(baton.engine).transaction() as tx:
        for index in range(10):
            assert (
                await tx.conversations.messages(
                    channel_id=seed.shared_channel_id, thread_ts=f"1800000000.{index:06d}"
                )
                == []
            )
    assert len(await handoffs_of(baton)) == 3
    assert_each_once(sandbox, seed, 3)


async def test_a_reply_delivered_before_its_root_lands_in_the_same_conversation(
    baton, sandbox: Sandbox, seed: SeedInfo
):
    root = message_envelope(seed, "Our invoices look wrong", ts="1800000000.000100")
    reply = message_envelope(seed, "Hello? Anyone?", ts="1800000000.000200")
    reply = reply.replace(
        b'"ts": "1800000000.000200"', b'"ts": "1800000000.000200", "thread_ts": "1800000000.000100"'
    )
    secret = sandbox.signing_secret
    statuses = await post_all(
        baton.events_url, [(reply, signed(secret, reply)), (root, signed(secret, root))]
    )

    assert statuses == [200, 200]
    messages = await stored(baton, seed.shared_channel_id, "1800000000.000100")
    assert sorted(m.text for m in messages) == ["Hello? Anyone?", "Our invoices look wrong"]


@pytest.mark.parametrize(
    ("sent", "escaped", "kept"),
    [
        # JSON may escape half of a surrogate pair; UTF-8 (either database) cannot store what it decodes to.
        ("I want a person \ud800 now", b"\\ud800", "I want a person \ufffd now"),
        # JSON may carry \u0000; PostgreSQL refuses it in text and jsonb: the message was lost on every retry.
        ("I want a person\u0000 now", b"\\u0000", "I want a person now"),
    ],
    ids=["lone surrogate", "NUL"],
)
async def test_a_character_no_database_stores_is_replaced_and_the_message_kept(
    baton, sandbox: Sandbox, seed: SeedInfo, sent: str, escaped: bytes, kept: str
):
    body = message_envelope(seed, sent, ts="1800000000.000100")
    assert escaped in body
    (status,) = await post_all(baton.events_url, [(body, signed(sandbox.signing_secret, body))])
    await settle(baton, sandbox)

    assert status == 200
    (message,) = await stored(baton, seed.shared_channel_id, "1800000000.000100")
    assert message.text == kept
    (handoff,) = await handoffs_of(baton)
    assert handoff.thread_ts == "1800000000.000100"
