"""The stats as people read them: mrkdwn for `/baton stats`; Markdown, CSV or JSON for `baton report`."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timedelta
from typing import Any

from routing.admin_grammar import BY_NAME, UsageError
from routing.stats import HEALTHY_BAND, Band, Durations, EscalationStats, Rate

PERIOD_USAGE = BY_NAME["stats"].usage
DEFAULT_PERIOD = timedelta(days=7)
MAX_PERIOD = timedelta(days=366)
MAX_SLACK_TEXT = 3500  # Slack shows about 4,000 characters of a message before "see more"; stay under it
_PERIOD = re.compile(r"^(\d{1,4})([hdw])$")
_VERDICT = {
    Band.BELOW: " :arrow_down: below",
    Band.WITHIN: " :white_check_mark: within",
    Band.ABOVE: " :arrow_up: above",
}
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}


def parse_period(text: str) -> timedelta:
    """`24h`, `7d`, `2w` as a duration (1 hour to a year); UsageError otherwise."""
    found = _PERIOD.match(text.strip().lower())
    period = int(found.group(1)) * _UNITS[found.group(2)] if found else None
    if period is None or not timedelta(hours=1) <= period <= MAX_PERIOD:
        raise UsageError(
            f"`{text[:30]}` is not a period I understand: say hours, days or weeks, such as `24h`, `7d` "
            "or `4w` (from 1 hour to 366 days).",
            usage=(PERIOD_USAGE,),
        )
    return period


def stats_period(args: tuple[str, ...]) -> timedelta:
    """The period `/baton stats` was given (default 7 days); UsageError with the usage if it is not one."""
    return parse_period(args[0]) if args else DEFAULT_PERIOD


def period_label(since: datetime, until: datetime) -> str:
    return f"{since:%Y-%m-%d %H:%M} – {until:%Y-%m-%d %H:%M} UTC"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _rate(rate: Rate) -> str:
    band = f" ({rate.band.value} the band)" if rate.band not in (None, Band.WITHIN) else ""
    return f"{_pct(rate.rate)} ({rate.handoffs:,} of {rate.messages:,}){band}"


def _wait(value: timedelta | None) -> str:
    if value is None:
        return "–"
    minutes = value.total_seconds() / 60
    if minutes < 120:
        return f"{minutes:.0f} min" if minutes >= 1 else f"{value.total_seconds():.0f} s"
    return f"{minutes / 60:.1f} h"


def _durations(d: Durations) -> str:
    return f"p50 {_wait(d.p50)}, p90 {_wait(d.p90)} ({d.count:,} handoffs)" if d.count else "–"


def stats_mrkdwn(stats: EscalationStats) -> str:
    """A private answer for `/baton stats`, under Slack's size limit."""
    low, high = HEALTHY_BAND
    band = stats.overall.band
    healthy = f"the healthy {low:.0%}–{high:.0%} band"
    rate_line = (
        f"• Escalation rate: – (no customer messages: {healthy} can't be judged)"
        if band is None
        else f"• Escalation rate: *{_pct(stats.overall.rate)}*{_VERDICT[band]} {healthy}"
    )
    lines = [
        f"*Escalation stats* {period_label(stats.since, stats.until)}",
        f"• Customer messages: *{stats.overall.messages:,}*; handoffs: *{stats.overall.handoffs:,}*",
        rate_line,
        f"• Time to claim: {_durations(stats.time_to_claim)}",
        f"• Time to resolve: {_durations(stats.time_to_resolve)}",
        f"• Claim SLA met: {_pct(stats.sla_compliance)} ({stats.sla_met:,} of {stats.sla_measured:,}); "
        f"breaches: {stats.breaches:,}; reassignments: {stats.reassignments:,}",
    ]
    if stats.by_trigger:
        lines.append("*By trigger* (handoffs, marked not needed)")
        lines += [
            f"• `{t.kind}`: {t.handoffs:,}, {_pct(t.not_needed_share)} not needed"
            for t in list(stats.by_trigger.values())[:8]
        ]
    if stats.by_type:
        lines.append(
            "*By type*: " + ", ".join(f"`{name}` {_pct(r.rate)}" for name, r in stats.by_type.items())
        )
    if stats.by_channel:
        ranked = sorted(stats.by_channel.items(), key=lambda item: -item[1].handoffs)[:8]
        lines.append("*By channel*")
        lines += [f"• <#{cid}> {_name(stats, cid)}{_rate(rate)}" for cid, rate in ranked]
    if stats.advice:
        lines.append("*Advice* (replayed on the period's conversations)")
        lines += [f"• {advice.text}" for advice in stats.advice]
    lines += [f"_{note}_" for note in stats.notes]
    text = "\n".join(lines)
    return text if len(text) <= MAX_SLACK_TEXT else text[: MAX_SLACK_TEXT - 1] + "…"


def _band_words(rate: Rate) -> str:
    low, high = HEALTHY_BAND
    if rate.band is None:
        return "no customer messages"
    return f"{rate.band.value} the healthy {low:.0%}–{high:.0%} band"


def _name(stats: EscalationStats, channel_id: str) -> str:
    name = stats.channel_names.get(channel_id)
    return f"({name}) " if name else ""


# ---- baton report ----


