"""The App Home as Block Kit: a rep's queue with the card's own buttons, and the admins' dashboard.

Within Slack's 100 blocks for a Home tab whatever the input: the queue is capped and says how many more wait.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    Option,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)

# The card's own words and buttons: the same action ids and block ids, so one set of action handlers serves
# the card and the App Home.
from handlers.cards import KIND_WORDS, TYPE_WORDS, URGENCY_EMOJI, handoff_buttons, words_for
from handlers.cards_text import clip, escape, one_line, plural, slack_date
from handlers.permissions import Role
from routing.home import MyQueue
from routing.models import Handoff, HandoffState
from routing.stats import Band, EscalationStats, TriggerStats

MAX_BLOCKS = 100  # Slack's limit for a Home tab (Block Kit reference, 2026)
MAX_QUEUE = 20  # handoffs shown; the rest are counted
TEXT_LIMIT = 3000
MAX_TRIGGERS = 8
MAX_NOT_NEEDED = 5
EDIT_TYPE_ACTION = "baton_edit_type"

ABOUT = (
    "Baton watches our customer channels and hands a conversation to a person when it needs one: the "
    "customer asks for someone, sounds frustrated, the AI is unsure, or a deal or a sensitive topic comes "
    "up. "
    "Each handoff comes with the whole context, and the buttons to claim, reassign, snooze, resolve it or "
    "mark it not needed."
)
FOR_CUSTOMERS = "Baton helps the team you talk with here bring the right person into your conversations."
_BAND_WORDS = {
    Band.BELOW: ":arrow_down: below the healthy 5–15% band: triggers may miss conversations that need "
    "a person",
    Band.WITHIN: ":white_check_mark: within the healthy 5–15% band",
    Band.ABOVE: ":warning: above the healthy 5–15% band: too many handoffs defeat the automation",
}


@dataclass(frozen=True, slots=True)
class HomeView:
    """Everything one person's App Home shows."""

    user_id: str
    role: Role
    queue: MyQueue = field(default_factory=MyQueue)
    snooze_minutes: Sequence[int] = ()
    channel_names: Mapping[str, str] = field(default_factory=dict)  # channel id → account name
    stats: EscalationStats | None = None  # admins only
    escalation_types: Sequence[str] = ()  # admins only: the types the form can edit
    notice: str | None = None  # the outcome of the user's last click, when it needs saying


OPTION_VALUE_MAX = 150


def render_home(home: HomeView) -> dict[str, Any]:
    """The `home` view for views.publish."""
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text="Baton", emoji=True))]
    if home.notice:
        blocks.append(_section(f":information_source: {home.notice}"))
    dashboard = _dashboard(home) if home.role is Role.ADMIN else []
    if home.role is Role.EXTERNAL:  # a customer: nothing about how their conversations are watched
        blocks.append(_section(FOR_CUSTOMERS))
    else:
        budget = MAX_BLOCKS - len(blocks) - len(dashboard)
        blocks.extend(_queue(home, budget))
    blocks.extend(dashboard)
    return {"type": "home", "blocks": [block.to_dict() for block in blocks[:MAX_BLOCKS]]}


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=clip(text, TEXT_LIMIT)))


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=clip(text, 1000))])


# ---- the queue ----


