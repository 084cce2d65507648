"""Quality benchmark: `baton replay` on the developer split, scored by the data's own score.py.

usage: python bench/quality/run.py [--data DIR] [--rules RULES.yaml] [--keep DECISIONS.jsonl]
Prints the per-source table and the four headline figures against the targets; exit 1 if one is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from bot.replay import run_replay  # noqa: E402

TARGETS = {
    "explicit_recall": (">=", 0.98),
    "frustration_recall": (">=", 0.90),
    "routine_false_escalation": ("<=", 0.005),
    "offdomain_false_escalation": ("<=", 0.02),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--rules", type=Path, default=None)
    parser.add_argument("--keep", type=Path, default=None, help="keep the decisions file here")
    args = parser.parse_args()
    gold = args.data / "escalation-dev.jsonl"
    spec = importlib.util.spec_from_file_location("score", args.data / "score.py")
    assert spec and spec.loader
    score = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(score)
    with tempfile.TemporaryDirectory() as tmp:
        out = args.keep or Path(tmp) / "decisions.jsonl"
        ns = argparse.Namespace(input=gold, output=str(out), rules=args.rules, our_team=None, ai_bot=[],
                                account_tier="", account_value=0.0)  # fmt: skip
        started = time.perf_counter()
        code = asyncio.run(run_replay(None, ns))
        elapsed = time.perf_counter() - started
        if code:
            return code
        result = score.score(score.load(gold), score.load(out))
    for key, value in result["per_source"].items():
        sys.stdout.write(f"  {key:40s} n={value['n']:5d} escalated={value['escalated']:.3f} "
                         f"right_reason={value['right_reason']:.3f}\n")  # fmt: skip
    sys.stdout.write(f"replayed {sum(result['n'].values())} scored rows in {elapsed:.1f}s\n")
    failed = 0
    for key, (op, target) in TARGETS.items():
        value = result[key]
        ok = value >= target if op == ">=" else value <= target
        failed += not ok
        sys.stdout.write(f"{key:28s} {value:.4f}  target {op} {target}  {'ok' if ok else 'MISSED'}\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
