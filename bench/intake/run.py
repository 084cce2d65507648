"""Intake: signed Events API requests at rising rates into `baton run` and into a bare Bolt app (the floor).

usage: .venv/bin/python bench/intake/run.py [--targets sqlite,postgresql,floor] [--rates 100,200,300,500,700]
       [--seconds 10] [--settle 10] [--json FILE]

For each target a separate process serves POST /slack/events: `baton run` (HTTP mode, the sandbox in this
process as its Slack, on a fresh SQLite file or PostgreSQL database) or bench/intake/floor_app.py (a bare
slack-bolt AsyncApp with one no-op `message` listener behind the same aiohttp server). The load generator
(bench/intake/load.py, a third process) posts `message` events from a customer of another team in a watched
Slack Connect channel, texts from the developer split when present (a realistic mix: ~15 % escalate), a
quarter of them thread replies, open loop at each rate for `--seconds`, stepping up until ack p99 reaches
50 ms or a request fails. The targets run side by side and each rate goes to every target in turn, so a
target and the floor are measured in the same minute. After each step the target is given up to
`--settle` seconds to finish the work the step caused (cards, for Baton); its CPU over step + settling,
divided by the step's events, is the CPU per event. See bench/intake/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from harness import (  # noqa: E402
    ADMIN_POSTGRES_URL,
    PYTHON,
    Traffic,
    baton_with_sandbox,
    count_rows,
    cpu_seconds,
    free_port,
    latency,
    machine,
    out,
    percentile,
    settle_cpu,
    texts,
    wait_healthy,
    write_json,
)

from sandbox import Sandbox, seed_demo_workspace  # noqa: E402

ACK_TARGET_MS = 50.0
RATE_TARGET = 500.0
RATIO_TARGET = 3.0


@dataclass
class Step:
    rate: float
    sent: int
    p50: float
    p99: float
    errors: int
    statuses: dict[str, int]
    cpu_ms: float  # target CPU per event, step + settling
    generator_cpu: float  # seconds
    lag_ms: float
    settled: bool

    @property
    def ok(self) -> bool:
        return self.p99 < ACK_TARGET_MS and self.errors == 0


@dataclass
class TargetResult:
    name: str
    steps: list[Step] = field(default_factory=list)

    @property
    def sustained(self) -> float:
        return max((s.rate for s in self.steps if s.ok), default=0.0)


async def generate(spec: dict[str, Any], workdir: Path) -> dict[str, Any]:
    path = workdir / "spec.json"
    spec = {**spec, "out": str(workdir / "load-result.json")}
    path.write_text(json.dumps(spec))
    process = await asyncio.create_subprocess_exec(str(PYTHON), str(HERE / "load.py"), str(path))
    if await process.wait() != 0:
        raise RuntimeError("the load generator failed")
    result: dict[str, Any] = json.loads((workdir / "load-result.json").read_text())
    return result


async def step(pid: int, spec: dict[str, Any], traffic: Traffic, workdir: Path, settle: float) -> Step:
    bodies = workdir / "bodies.jsonl"
    count = max(1, round(spec["rate"] * spec["seconds"]))
    bodies.write_bytes(b"\n".join(traffic.body() for _ in range(count)))
    spec = {**spec, "bodies": str(bodies)}
    cpu_before = cpu_seconds(pid)
    load = await generate(spec, workdir)
    settled = await settle_cpu(pid, cap=settle)
    cpu = cpu_seconds(pid) - cpu_before
    sent = load["sent"] or 1
    return Step(
        rate=spec["rate"],
        sent=load["sent"],
        p50=percentile(load["acks_ms"], 50),
        p99=percentile(load["acks_ms"], 99),
        errors=load["errors"],
        statuses=load["statuses"],
        cpu_ms=cpu * 1000 / sent,
        generator_cpu=load["cpu"],
        lag_ms=load["lag_max_ms"],
        settled=settled,
    )


@dataclass
class Target:
    """One process under load: where to send, whose CPU to count, and its steps so far."""

    name: str
    pid: int
    spec: dict[str, Any]
    traffic: Traffic
    workdir: Path
    result: TargetResult
    broken: bool = False  # a step broke (ack p99 or errors): no higher rate unless --keep-going


async def interleaved(targets: list[Target], args: argparse.Namespace) -> None:
    """Each rate on every target in turn, then the next rate: a target and the floor are measured in the
    same minute, so the host's speed, which moves within minutes, weighs on both alike."""
    for rate in args.rates:
        for target in targets:
            if target.broken and not args.keep_going:
                continue
            name = target.name
            out(f"[{name}] {rate:g} events/s for {args.seconds:g} s …")
            spec = {**target.spec, "rate": rate, "seconds": args.seconds}
            done = await step(target.pid, spec, target.traffic, target.workdir, args.settle)
            target.result.steps.append(done)
            out(
                f"[{name}]   ack p50 {done.p50:.1f} ms, p99 {done.p99:.1f} ms, {done.errors} errors, "
                f"{done.cpu_ms:.2f} ms CPU/event{'' if done.settled else ' (still busy after settling)'}"
            )
            target.broken = target.broken or not done.ok
        if all(target.broken for target in targets) and not args.keep_going:
            break


