"""One SLA sweep over 100,000 open handoffs of which 1% are due, on SQLite and PostgreSQL.

usage: .venv/bin/python bench/sweep/run.py [--database sqlite|postgresql|both] [--handoffs 100000]
       [--due 1000] [--repeats 5] [--warmup 1] [--waiting 0.0] [--profile FILE.prof]

A fresh database per run (a SQLite file in a temporary directory, or a new PostgreSQL database dropped at the
end), migrated, then seeded in bulk with SQLAlchemy Core: one watched shared channel, N open handoffs built
as the service builds them (`open_handoff` then `start_clock` with the default policy of their type, a mix
of all six types) and serialised as `storage/handoffs.py` does, and one answered conversation (a customer
message and the AI's answer) per handoff. Exactly `--due` of them (spread evenly through the table) are
past their claim deadline at the sweep's fixed `now`; the others' next check is in the future.

Each round times three `BatonService.sweep(limit=1000)` calls at the same `now`: the first fires the
breaches, the second the escalation chain's tier 0 (a reminder with no wait), the third finds nothing due.
Between rounds the due handoffs are written back to their seeded state and the events and outbox rows are
deleted. The first `--warmup` rounds are not counted (a scheduler is a long-running process: its statement
caches and connection pool are warm). See bench/sweep/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import functools
import io
import platform
import pstats
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from sqlalchemy import bindparam, delete, event, func, insert, select, text, update  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine  # noqa: E402

from routing.config import BatonConfig  # noqa: E402
from routing.decision import DEFAULT_ESCALATION_TYPES, Decision, TriggerHit, TriggerKind  # noqa: E402
from routing.handoffs import open_handoff  # noqa: E402
from routing.models import Account, AuthorKind, Handoff, MessageFacts, WatchedChannel  # noqa: E402
from routing.routes import RoutingTable, Target, TargetKind  # noqa: E402
from routing.service import BatonService  # noqa: E402
from routing.sla import DEFAULT_POLICIES  # noqa: E402
from routing.sweep import SweepReport, start_clock  # noqa: E402
from storage import SqlStore, create_engine, migrate  # noqa: E402
from storage.handoffs import _values  # noqa: E402  (the exact serialisation the repository writes)
from storage.tables import CONVERSATIONS, HANDOFF_EVENTS, HANDOFFS, MESSAGES, OUTBOX  # noqa: E402

ADMIN_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
NOW = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)  # a Monday, inside the default office hours (09–17 UTC)
CHANNEL = "C0ACME"
TRIAGE = "C0TRIAGE"
TARGET_MS = 50.0  # on PostgreSQL, for the sweep with 1% due
LIMIT = 1000
CHUNK = 5000  # rows per bulk INSERT
TYPES = tuple(DEFAULT_POLICIES)
URGENCY = {t.name: t.urgency for t in DEFAULT_ESCALATION_TYPES}
APPROACH = {t.name: t.approach for t in DEFAULT_ESCALATION_TYPES}
TRIGGER = {
    "upset_customer": TriggerKind.FRUSTRATION,
    "human_request": TriggerKind.EXPLICIT_REQUEST,
    "sales_opportunity": TriggerKind.DEAL_MOMENT,
    "complex_question": TriggerKind.SENSITIVE_TOPIC,
    "uncertain_ai": TriggerKind.LOW_CONFIDENCE,
    "routine_review": TriggerKind.UNANSWERED,
}
SWEEPS = ("first", "second", "idle")


def out(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


# -- the database ----------------------------------------------------------------------------------------


@asynccontextmanager
async def fresh_database(kind: str, admin_url: str) -> AsyncIterator[str]:
    """The URL of a new, empty database; a PostgreSQL one is dropped (WITH (FORCE)) afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="baton-sweep-") as workdir:
            yield f"sqlite+aiosqlite:///{Path(workdir) / 'bench.db'}"
        return
    import asyncpg

    name = f"baton_bench_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        host = admin_url.split("://", 1)[1].rsplit("/", 1)[0]
        yield f"postgresql+asyncpg://{host}/{name}"
    finally:
        admin = await asyncpg.connect(admin_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


# -- seeding ---------------------------------------------------------------------------------------------


def build_handoff(i: int, *, due: bool, rng: random.Random) -> Handoff:
    """Handoff number i as the service would have opened it, its card posted."""
    kind = rng.choice(TYPES)
    claim = DEFAULT_POLICIES[kind].claim_within_minutes
    if due:  # claim deadline passed 1–5 minutes ago: the warning and the breach are overdue, the breach fires
        age = (claim + 1 + rng.randrange(5)) * 60
    else:  # opened less than half the claim time ago (in 10 s steps): even the warning (at 75%) is ahead
        age = int(rng.random() * claim * 3) * 10
    # Every handoff opens at its own instant (microseconds apart), as real ones do: nothing the sweep derives
    # from `opened_at` (deadlines, warning and chain times) is shared between two handoffs.
    opened_at = NOW - timedelta(seconds=age, microseconds=i)
    ts = f"{1_790_000_000 + i}.000100"
    facts = replace(_facts(), ts=ts, thread_ts=ts, received_at=opened_at)
    target = f"channel:{TRIAGE}"
    draft = open_handoff(_decision(kind), facts, target=target, route_id="default", now=opened_at)
    draft = start_clock(draft, DEFAULT_POLICIES[kind], timezone=None)
    context = {**draft.context, "card_key": TRIAGE, "card_channel": TRIAGE, "group": "", "strategy": ""}
    handoff = replace(draft, context=context, card_channel=TRIAGE, card_ts=f"{1_790_000_000 + i}.000200")
    assert handoff.next_check_at is not None and (handoff.next_check_at <= NOW) is due, (i, kind, due)
    return handoff


@functools.cache
def _facts() -> MessageFacts:
    """The customer's message that opened a handoff (its ts and time are set per handoff)."""
    return MessageFacts(
        channel_id=CHANNEL, ts="", thread_ts="", author_id="U0ACME1", author_team="T0ACME",
        author_kind=AuthorKind.CUSTOMER, text="Can I talk to a person please?", received_at=NOW,
    )  # fmt: skip


@functools.cache
def _decision(kind: str) -> Decision:
    """The decision that opened a handoff of `kind`."""
    hit = TriggerHit(TRIGGER[kind], TRIGGER[kind].value, 0.9, ("talk to a person",), f"{kind} fired")
    return Decision(
        escalate=True, escalation_type=kind, urgency=URGENCY[kind], hits=(hit,),
        suggested_approach=APPROACH[kind], score=0.9,
    )  # fmt: skip


@dataclass
class Seeded:
    handoffs: int
    due: int
    seconds: float
    original: list[dict[str, Any]]  # the due handoffs' seeded rows, to write them back between rounds


async def seed(engine: AsyncEngine, *, handoffs: int, due: int, waiting: float) -> Seeded:
    started = time.perf_counter()
    every = handoffs // due if due else handoffs + 1
    rng = random.Random(20261130)
    rows: list[dict[str, Any]] = []
    original: list[dict[str, Any]] = []
    for i in range(handoffs):
        is_due = due > 0 and i % every == every // 2 and (i // every) < due
        values = {**_values(build_handoff(i, due=is_due, rng=rng)), "version": 1}  # version 1: card posted
        rows.append(values)
        if is_due:
            original.append(values)
    assert len(original) == due, (len(original), due)
    async with engine.begin() as connection:
        for start in range(0, len(rows), CHUNK):
            await connection.execute(insert(HANDOFFS), rows[start : start + CHUNK])
        ids = {ts: id_ for id_, ts in await connection.execute(select(HANDOFFS.c.id, HANDOFFS.c.thread_ts))}
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            await connection.execute(insert(CONVERSATIONS), [_conversation(r, rng, waiting) for r in chunk])
            await connection.execute(insert(MESSAGES), [m for r in chunk for m in _messages(r)])
    for values in original:
        values["b_id"] = ids[values["thread_ts"]]
    return Seeded(handoffs, due, time.perf_counter() - started, original)


def _conversation(handoff: dict[str, Any], rng: random.Random, waiting: float) -> dict[str, Any]:
    opened_at = handoff["opened_at"]
    still_waiting = rng.random() < waiting  # the customer's question unanswered since the handoff opened
    return {
        "channel_id": CHANNEL,
        "thread_ts": handoff["thread_ts"],
        "started_at": opened_at - timedelta(seconds=1),
        "last_message_at": opened_at,
        "message_count": 2,
        "customer_message_count": 1,
        "waiting_since": opened_at - timedelta(seconds=1) if still_waiting else None,
    }


def _messages(handoff: dict[str, Any]) -> list[dict[str, Any]]:
    ts, opened_at = handoff["thread_ts"], handoff["opened_at"]
    common = {"channel_id": CHANNEL, "thread_ts": ts, "author_team": "T0ACME", "deleted": False}
    return [
        {**common, "ts": ts, "author_id": "U0ACME1", "author_kind": AuthorKind.CUSTOMER.value,
         "text": "Can I talk to a person please?", "received_at": opened_at - timedelta(seconds=1)},
        {**common, "ts": ts[:-4] + "0300", "author_id": "B0AI", "author_kind": AuthorKind.AI.value,
         "text": "I'm getting a colleague for you.", "received_at": opened_at},
    ]  # fmt: skip


async def reset(engine: AsyncEngine, seeded: Seeded) -> None:
    """The due handoffs back to their seeded state; no events, no outbox rows."""
    async with engine.begin() as connection:
        await connection.execute(delete(OUTBOX))
        await connection.execute(delete(HANDOFF_EVENTS))
        if seeded.original:
            statement = update(HANDOFFS).where(HANDOFFS.c.id == bindparam("b_id"))
            await connection.execute(statement, seeded.original)
    await analyze(engine)


async def analyze(engine: AsyncEngine) -> None:
    """PostgreSQL: fresh planner statistics, as autovacuum keeps them. SQLite: none (no autoanalyze)."""
    if engine.dialect.name == "postgresql":
        async with engine.begin() as connection:
            await connection.execute(text("ANALYZE"))


async def check_outcome(engine: AsyncEngine, *, events: int, outbox: int) -> None:
    async with engine.connect() as connection:
        got_events = (await connection.execute(select(func.count()).select_from(HANDOFF_EVENTS))).scalar()
        got_outbox = (await connection.execute(select(func.count()).select_from(OUTBOX))).scalar()
    if (got_events, got_outbox) != (events, outbox):
        raise SystemExit(f"expected {events} events and {outbox} outbox rows, got {got_events}, {got_outbox}")


# -- timing ----------------------------------------------------------------------------------------------


@dataclass
class Timings:
    """Seconds and calls per label within one sweep."""

    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    statements: int = 0

    def add(self, label: str, seconds: float) -> None:
        self.seconds[label] += seconds
        self.calls[label] += 1


class _TimedRepository:
    """Delegates to a repository, adding each coroutine method's wall time to `timings`."""

    def __init__(self, inner: Any, name: str, timings: Callable[[], Timings]) -> None:
        self._inner, self._name, self._timings = inner, name, timings

    def __getattr__(self, attribute: str) -> Any:
        method = getattr(self._inner, attribute)
        if not callable(method):
            return method
        label = f"{self._name}.{attribute}"

        async def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await method(*args, **kwargs)
            finally:
                self._timings().add(label, time.perf_counter() - started)

        return timed


class TimedStore:
    """SqlStore whose transactions time begin (pool checkout, pre-ping), each repository call and commit."""

    REPOSITORIES = ("processed_events", "channels", "conversations", "handoffs", "handoff_events", "outbox")

    def __init__(self, store: SqlStore) -> None:
        self._store = store
        self.timings = Timings()

    @asynccontextmanager
    async def transaction(self, **kwargs: Any) -> AsyncIterator[Any]:
        started = time.perf_counter()
        async with self._store.transaction(**kwargs) as tx:
            self.timings.add("begin", time.perf_counter() - started)
            for name in self.REPOSITORIES:
                setattr(tx, name, _TimedRepository(getattr(tx, name), name, lambda: self.timings))
            yield tx
            committing = time.perf_counter()
        self.timings.add("commit", time.perf_counter() - committing)


@dataclass
class SweepRun:
    ms: float
    report: SweepReport
    timings: Timings
    cpu_ms: float = 0.0  # this process's CPU time: Baton's Python side, whatever else runs on the machine


async def timed_sweep(
    service: BatonService, store: TimedStore, *, expect: int, profiler: cProfile.Profile | None = None
) -> SweepRun:
    store.timings = Timings()
    started, cpu = time.perf_counter(), time.process_time()
    if profiler is not None:
        profiler.enable()
    report = await service.sweep(limit=LIMIT)
    if profiler is not None:
        profiler.disable()
    ms = (time.perf_counter() - started) * 1000
    cpu_ms = (time.process_time() - cpu) * 1000
    if report.steps != expect or report.failed or report.opened:
        raise SystemExit(f"expected {expect} steps, nothing failed or opened; got {report}")
    return SweepRun(ms, report, store.timings, cpu_ms)


# -- one database ----------------------------------------------------------------------------------------


@dataclass
class Result:
    database: str
    handoffs: int
    due: int
    seed_seconds: float
    runs: list[dict[str, SweepRun]]
    profile: str = ""

    def ms(self, sweep: str) -> list[float]:
        return [run[sweep].ms for run in self.runs]


async def bench_database(kind: str, args: argparse.Namespace) -> Result:
    async with fresh_database(kind, args.admin_url) as url:
        engine = create_engine(url)
        statements = {"n": 0}

        def count(*_: Any) -> None:
            statements["n"] += 1

        event.listen(engine.sync_engine, "before_cursor_execute", count)
        try:
            await migrate(engine)
            store = TimedStore(SqlStore(engine))
            base = BatonConfig(routing=RoutingTable(default=Target(TargetKind.CHANNEL, TRIAGE)))
            service = BatonService(store=store, clock=lambda: NOW, config=base)  # type: ignore[arg-type]
            channel = WatchedChannel(
                channel_id=CHANNEL, name="acme", is_shared=True, account=Account(name="Acme"), added_at=NOW
            )
            await service.save_channel(channel)
            seeded = await seed(engine, handoffs=args.handoffs, due=args.due, waiting=args.waiting)
            await analyze(engine)
            out(f"{kind}: seeded {seeded.handoffs} handoffs ({seeded.due} due) in {seeded.seconds:.1f} s")
            runs: list[dict[str, SweepRun]] = []
            profile = ""
            rounds = (
                args.warmup + args.repeats + (1 if args.profile else 0)
            )  # the profiled round: not counted
            for number in range(rounds):
                if number:
                    await reset(engine, seeded)
                profiler = cProfile.Profile() if args.profile and number == rounds - 1 else None
                run: dict[str, SweepRun] = {}
                for sweep, expect in zip(SWEEPS, (args.due, args.due, 0), strict=True):
                    statements["n"] = 0
                    run[sweep] = await timed_sweep(
                        service,
                        store,
                        expect=min(expect, LIMIT),
                        profiler=profiler if sweep == "first" else None,
                    )
                    run[sweep].timings.statements = statements["n"]
                outbox = 3 * min(args.due, LIMIT)  # breach: card update + note; tier 0: a reminder note
                await check_outcome(engine, events=2 * min(args.due, LIMIT), outbox=outbox)
                counted = args.warmup <= number < args.warmup + args.repeats
                note = "" if counted else " (profiled, not counted)" if profiler else " (warm-up)"
                out(
                    f"  round {number + 1}/{rounds}{note}: "
                    + ", ".join(f"{s} {run[s].ms:.1f} ms (CPU {run[s].cpu_ms:.1f})" for s in SWEEPS)
                )
                if counted:
                    runs.append(run)
                if profiler is not None:
                    profile = _profile_text(profiler, args.profile, kind)
            return Result(kind, seeded.handoffs, seeded.due, seeded.seconds, runs, profile)
        finally:
            await engine.dispose()


def _profile_text(profiler: cProfile.Profile, path: str, kind: str) -> str:
    target = Path(path)
    target = target.with_name(f"{target.stem}-{kind}{target.suffix or '.prof'}")
    profiler.dump_stats(str(target))
    buffer = io.StringIO()
    stats = pstats.Stats(profiler, stream=buffer)
    stats.strip_dirs().sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(40)
    return f"(saved to {target})\n{buffer.getvalue()}"


# -- report ----------------------------------------------------------------------------------------------


def _med_min(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} / {min(values):.1f}"


def table(results: list[Result], *, waiting: float) -> list[str]:
    label = f" ({waiting:.0%} waiting)" if waiting else ""
    due = results[0].due if results else LIMIT
    lines = [
        f"| database | handoffs | due | sweep with {due:,} due (median / min ms) | second sweep | idle sweep "
        f"| target < {TARGET_MS:.0f} ms on PostgreSQL |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        median = statistics.median(r.ms("first"))
        verdict = ("PASS" if median < TARGET_MS else "FAIL") if r.database == "postgresql" else "n/a"
        lines.append(
            f"| {r.database}{label} | {r.handoffs:,} | {r.due:,} | {_med_min(r.ms('first'))} | "
            f"{_med_min(r.ms('second'))} | {_med_min(r.ms('idle'))} | {verdict} |"
        )
    return lines


def breakdown(result: Result) -> list[str]:
    """Median per-part time of each sweep; "Python" is the wall time not spent in a timed store call.

    A sweep with more than one chunk of due handoffs runs several transactions at once on PostgreSQL: their
    parts overlap, so they add up to more than the wall time and "Python" is not shown (n/a).
    """
    lines = [
        f"{result.database}: median ms per part (calls), {len(result.runs)} rounds",
        "",
        "| part | " + " | ".join(SWEEPS) + " |",
        "|---|" + "---|" * len(SWEEPS),
    ]
    labels = sorted({label for run in result.runs for s in SWEEPS for label in run[s].timings.seconds})
    labels.sort(key=lambda label: (label != "begin", label == "commit", label))
    for label in labels:
        cells = []
        for sweep in SWEEPS:
            ms = [run[sweep].timings.seconds.get(label, 0.0) * 1000 for run in result.runs]
            calls = result.runs[-1][sweep].timings.calls.get(label, 0)
            cells.append(f"{statistics.median(ms):.1f} ({calls})")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    rest = []
    for sweep in SWEEPS:
        ms = [run[sweep].ms - sum(run[sweep].timings.seconds.values()) * 1000 for run in result.runs]
        rest.append(f"{statistics.median(ms):.1f}" if min(ms) >= 0 else "n/a")
    lines.append("| Python outside store calls | " + " | ".join(rest) + " |")
    statements = [str(result.runs[-1][sweep].timings.statements) for sweep in SWEEPS]
    lines.append("| SQL statements | " + " | ".join(statements) + " |")
    cpu = [f"{statistics.median(run[sweep].cpu_ms for run in result.runs):.1f}" for sweep in SWEEPS]
    lines.append("| this process's CPU (median) | " + " | ".join(cpu) + " |")
    lines.append(
        "| total (median) | " + " | ".join(f"{statistics.median(result.ms(s)):.1f}" for s in SWEEPS) + " |"
    )
    return lines


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines()
            if line.startswith("Model name")
        ),
        "?",
    )
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    return f"nproc = {nproc}, lscpu Model name: {model}, Python {platform.python_version()}"


async def main_async(args: argparse.Namespace) -> int:
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    out(f"machine: {machine()}")
    results = [await bench_database(kind, args) for kind in kinds]
    out()
    for line in table(results, waiting=args.waiting):
        out(line)
    for result in results:
        out()
        for line in breakdown(result):
            out(line)
    for result in results:
        if result.profile:
            out()
            out(f"cProfile of the first sweep, last round, {result.database} {result.profile}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--handoffs", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=1_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument(
        "--waiting", type=float, default=0.0,
        help="fraction of the handoffs' conversations whose customer is still waiting (default 0)",
    )  # fmt: skip
    parser.add_argument(
        "--profile", default="", help="cProfile the first sweep of an extra round into FILE-<database>.prof"
    )
    parser.add_argument("--admin-url", default=ADMIN_POSTGRES_URL)
    args = parser.parse_args()
    if not 0 < args.due <= args.handoffs:
        parser.error("--due must be between 1 and --handoffs")
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    raise SystemExit(main())
