"""Events API over HTTP: signed envelopes, Slack Connect ids, retries, redelivery, url_verification."""

from __future__ import annotations

import hashlib
import hmac
import socket
import time

from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

from sandbox import Sandbox, SeedInfo, seed_demo_workspace
from tests.sandbox.receiver import AppReceiver, Received


def expected_signature(secret: str, received: Received) -> str:
    """Slack's v0 signature, computed independently of the sandbox."""
    timestamp = received.headers["X-Slack-Request-Timestamp"]
    base = f"v0:{timestamp}:{received.body.decode()}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


async def test_customer_message_envelope(sandbox: Sandbox, app: AppReceiver, seed: SeedInfo) -> None:
    result = await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "Can I talk to a person?")

    [received] = app.requests
    assert received.content_type == "application/json"
    assert received.headers["X-Slack-Signature"] == expected_signature(sandbox.signing_secret, received)
    assert abs(int(received.headers["X-Slack-Request-Timestamp"]) - time.time()) < 5
    assert app.bad_signatures == 0
    body = received.json
    assert body["type"] == "event_callback"
    assert body["token"] == sandbox.verification_token
    assert body["api_app_id"] == seed.app_id
    assert body["event_id"].startswith("Ev") and isinstance(body["event_time"], int)
    assert body["team_id"] == seed.customer_team_id  # the acting user's team, as in Slack Connect
    assert body["authorizations"] == [
        {
            "enterprise_id": None,
            "team_id": seed.team_id,
            "user_id": seed.bot_user_id,
            "is_bot": True,
            "is_enterprise_install": False,
        }
    ]
    assert body["is_ext_shared_channel"] is True
    assert body["context_team_id"] == seed.team_id and body["context_enterprise_id"] is None
    assert body["event_context"]
    event = body["event"]
    assert event == result.event
    assert (event["type"], event["channel"], event["user"], event["text"]) == (
        "message",
        seed.shared_channel_id,
        seed.customer_id,
        "Can I talk to a person?",
    )
    assert event["ts"] == event["event_ts"] == result.message.ts
    assert event["channel_type"] == "channel"
    assert event["team"] == event["user_team"] == event["source_team"] == seed.customer_team_id
    assert event["client_msg_id"]
    assert event["blocks"][0]["type"] == "rich_text"
    assert result.outcome is not None and result.outcome.ok


async def test_internal_channel_envelope(sandbox: Sandbox, app: AppReceiver, seed: SeedInfo) -> None:
    await sandbox.post_message(seed.rep_id, seed.triage_channel_id, "internal note")

    body = app.events()[0]
    assert body["team_id"] == seed.team_id
    assert body["is_ext_shared_channel"] is False
    assert "user_team" not in body["event"]


async def test_event_ids_are_unique(sandbox: Sandbox, app: AppReceiver, seed: SeedInfo) -> None:
    for i in range(5):
        await sandbox.post_message(seed.customer_id, seed.shared_channel_id, f"message {i}")

    assert len({e["event_id"] for e in app.events()}) == 5


async def test_no_event_from_a_channel_without_the_bot(
    sandbox: Sandbox, app: AppReceiver, seed: SeedInfo
) -> None:
    sandbox.add_channel("C0RANDOM", "random", members=[seed.rep_id])

    result = await sandbox.post_message(seed.rep_id, "C0RANDOM", "lunch?")

    assert result.outcome is None
    assert app.requests == []


async def test_the_apps_own_posts_come_back_as_events(
    sandbox: Sandbox, app: AppReceiver, client: AsyncWebClient, seed: SeedInfo
) -> None:
    posted = await client.chat_postMessage(
        channel=seed.shared_channel_id, text="A specialist will join shortly"
    )
    await sandbox.drain()

    [body] = app.events("message")
    event = body["event"]
    assert event["ts"] == posted["ts"]
    assert (event["user"], event["bot_id"]) == (seed.bot_user_id, seed.bot_id)
    assert event["bot_profile"]["app_id"] == seed.app_id
    assert body["team_id"] == seed.team_id


