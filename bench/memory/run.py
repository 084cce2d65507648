"""Memory: Baton's RSS while it processes a long stream of customer messages stays bounded.

usage: .venv/bin/python bench/memory/run.py [--messages 1000000] [--database sqlite|postgresql]
       [--concurrency 16] [--samples 10] [--json FILE]

A real `baton run` process (HTTP mode, the sandbox in this process as its Slack) receives signed `message`
events from a customer of another team in a watched Slack Connect channel, closed loop with `--concurrency`
requests in flight, texts from the developer split when present (~15 % escalate, so cards, warm messages
and their echo events flow too; a quarter are thread replies in recent conversations, the rest start new
ones). Baton's RSS (/proc/<pid>/status VmRSS) is sampled after a 1,000-message warm-up and then every
`--messages / --samples` messages. "Bounded" means the growth over the second half of the run, projected
linearly to 1,000,000 messages, stays under `--budget-mb` (default 64 MB). See bench/memory/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness import (  # noqa: E402
    ADMIN_POSTGRES_URL,
    Traffic,
    baton_with_sandbox,
    count_rows,
    machine,
    out,
    rss_mb,
    signed_headers,
    texts,
    write_json,
)

WARMUP = 1000
FULL = 1_000_000


async def pump(
    session: aiohttp.ClientSession, url: str, secret: str, traffic: Traffic, count: int, concurrency: int
) -> int:
    """Post `count` messages closed loop; the number that were not answered 200."""
    remaining = count
    errors = 0

    async def worker() -> None:
        nonlocal remaining, errors
        while remaining > 0:
            remaining -= 1
            body = traffic.body()
            try:
                async with session.post(url, data=body, headers=signed_headers(secret, body)) as response:
                    await response.read()
                    errors += response.status != 200
            except (aiohttp.ClientError, TimeoutError):
                errors += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return errors


async def run(args: argparse.Namespace) -> dict[str, Any]:
    async with baton_with_sandbox(args.database, args.postgres_url, prefix="baton-memory-") as running:
        baton = running.baton
        traffic = Traffic(running.sandbox, running.seed, texts())
        timeout = aiohttp.ClientTimeout(total=30)
        samples: list[tuple[int, float, float]] = []
        errors = 0
        async with aiohttp.ClientSession(timeout=timeout) as session:
            url, secret = baton.events_url, running.sandbox.signing_secret
            errors += await pump(session, url, secret, traffic, WARMUP, args.concurrency)
            started = time.monotonic()
            samples.append((0, rss_mb(baton.pid), 0.0))
            out(f"after {WARMUP:,} warm-up messages: RSS {samples[0][1]:.1f} MB")
            every = max(1, args.messages // args.samples)
            done = 0
            while done < args.messages:
                batch = min(every, args.messages - done)
                errors += await pump(session, url, secret, traffic, batch, args.concurrency)
                done += batch
                traffic.forget()
                elapsed = time.monotonic() - started
                samples.append((done, rss_mb(baton.pid), elapsed))
                out(f"{done:>9,} messages  RSS {samples[-1][1]:7.1f} MB  {done / elapsed:6.0f} msg/s")
        await asyncio.sleep(2.0)  # let the last cards go out before counting
        stored = await count_rows(running.database.url, "SELECT count(*) FROM messages")
        handoffs = await count_rows(running.database.url, "SELECT count(*) FROM handoffs")
    return {"samples": samples, "errors": errors, "stored": stored, "handoffs": handoffs}


def report(args: argparse.Namespace, result: dict[str, Any]) -> list[dict[str, Any]]:
    samples = result["samples"]
    half = samples[len(samples) // 2]
    last = samples[-1]
    slope = (last[1] - half[1]) / max(1, last[0] - half[0])  # MB per message over the second half
    projected = last[1] + slope * max(0, FULL - last[0])
    growth = projected - samples[0][1]
    ok = growth < args.budget_mb and result["errors"] == 0
    out()
    out(
        f"{args.database}: {last[0]:,} messages in {last[2]:.0f} s "
        f"({last[0] / max(last[2], 1e-9):.0f} msg/s), "
        f"{result['errors']} not acknowledged; {result['stored']:,} messages stored, "
        f"{result['handoffs']:,} handoffs"
    )
    out(
        f"RSS {samples[0][1]:.1f} MB after warm-up → {half[1]:.1f} MB at {half[0]:,} → {last[1]:.1f} MB at "
        f"{last[0]:,}; second half {slope * 100_000:+.2f} MB per 100k messages"
    )
    out(
        f"projected to {FULL:,} messages: {projected:.1f} MB ({growth:+.1f} MB over warm-up; budget "
        f"{args.budget_mb:g} MB): {'PASS' if ok else 'FAIL'}"
    )
    out(f"machine: {machine()}")
    command = "bench/memory/run.py " + " ".join(sys.argv[1:])
    measured = "measured" if last[0] >= FULL else f"projected from {last[0]:,}"
    return [
        {"figure": f"RSS after 1,000,000 messages ({measured}, {args.database})",
         "value": f"{projected:.0f} MB ({growth:+.0f} MB)", "target": f"growth < {args.budget_mb:g} MB",
         "ok": ok, "command": command}
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=FULL)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--budget-mb", type=float, default=64.0)
    parser.add_argument("--postgres-url", default=ADMIN_POSTGRES_URL)
    parser.add_argument("--json", type=Path, help="write the summary row for bench/summary.py here")
    args = parser.parse_args()
    out(f"machine: {machine()}")
    result = asyncio.run(run(args))
    rows = report(args, result)
    write_json(args.json, rows)
    sys.exit(0 if rows[0]["ok"] else 1)


if __name__ == "__main__":
    main()
