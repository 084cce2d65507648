"""The database's floor for one sweep: what PostgreSQL alone needs to write 1,000 breaches, with no Python.

usage: .venv/bin/python bench/sweep/floor.py [--repeats 4] [--admin-url URL]

Seeds a fresh PostgreSQL database exactly as bench/sweep/run.py does (100,000 open handoffs, 1,000 due), then
times one SQL statement that does the database's share of a sweep that fires 1,000 breaches: lock the due
rows (`FOR UPDATE SKIP LOCKED`), update them (breached, next check, the context's `sla` key, version),
append 1,000 events and queue 2,000 outbox rows (card update and thread note), then COMMIT. It runs in 1, 2
and 4 transactions at once (the sweep's chunks run up to 4 at once), each round on the seeded state again.

Two schemas:
- **as stored**: Baton's schema (`next_check_at` on `handoffs`, indexed, so the update is not HOT);
- **narrow clock** (a what-if, not Baton's schema): the due time in its own two-column table, `handoffs` at
  fillfactor 80 so that the update of the breach is HOT.

No Python runs per handoff, so the figures are a floor under any sweep that writes the same rows.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))

import run as bench  # noqa: E402  (bench/sweep/run.py: the same database, seeding and reset)
from sqlalchemy import text  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine  # noqa: E402

from storage import create_engine, migrate  # noqa: E402

DUE = 1000
# The due rows of the schema as stored, or of the narrow clock table.
AS_STORED = """
  due AS (SELECT id FROM handoffs WHERE state IN ('open', 'claimed', 'snoozed') AND next_check_at <= :now
          ORDER BY next_check_at LIMIT :lim FOR UPDATE SKIP LOCKED),
  stepped AS (UPDATE handoffs h SET breached = true, next_check_at = h.next_check_at + interval '5 hours',
              context = jsonb_set(h.context, '{sla,breached_at}', to_jsonb(CAST(:now AS text))),
              version = h.version + 1
              FROM due WHERE h.id = due.id RETURNING h.id, h.card_channel, h.card_ts)"""
NARROW_CLOCK = """
  due AS (SELECT handoff_id FROM clocks WHERE next_check_at <= :now
          ORDER BY next_check_at LIMIT :lim FOR UPDATE SKIP LOCKED),
  ticked AS (UPDATE clocks c SET next_check_at = c.next_check_at + interval '5 hours'
             FROM due WHERE c.handoff_id = due.handoff_id RETURNING c.handoff_id),
  stepped AS (UPDATE handoffs h SET breached = true,
              context = jsonb_set(h.context, '{sla,breached_at}', to_jsonb(CAST(:now AS text))),
              version = h.version + 1
              FROM ticked WHERE h.id = ticked.handoff_id RETURNING h.id, h.card_channel, h.card_ts)"""
EFFECTS = """,
  events AS (INSERT INTO handoff_events (handoff_id, kind, at, source, actor, data)
             SELECT id, 'sla_breached', :now, 'scheduler', '', jsonb_build_object('clock', 'claim')
             FROM stepped),
  outbox AS (INSERT INTO outbox (channel_key, method, payload, created_at, available_at, attempts, handoff_id,
                                 dedupe_key)
             SELECT card_channel, CASE WHEN n = 1 THEN 'update_card' ELSE 'thread_note' END,
                    jsonb_build_object('handoff_id', id, 'channel', card_channel, 'ts', card_ts,
                                       'text', 'SLA breached: this handoff was due to be claimed by 14:00'),
                    :now, :now, 0, id, CASE WHEN n = 2 THEN 'breach:' || id || '\\:claim' END
             FROM stepped CROSS JOIN (VALUES (1), (2)) AS v(n))
SELECT count(*) FROM stepped"""


async def rounds(
    engine: AsyncEngine, seeded: Any, sql: str, *, repeats: int, narrow: bool
) -> dict[int, list[float]]:
    """Milliseconds per round (lock, write, commit) for 1, 2 and 4 transactions at once."""
    due = [{"n": values["next_check_at"], "i": values["b_id"]} for values in seeded.original]
    times: dict[int, list[float]] = {}
    for parallel in (1, 2, 4):
        times[parallel] = []
        for _ in range(repeats + 1):  # the first round warms the caches: not counted
            await bench.reset(engine, seeded)
            if narrow:
                async with engine.begin() as connection:
                    await connection.execute(
                        text("UPDATE clocks SET next_check_at = :n WHERE handoff_id = :i"), due
                    )

            async def one(limit: int) -> int:
                async with engine.begin() as connection:
                    result = await connection.execute(text(sql), {"now": bench.NOW, "lim": limit})
                    return int(result.scalar() or 0)

            started = time.perf_counter()
            done = await asyncio.gather(*(one(DUE // parallel) for _ in range(parallel)))
            times[parallel].append((time.perf_counter() - started) * 1000)
            if sum(done) != DUE:
                raise SystemExit(f"expected {DUE} breaches, stepped {sum(done)}")
        times[parallel] = times[parallel][1:]
    return times


async def narrow_clock(engine: AsyncEngine) -> None:
    """The what-if schema: the due time in its own table, `handoffs` rewritten at fillfactor 80."""
    async with engine.begin() as connection:
        await connection.execute(
            text("CREATE TABLE clocks (handoff_id bigint PRIMARY KEY, next_check_at timestamptz)")
        )
        await connection.execute(text("INSERT INTO clocks SELECT id, next_check_at FROM handoffs"))
        await connection.execute(text("CREATE INDEX ON clocks (next_check_at)"))
        await connection.execute(text("ALTER TABLE handoffs SET (fillfactor = 80)"))
    async with engine.connect() as connection:
        await connection.execute(text("COMMIT"))  # VACUUM runs outside a transaction
        await connection.execute(text("VACUUM FULL handoffs"))
    await bench.analyze(engine)


async def main_async(args: argparse.Namespace) -> int:
    bench.out(f"machine: {bench.machine()}")
    async with bench.fresh_database("postgresql", args.admin_url) as url:
        engine = create_engine(url)
        try:
            await migrate(engine)
            seeded = await bench.seed(engine, handoffs=100_000, due=DUE, waiting=0.0)
            await bench.analyze(engine)
            results = {
                "as stored": await rounds(
                    engine, seeded, "WITH" + AS_STORED + EFFECTS, repeats=args.repeats, narrow=False
                )
            }
            await narrow_clock(engine)
            results["narrow clock (what-if)"] = await rounds(
                engine, seeded, "WITH" + NARROW_CLOCK + EFFECTS, repeats=args.repeats, narrow=True
            )
        finally:
            await engine.dispose()
    bench.out()
    bench.out("| schema | 1 transaction (median / min ms) | 2 at once | 4 at once |")
    bench.out("|---|---|---|---|")
    for schema, times in results.items():
        cells = " | ".join(f"{statistics.median(t):.1f} / {min(t):.1f}" for t in times.values())
        bench.out(f"| {schema} | {cells} |")
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=4, help="counted rounds per case (default 4)")
    parser.add_argument("--admin-url", default=bench.ADMIN_POSTGRES_URL)
    sys.exit(asyncio.run(main_async(parser.parse_args())))


if __name__ == "__main__":
    main()