@asynccontextmanager
async def baton_target(kind: str, args: argparse.Namespace, lines: list[str]) -> AsyncIterator[Target]:
    async with baton_with_sandbox(kind, args.postgres_url, prefix="baton-intake-") as running:
        sandbox, seed, baton = running.sandbox, running.seed, running.baton
        spec = {"url": baton.events_url, "secret": sandbox.signing_secret}
        name = f"baton {kind}"
        traffic = Traffic(sandbox, seed, lines)
        target = Target(name, baton.pid, spec, traffic, running.workdir, TargetResult(name))
        profiler = latency.start_profiler(args.py_spy, baton.pid, f"intake-{kind}")
        try:
            yield target
        finally:
            latency.stop_profiler(profiler)
        url = running.database.url
        stored = await count_rows(url, "SELECT count(*) FROM messages")
        handoffs = await count_rows(url, "SELECT count(*) FROM handoffs")
        cards = sum(
            1
            for m in sandbox.messages(seed.triage_channel_id)
            if m.metadata and m.metadata.get("event_type") == "baton_card"
        )
        sent = sum(s.sent for s in target.result.steps)
        out(f"[{name}] {sent} events sent, {stored} messages stored, {handoffs} handoffs, {cards} cards")
        problems = baton.problems()
        if problems:
            out(f"[{name}] {len(problems)} warnings/errors in its log, e.g.")
            for line in problems[:3]:
                out(f"    {line[:240]}")


@asynccontextmanager
async def floor_target(lines: list[str]) -> AsyncIterator[Target]:
    sandbox = Sandbox()  # only to build the same envelopes; never started
    seed = seed_demo_workspace(sandbox, bot_in_shared_channel=True)
    port = free_port()
    env = {**os.environ, "SLACK_SIGNING_SECRET": sandbox.signing_secret}
    process = subprocess.Popen(
        [str(PYTHON), str(HERE / "floor_app.py"), "--port", str(port)], env=env, stdout=subprocess.DEVNULL
    )
    try:
        await wait_healthy(f"http://127.0.0.1:{port}/healthz", process)
        spec = {"url": f"http://127.0.0.1:{port}/slack/events", "secret": sandbox.signing_secret}
        with tempfile.TemporaryDirectory(prefix="baton-floor-") as tmp:
            traffic = Traffic(sandbox, seed, lines)
            yield Target("floor", process.pid, spec, traffic, Path(tmp), TargetResult("floor"))
    finally:
        process.terminate()
        process.wait(timeout=10)


# -- report ----------------------------------------------------------------------------------------------


