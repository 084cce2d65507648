"""`baton report` in its three formats, and `/baton stats` through signed slash commands to the sandbox."""

from __future__ import annotations

import argparse
import csv
import json
from datetime import timedelta, timezone
from pathlib import Path

import pytest

from bot.report_cli import run_report
from bot.runtime import Runtime
from bot.settings import Settings
from handlers.admin import stats_idle
from sandbox import Sandbox, SeedInfo
from storage import SqlStore, create_engine, migrate
from tests.bot.conftest import settle
from tests.bot.test_commands_admin import slash
from tests.storage.test_stats import T, seed


async def seeded(database_url: str) -> Settings:
    engine = create_engine(database_url)
    try:
        await migrate(engine)
        await seed(SqlStore(engine))
    finally:
        await engine.dispose()
    return Settings(database_url=database_url)


def report_args(tmp_path: Path, fmt: str, **changes: object) -> argparse.Namespace:
    values = {
        "since": T.isoformat(),
        "until": (T + timedelta(days=1)).isoformat(),
        "format": fmt,
        "output": str(tmp_path / f"report.{fmt}"),
        "no_advice": False,
    }
    return argparse.Namespace(**{**values, **changes})


async def test_report_in_three_formats(database_url: str, tmp_path: Path):
    settings = await seeded(database_url)
    for fmt in ("md", "csv", "json"):
        assert await run_report(settings, report_args(tmp_path, fmt)) == 0
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["overall"] == {"handoffs": 10, "messages": 100, "rate": 0.1, "band": "within"}
    assert data["time_to_claim"] == {"count": 6, "p50_seconds": 180.0, "p90_seconds": 480.0}
    assert data["sla"] == {"met": 8, "measured": 10, "compliance": 0.8}
    assert (data["breaches"], data["reassignments"]) == (2, 1)
    assert data["advice"][0]["change"] == {"rule": "frustration", "threshold": 0.65}
    rows = list(csv.reader((tmp_path / "report.csv").open()))
    assert ["rate", "C0ACME", "10", "50", "0.2000"] not in rows  # channels are their own section
    assert ["channel", "C0ACME", "10", "50", "0.2000"] in rows and [
        "sla",
        "compliance",
        "10",
        "",
        "0.8000",
    ] in rows
    markdown = (tmp_path / "report.md").read_text()
    assert "- Escalation rate: **10.0%** (within the healthy 5%–15% band)" in markdown
    assert "| C0BETA | Beta | 50 | 0 | 0.0% | below |" in markdown
    assert "`/baton rules set frustration threshold 0.65`" in markdown


async def test_report_periods(database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    settings = await seeded(database_url)
    args = report_args(tmp_path, "json", since="1d", output="-", no_advice=True)
    assert await run_report(settings, args) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["since"] == T.isoformat() and data["overall"]["handoffs"] == 10 and data["advice"] == []
    # A period given with another UTC offset is the same period, said in UTC.
    plus_one = timezone(timedelta(hours=1))
    since, until = T.astimezone(plus_one), (T + timedelta(days=1)).astimezone(plus_one)
    args = report_args(
        tmp_path, "md", output="-", no_advice=True, since=since.isoformat(), until=until.isoformat()
    )
    assert await run_report(settings, args) == 0
    assert f"{T:%Y-%m-%d %H:%M} – {T + timedelta(days=1):%Y-%m-%d %H:%M} UTC" in capsys.readouterr().out
    assert await run_report(settings, report_args(tmp_path, "md", since="last week")) == 2
    assert "give a period such as 7d" in capsys.readouterr().err
    assert (
        await run_report(settings, report_args(tmp_path, "md", since=(T + timedelta(days=2)).isoformat()))
        == 2
    )


async def test_slash_stats(baton: Runtime, sandbox: Sandbox, seed: SeedInfo):
    await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "Can I talk to a person please?")
    await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "How do I export a CSV report?")
    await settle(baton, sandbox)
    answer = await slash(sandbox, seed, "stats 24h", user=seed.rep_id)
    assert answer.startswith("Counting ") and "the stats follow here in a moment" in answer
    await stats_idle()
    texts = [e.text for e in sandbox.ephemerals if "*Escalation stats*" in (e.text or "")]
    assert len(texts) == 1
    assert "Customer messages: *2*; handoffs: *1*" in texts[0]
    assert "Escalation rate: *50.0%* :arrow_up: above the healthy 5%–15% band" in texts[0]
    assert "`explicit_request`: 1, 0.0% not needed" in texts[0]


async def test_slash_stats_refuses_customers_and_explains_bad_periods(
    baton: Runtime, sandbox: Sandbox, seed: SeedInfo
):
    refused = await slash(sandbox, seed, "stats", user=seed.customer_id)
    assert "is for the team that runs this channel" in refused
    for text in ("stats soon", "stats 400d", "stats 7d 30d"):
        answer = await slash(sandbox, seed, text, user=seed.rep_id)
        assert "Usage: `/baton stats [24h|7d|30d|<n>h|<n>d|<n>w]`" in answer, text
    await stats_idle()
    assert not [e for e in sandbox.ephemerals if "*Escalation stats*" in (e.text or "")]
