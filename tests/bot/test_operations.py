"""Operating Baton: configuration mistakes are clear errors that print no secret, an older release starts on
a newer schema, retention keeps what a waiting customer, a live handoff or a queued card still needs, and
malformed credentials are refused as such (401), not crashed on (500)."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import text

from bot.api import add_api, api_middleware
from routing.config import Retention
from routing.service import BatonService
from storage import SqlStore, create_engine, migrate
from tests.bot.conftest import settle
from tests.bot.test_cli import BATON, clean_env, run_baton
from tests.bot.test_handoffs import handoffs_of, thread_texts
from tests.bot.test_intake_http import message_envelope, post, stored

# ---- a configuration error names the variables, never the values (pydantic's text held the environment)


async def test_an_incomplete_configuration_never_prints_the_secrets_it_was_given() -> None:
    bot_token, signing, app_token = "xoxb-1111-SUPER-SECRET", "signing-SUPER-SECRET", "xapp-1-SUPER-SECRET"
    # A bot token without a signing secret (HTTP mode incomplete).
    code, _, err = await run_baton("migrate", env=clean_env(SLACK_BOT_TOKEN=bot_token))
    assert code == 2 and "SLACK_SIGNING_SECRET" in err
    assert bot_token not in err, err
    # A signing secret and an app token without a bot token.
    code, _, err = await run_baton(
        "migrate", env=clean_env(SLACK_SIGNING_SECRET=signing, SLACK_APP_TOKEN=app_token)
    )
    assert code == 2
    assert signing not in err and app_token not in err, err
    # A token pasted into the Slack API URL's variable.
    code, _, err = await run_baton("migrate", env=clean_env(BATON_SLACK_API_URL=bot_token))
    assert code == 2 and "BATON_SLACK_API_URL" in err
    assert bot_token not in err, err


# ---- an older release (a rollback, an old replica restarting during a rolling upgrade) starts on a database
#     a newer release migrated, with BATON_AUTO_MIGRATE on (the default) as with it off


async def test_an_older_release_starts_on_a_database_a_newer_release_migrated(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await migrate(engine)
        async with engine.begin() as connection:  # as the next release's migration 0005 leaves it
            await connection.execute(text("UPDATE alembic_version SET version_num = '0005'"))
    finally:
        await engine.dispose()
    told_not_to_migrate = clean_env(BATON_DATABASE_URL=database_url, BATON_AUTO_MIGRATE="false")
    code, _, err = await run_baton("tokens", "list", env=told_not_to_migrate)
    assert code == 0, err  # tolerated, as require_head's docstring promises
    code, _, err = await run_baton("tokens", "list", env=clean_env(BATON_DATABASE_URL=database_url))
    assert code == 0 and "Traceback" not in err, err[-500:]  # the default: "Can't locate revision '0005'"


# ---- an empty SLACK_SIGNING_SECRET (a blank env-file line, an unset CI secret) is a configuration error,
#     not a server that says it is healthy and answers every Slack request 500


async def test_an_empty_signing_secret_is_a_configuration_error_not_a_server_that_fails_every_request(
    tmp_path,
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = clean_env(
        BATON_DATABASE_URL=f"sqlite:///{tmp_path / 'baton.db'}",
        SLACK_BOT_TOKEN="xoxb-1",
        SLACK_SIGNING_SECRET="",
        BATON_PORT=str(port),
        BATON_HOST="127.0.0.1",
        BATON_SLACK_API_URL="http://127.0.0.1:9/api/",  # nothing is sent to Slack by this test
    )
    process = await asyncio.create_subprocess_exec(
        *BATON, "run", env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        answers: dict[str, int] = {}
        async with aiohttp.ClientSession() as http:
            for _ in range(150):
                if process.returncode is not None:
                    break
                try:
                    async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                        answers["healthz"] = response.status
                    body = b'{"type": "url_verification", "challenge": "c", "token": "t"}'
                    async with http.post(
                        f"http://127.0.0.1:{port}/slack/events",
                        data=body,
                        headers={
                            "Content-Type": "application/json",
                            "X-Slack-Request-Timestamp": "1",
                            "X-Slack-Signature": "v0=0",
                        },
                    ) as response:
                        answers["slack_events"] = response.status
                    break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.1)
        assert process.returncode is not None, f"started and serving with an empty signing secret: {answers}"
        _, err = await process.communicate()
        assert process.returncode == 2 and "SLACK_SIGNING_SECRET" in err.decode()
    finally:
        if process.returncode is None:
            process.terminate()
            await process.communicate()


# ---- retention shorter than the unanswered limit keeps a waiting customer's conversation until the check
#     hands it over


async def test_retention_never_forgets_a_customer_the_unanswered_check_still_waits_for(
    baton, sandbox, seed
) -> None:
    # An admin keeps messages 1 day (retention.message_days: 1); this channel's customers may wait 2 days for
    # an answer before Baton hands the conversation over (the channel's unanswered minutes, up to 7 days).
    baton.service.config = replace(
        baton.service.config, retention=Retention(message_days=1, delivery_days=30)
    )
    async with baton.engine.begin() as connection:
        await connection.execute(
            text("UPDATE channels SET unanswered_minutes = 2880 WHERE channel_id = :c"),
            {"c": seed.shared_channel_id},
        )
    posted = await sandbox.post_message(
        seed.customer_id, seed.shared_channel_id, "Where is my invoice for May?"
    )
    await settle(baton, sandbox)
    assert await handoffs_of(baton) == []
    sent = baton.service.now()

    # Nobody answers; the scheduler sweeps as time passes (every 15 s in production).
    for hours in (25, 49):
        moment = sent + timedelta(hours=hours)
        baton.service._clock = lambda moment=moment: moment  # noqa: SLF001 - the clock the runtime hands in
        await baton.service.sweep()
    handoffs = await handoffs_of(baton)  # (with message_days 90 this is the handoff the sweep opened)
    assert [h.thread_ts for h in handoffs] == [posted.message.ts], (
        "the waiting customer was never handed over"
    )


# ---- retention keeps a live handoff's delivered Slack writes: the "warm:{id}" dedupe key stops a second
#     "someone is coming" message


async def test_retention_keeps_a_live_handoff_from_warming_the_customer_twice(baton, sandbox, seed) -> None:
    root = await sandbox.post_message(
        seed.customer_id, seed.shared_channel_id, "Can I talk to a person please?"
    )
    await settle(baton, sandbox)
    ts = root.message.ts
    assert len(thread_texts(sandbox, seed.shared_channel_id, ts)) == 1  # the warm message, once

    # retention.delivery_days (default 30) later, the handoff still open (nobody has claimed it yet):
    # the scheduler's sweep forgets the delivered Slack writes, the warm message's among them.
    ago = (
        "created_at - interval '31 days'"
        if baton.engine.dialect.name == "postgresql"
        else "datetime(created_at, '-31 days')"
    )
    async with baton.engine.begin() as connection:
        await connection.execute(text(f"UPDATE outbox SET created_at = {ago}"))
    await baton.service.sweep()
    (handoff,) = await handoffs_of(baton)
    assert handoff.state.is_live

    await sandbox.post_message(
        seed.customer_id, seed.shared_channel_id, "This is ridiculous, I still need a human!!", thread_ts=ts
    )
    await settle(baton, sandbox)
    from_baton = [
        m.text
        for m in sandbox.messages(seed.shared_channel_id, thread_ts=ts)[1:]
        if m.user == seed.bot_user_id
    ]
    assert len(from_baton) == 1, from_baton  # told once that a person is coming, as without retention


# ---- retention keeps the messages a queued card update still renders (a handoff closed after its
#     conversation went quiet for retention.message_days)


async def test_a_card_update_still_queued_keeps_the_conversation_it_shows(baton, sandbox, seed) -> None:
    from handlers.cards import render_text
    from routing.handoffs import Action
    from routing.models import EventSource
    from tests.bot.test_handoffs import card_of

    await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "Can I talk to a person please?")
    await settle(baton, sandbox)
    (handoff,) = await handoffs_of(baton)
    card = card_of(sandbox, seed.triage_channel_id)
    assert "Can I talk to a person please?" in render_text(card.text, card.blocks)

    # The conversation went quiet 91 days ago (retention.message_days is 90); the handoff is live, so
    # retention has kept its messages. Slack rate-limits the first card update; a rep resolves the handoff.
    ago = {"postgresql": "{} - interval '91 days'", "sqlite": "datetime({}, '-91 days')"}[
        baton.engine.dialect.name
    ]
    async with baton.engine.begin() as connection:
        await connection.execute(text(f"UPDATE messages SET received_at = {ago.format('received_at')}"))
        await connection.execute(
            text(
                f"UPDATE conversations SET started_at = {ago.format('started_at')}, "
                f"last_message_at = {ago.format('last_message_at')}"
            )
        )
    sandbox.faults.inject("chat.update", count=1, kind="ratelimit", retry_after=2)
    await baton.service.act(
        handoff_id=handoff.id, action=Action.RESOLVE, actor=seed.rep_id, source=EventSource.SLACK_ACTION
    )
    await baton.service.sweep()  # the scheduler's next sweep, while the card update waits out Retry-After
    await settle(baton, sandbox)

    card = card_of(sandbox, seed.triage_channel_id)
    assert card.edited
    assert "Can I talk to a person please?" in render_text(card.text, card.blocks), render_text(
        card.text, card.blocks
    )


# ---- a non-numeric X-Slack-Request-Timestamp is refused (401), not a 500 and a logged "listener failed"


async def test_a_malformed_signature_timestamp_is_a_401_not_a_500(baton, sandbox, seed, caplog) -> None:
    body = message_envelope(seed, "forged")
    errors_before = baton.metrics.errors.labels("slack_events")._value.get()
    for timestamp in ("abc", "", "1e9", "\u00b2", "9" * 5000):  # (isdigit() takes "²"; int() refuses it)
        headers = {
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": "v0=" + "0" * 64,
            "Content-Type": "application/json",
        }
        status, answer = await post(baton.events_url, body, headers)
        assert status == 401, (timestamp, status, answer)
    assert "listener failed" not in caplog.text
    assert baton.metrics.errors.labels("slack_events")._value.get() == errors_before
    assert await stored(baton, seed.shared_channel_id, "1800000000.000100") == []


# ---- a bearer token that is not text is refused (401), not a 500 "internal_error" and a traceback


async def _raw_request(port: int, request: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        await writer.drain()
        return await asyncio.wait_for(reader.read(65536), 10)
    finally:
        writer.close()


async def test_a_bearer_token_that_is_not_utf8_is_refused_with_401(engine, caplog) -> None:
    service = BatonService(store=SqlStore(engine), clock=lambda: datetime.now(UTC))
    app = web.Application(middlewares=[api_middleware(service=service)])
    add_api(app, service=service)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        port = runner.addresses[0][1]
        answer = await _raw_request(
            port,
            b"GET /api/v1/handoffs/1 HTTP/1.1\r\nHost: baton\r\nAuthorization: Bearer \xff\xfe\r\n"
            b"Connection: close\r\n\r\n",
        )
    finally:
        await runner.cleanup()
    status_line = answer.split(b"\r\n", 1)[0]
    assert status_line == b"HTTP/1.1 401 Unauthorized", answer[:300]
    assert "API request GET /api/v1/handoffs/1 failed" not in caplog.text


# ---- plain mistakes in the environment or the arguments are one line and exit code 2, not a traceback


@pytest.mark.parametrize(
    ("args", "env"),
    [
        # A wrong database user (or password): DBAPIError is neither OperationalError nor InterfaceError.
        (
            ["tokens", "list"],
            {"BATON_DATABASE_URL": "postgresql://baton_review_no_such_role:pw@127.0.0.1/postgres"},
        ),
        (
            ["tokens", "list"],
            {"BATON_DATABASE_URL": "mysql://baton:pw@127.0.0.1/baton"},
        ),  # unsupported scheme
        (
            ["tokens", "list"],
            {"BATON_DATABASE_URL": "postgresql://baton:pw@127.0.0.1:54x2/baton"},
        ),  # port typo
        (["report", "--output", "/nonexistent-dir/report.md"], {}),
        (["rules", "export", "--output", "/nonexistent-dir/rules.yaml"], {}),
        (["run"], {"BATON_PORT": "OCCUPIED", "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}),
        (
            ["run"],
            {
                "BATON_HOST": "no-such-host.invalid",
                "BATON_PORT": "0",
                "SLACK_BOT_TOKEN": "xoxb-1",
                "SLACK_SIGNING_SECRET": "s",
            },
        ),
        (
            ["run"],
            {
                "BATON_SLACK_API_URL": "slack.com/api",
                "SLACK_BOT_TOKEN": "xoxb-1",
                "SLACK_SIGNING_SECRET": "s",
                "SLACK_APP_TOKEN": "xapp-1",
                "BATON_PORT": "0",
            },
        ),
    ],
    ids=[
        "db-user",
        "db-scheme",
        "db-port",
        "report-output",
        "rules-output",
        "port-in-use",
        "host",
        "slack-api-url",
    ],
)
async def test_a_plain_mistake_is_a_clear_error_not_a_traceback(tmp_path, args, env) -> None:
    env = {"BATON_DATABASE_URL": f"sqlite:///{tmp_path / 'baton.db'}", **env}
    with socket.socket() as occupied:
        occupied.bind(("0.0.0.0", 0))
        occupied.listen()
        if env.get("BATON_PORT") == "OCCUPIED":
            env["BATON_PORT"] = str(occupied.getsockname()[1])
        code, _, err = await run_baton(*args, env=clean_env(**env))
    assert code == 2 and "Traceback" not in err, err[-700:]
    assert "pw@" not in err


# ---- /healthz only reads: another process holding SQLite's write lock does not make it say 503


async def test_healthz_is_ok_while_another_process_holds_the_sqlite_write_lock(baton, sandbox) -> None:
    if baton.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock")
    other = sqlite3.connect(baton.engine.url.database, isolation_level=None)  # e.g. `baton rules import`
    other.execute("BEGIN IMMEDIATE")
    try:
        async with aiohttp.ClientSession() as http, http.get(f"{baton.url}healthz") as response:
            status, report = response.status, await response.json()
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert (status, report["database"]) == (200, "ok"), report  # the database answers reads meanwhile
