"""Trigger engine throughput: messages per second through `decide`, single-threaded.

usage: python bench/triggers/run.py [--data ../shared/data/escalation-dev.jsonl] [--repeat 3]
Uses the developer split's texts when present (only read, never stored), else built-in synthetic messages.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from synthetic import SYNTHETIC  # noqa: E402

from routing.models import AuthorKind, MessageFacts  # noqa: E402
from routing.rules import default_rules  # noqa: E402
from routing.triggers.engine import decide  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "escalation-dev.jsonl")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.data.exists():
        texts = [json.loads(line)["text"] for line in args.data.open() if line.strip()]
    else:
        texts = SYNTHETIC * 2000
    now = datetime(2025, 1, 1, tzinfo=UTC)
    rules = default_rules()
    facts = [
        MessageFacts(
            channel_id="C",
            ts=str(i),
            thread_ts=str(i),
            author_id="U",
            author_team="T",
            author_kind=AuthorKind.CUSTOMER,
            text=t,
            received_at=now,
        )  # fmt: skip
        for i, t in enumerate(texts)
    ]
    decide(facts[0], history=(), rules=rules, account=None, now=now)  # warm the typo map and regex caches
    best = 0.0
    for _ in range(args.repeat):
        started = time.perf_counter()
        for f in facts:
            decide(f, history=(), rules=rules, account=None, now=now)
        best = max(best, len(facts) / (time.perf_counter() - started))
    sys.stdout.write(
        f"{len(facts)} messages, best of {args.repeat}: {best:,.0f} messages/s single-threaded\n"
        f"peak memory (max RSS): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB\n"
        f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores, "
        f"{platform.processor() or platform.platform()}\n"
    )


if __name__ == "__main__":
    main()
