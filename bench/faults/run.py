"""Fault drills against a real `baton run` process: nothing lost, nothing duplicated, still serving.

usage: .venv/bin/python bench/faults/run.py [--drills slack_outage,postgres_restart,sigkill,bad_input]
       [--outage 30] [--json FILE]

Each drill starts the sandbox (in this process; Slack's retry schedule 0 s, 1 min, 5 min compressed to
0, 3, 15 s) and `baton run` (HTTP mode) on a fresh database, posts customer messages through the sandbox
(which redelivers an event whose ack fails, as Slack does), breaks something, and then checks, per
escalating message, one handoff, one card and one warm message; per message, one stored row. Texts carry
a `ref-NNNNNN` token that the card quotes, so each card is matched to its event. Every drill prints
PASS/FAIL with its counts. See docs/RELIABILITY.md.

- slack_outage: the sandbox (Web API and event delivery) goes away for `--outage` seconds while cards are
  queued; meanwhile signed events are sent straight to Baton (it must keep acking them); then Slack is back.
- postgres_restart: PostgreSQL is restarted (`pg_ctlcluster … main restart`) under 20 events/s. This
  restarts the machine's shared server: other users of it see their connections drop.
- sigkill: `baton run` is killed with SIGKILL under 20 events/s with cards outstanding, then restarted.
- bad_input: forged signatures, stale timestamps, unsigned, tampered, malformed, non-object and oversized
  (2 MB) requests, N of each, while valid traffic flows; then every valid event redelivered in reverse
  order (duplicates, out of order). All bad requests must get a 4xx and store nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness import (  # noqa: E402
    ADMIN_POSTGRES_URL,
    BatonProcess,
    Traffic,
    baton_with_sandbox,
    count_rows,
    latency,
    machine,
    out,
    signed_headers,
    write_json,
)

from sandbox import Sandbox, SeedInfo  # noqa: E402

ASK = "Can I talk to a person please? ref-{:06d}"  # escalates
CALM = "Thanks, that fixed it. ref-{:06d}"  # does not
RETRY_DELAYS = (0.0, 3.0, 15.0)  # Slack: immediately, after 1 min, after 5 min; compressed


@dataclass
class Env:
    sandbox: Sandbox
    seed: SeedInfo
    baton: BatonProcess
    database: Any
    port: int
    escalating: set[int] = field(default_factory=set)
    acked: set[int] = field(default_factory=set)  # refs whose event Baton acknowledged (some attempt)
    never_acked: set[int] = field(default_factory=set)  # every attempt failed: Slack gave up
    redelivered: int = 0  # events whose first attempt failed and a retry was needed

    @property
    def triage(self) -> str:
        return self.seed.triage_channel_id


@asynccontextmanager
async def environment(kind: str, args: argparse.Namespace) -> AsyncIterator[Env]:
    sandbox = Sandbox(retry_delays=RETRY_DELAYS)
    async with baton_with_sandbox(
        kind, args.postgres_url, prefix="baton-faults-", sandbox=sandbox
    ) as running:
        port = int(sandbox.url.rstrip("/").rsplit(":", 1)[1])
        yield Env(sandbox, running.seed, running.baton, running.database, port)


def text_for(env: Env, ref: int) -> str:
    """Two thirds of the messages escalate."""
    if ref % 3 == 2:
        return CALM.format(ref)
    env.escalating.add(ref)
    return ASK.format(ref)


async def post_via_slack(env: Env, refs: range, rate: float) -> None:
    """Customer messages through the sandbox at `rate`/s, open loop; waits for every delivery to end."""

    async def one(ref: int) -> None:
        result = await env.sandbox.post_message(
            env.seed.customer_id, env.seed.shared_channel_id, text_for(env, ref)
        )
        if result.outcome is not None and len(result.outcome.attempts) > 1:
            env.redelivered += 1
        if result.outcome is not None and result.outcome.ok:
            env.acked.add(ref)
        else:
            env.never_acked.add(ref)

    tasks = []
    start = time.monotonic()
    for index, ref in enumerate(refs):
        await asyncio.sleep(max(0.0, start + index / rate - time.monotonic()))
        tasks.append(asyncio.create_task(one(ref)))
    await asyncio.gather(*tasks)


def warm_messages(env: Env) -> list[Any]:
    return [
        m
        for m in env.sandbox.messages(env.seed.shared_channel_id, include_replies=True)
        if m.metadata and m.metadata.get("event_type") == "baton_handoff"
    ]


async def settle_cards(env: Env, timeout: float) -> tuple[dict[int, float], int]:
    """Cards by ref once every acked escalating event has its card and warm message (or `timeout`); and
    the number of duplicate cards."""
    wanted = env.escalating & env.acked
    deadline = time.monotonic() + timeout
    while True:
        found: dict[int, float] = {}
        _, duplicates = latency.collect_cards(env.sandbox, env.triage, 0, found)
        done = wanted <= found.keys() and len(warm_messages(env)) >= len(wanted)
        if done or time.monotonic() > deadline:
            await asyncio.sleep(1.0)  # a late duplicate would show up here
            found = {}
            _, duplicates = latency.collect_cards(env.sandbox, env.triage, 0, found)
            return found, duplicates
        await asyncio.sleep(0.2)


async def healthy(env: Env) -> bool:
    try:
        url = env.baton.events_url.removesuffix("slack/events") + "healthz"
        async with aiohttp.ClientSession() as session, session.get(url) as response:
            return response.status == 200
    except aiohttp.ClientError:
        return False


async def verdict(
    env: Env, name: str, extra: dict[str, Any] | None = None, timeout: float = 120.0
) -> dict[str, Any]:
    """Compare cards, warm messages, handoffs and stored messages with what Baton acknowledged."""
    found, duplicates = await settle_cards(env, timeout)
    wanted = env.escalating & env.acked
    warm = warm_messages(env)
    stored = await count_rows(env.database.url, "SELECT count(*) FROM messages")
    handoffs = await count_rows(env.database.url, "SELECT count(*) FROM handoffs")
    serving = await healthy(env)
    counts = {
        "events": len(env.acked | env.never_acked),
        "acked": len(env.acked),
        "never acked": len(env.never_acked),
        "redelivered by Slack": env.redelivered,
        "escalating acked": len(wanted),
        "cards": len(found.keys() & wanted),
        "duplicate cards": duplicates,
        "warm messages": len(warm),
        "handoffs": handoffs,
        "messages stored": stored,
        **(extra or {}),
    }
    ok = (
        wanted <= found.keys()
        and duplicates == 0
        and len(warm) == len({m.thread_ts for m in warm}) == handoffs == len(wanted)
        and stored == len(env.acked)
        and not env.never_acked
        and serving
        and all(extra_ok for extra_ok in (extra or {}).get("checks", {}).values())
    )
    counts.pop("checks", None)
    out(f"{name}: {'PASS' if ok else 'FAIL'}  " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    if not ok:
        missing = sorted(wanted - found.keys())[:10]
        out(f"  missing cards for refs {missing}; still serving: {serving}; Baton's log ends with:")
        out(env.baton.log_tail(15))
    value = f"{counts['cards']}/{counts['escalating acked']} cards, {duplicates} duplicates"
    return {"figure": f"fault drill: {name}", "value": value, "target": "none lost, none twice", "ok": ok}


# -- drills ----------------------------------------------------------------------------------------------


async def slack_outage(args: argparse.Namespace) -> dict[str, Any]:
    async with environment(args.database, args) as env:
        await post_via_slack(env, range(0, 60), 20.0)
        await env.sandbox.stop()  # Web API and event delivery gone: connection refused
        out(f"slack_outage: Slack down for {args.outage:g} s (signed events go straight to Baton meanwhile)")
        traffic = Traffic(env.sandbox, env.seed, [], replies=0.0)
        statuses: list[int] = []
        started = time.monotonic()
        ref = 1000
        async with aiohttp.ClientSession() as session:
            while time.monotonic() - started < args.outage:
                body = traffic.body(text_for(env, ref))
                headers = signed_headers(env.sandbox.signing_secret, body)
                async with session.post(env.baton.events_url, data=body, headers=headers) as response:
                    statuses.append(response.status)
                (env.acked if response.status == 200 else env.never_acked).add(ref)
                ref += 1
                await asyncio.sleep(0.5)
        served = await healthy(env)
        before: dict[int, float] = {}
        latency.collect_cards(env.sandbox, env.triage, 0, before)
        queued = len(env.escalating & env.acked) - len(before)
        await env.sandbox.start(host="127.0.0.1", port=env.port)
        back = time.monotonic()
        await post_via_slack(env, range(2000, 2060), 20.0)
        await settle_cards(env, 180.0)
        extra = {
            "cards waiting when Slack came back": queued,
            "acked while Slack was down": f"{statuses.count(200)}/{len(statuses)}",
            "all cards and warm messages out after Slack came back": f"{time.monotonic() - back:.1f} s",
            "checks": {"acked": statuses.count(200) == len(statuses), "healthz": served},
        }
        return await verdict(env, "slack_outage", extra)


async def postgres_restart(args: argparse.Namespace) -> dict[str, Any]:
    async with environment("postgresql", args) as env:
        sending = asyncio.create_task(post_via_slack(env, range(0, 300), 20.0))
        await asyncio.sleep(5.0)
        version = sorted(os.listdir("/etc/postgresql"))[-1]
        command = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"]
        out(f"postgres_restart: {' '.join(command)} at {time.strftime('%H:%M:%S')}")
        began = time.monotonic()
        done = await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True)
        took = time.monotonic() - began
        await sending
        extra = {
            "restart": f"{took:.1f} s, exit {done.returncode}",
            "checks": {"restarted": done.returncode == 0},
        }
        return await verdict(env, "postgres_restart", extra)


async def sigkill(args: argparse.Namespace) -> dict[str, Any]:
    async with environment(args.database, args) as env:
        sending = asyncio.create_task(post_via_slack(env, range(0, 200), 20.0))
        await asyncio.sleep(4.0)
        process = env.baton.process
        assert process is not None
        process.send_signal(signal.SIGKILL)
        process.wait()
        began = time.monotonic()
        await env.baton.start()
        out(f"sigkill: killed with SIGKILL after 4 s, serving again {time.monotonic() - began:.1f} s later")
        await sending
        return await verdict(env, "sigkill")


BAD_KINDS = ("forged", "stale", "unsigned", "tampered", "malformed", "not_an_object", "no_event", "oversized")


def bad_request(kind: str, body: bytes, secret: str) -> tuple[bytes, dict[str, str]]:
    if kind == "forged":
        return body, signed_headers("not-the-signing-secret", body)
    if kind == "stale":
        return body, signed_headers(secret, body, timestamp=int(time.time()) - 600)
    if kind == "unsigned":
        return body, {"Content-Type": "application/json"}
    if kind == "tampered":
        return body.replace(b"person", b"PERSON"), signed_headers(secret, body)
    payload = {
        "malformed": body[: len(body) // 2],
        "not_an_object": b"[1, 2, 3]",
        "no_event": json.dumps({"type": "event_callback", "event": 5}).encode(),
        "oversized": body[:-1] + b',"padding":"' + b"x" * 2_000_000 + b'"}',
    }[kind]
    return payload, signed_headers(secret, payload)


async def bad_input(args: argparse.Namespace) -> dict[str, Any]:
    async with environment(args.database, args) as env:
        sending = asyncio.create_task(post_via_slack(env, range(0, 150), 10.0))
        traffic = Traffic(env.sandbox, env.seed, [], replies=0.0)
        rejected: dict[str, list[int]] = {kind: [] for kind in BAD_KINDS}
        async with aiohttp.ClientSession() as session:
            for index in range(args.bad):
                for kind in BAD_KINDS:
                    body = traffic.body(f"Can I talk to a person please? bad-{index}")
                    payload, headers = bad_request(kind, body, env.sandbox.signing_secret)
                    async with session.post(env.baton.events_url, data=payload, headers=headers) as response:
                        rejected[kind].append(response.status)
                await asyncio.sleep(0.05)
        await sending
        # every valid event again, newest first: duplicates delivered out of order
        replays = list(dict.fromkeys(d.id for d in env.sandbox.deliveries if d.kind == "event_callback"))[
            ::-1
        ]
        replayed = [await env.sandbox.redeliver(event_id) for event_id in replays]
        all_4xx = {kind: sum(400 <= s < 500 for s in statuses) for kind, statuses in rejected.items()}
        extra = {
            "bad requests rejected (4xx)": f"{sum(all_4xx.values())}/{args.bad * len(BAD_KINDS)}",
            "statuses": {kind: sorted(set(statuses)) for kind, statuses in rejected.items()},
            "redelivered": f"{sum(r.ok for r in replayed)}/{len(replays)} acked",
            "checks": {"rejected": all(v == args.bad for v in all_4xx.values())},
        }
        return await verdict(env, "bad_input", extra)


DRILLS: dict[str, Callable[[argparse.Namespace], Any]] = {
    "slack_outage": slack_outage,
    "postgres_restart": postgres_restart,
    "sigkill": sigkill,
    "bad_input": bad_input,
}


async def main_async(args: argparse.Namespace) -> int:
    out(f"machine: {machine()}")
    rows = []
    for name in args.drills:
        started = time.monotonic()
        row = await DRILLS[name](args)
        row["command"] = f"bench/faults/run.py --drills {name}"
        rows.append(row)
        out(f"[{name}] {time.monotonic() - started:.0f} s")
    write_json(args.json, rows)
    return 0 if all(r["ok"] for r in rows) else 1


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--drills", default=",".join(DRILLS), type=lambda v: v.split(","))
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite",
                        help="for the drills that don't need PostgreSQL (default sqlite)")  # fmt: skip
    parser.add_argument("--outage", type=float, default=30.0, help="seconds Slack stays down (default 30)")
    parser.add_argument("--bad", type=int, default=25, help="bad requests of each kind (default 25)")
    parser.add_argument("--postgres-url", default=ADMIN_POSTGRES_URL)
    parser.add_argument("--json", type=Path, help="write the summary rows for bench/summary.py here")
    args = parser.parse_args()
    unknown = set(args.drills) - set(DRILLS)
    if unknown:
        parser.error(f"unknown drills {sorted(unknown)}; choose from {sorted(DRILLS)}")
    sys.exit(asyncio.run(main_async(args)))


if __name__ == "__main__":
    main()
