"""The `baton` command as a newcomer runs it: `baton migrate`, and `baton run` with no Slack credentials."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import sys
from pathlib import Path

import aiohttp

BATON = [sys.executable, "-m", "bot"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BATON_"))}
    env.update(extra)
    return env


async def run_baton(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *BATON, *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode or 0, out.decode(), err.decode()


async def test_migrate_brings_a_new_database_to_the_head_revision(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    code, out, err = await run_baton("migrate", env=clean_env(BATON_DATABASE_URL=url))
    assert code == 0, err
    assert "database at revision" in out
    tables = {
        row[0] for row in sqlite3.connect(tmp_path / "fresh.db").execute("SELECT name FROM sqlite_master")
    }
    assert {"messages", "conversations", "handoffs", "handoff_events", "outbox", "processed_events"} <= tables


async def test_a_database_that_cannot_be_used_is_a_clear_error(tmp_path: Path):
    missing = "postgresql://postgres@127.0.0.1:5432/baton_no_such_database"
    code, _, err = await run_baton("migrate", env=clean_env(BATON_DATABASE_URL=missing))
    assert code == 2 and "Traceback" not in err
    assert "can't use the database postgresql://postgres@127.0.0.1:5432/baton_no_such_database" in err
    assert "does not exist (create it first" in err
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    told = clean_env(
        BATON_DATABASE_URL=fresh, BATON_AUTO_MIGRATE="false", BATON_PORT="0", BATON_SANDBOX_PORT="0"
    )
    code, _, err = await run_baton("run", env=told)
    assert code == 2 and "Traceback" not in err
    assert "never migrated" in err and "run `baton migrate`" in err
    code, _, err = await run_baton("tokens", "list", env=told)  # the commands beside `run` too
    assert code == 2 and "never migrated" in err and "Traceback" not in err


async def test_an_unknown_revision_is_a_clear_error_and_migrates_nothing(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    code, _, err = await run_baton("migrate", "--revision", "nosuch", env=clean_env(BATON_DATABASE_URL=url))
    assert code == 2 and "Traceback" not in err
    assert "no revision 'nosuch'; known: 0001" in err and not (tmp_path / "fresh.db").exists()


async def test_incomplete_credentials_are_a_clear_error(tmp_path: Path):
    code, _, err = await run_baton("run", env=clean_env(SLACK_BOT_TOKEN="xoxb-1"))
    assert code == 2
    assert "SLACK_SIGNING_SECRET" in err


async def test_run_without_credentials_serves_a_sandbox_and_stores_a_message_once(tmp_path: Path):
    port, sandbox_port = free_port(), free_port()
    database = tmp_path / "baton.db"
    env = clean_env(
        BATON_PORT=str(port), BATON_SANDBOX_PORT=str(sandbox_port), BATON_DATABASE_URL=f"sqlite:///{database}"
    )
    process = await asyncio.create_subprocess_exec(
        *BATON, "run", env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        async with aiohttp.ClientSession() as http:
            health = await wait_for_health(http, f"http://127.0.0.1:{port}/healthz")
            assert health == {"ok": True, "mode": "http", "database": "ok"}
            post = {"user": "U0ACME1", "channel": "C0ACME", "text": "Hello, I need help with my invoice"}
            async with http.post(f"http://127.0.0.1:{sandbox_port}/sandbox/post", json=post) as response:
                posted = await response.json()
            assert posted["delivery"]["ok"], posted
            event_id = posted["delivery"]["attempts"][0]["id"]
            async with http.post(
                f"http://127.0.0.1:{sandbox_port}/sandbox/redeliver", json={"event_id": event_id}
            ) as response:
                assert (await response.json())["delivery"]["ok"]
    finally:
        process.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, err.decode()
    assert "Post as the customer" in out.decode()
    rows = sqlite3.connect(database).execute("SELECT text, author_kind FROM messages").fetchall()
    assert rows == [("Hello, I need help with my invoice", "customer")]


async def wait_for_health(http: aiohttp.ClientSession, url: str) -> dict:
    for _ in range(200):
        try:
            async with http.get(url) as response:
                if response.status == 200:
                    return await response.json()
        except aiohttp.ClientConnectionError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError(f"{url} never became healthy")


async def test_the_sandbox_keeps_the_last_good_configuration_when_the_file_is_bad(
    tmp_path: Path, caplog, settings
):
    """A bad BATON_CONFIG in sandbox mode is logged and changes nothing, as in production; on a first run
    (nothing stored yet) the sandbox's demo configuration is stored instead."""
    from bot.runtime import running
    from bot.sandbox_mode import sandbox_config
    from routing.config_edits import rule_enabled
    from routing.models import Actor, ChangeSource
    from sandbox import Sandbox, seed_demo_workspace

    demo = sandbox_config(seed_demo_workspace(Sandbox()))
    bad = tmp_path / "baton.yaml"
    bad.write_text("triggers:\n  - id: explicit_request\n    threshold: 7\n")
    with_bad_file = settings.model_copy(update={"config_path": bad})
    with caplog.at_level("ERROR"):
        async with running(with_bad_file, first_run=demo) as runtime:
            assert runtime.service.config == demo and runtime.service.config_version == 1
            admin = Actor(user_id="U0ADMIN", source=ChangeSource.COMMAND)
            await runtime.service.change_config(rule_enabled("deal_moment", False), actor=admin, action="x")
        async with running(with_bad_file, first_run=demo) as runtime:
            assert runtime.service.config_version == 2  # the admin's change, not the demo again
            assert runtime.service.config.rules.rule("deal_moment").enabled is False
    assert "baton.yaml" in caplog.text and "the last good configuration stays in force" in caplog.text
