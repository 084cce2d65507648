"""Event → card latency and ack latency of a real `baton run` process against the sandbox, open loop.

usage: .venv/bin/python bench/latency/run.py [--rate 50] [--seconds 20] [--database sqlite|postgresql|both]

The sandbox (our Slack emulator) runs in this process; Baton runs as a separate process (`baton run`, HTTP
mode) so the two never share an event loop. Customer messages asking for a person are posted on a fixed
schedule (each as its own task: a slow answer never delays the next arrival, so there is no coordinated
omission). For every event we record the sandbox's HTTP delivery round trip (the ack latency) and the time
from just before the sandbox delivered the message to the moment it answered the chat.postMessage that put
the conversation's handoff card in the triage channel. The sandbox has no rate limit: the figures exclude
any wait Slack's rate limits would impose. See bench/latency/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from sandbox import Sandbox, SeedInfo, seed_demo_workspace  # noqa: E402

BATON = REPO / ".venv" / "bin" / "baton"
ADMIN_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
TEXT = "Can I talk to a person please? ref-{:06d}"
REF = re.compile(r"ref-(\d{6})")
ACK_TARGET_MS = 50.0
CARD_TARGET_MS = 250.0
CLK_TCK = os.sysconf("SC_CLK_TCK")
IDLE_SECONDS = 2.0


def out(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


# -- measurement records ---------------------------------------------------------------------------------


@dataclass
class Sent:
    """One customer message: when it was due, when it was handed to the sandbox, how the delivery went."""

    ref: int
    due: float
    sent: float
    ack: float | None = None  # first delivery attempt's round trip (or time to its timeout), seconds
    attempts: int = 0
    error: str | None = None


@dataclass
class Result:
    database: str
    rate: float
    seconds: float
    sent: list[Sent] = field(default_factory=list)
    card_at: dict[int, float] = field(default_factory=dict)
    baton_cpu: float = 0.0  # seconds of user+sys over the measured window
    baton_sys: float = 0.0  # the system-time part of baton_cpu
    bench_cpu: float = 0.0
    window: float = 0.0  # wall seconds from the first measured send to the last card (or timeout)
    launch_lag_max: float = 0.0
    duplicates: int = 0
    idle_cpu: float = 0.0  # Baton's CPU share when no events arrive
    api_calls: Counter[str] = field(default_factory=Counter)  # Web API calls in the window, by method
    deliveries: int = 0  # HTTP requests the sandbox sent Baton in the window (events and their echoes)
    transactions: int | None = None  # PostgreSQL commits + rollbacks in the window
    log_problems: list[str] = field(default_factory=list)  # WARNING/ERROR lines in Baton's log

    @property
    def acks_ms(self) -> list[float]:
        return [s.ack * 1000 for s in self.sent if s.ack is not None]

    @property
    def card_ms(self) -> list[float]:
        return [(self.card_at[s.ref] - s.sent) * 1000 for s in self.sent if s.ref in self.card_at]

    @property
    def missing(self) -> list[int]:
        return [s.ref for s in self.sent if s.ref not in self.card_at]

    @property
    def retried(self) -> int:
        return sum(1 for s in self.sent if s.attempts > 1)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


def cpu_times(pid: int) -> tuple[float, float]:
    """(user, system) CPU seconds of a process and its waited-for children, from /proc/<pid>/stat."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
    return (utime + cutime) / CLK_TCK, (stime + cstime) / CLK_TCK


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc/<pid>/stat."""
    return sum(cpu_times(pid))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- databases -------------------------------------------------------------------------------------------


class Database:
    """A fresh database for one run: a temporary SQLite file or a new PostgreSQL database, removed after."""

    def __init__(self, kind: str, workdir: Path, admin_url: str) -> None:
        self.kind = kind
        self._workdir = workdir
        self._admin_url = admin_url
        self._pg_name: str | None = None
        self.url = ""

    async def __aenter__(self) -> Database:
        if self.kind == "sqlite":
            self.url = f"sqlite+aiosqlite:///{self._workdir / 'baton-bench.db'}"
            return self
        import asyncpg

        self._pg_name = f"baton_bench_{secrets.token_hex(4)}"
        connection = await asyncpg.connect(self._admin_url)
        try:
            await connection.execute(f'CREATE DATABASE "{self._pg_name}"')
        finally:
            await connection.close()
        parts = urlsplit(self._admin_url)
        self.url = urlunsplit(("postgresql+asyncpg", parts.netloc, f"/{self._pg_name}", "", ""))
        return self

    async def transactions(self) -> int | None:
        """PostgreSQL: commits + rollbacks so far in the bench database (statistics flush within ~1 s)."""
        if self._pg_name is None:
            return None
        import asyncpg

        await asyncio.sleep(1.1)
        connection = await asyncpg.connect(self._admin_url)
        try:
            row = await connection.fetchrow(
                "SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = $1",
                self._pg_name,
            )
        finally:
            await connection.close()
        return int(row["n"]) if row is not None else None

    async def __aexit__(self, *exc: object) -> None:
        if self._pg_name is None:
            return
        import asyncpg

        connection = await asyncpg.connect(self._admin_url)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{self._pg_name}" WITH (FORCE)')
        finally:
            await connection.close()


# -- Baton as a separate process -------------------------------------------------------------------------


class BatonProcess:
    """`baton run` in HTTP mode against the sandbox; stopped with SIGINT."""

    def __init__(self, sandbox: Sandbox, database_url: str, config: Path, log: Path) -> None:
        self.port = free_port()
        self._log_path = log
        self._env = {
            **os.environ,
            "SLACK_BOT_TOKEN": sandbox.bot_token,
            "SLACK_SIGNING_SECRET": sandbox.signing_secret,
            "BATON_SLACK_API_URL": sandbox.api_url,
            "BATON_HOST": "127.0.0.1",
            "BATON_PORT": str(self.port),
            "BATON_DATABASE_URL": database_url,
            "BATON_CONFIG": str(config),
            "BATON_LOG_LEVEL": "WARNING",
        }
        for name in ("SLACK_APP_TOKEN", "BATON_AUTO_MIGRATE"):
            self._env.pop(name, None)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def events_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def start(self, timeout: float = 60.0) -> None:
        log = self._log_path.open("wb")
        self.process = subprocess.Popen(
            [str(BATON), "run"],
            env=self._env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self._log_path.parent,
        )
        log.close()
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as session:
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(f"baton run exited with {self.process.returncode}:\n{self.log_tail()}")
                try:
                    async with session.get(f"http://127.0.0.1:{self.port}/healthz") as response:
                        if response.status == 200 and (await response.json()).get("ok"):
                            return
                except (aiohttp.ClientError, OSError, ValueError):
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"baton run not healthy after {timeout:g}s:\n{self.log_tail()}")
                await asyncio.sleep(0.1)

    async def stop(self, timeout: float = 20.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def problems(self) -> list[str]:
        """Lines of Baton's log that start a WARNING or ERROR record."""
        try:
            lines = self._log_path.read_text(errors="replace").splitlines()
        except OSError:
            return []
        return [line for line in lines if re.search(r" (WARNING|ERROR|CRITICAL) ", line)]

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self._log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def start_profiler(directory: Path | None, pid: int, kind: str) -> subprocess.Popen[bytes] | None:
    """py-spy record on Baton (on-CPU samples) into DIR/<kind>.folded, collapsed stacks; SIGINT stops it."""
    if directory is None:
        return None
    directory.mkdir(parents=True, exist_ok=True)
    output = directory / f"{kind}.folded"
    command = ["py-spy", "record", "--pid", str(pid), "--rate", "250", "--format", "raw", "-o", str(output)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop_profiler(profiler: subprocess.Popen[bytes] | None) -> None:
    if profiler is None:
        return
    profiler.send_signal(signal.SIGINT)
    try:
        profiler.wait(timeout=30)
    except subprocess.TimeoutExpired:
        profiler.kill()


def write_config(path: Path, seed: SeedInfo) -> None:
    """Every handoff to the triage channel."""
    path.write_text(f"routing:\n  default:\n    kind: channel\n    id: {seed.triage_channel_id}\n")


# -- cards -----------------------------------------------------------------------------------------------


def collect_cards(sandbox: Sandbox, triage: str, seen: int, found: dict[int, float]) -> tuple[int, int]:
    """Scan sandbox.calls from index `seen` for card posts, ref → answer time; (new seen, duplicates)."""
    calls = sandbox.calls
    duplicates = 0
    end = len(calls)
    for call in calls[seen:end]:
        if call.method != "chat.postMessage" or not call.response.get("ok"):
            continue
        if call.response.get("channel") != triage:
            continue
        message: Any = call.response.get("message") or {}
        metadata = message.get("metadata")
        if metadata is None:
            stored = sandbox.message(triage, str(call.response.get("ts")))
            metadata = stored.metadata if stored is not None else None
            message = {"text": stored.text, "blocks": stored.blocks} if stored is not None else message
        if not metadata or metadata.get("event_type") != "baton_card":
            continue
        refs = {int(r) for r in REF.findall(json.dumps([message.get("text"), message.get("blocks")]))}
        if len(refs) != 1:
            raise RuntimeError(f"a card carries {len(refs)} event tokens, expected one: {sorted(refs)}")
        ref = refs.pop()
        if ref in found:
            duplicates += 1
            continue
        found[ref] = call.at
    return end, duplicates


# -- one run ---------------------------------------------------------------------------------------------


async def send_schedule(
    sandbox: Sandbox, seed: SeedInfo, refs: range, rate: float, records: list[Sent]
) -> float:
    """Post one message per ref at `rate`/s, open loop; wait for every delivery; the max launch lag."""
    loop = asyncio.get_running_loop()
    tasks: list[asyncio.Task[None]] = []
    lag = 0.0

    async def post(record: Sent) -> None:
        record.sent = time.monotonic()
        try:
            text = TEXT.format(record.ref)
            result = await sandbox.post_message(seed.customer_id, seed.shared_channel_id, text)
        except Exception as error:  # recorded, reported as a missing card
            record.error = f"{type(error).__name__}: {error}"
            return
        if result.outcome is None:
            record.error = "not delivered (bot not in channel)"
            return
        attempts = result.outcome.attempts
        record.attempts = len(attempts)
        if attempts:
            record.ack = attempts[0].elapsed  # a timeout counts as the ack timeout (censored at 3 s)
            if not attempts[0].ok:
                record.error = attempts[0].error
        else:
            record.error = "no delivery attempt"

    start = loop.time() + 0.05
    for index, ref in enumerate(refs):
        due = start + index / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        lag = max(lag, loop.time() - due)
        record = Sent(ref=ref, due=due, sent=0.0)
        records.append(record)
        tasks.append(asyncio.create_task(post(record)))
    await asyncio.gather(*tasks)
    return lag


async def wait_for_cards(
    sandbox: Sandbox, triage: str, wanted: set[int], found: dict[int, float], timeout: float, seen: int
) -> tuple[int, int]:
    deadline = time.monotonic() + timeout
    duplicates = 0
    while True:
        seen, dup = collect_cards(sandbox, triage, seen, found)
        duplicates += dup
        if wanted <= found.keys() or time.monotonic() > deadline:
            return seen, duplicates
        await asyncio.sleep(0.02)


async def run_one(kind: str, args: argparse.Namespace) -> Result:
    result = Result(database=kind, rate=args.rate, seconds=args.seconds)
    with tempfile.TemporaryDirectory(prefix="baton-bench-") as tmp:
        workdir = Path(tmp)
        async with Database(kind, workdir, args.postgres_url) as database:
            sandbox = Sandbox()  # no rate limit; Slack's real ack timeout (3 s) and retry delays
            await sandbox.start(host="127.0.0.1", port=0)
            baton: BatonProcess | None = None
            try:
                seed = seed_demo_workspace(sandbox, bot_in_shared_channel=False)
                config = workdir / "baton.yaml"
                write_config(config, seed)
                baton = BatonProcess(sandbox, database.url, config, workdir / "baton.log")
                await baton.start()
                sandbox.set_request_url(baton.events_url)
                joined = await sandbox.join_channel(
                    seed.bot_user_id, seed.shared_channel_id, inviter=seed.admin_id
                )
                if joined.member_outcome is None or not joined.member_outcome.ok:
                    raise RuntimeError(f"the member_joined_channel event was not acked:\n{baton.log_tail()}")
                triage = seed.triage_channel_id
                found: dict[int, float] = {}

                warm: list[Sent] = []
                await send_schedule(sandbox, seed, range(args.warmup), args.rate, warm)
                seen, _ = await wait_for_cards(
                    sandbox, triage, {s.ref for s in warm}, found, args.card_timeout, 0
                )
                if len(found) < len(warm):
                    raise RuntimeError(
                        f"warm-up: {len(found)} of {len(warm)} cards; does the text escalate?\n"
                        + baton.log_tail()
                    )
                await sandbox.drain()

                count = max(1, round(args.rate * args.seconds))
                refs = range(args.warmup, args.warmup + count)
                idle_before = cpu_seconds(baton.pid)
                await asyncio.sleep(IDLE_SECONDS)
                result.idle_cpu = (cpu_seconds(baton.pid) - idle_before) / IDLE_SECONDS
                calls_before, deliveries_before = len(sandbox.calls), len(sandbox.deliveries)
                xacts_before = await database.transactions()
                cpu_before, bench_before = cpu_times(baton.pid), time.process_time()
                window_start = time.monotonic()
                profiler = start_profiler(args.py_spy, baton.pid, kind)
                # This process (the sandbox and the load) holds every message and delivery it made; a full
                # collection of that heap stalls it for tens of ms, and a stalled sandbox would time Baton's
                # answers late. Its collector waits during the window; Baton's process is left as it is.
                gc.collect()
                gc.freeze()
                gc.disable()
                try:
                    result.launch_lag_max = await send_schedule(sandbox, seed, refs, args.rate, result.sent)
                    seen, result.duplicates = await wait_for_cards(
                        sandbox, triage, set(refs), found, args.card_timeout, seen
                    )
                finally:
                    gc.enable()
                    gc.unfreeze()
                result.window = time.monotonic() - window_start
                stop_profiler(profiler)
                cpu_after = cpu_times(baton.pid)
                result.baton_sys = cpu_after[1] - cpu_before[1]
                result.baton_cpu = sum(cpu_after) - sum(cpu_before)
                result.bench_cpu = time.process_time() - bench_before
                result.card_at = {ref: at for ref, at in found.items() if ref in refs}
                await sandbox.drain()
                await asyncio.sleep(1.0)  # let the outbox finish the window's other writes
                result.api_calls = Counter(c.method for c in sandbox.calls[calls_before:])
                result.deliveries = len(sandbox.deliveries) - deliveries_before
                xacts_after = await database.transactions()
                if xacts_before is not None and xacts_after is not None:
                    result.transactions = xacts_after - xacts_before
                if result.missing:
                    missing = len(result.missing)
                    out(f"[{kind}] {missing} cards missing; Baton's log ends with:\n{baton.log_tail()}")
            finally:
                if baton is not None:
                    await baton.stop()
                    result.log_problems = baton.problems()
                    if args.keep_logs is not None:
                        args.keep_logs.mkdir(parents=True, exist_ok=True)
                        shutil.copy(workdir / "baton.log", args.keep_logs / f"baton-{kind}.log")
                await sandbox.stop()
    return result


# -- report ----------------------------------------------------------------------------------------------


def fmt(value: float) -> str:
    return "n/a" if value != value else f"{value:.1f}"


def report(results: list[Result]) -> None:
    out()
    out(
        "| database | events | ack p50 / p99 (ms) | event→card p50 / p90 / p99 / max (ms) | cards/events "
        "| Baton CPU per event (ms) |"
    )
    out("|---|---|---|---|---|---|")
    for r in results:
        acks, cards = r.acks_ms, r.card_ms
        events = len(r.sent)
        cpu = r.baton_cpu * 1000 / events if events else float("nan")
        out(
            f"| {r.database} | {events} | {fmt(percentile(acks, 50))} / {fmt(percentile(acks, 99))} "
            f"| {fmt(percentile(cards, 50))} / {fmt(percentile(cards, 90))} / {fmt(percentile(cards, 99))} "
            f"/ {fmt(max(cards, default=float('nan')))} | {len(cards)}/{events} | {fmt(cpu)} |"
        )
    out()
    for r in results:
        acks, cards = r.acks_ms, r.card_ms
        ack99, card99 = percentile(acks, 99), percentile(cards, 99)
        busy = r.baton_cpu / r.window * 100 if r.window else 0.0
        ack_ok = ack99 < ACK_TARGET_MS
        card_ok = card99 < CARD_TARGET_MS and not r.missing
        out(
            f"{r.database}: ack p99 {fmt(ack99)} ms < {ACK_TARGET_MS:g} ms: {'PASS' if ack_ok else 'FAIL'}; "
            f"event→card p99 {fmt(card99)} ms < {CARD_TARGET_MS:g} ms: {'PASS' if card_ok else 'FAIL'}"
        )
        out(
            f"  ack p90 {fmt(percentile(acks, 90))} ms, max {fmt(max(acks, default=float('nan')))} ms; "
            f"{r.retried} events redelivered by the sandbox; {r.duplicates} duplicate cards; "
            f"max launch lag {r.launch_lag_max * 1000:.1f} ms; window {r.window:.1f} s; "
            f"Baton CPU {r.baton_cpu:.1f} s ({busy:.0f}% of a core; {r.baton_sys:.1f} s system), "
            f"bench+sandbox CPU {r.bench_cpu:.1f} s"
        )
        if r.missing:
            shown = ", ".join(f"ref-{m:06d}" for m in r.missing[:20])
            out(f"  MISSING {len(r.missing)} cards: {shown}{' …' if len(r.missing) > 20 else ''}")
        events = len(r.sent) or 1
        per_event = ", ".join(f"{m} {n / events:.2f}" for m, n in sorted(r.api_calls.items()))
        xacts = (
            f"; {r.transactions / events:.1f} PostgreSQL transactions" if r.transactions is not None else ""
        )
        out(
            f"  per event: {r.deliveries / events:.2f} HTTP requests to Baton{xacts}; "
            f"Web API calls: {per_event}; Baton idle CPU {r.idle_cpu * 100:.1f}% of a core"
        )
        if r.log_problems:
            out(f"  Baton logged {len(r.log_problems)} warnings/errors, e.g. {r.log_problems[0][:300]}")
        errors = [s for s in r.sent if s.error]
        if errors:
            out(f"  {len(errors)} deliveries failed, e.g. ref-{errors[0].ref:06d}: {errors[0].error}")
    out()
    out(
        f"python {platform.python_version()}, {os.cpu_count()} CPUs, {_cpu_model()}; "
        "no sandbox rate limit (figures exclude Slack-imposed waits)"
    )


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


async def main_async(args: argparse.Namespace) -> int:
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    results: list[Result] = []
    for kind in kinds:
        out(f"[{kind}] {args.warmup} warm-up events, then {args.rate:g} events/s for {args.seconds:g} s …")
        results.append(await run_one(kind, args))
    report(results)
    return 1 if any(r.missing for r in results) else 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=50.0, help="events per second (default 50)")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured duration (default 20)")
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--warmup", type=int, default=20, help="warm-up events, not measured (default 20)")
    parser.add_argument(
        "--card-timeout", type=float, default=120.0, help="seconds to wait for the last cards"
    )
    parser.add_argument("--postgres-url", default=ADMIN_POSTGRES_URL, help="admin URL to create the database")
    parser.add_argument("--keep-logs", type=Path, metavar="DIR", help="copy Baton's log to DIR")
    parser.add_argument(
        "--py-spy",
        type=Path,
        metavar="DIR",
        help="profile Baton during the measured window with py-spy (on PATH) into DIR/<database>.folded",
    )
    args = parser.parse_args()
    if not BATON.exists():
        parser.error(f"{BATON} not found: run `make run` or create .venv first")
    sys.exit(asyncio.run(main_async(args)))


if __name__ == "__main__":
    main()
