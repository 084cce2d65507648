"""The `make bench` summary: one table of every figure, its target and PASS/FAIL.

usage: .venv/bin/python bench/summary.py DIR

DIR holds what each benchmark left there: `*.json` lists of rows {figure, value, target, ok, command}
(bench/intake, bench/memory, bench/faults write them with `--json`), and the captured output of the
benchmarks that only print (latency.txt, sweep.txt, triggers.txt, quality.txt), read here by pattern. A
benchmark that left nothing is a FAIL row (it crashed or was not run). Exit status 1 if any row failed.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import machine  # noqa: E402

Row = dict[str, Any]


def latency(text: str) -> list[Row]:
    rows: list[Row] = []
    pattern = (
        r"^(\w+): ack p99 (\S+) ms < (\S+) ms: (PASS|FAIL); event→card p99 (\S+) ms < (\S+) ms: (PASS|FAIL)"
    )
    for db, ack, ack_target, ack_ok, card, card_target, card_ok in re.findall(pattern, text, re.M):
        rows.append(_row(f"event→card p99 ({db})", f"{card} ms", f"< {card_target} ms", card_ok == "PASS"))
        rows.append(_row(f"latency ack p99 ({db})", f"{ack} ms", f"< {ack_target} ms", ack_ok == "PASS"))
    return rows


def sweep(text: str) -> list[Row]:
    rows: list[Row] = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 7 and cells[0] in {"sqlite", "postgresql"} and cells[1][:1].isdigit():
            ok = None if cells[6] == "n/a" else cells[6] == "PASS"
            target = "< 50 ms" if ok is not None else "n/a"
            figure = f"sweep, {cells[1]} handoffs, {cells[2]} due ({cells[0]})"
            rows.append(_row(figure, f"{cells[3].split('/')[0].strip()} ms (median)", target, ok))
    return rows


def triggers(text: str) -> list[Row]:
    found = re.search(r"([\d,]+) messages/s single-threaded", text)
    return [_row("trigger engine throughput", f"{found.group(1)} msg/s", "n/a", None)] if found else []


def quality(text: str) -> list[Row]:
    pattern = r"^(\w+)\s+([\d.]+)\s+target (>=|<=) ([\d.]+)\s+(ok|MISSED)"
    return [
        _row(f"quality: {key}", value, f"{op} {target}", verdict == "ok")
        for key, value, op, target, verdict in re.findall(pattern, text, re.M)
    ]


PARSERS: dict[str, Callable[[str], list[Row]]] = {
    "latency": latency,
    "sweep": sweep,
    "triggers": triggers,
    "quality": quality,
}
COMMANDS = {
    "latency": "bench/latency/run.py",
    "sweep": "bench/sweep/run.py",
    "triggers": "bench/triggers/run.py",
    "quality": "bench/quality/run.py",
}
EXPECTED = ("intake", "latency", "sweep", "triggers", "quality", "memory", "faults")


def _row(figure: str, value: str, target: str, ok: bool | None) -> Row:
    return {"figure": figure, "value": value, "target": target, "ok": ok}


def collect(directory: Path) -> list[Row]:
    rows: list[Row] = []
    for name in EXPECTED:
        found: list[Row] = []
        json_file, text_file = directory / f"{name}.json", directory / f"{name}.txt"
        if json_file.exists():
            found = json.loads(json_file.read_text())
        elif name in PARSERS and text_file.exists():
            found = [{**r, "command": COMMANDS[name]} for r in PARSERS[name](text_file.read_text())]
        if not found and (json_file.exists() or text_file.exists()):
            found = [_row(f"{name}: no figures in its output (crashed?)", "—", "—", False)]
        rows.extend(found)
    return rows


def main() -> int:
    directory = Path(sys.argv[1])
    rows = collect(directory)
    verdict = {True: "PASS", False: "FAIL", None: "—"}
    width = max([len(r["figure"]) for r in rows] + [6])
    value_width = max([len(str(r["value"])) for r in rows] + [5])
    sys.stdout.write("\n")
    sys.stdout.write(f"| {'figure':{width}} | {'value':{value_width}} | target | result |\n")
    sys.stdout.write(f"|{'-' * (width + 2)}|{'-' * (value_width + 2)}|---|---|\n")
    for r in rows:
        value = str(r["value"])
        sys.stdout.write(
            f"| {r['figure']:{width}} | {value:{value_width}} | {r['target']} | {verdict[r['ok']]} |\n"
        )
    started = directory / "started"
    took = f", {time.time() - float(started.read_text()):.0f} s in all" if started.exists() else ""
    passed = sum(r["ok"] is True for r in rows)
    failed = sum(r["ok"] is False for r in rows)
    sys.stdout.write(f"\n{passed} PASS, {failed} FAIL{took}; outputs in {directory}\n{machine()}\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