def report(results: list[TargetResult], args: argparse.Namespace) -> list[dict[str, Any]]:
    out()
    out(
        "| target | rate (ev/s) | sent | ack p50 / p99 (ms) | errors | CPU per event (ms) | × floor "
        "| generator CPU |"
    )
    out("|---|---|---|---|---|---|---|---|")
    floor = {s.rate: s.cpu_ms for r in results if r.name == "floor" for s in r.steps}
    for r in results:
        for s in r.steps:
            times = f"{s.cpu_ms / floor[s.rate]:.1f}×" if s.rate in floor and r.name != "floor" else ""
            errors = f"{s.errors} ({', '.join(f'{k}: {v}' for k, v in s.statuses.items() if k != '200')})"
            out(
                f"| {r.name} | {s.rate:g} | {s.sent} | {s.p50:.1f} / {s.p99:.1f} | "
                f"{errors if s.errors else 0} | {s.cpu_ms:.2f}{'' if s.settled else '*'} | {times} | "
                f"{s.generator_cpu / args.seconds * 100:.0f}% of a core (max lag {s.lag_ms:.0f} ms) |"
            )
    out()
    out("* still busy when settling ended: some of the step's work was billed to the next step")
    rows: list[dict[str, Any]] = []
    command = "bench/intake/run.py " + " ".join(sys.argv[1:])
    for r in results:
        out(
            f"{r.name}: highest sustainable rate (ack p99 < {ACK_TARGET_MS:g} ms, no errors): "
            f"{r.sustained:g}/s"
        )
        if r.name == "floor":
            continue
        first = r.steps[0]
        rows.append(
            {"figure": f"intake ack p99 at {first.rate:g} ev/s ({r.name})", "value": f"{first.p99:.1f} ms",
             "target": f"< {ACK_TARGET_MS:g} ms", "ok": first.p99 < ACK_TARGET_MS, "command": command}
        )  # fmt: skip
        on_postgresql = "postgresql" in r.name
        rows.append(
            {"figure": f"intake sustainable rate ({r.name})", "value": f"{r.sustained:g} ev/s",
             "target": f">= {RATE_TARGET:g} ev/s" if on_postgresql else "n/a",
             "ok": r.sustained >= RATE_TARGET if on_postgresql else None, "command": command}
        )  # fmt: skip
        common = [s for s in r.steps if s.rate in floor]
        # The first rate and the rate one process must sustain: CPU per event falls with the rate for Baton
        # and the floor alike (more requests per event-loop wake-up), so the ratio is given at both.
        for step in [s for s in common if s is common[0] or s.rate == RATE_TARGET]:
            ratio = step.cpu_ms / floor[step.rate]
            out(f"{r.name}: CPU per event at {step.rate:g} ev/s = {ratio:.1f}× the floor's")
            rows.append(
                {"figure": f"intake CPU/event ÷ floor at {step.rate:g} ev/s ({r.name})",
                 "value": f"{ratio:.1f}× ({step.cpu_ms:.2f} ms vs {floor[step.rate]:.2f} ms)",
                 "target": f"<= {RATIO_TARGET:g}×", "ok": ratio <= RATIO_TARGET, "command": command}
            )  # fmt: skip
    if "floor" in [r.name for r in results]:
        r = next(r for r in results if r.name == "floor")
        rows.append(
            {"figure": "intake sustainable rate (floor: bare Bolt)", "value": f"{r.sustained:g} ev/s",
             "target": "n/a", "ok": None, "command": command}
        )  # fmt: skip
    out(f"machine: {machine()}")
    return rows


async def main_async(args: argparse.Namespace) -> int:
    out(f"machine: {machine()}")
    lines = texts()
    started = time.monotonic()
    async with AsyncExitStack() as stack:
        targets = [
            await stack.enter_async_context(
                floor_target(lines) if name == "floor" else baton_target(name, args, lines)
            )
            for name in args.targets
        ]
        await interleaved(targets, args)
    out(f"done in {time.monotonic() - started:.0f} s")
    write_json(args.json, report([target.result for target in targets], args))
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--targets", default="sqlite,postgresql,floor", type=lambda v: v.split(","))
    parser.add_argument(
        "--rates", default="100,200,300,500,700", type=lambda v: [float(r) for r in v.split(",")]
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds per step (default 10)")
    parser.add_argument("--settle", type=float, default=10.0, help="max seconds to let a step's work finish")
    parser.add_argument("--keep-going", action="store_true", help="run every rate even after one fails")
    parser.add_argument("--postgres-url", default=ADMIN_POSTGRES_URL)
    parser.add_argument("--json", type=Path, help="write the summary rows for bench/summary.py here")
    parser.add_argument(
        "--py-spy",
        type=Path,
        metavar="DIR",
        help="profile Baton with py-spy into DIR/intake-<database>.folded",
    )
    args = parser.parse_args()
    for target in args.targets:
        if target not in {"sqlite", "postgresql", "floor"}:
            parser.error(f"unknown target {target!r}")
    sys.exit(asyncio.run(main_async(args)))


if __name__ == "__main__":
    main()
