"""The stats' pure maths: rates, bands, nearest-rank percentiles, SLA compliance, periods, renderings."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from routing.admin_grammar import UsageError
from routing.models import HandoffState
from routing.stats import Advice, Band, HandoffFacts, Rate, percentile, summarize
from routing.stats_views import (
    MAX_SLACK_TEXT,
    parse_period,
    stats_csv,
    stats_json,
    stats_markdown,
    stats_mrkdwn,
)

T = datetime(2026, 11, 30, tzinfo=UTC)
M = timedelta(minutes=1)


@pytest.mark.parametrize(
    ("handoffs", "messages", "band"),
    [
        (0, 0, None),
        (4, 100, Band.BELOW),
        (5, 100, Band.WITHIN),
        (15, 100, Band.WITHIN),
        (16, 100, Band.ABOVE),
    ],
)
def test_bands(handoffs: int, messages: int, band: Band | None):
    assert Rate(handoffs, messages).band is band


@pytest.mark.parametrize(
    ("values", "p50", "p90"),
    [([], None, None), ([7], 7, 7), ([1, 2], 1, 2), ([4, 1, 3, 2], 2, 4), (list(range(1, 11)), 5, 9)],
)
def test_nearest_rank_percentiles(values: list[int], p50: int | None, p90: int | None):
    waits = [v * M for v in values]
    assert percentile(waits, 0.5) == (None if p50 is None else p50 * M)
    assert percentile(waits, 0.9) == (None if p90 is None else p90 * M)


def h(
    i: int, *, state=HandoffState.OPEN, reasons=("frustration",), due=5, answered=None, **kw
) -> HandoffFacts:
    return HandoffFacts(
        id=i, channel_id=kw.pop("channel", "C1"), thread_ts=str(i),
        escalation_type=kw.pop("etype", "upset_customer"), reasons=reasons, state=state, opened_at=T,
        claim_due_at=None if due is None else T + due * M,
        answered_at=None if answered is None else T + answered * M, **kw,
    )  # fmt: skip


def test_summary_of_plain_rows():
    rows = [
        h(
            1,
            state=HandoffState.RESOLVED,
            answered=1,
            claimed_at=T + M,
            resolved_at=T + 9 * M,
            reassignments=2,
        ),
        h(
            2,
            state=HandoffState.DISMISSED,
            answered=7,
            reasons=("frustration", "explicit_request"),
            breaches=1,
        ),
        h(
            3,
            state=HandoffState.CLAIMED,
            answered=3,
            claimed_at=T + 3 * M,
            etype="human_request",
            channel="C2",
        ),
        h(4, due=60 * 25),  # open, its deadline after the period: not measured yet
        h(5, due=None, reasons=("low_confidence",)),  # no claim SLA
        h(6, breached=True),  # open, deadline passed, unanswered: measured, missed
    ]
    stats = summarize(
        since=T, until=T + timedelta(days=1), messages_by_channel={"C1": 50, "C3": 10}, handoffs=rows,
        channel_names={"C1": "Acme", "C9": "unused"},
    )  # fmt: skip
    assert (stats.overall.handoffs, stats.overall.messages) == (6, 60)
    assert stats.by_channel == {"C1": Rate(5, 50), "C2": Rate(1, 0), "C3": Rate(0, 10)}
    assert stats.channel_names == {"C1": "Acme"}
    assert stats.by_type == {"human_request": Rate(1, 60), "upset_customer": Rate(5, 60)}
    assert [(t.kind, t.handoffs, t.needed, t.not_needed) for t in stats.by_trigger.values()] == [
        ("frustration", 5, 2, 1),
        ("explicit_request", 1, 0, 1),
        ("low_confidence", 1, 0, 0),
    ]
    assert (stats.time_to_claim.count, stats.time_to_claim.p50, stats.time_to_claim.p90) == (2, M, 3 * M)
    assert (stats.time_to_resolve.count, stats.time_to_resolve.p50) == (1, 9 * M)
    assert (stats.sla_met, stats.sla_measured) == (2, 4)  # 1 and 3 in time; 2 late; 6 missed
    assert (stats.breaches, stats.reassignments, stats.not_needed) == (2, 2, 1)


PERIODS = [("24h", timedelta(hours=24)), ("7d", timedelta(days=7)), ("30D", timedelta(days=30)),
           ("2w", timedelta(weeks=2))]  # fmt: skip


@pytest.mark.parametrize(("text", "period"), PERIODS)
def test_periods(text: str, period: timedelta):
    assert parse_period(text) == period


@pytest.mark.parametrize("text", ["", "7", "0h", "soon", "-1d", "400d", "7 days"])
def test_bad_periods_say_how(text: str):
    with pytest.raises(UsageError) as error:
        parse_period(text)
    assert "such as `24h`, `7d`" in str(error.value) and "Usage: `/baton stats" in str(error.value)


def test_renderings_carry_the_figures():
    rows = [h(i, state=HandoffState.DISMISSED if i < 2 else HandoffState.RESOLVED, answered=2,
              claimed_at=T + 2 * M, resolved_at=T + 30 * M) for i in range(5)]  # fmt: skip
    stats = summarize(since=T, until=T + timedelta(days=7), messages_by_channel={"C1": 100}, handoffs=rows)
    advice = Advice(
        "frustration", "raise it. `/baton rules set frustration threshold 0.7`", {"rule": "frustration"}
    )
    stats = replace(stats, advice=(advice,))
    text = stats_mrkdwn(stats)
    assert "Customer messages: *100*; handoffs: *5*" in text and "*5.0%* :white_check_mark: within" in text
    assert "p50 2 min, p90 2 min (5 handoffs)" in text and "`frustration`: 5, 40.0% not needed" in text
    assert "• raise it." in text and len(text) <= MAX_SLACK_TEXT
    data = json.loads(stats_json(stats))
    assert data["overall"] == {"handoffs": 5, "messages": 100, "rate": 0.05, "band": "within"}
    assert data["time_to_resolve"] == {"count": 5, "p50_seconds": 1800.0, "p90_seconds": 1800.0}
    assert data["by_trigger"]["frustration"]["not_needed_share"] == 0.4
    rows_out = list(csv.reader(io.StringIO(stats_csv(stats))))
    assert ["rate", "overall", "5", "100", "0.0500"] in rows_out
    assert ["trigger_not_needed", "frustration", "5", "", "0.4000"] in rows_out
    markdown = stats_markdown(stats)
    assert "| frustration | 5 | 3 | 2 | 40.0% |" in markdown and "- raise it." in markdown
