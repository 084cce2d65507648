"""The load generator: signed Events API `message` deliveries to a request URL, in its own process.

usage: python bench/intake/load.py SPEC.json
SPEC: {"url", "secret", "bodies" (a file: one event_callback body a line, built by bench/intake/run.py),
"rate" (per second), "timeout" (Slack's 3 s ack timeout), "out" (where the result goes)}.

Open loop: message i is due at start + i/rate and is sent on its own task whatever happened to the others,
so a slow target cannot slow the arrivals down; its latency is measured from when it was *due*, so a
generator that falls behind counts against itself, not in the target's favour. Bodies are signed before
the clock starts. Writes {"acks_ms", "errors", "statuses", "sent", "lag_max_ms", "cpu", "wall"}.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness import signed_headers  # noqa: E402


class Tally:
    def __init__(self) -> None:
        self.acks_ms: list[float] = []
        self.statuses: Counter[str] = Counter()
        self.errors = 0
        self.cpu_start = time.process_time()  # reset when the clock starts (after bodies are signed)

    async def post(
        self, session: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str], since: float
    ) -> None:
        try:
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
                status = str(response.status)
        except TimeoutError:
            status = "timeout"
        except (aiohttp.ClientError, OSError) as error:
            status = type(error).__name__
        self.acks_ms.append((time.monotonic() - since) * 1000)
        self.statuses[status] += 1
        self.errors += status != "200"


async def open_loop(spec: dict[str, Any], session: aiohttp.ClientSession, tally: Tally) -> float:
    bodies = Path(spec["bodies"]).read_bytes().splitlines()
    count = len(bodies)
    prepared = [(body, signed_headers(spec["secret"], body)) for body in bodies]
    rate, url = float(spec["rate"]), spec["url"]
    tasks: list[asyncio.Task[None]] = []
    lag = 0.0
    tally.cpu_start = time.process_time()
    start = time.monotonic() + 0.05
    index = 0
    while index < count:
        now = time.monotonic()
        due_now = min(count, int((now - start) * rate) + 1)
        while index < due_now:
            due = start + index / rate
            lag = max(lag, now - due)
            body, headers = prepared[index]
            tasks.append(asyncio.create_task(tally.post(session, url, body, headers, due)))
            index += 1
        await asyncio.sleep(max(0.0, min(0.002, start + index / rate - time.monotonic())))
    await asyncio.gather(*tasks)
    return lag


async def main_async(spec: dict[str, Any]) -> dict[str, Any]:
    tally = Tally()
    timeout = aiohttp.ClientTimeout(total=float(spec.get("timeout", 3.0)))
    connector = aiohttp.TCPConnector(limit=2000)
    wall = time.monotonic()
    lag = 0.0
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        lag = await open_loop(spec, session, tally)
    return {
        "acks_ms": tally.acks_ms,
        "errors": tally.errors,
        "statuses": dict(tally.statuses),
        "sent": len(tally.acks_ms),
        "lag_max_ms": lag * 1000,
        "cpu": time.process_time() - tally.cpu_start,
        "wall": time.monotonic() - wall,
    }


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text())
    result = asyncio.run(main_async(spec))
    Path(spec["out"]).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