def stats_data(stats: EscalationStats) -> dict[str, Any]:
    """Every figure as JSON-ready data."""

    def rate(r: Rate) -> dict[str, Any]:
        return {"handoffs": r.handoffs, "messages": r.messages, "rate": r.rate, "band": r.band}

    def waits(d: Durations) -> dict[str, Any]:
        return {
            "count": d.count,
            "p50_seconds": None if d.p50 is None else d.p50.total_seconds(),
            "p90_seconds": None if d.p90 is None else d.p90.total_seconds(),
        }

    return {
        "since": stats.since.isoformat(),
        "until": stats.until.isoformat(),
        "healthy_band": list(HEALTHY_BAND),
        "overall": rate(stats.overall),
        "by_channel": {
            cid: {**rate(r), "name": stats.channel_names.get(cid, "")} for cid, r in stats.by_channel.items()
        },
        "by_trigger": {
            kind: {
                "handoffs": t.handoffs,
                "not_needed": t.not_needed,
                "needed": t.needed,
                "not_needed_share": t.not_needed_share,
            }
            for kind, t in stats.by_trigger.items()
        },
        "by_type": {name: rate(r) for name, r in stats.by_type.items()},
        "time_to_claim": waits(stats.time_to_claim),
        "time_to_resolve": waits(stats.time_to_resolve),
        "sla": {"met": stats.sla_met, "measured": stats.sla_measured, "compliance": stats.sla_compliance},
        "breaches": stats.breaches,
        "reassignments": stats.reassignments,
        "not_needed": stats.not_needed,
        "advice": [{"trigger": a.trigger, "text": a.text, "change": a.change} for a in stats.advice],
        "notes": list(stats.notes),
    }


def stats_json(stats: EscalationStats) -> str:
    return json.dumps(stats_data(stats), indent=2, ensure_ascii=False) + "\n"


def stats_csv(stats: EscalationStats) -> str:
    """One row per figure: section, key, handoffs, messages, value (a rate, a share, seconds or a count)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "key", "handoffs", "messages", "value"])
    writer.writerow(["period", "since", "", "", stats.since.isoformat()])
    writer.writerow(["period", "until", "", "", stats.until.isoformat()])

    def rate_row(section: str, key: str, r: Rate) -> None:
        writer.writerow([section, key, r.handoffs, r.messages, _num(r.rate)])

    rate_row("rate", "overall", stats.overall)
    for cid, r in stats.by_channel.items():
        rate_row("channel", cid, r)
    for name, r in stats.by_type.items():
        rate_row("type", name, r)
    for kind, t in stats.by_trigger.items():
        writer.writerow(["trigger_not_needed", kind, t.handoffs, "", _num(t.not_needed_share)])
    for name, d in (("time_to_claim", stats.time_to_claim), ("time_to_resolve", stats.time_to_resolve)):
        for which, value in (("p50", d.p50), ("p90", d.p90)):
            writer.writerow(
                [name, f"{which}_seconds", d.count, "", "" if value is None else value.total_seconds()]
            )
    writer.writerow(["sla", "compliance", stats.sla_measured, "", _num(stats.sla_compliance)])
    writer.writerow(["sla", "met", "", "", stats.sla_met])
    writer.writerow(["count", "breaches", "", "", stats.breaches])
    writer.writerow(["count", "reassignments", "", "", stats.reassignments])
    for advice in stats.advice:
        writer.writerow(["advice", advice.trigger, "", "", advice.text])
    return out.getvalue()


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def stats_markdown(stats: EscalationStats) -> str:
    """A Markdown report: the figures, tables per trigger, type and channel, and the advice."""
    low, high = HEALTHY_BAND
    lines = [
        f"# Escalation report, {period_label(stats.since, stats.until)}",
        "",
        f"- Customer messages: **{stats.overall.messages:,}**; "
        f"handoffs opened: **{stats.overall.handoffs:,}**",
        f"- Escalation rate: **{_pct(stats.overall.rate)}** ({_band_words(stats.overall)})",
        f"- Time to claim: {_durations(stats.time_to_claim)}",
        f"- Time to resolve: {_durations(stats.time_to_resolve)}",
        f"- Claim SLA met: {_pct(stats.sla_compliance)} ({stats.sla_met:,} of {stats.sla_measured:,})",
        f"- SLA breaches: {stats.breaches:,}; reassignments: {stats.reassignments:,}; "
        f"marked not needed: {stats.not_needed:,}",
        "",
        "## By trigger",
        "",
        "| trigger | handoffs | needed | not needed | share not needed |",
        "|---|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {t.kind} | {t.handoffs:,} | {t.needed:,} | {t.not_needed:,} | {_pct(t.not_needed_share)} |"
        for t in stats.by_trigger.values()
    ]
    lines += ["", "## By type", "", "| type | handoffs | rate |", "|---|---:|---:|"]
    lines += [f"| {name} | {r.handoffs:,} | {_pct(r.rate)} |" for name, r in stats.by_type.items()]
    lines += ["", "## By channel", "", "| channel | account | messages | handoffs | rate | band |"]
    lines.append("|---|---|---:|---:|---:|---|")
    lines += [
        f"| {cid} | {stats.channel_names.get(cid, '')} | {r.messages:,} | {r.handoffs:,} | {_pct(r.rate)} "
        f"| {r.band or '–'} |"
        for cid, r in stats.by_channel.items()
    ]
    lines += ["", "## Advice", ""]
    lines += [f"- {a.text}" for a in stats.advice] or [
        "- Nothing to change: no replay found a better threshold."
    ]
    lines += [f"- _{note}_" for note in stats.notes]
    return "\n".join(lines) + "\n"