async def test_update_and_delete_by_the_app_emit_events(
    sandbox: Sandbox, app: AppReceiver, client: AsyncWebClient, seed: SeedInfo
) -> None:
    posted = await client.chat_postMessage(channel=seed.triage_channel_id, text="v1")
    await client.chat_update(channel=seed.triage_channel_id, ts=posted["ts"], text="v2")
    await client.chat_delete(channel=seed.triage_channel_id, ts=posted["ts"])
    await sandbox.drain()

    subtypes = sorted(str(e["event"].get("subtype")) for e in app.events("message"))
    assert subtypes == ["None", "message_changed", "message_deleted"]


async def test_server_errors_are_retried_three_times(
    sandbox: Sandbox, app: AppReceiver, seed: SeedInfo
) -> None:
    app.statuses = [500, 500, 500, 500]

    result = await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "hello?")

    assert [r.retry_num for r in app.requests] == [None, "1", "2", "3"]
    assert [r.headers.get("X-Slack-Retry-Reason") for r in app.requests[1:]] == ["http_error"] * 3
    assert len({r.json["event_id"] for r in app.requests}) == 1
    assert len({r.body for r in app.requests}) == 1
    assert result.outcome is not None and not result.outcome.ok
    assert [(d.attempt, d.status, d.error) for d in sandbox.deliveries] == [
        (n, 500, "http_error") for n in range(4)
    ]


async def test_a_slow_app_gets_a_retry(sandbox: Sandbox, app: AppReceiver, seed: SeedInfo) -> None:
    app.delays = [1.0]

    result = await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "hello?")

    assert [r.retry_num for r in app.requests] == [None, "1"]
    assert app.requests[1].headers["X-Slack-Retry-Reason"] == "http_timeout"
    assert result.outcome is not None and result.outcome.ok
    first, second = sandbox.deliveries
    assert (first.error, first.status, second.ok, second.retry_reason) == (
        "http_timeout",
        None,
        True,
        "http_timeout",
    )
    assert first.elapsed >= sandbox.delivery_settings.ack_timeout


async def test_unreachable_app_is_connection_failed(sandbox: Sandbox, seed: SeedInfo) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    sandbox.set_request_url(f"http://127.0.0.1:{free_port}/slack/events")

    result = await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "anyone?")

    assert result.outcome is not None
    assert [(a.attempt, a.error) for a in result.outcome.attempts] == [
        (n, "connection_failed") for n in range(4)
    ]
    assert [a.retry_reason for a in result.outcome.attempts] == [None] + ["connection_failed"] * 3


async def test_retry_delays_are_configurable(seed: SeedInfo) -> None:
    async with Sandbox(ack_timeout=0.5, retry_delays=(0.0, 0.1, 0.2), retry_delay_scale=1.0) as sb:
        seed_demo_workspace(sb)
        receiver = AppReceiver(sb.signing_secret, statuses=[500] * 4)
        await receiver.start()
        sb.set_request_url(receiver.url)
        started = time.monotonic()
        await sb.post_message(seed.customer_id, seed.shared_channel_id, "x")
        elapsed = time.monotonic() - started
        await receiver.stop()

    assert len(receiver.requests) == 4
    assert elapsed >= 0.3


async def test_no_request_url_is_recorded(sandbox: Sandbox, seed: SeedInfo) -> None:
    result = await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "x")

    assert result.outcome is not None
    assert [(a.ok, a.error) for a in result.outcome.attempts] == [(False, "no_receiver")]


async def test_redeliver_sends_a_duplicate(sandbox: Sandbox, app: AppReceiver, seed: SeedInfo) -> None:
    result = await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "once")
    assert result.outcome is not None

    again = await sandbox.redeliver(result.outcome.id)

    first, duplicate = app.requests
    assert duplicate.body == first.body
    assert duplicate.json["event_id"] == first.json["event_id"]
    assert duplicate.retry_num == "1"
    assert duplicate.headers["X-Slack-Retry-Reason"] == "http_timeout"
    assert again.ok and again.attempts[0].attempt == 1


async def test_url_verification(sandbox: Sandbox, app: AppReceiver) -> None:
    app.reply = lambda r: {"challenge": r.json["challenge"]}
    assert await sandbox.verify_url() is True
    assert app.requests[0].json["type"] == "url_verification"
    assert app.requests[0].json["token"] == sandbox.verification_token

    app.reply = lambda r: r.json["challenge"]
    assert await sandbox.verify_url() is True

    app.reply = lambda r: web.json_response({"challenge": "something else"})
    assert await sandbox.verify_url() is False