def _queue(home: HomeView, budget: int) -> list[Block]:
    """The queue's header, two blocks per handoff, and the "N more" line, in `budget` blocks."""
    queue = home.queue
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text="Your queue", emoji=True))]
    if not queue.handoffs:
        blocks.append(_section(f"*Nothing is waiting for you.*\n{ABOUT}"))
        blocks.append(
            _context(
                "Handoffs you claim, and those routed to you or to your user groups, show up here, the most "
                "urgent first. `/baton help` shows what else Baton does."
            )
        )
        return blocks
    room = max((budget - len(blocks) - 1) // 2, 0)
    shown = queue.handoffs[: min(room, MAX_QUEUE)]
    for handoff in shown:
        blocks.append(_section(_line(handoff, home)))
        if handoff.state.is_live:
            blocks.append(handoff_buttons(handoff, home.snooze_minutes))
    more = queue.total - len(shown)
    if more > 0:
        blocks.append(
            _context(f"…and {plural(more, 'more handoff')}. Claim or resolve some to see the rest.")
        )
    return blocks


def _line(handoff: Handoff, home: HomeView) -> str:
    emoji = URGENCY_EMOJI.get(handoff.urgency, "")
    kind = words_for(handoff.escalation_type, TYPE_WORDS, "Handoff")
    name = one_line(home.channel_names.get(handoff.channel_id, ""))
    where = f"<#{handoff.channel_id}>" + (f" ({escape(clip(name, 80))})" if name else "")
    breached = " · :red_circle: *SLA breached*" if handoff.breached else ""
    lines = [f"{emoji} *{kind}* in {where}{breached}"]
    reasons = ", ".join(dict.fromkeys(words_for(r, KIND_WORDS, "Trigger") for r in handoff.reasons))
    lines.append(f"{escape(reasons) or 'No reason recorded'} · opened {slack_date(handoff.opened_at)}")
    lines.append(_status(handoff, home.user_id))
    return "\n".join(lines)


def _status(handoff: Handoff, user_id: str) -> str:
    if handoff.state is HandoffState.CLAIMED:
        who = "you" if handoff.assignee_id == user_id else f"<@{handoff.assignee_id}>"
        due = f" · resolve by {slack_date(handoff.resolve_due_at)}" if handoff.resolve_due_at else ""
        return f"Claimed by {who}{due}"
    if handoff.state is HandoffState.SNOOZED and handoff.snoozed_until is not None:
        return f"Snoozed until {slack_date(handoff.snoozed_until)}"
    due = f" · claim by {slack_date(handoff.claim_due_at)}" if handoff.claim_due_at else ""
    return f"Waiting for someone to claim it{due}"


# ---- the admins' dashboard ----


def _dashboard(home: HomeView) -> list[Block]:
    stats = home.stats
    # The week, unless retention keeps less: then the figures start where the kept messages do (a note says).
    period, during = "last 7 days", "in the last 7 days"
    if stats is not None and stats.until - stats.since < timedelta(days=7) - timedelta(minutes=1):
        period = during = f"since {stats.since:%Y-%m-%d %H:%M} UTC"
    blocks: list[Block] = [
        DividerBlock(),
        HeaderBlock(text=PlainTextObject(text=f"Escalation health, {period}", emoji=True)),
    ]
    if stats is None:
        blocks.append(_section("Stats are unavailable right now; `/baton stats` may say more."))
    else:
        blocks.append(_section(_rate(stats, during)))
        blocks.append(SectionBlock(fields=[MarkdownTextObject(text=text) for text in _sla_fields(stats)]))
        blocks.append(_section(_volume(stats.by_trigger, during)))
        blocks.append(_section(_not_needed(stats.by_trigger)))
        blocks.extend(_context(note) for note in stats.notes[:3])
    if home.escalation_types:
        # Slack takes at most 100 options of up to 150 characters each: a longer name is edited with /baton.
        names = [name for name in home.escalation_types if len(name) <= OPTION_VALUE_MAX][:100]
        options = [Option(value=name, label=clip(name, 75, mrkdwn=False)) for name in names]
        picker = StaticSelectElement(
            placeholder="Edit escalation types…", action_id=EDIT_TYPE_ACTION, options=options
        )
        blocks.append(ActionsBlock(block_id="baton_admin", elements=[picker]))
    blocks.append(_context("Admins see this dashboard; `/baton help` lists the settings."))
    return blocks


def _rate(stats: EscalationStats, during: str) -> str:
    rate = stats.overall
    if rate.rate is None:
        return f"*Escalation rate*\nNo customer messages {during}."
    band = _BAND_WORDS.get(rate.band, "") if rate.band is not None else ""
    counts = f"{plural(rate.handoffs, 'handoff')} for {plural(rate.messages, 'customer message')}"
    return f"*Escalation rate*: {rate.rate:.1%} ({counts})\n{band}"


def _sla_fields(stats: EscalationStats) -> list[str]:
    compliance = stats.sla_compliance
    sla = (
        "no claim deadline fell in the period"
        if compliance is None
        else f"{compliance:.0%} ({stats.sla_met} of {stats.sla_measured} claimed in time)"
    )
    claim = stats.time_to_claim
    waits = "—"
    if claim.count and claim.p50 is not None:
        p90 = f", 90% within {_minutes(claim.p90.total_seconds())}" if claim.p90 is not None else ""
        waits = f"median {_minutes(claim.p50.total_seconds())}{p90}"
    return [
        f"*SLA compliance*\n{sla}",
        f"*Breaches*\n{stats.breaches}",
        f"*Time to claim*\n{waits}",
        f"*Reassignments*\n{stats.reassignments}",
    ]


def _minutes(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 120 else f"{minutes / 60:.1f} h"


def _volume(by_trigger: Mapping[str, TriggerStats], during: str) -> str:
    lines = ["*Handoffs by trigger*"]
    ranked = sorted(by_trigger.values(), key=lambda t: (-t.handoffs, t.kind))
    for trigger in ranked[:MAX_TRIGGERS]:
        lines.append(f"• {escape(words_for(trigger.kind, KIND_WORDS, 'Trigger'))}: {trigger.handoffs}")
    if len(ranked) > MAX_TRIGGERS:
        lines.append(f"_+{len(ranked) - MAX_TRIGGERS} more_")
    if not ranked:
        lines.append(f"No handoffs {during}.")
    return "\n".join(lines)


def _not_needed(by_trigger: Mapping[str, TriggerStats]) -> str:
    lines = ["*Most often marked not needed*"]
    marked = [t for t in by_trigger.values() if t.not_needed > 0]
    marked.sort(key=lambda t: (-(t.not_needed_share or 0.0), -t.not_needed, t.kind))
    for trigger in marked[:MAX_NOT_NEEDED]:
        share = trigger.not_needed_share or 0.0
        name = escape(words_for(trigger.kind, KIND_WORDS, "Trigger"))
        lines.append(f"• {name}: {share:.0%} ({trigger.not_needed} of {trigger.handoffs})")
    if not marked:
        lines.append("No handoff was marked not needed.")
    else:
        lines.append("_A trigger often marked not needed may need a higher threshold: `/baton rules set`._")
    return "\n".join(lines)
