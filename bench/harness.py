"""Shared pieces of the benchmarks and fault drills: processes, databases, signing, memory, the machine.

The `baton run` process, the throwaway database and the card bookkeeping come from bench/latency/run.py
(loaded by path: the bench folders are scripts, not a package), so every benchmark starts Baton the same way.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import importlib.util
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import aiohttp

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from synthetic import SYNTHETIC  # noqa: E402

from sandbox import Sandbox, SeedInfo, seed_demo_workspace  # noqa: E402

DATA = REPO.parent / "shared" / "data" / "escalation-dev.jsonl"
PYTHON = REPO / ".venv" / "bin" / "python"


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


latency = _load("bench_latency_run", REPO / "bench" / "latency" / "run.py")
BatonProcess = latency.BatonProcess
Database = latency.Database
cpu_seconds = latency.cpu_seconds
percentile = latency.percentile
free_port = latency.free_port
ADMIN_POSTGRES_URL: str = latency.ADMIN_POSTGRES_URL


@dataclass
class Running:
    """A `baton run` process watching the demo's shared channel, with the sandbox as its Slack."""

    sandbox: Sandbox
    seed: SeedInfo
    baton: Any  # BatonProcess
    database: Any  # Database
    workdir: Path


@asynccontextmanager
async def baton_with_sandbox(
    kind: str, postgres_url: str, *, prefix: str, sandbox: Sandbox | None = None
) -> AsyncIterator[Running]:
    """A fresh database of `kind`, the sandbox started and seeded, Baton started as a separate process and
    invited into #acme-support (it starts watching on the event); everything stopped and dropped after."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        workdir = Path(tmp)
        async with Database(kind, workdir, postgres_url) as database:
            sandbox = sandbox or Sandbox()
            await sandbox.start(host="127.0.0.1", port=0)
            baton = None
            try:
                seed = seed_demo_workspace(sandbox, bot_in_shared_channel=False)
                config = workdir / "baton.yaml"
                latency.write_config(config, seed)
                baton = BatonProcess(sandbox, database.url, config, workdir / "baton.log")
                await baton.start()
                sandbox.set_request_url(baton.events_url)
                await sandbox.join_channel(seed.bot_user_id, seed.shared_channel_id, inviter=seed.admin_id)
                yield Running(sandbox, seed, baton, database, workdir)
            finally:
                if baton is not None:
                    await baton.stop()
                if sandbox._runner is not None:
                    await sandbox.stop()


def out(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


# -- texts and signing -----------------------------------------------------------------------------------


def texts(path: Path = DATA, *, seed: int = 8) -> list[str]:
    """A realistic mix of customer texts: the developer split's (read only) when present, else synthetic."""
    if path.exists():
        loaded = [json.loads(line)["text"] for line in path.open() if line.strip()]
    else:
        loaded = SYNTHETIC * 500
    random.Random(seed).shuffle(loaded)
    return loaded


def signed_headers(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """Events API headers, HMAC-SHA256 v0 over `v0:{timestamp}:{body}`."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={digest}",
    }


class Traffic:
    """Customer messages in the watched shared channel, created in the sandbox's workspace (so Baton's
    replies in their threads find them) and returned as the event_callback body Slack would sign."""

    def __init__(self, sandbox: Any, seed: Any, lines: list[str], *, replies: float = 0.25) -> None:
        from sandbox.events import envelope, message_event

        self._envelope, self._message_event = envelope, message_event
        self._sandbox, self._seed, self._lines = sandbox, seed, lines
        self._replies = replies
        self._roots: list[str] = []
        self._random = random.Random(8)
        self.count = 0

    def body(self, text: str | None = None) -> bytes:
        """The next message's body; a quarter are replies in one of the 50 most recent conversations."""
        ws, seed = self._sandbox.workspace, self._seed
        channel = ws.require_channel(seed.shared_channel_id)
        thread_ts = None
        if self._roots and self._random.random() < self._replies:
            thread_ts = self._random.choice(self._roots)
        text = text if text is not None else self._lines[self.count % len(self._lines)]
        self.count += 1
        message = ws.create_message(channel, ws.require_user(seed.customer_id), text, thread_ts=thread_ts,
                                    blocks=_rich_text(text))  # fmt: skip
        if thread_ts is None:
            self._roots.append(message.ts)
            del self._roots[:-50]
        event = self._message_event(ws, message)
        body = self._envelope(ws, event, actor_team=seed.customer_team_id, channel=channel,
                              token=self._sandbox.verification_token)  # fmt: skip
        return json.dumps(body, separators=(",", ":")).encode()

    def forget(self, keep: int = 2000) -> None:
        """Drop all but the newest `keep` messages and the sandbox's records (long runs stay small)."""
        messages = self._sandbox.workspace._messages.get(self._seed.shared_channel_id, [])
        del messages[:-keep]
        for records in (self._sandbox.calls, self._sandbox.deliveries, self._sandbox.envelopes):
            del records[:]


def _rich_text(text: str) -> list[dict[str, Any]]:
    return [{"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": [
        {"type": "text", "text": text}]}]}]  # fmt: skip


# -- processes -------------------------------------------------------------------------------------------


def rss_mb(pid: int) -> float:
    """Resident set size of a process in MB, from /proc/<pid>/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    """Poll GET url until it answers 200 or the process dies."""
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
            try:
                async with session.get(url) as response:
                    if response.status == 200:
                        return
            except (aiohttp.ClientError, OSError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} not healthy after {timeout:g}s")
            await asyncio.sleep(0.1)


async def settle_cpu(pid: int, *, idle_share: float = 0.1, cap: float = 10.0) -> bool:
    """Wait until a process uses under `idle_share` of a core over half a second; False if `cap` passed."""
    deadline = time.monotonic() + cap
    while time.monotonic() < deadline:
        before = cpu_seconds(pid)
        await asyncio.sleep(0.5)
        if (cpu_seconds(pid) - before) / 0.5 < idle_share:
            return True
    return False


# -- databases -------------------------------------------------------------------------------------------


async def count_rows(database_url: str, sql: str) -> int:
    """One scalar from the bench database (e.g. `SELECT count(*) FROM handoffs`)."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            return int((await connection.execute(text(sql))).scalar_one())
    finally:
        await engine.dispose()


# -- the machine -----------------------------------------------------------------------------------------


def machine() -> str:
    """nproc, CPU model, Python and the load average right now (figures depend on all four)."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    return f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}, load average {load}"


def write_json(path: Path | None, rows: list[dict[str, Any]]) -> None:
    """Rows for bench/summary.py: each {figure, value, target, ok, command}."""
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(rows, indent=1) + "\n")
