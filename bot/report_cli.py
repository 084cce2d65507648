"""`baton report`: the escalation stats and replay-backed advice of a period, from the configured database."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

FORMATS = ("md", "csv", "json")


def add_report_parser(commands: Any) -> None:
    """Register `baton report` on the CLI's subcommands."""
    report = commands.add_parser("report", help="escalation stats and calibration advice for a period")
    since_help = "a period back from --until (24h, 7d, 4w) or an ISO 8601 date/time, UTC if no zone"
    report.add_argument("--since", default="7d", help=since_help)
    report.add_argument("--until", default=None, help="end of the period, ISO 8601 (default: now)")
    report.add_argument("--format", choices=FORMATS, default="md", help="md (default), csv or json")
    report.add_argument("--output", "-o", default="-", help="file to write (default: standard output)")
    report.add_argument("--no-advice", action="store_true", help="skip the replays behind the advice")
    report.set_defaults(handler=run_report)


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)  # the report speaks UTC


async def run_report(settings: Any, args: argparse.Namespace) -> int:
    """Write the report; 2 with the reason if the period can't be read."""
    from bot.offline import offline_service
    from bot.runtime import utc_now
    from routing.admin_grammar import UsageError
    from routing.stats_views import parse_period, stats_csv, stats_json, stats_markdown

    try:
        until = _moment(args.until) if args.until else utc_now()
        try:
            since = until - parse_period(args.since)
        except UsageError:
            since = _moment(args.since)
    except ValueError:
        sys.stderr.write(
            f"baton report: --since {args.since!r} / --until {args.until!r}: give a period such as 7d, or "
            "ISO 8601 dates such as 2026-11-01 or 2026-11-01T09:00+01:00\n"
        )
        return 2
    if since >= until:
        sys.stderr.write("baton report: --since must be before --until\n")
        return 2
    async with offline_service(settings) as service:
        stats = await service.stats(since=since, until=until, advise=not args.no_advice)
    render = {"md": stats_markdown, "csv": stats_csv, "json": stats_json}[args.format]
    text = render(stats)
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
    return 0
