"""Calibrate the frustration tone score's operating point on the developer split; report leave-one-source-out.

usage: python bench/quality/train_tone.py [--data PATH] [--write] [--loso]

The tone weights in routing/triggers/tone_weights.py are set by hand; the one number fitted here is
OPERATING_POINTS, the points at which a message scores 0.5. It is the lowest value (most recall) that keeps
routine and off-domain false escalation - counting the explicit-request, sensitive-topic, deal-moment and
stand-alone frustration cues too - under caps set with margin below the targets (routine 0.003 and
off-domain 0.013, against 0.005 and 0.02). Leave-one-source-out picks it without a source and scores that
source. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from routing.rules import default_rules  # noqa: E402
from routing.triggers.business import detect_deal, detect_sensitive  # noqa: E402
from routing.triggers.context import Context  # noqa: E402
from routing.triggers.explicit import find_requests  # noqa: E402
from routing.triggers.frustration import features, strong_cues  # noqa: E402
from routing.triggers.frustration import points as tone_points  # noqa: E402
from routing.triggers.sentiment import score as sentiment_score  # noqa: E402
from routing.triggers.text import Text, prepare  # noqa: E402

IN_DOMAIN = {
    "banking77",
    "bitext",
    "hint3-curekart",
    "hint3-powerplay11",
    "hint3-sofmattress",
    "rsics-va",
    "rsics-forum",
}
ROUTINE_CAP = 0.003
OFFDOMAIN_CAP = 0.013
_RULES = default_rules()
_SENSITIVE = _RULES.rule("sensitive_topic")
_DEAL = _RULES.rule("deal_moment")


def other_hits(text: Text) -> bool:
    """Whether a rule other than frustration and explicit_request fires on the message (no account)."""
    ctx = Context(text="", history=(), account=None, assessment=None, now=datetime(2025, 1, 1, tzinfo=UTC))
    ctx.text = text
    assert _SENSITIVE is not None and _DEAL is not None
    return bool(detect_sensitive(ctx, _SENSITIVE, _RULES) or detect_deal(ctx, _DEAL, _RULES))


def points_of(rows: list[dict]) -> tuple[list[float], list[bool], list[bool]]:
    points, strong, escalated = [], [], []
    for row in rows:
        text = prepare(row["text"])
        f = features(text, sentiment_score(text))
        points.append(tone_points(f)[0])
        s = bool(strong_cues(text))
        strong.append(s)
        escalated.append(s or bool(find_requests(text.lower)[0]) or bool(other_hits(text)))
    return points, strong, escalated


def rates(rows, points, strong, escalated, op, keep=lambda r: True):  # type: ignore[no-untyped-def]
    n = {"fr": 0, "ro": 0, "od": 0}
    hit = {"fr": 0, "ro": 0, "od": 0}
    for i, r in enumerate(rows):
        if not keep(r):
            continue
        tone = points[i] >= op
        if r["expected"] == "frustration" and r["strength"] == "strong":
            n["fr"] += 1
            hit["fr"] += strong[i] or tone
        elif r["expected"] == "none":
            k = "ro" if r["source"] in IN_DOMAIN else "od"
            n[k] += 1
            hit[k] += escalated[i] or tone
    return tuple(hit[k] / n[k] if n[k] else float("nan") for k in ("fr", "ro", "od"))


def choose(rows, points, strong, escalated, keep=lambda r: True) -> float:  # type: ignore[no-untyped-def]
    best = 3.005
    for k in range(300, 19, -1):
        op = k / 100 + 0.005  # between the 0.01 steps of the hand-set points, so that no tie decides
        _, ro, od = rates(rows, points, strong, escalated, op, keep)
        if (math.isnan(ro) or ro <= ROUTINE_CAP) and (math.isnan(od) or od <= OFFDOMAIN_CAP):
            best = op
        else:
            break
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "escalation-dev.jsonl")
    parser.add_argument("--write", action="store_true", help="write OPERATING_POINTS into tone_weights.py")
    parser.add_argument("--loso", action="store_true", help="leave-one-source-out figures")
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.data.open() if line.strip()]
    points, strong, escalated = points_of(rows)
    op = choose(rows, points, strong, escalated)
    fr, ro, od = rates(rows, points, strong, escalated, op)
    sys.stdout.write(
        f"operating point {op:.3f}: frustration={fr:.3f} routine_fp={ro:.4f} offdomain_fp={od:.4f}" + "\n"
    )
    if args.loso:
        sys.stdout.write(
            "leave-one-source-out (operating point chosen without the source, then scored on it):" + "\n"
        )
        for source in sorted({r["source"] for r in rows}):
            th = choose(rows, points, strong, escalated, lambda r, s=source: r["source"] != s)
            fr, ro, od = rates(rows, points, strong, escalated, th, lambda r, s=source: r["source"] == s)
            print(  # noqa: T201
                f"  {source:18s} op={th:.3f} frustration={fr:.3f} routine_fp={ro:.4f} offdomain_fp={od:.4f}"
            )
    if args.write:
        target = REPO / "routing" / "triggers" / "tone_weights.py"
        text = re.sub(r"OPERATING_POINTS = [0-9.]+", f"OPERATING_POINTS = {op:.3f}", target.read_text())
        target.write_text(text)
        sys.stdout.write(f"wrote OPERATING_POINTS = {op:.3f} into {target}" + "\n")


if __name__ == "__main__":
    main()
