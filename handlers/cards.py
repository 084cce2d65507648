"""The handoff card: a CardView as Block Kit (checked by slack_sdk), its fallback text, and thread mirrors."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    InteractiveElement,
    MarkdownTextObject,
    Option,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
    UserSelectElement,
)

from handlers.cards_text import (
    balance_fences,
    clip,
    escape,
    neutralise,
    one_line,
    percent,
    plural,
    render_text,
    slack_date,
    snooze_label,
    units,
)
from routing.decision import DEFAULT_APPROACH
from routing.models import AIAssessment, AuthorKind, Handoff, HandoffState, StoredMessage, Urgency
from routing.sweep import sla_of
from routing.views import CardView, SentimentTrend

__all__ = ["render_card", "render_mirror", "render_text", "snooze_label"]

# Slack's limits (Block Kit reference, as of 2025): slack_sdk checks some of them in to_dict(), not all.
TEXT_LIMIT = 3000  # section text, and the top-level fallback text we send
FIELD_LIMIT = 2000
HEADER_LIMIT = 150
CONTEXT_LIMIT = 1000  # ours: context lines are meant to be short
BUTTON_URL_LIMIT = 3000

MAX_HITS = 6
MAX_EVIDENCE = 3
EVIDENCE_CHARS = 80
HIT_CHARS = 450  # MAX_HITS lines of this size fit one section
MESSAGE_CHARS = 500
MAX_MESSAGES = 20
MAX_CONVERSATION_SECTIONS = 4
MAX_SNOOZE_MINUTES = 366 * 24 * 60
MAX_OPTIONS = 100

_SLACK_USER = re.compile(r"[UW][A-Z0-9]{2,30}")
_SLACK_CHANNEL = re.compile(r"[CGD][A-Z0-9]{2,30}")

URGENCY_EMOJI = {
    Urgency.URGENT: ":rotating_light:",
    Urgency.HIGH: ":large_orange_circle:",
    Urgency.NORMAL: ":large_blue_circle:",
    Urgency.LOW: ":white_circle:",
}
TYPE_WORDS = {
    "upset_customer": "Upset customer",
    "human_request": "Human requested",
    "sales_opportunity": "Sales opportunity",
    "complex_question": "Complex question",
    "uncertain_ai": "Uncertain AI answer",
    "routine_review": "Routine review",
}
KIND_WORDS = {
    "explicit_request": "Asked for a person",
    "frustration": "Frustration",
    "low_confidence": "Low AI confidence",
    "high_value": "High-value account",
    "deal_moment": "Deal moment",
    "sensitive_topic": "Sensitive topic",
    "unanswered": "Waiting for a reply",
    "custom": "Custom rule",
}
_AUTHOR_WORDS = {
    AuthorKind.CUSTOMER: "*Customer*",
    AuthorKind.INTERNAL: "*Our team*",
    AuthorKind.AI: "*AI agent*",
    AuthorKind.OTHER_BOT: "*Bot*",
    AuthorKind.SELF: "*Baton*",
}
_STATE_WORDS = {
    HandoffState.OPEN: "Open",
    HandoffState.CLAIMED: "Claimed",
    HandoffState.SNOOZED: "Snoozed",
    HandoffState.RESOLVED: "Resolved",
    HandoffState.DISMISSED: "Not needed",
}
_SENTIMENT_FACES = (
    (-0.5, ":rage:"),
    (-0.05, ":slightly_frowning_face:"),
    (0.05, ":neutral_face:"),
    (math.inf, ":slightly_smiling_face:"),
)
_DISMISS_CONFIRM = ConfirmObject(
    title="Not needed?",
    text="This closes the handoff and records it as a false positive, so the trigger behind it can be tuned.",
    confirm="Not needed",
    deny="Keep it",
    style="danger",
)


def render_card(
    view: CardView, *, permalink: str | None, snooze_minutes: Sequence[int], mention: str | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """The card's fallback text and Block Kit blocks, within Slack's limits whatever the input."""
    handoff = view.handoff
    if handoff.id is None:
        raise ValueError("a handoff card needs a stored handoff: its id routes the buttons")
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text=_header(view), emoji=True))]
    intro = _intro(view, mention)
    if intro:
        blocks.append(ContextBlock(elements=intro))
    blocks.append(SectionBlock(fields=_fields(view)))
    blocks.append(_section(_why(view.hits)))
    if (assessment := view.assessment) is not None:
        blocks.append(_section(_assessment(assessment)))
    if (sentiment := _sentiment(view.sentiment)) is not None:
        blocks.append(_section(sentiment))
    blocks.append(_section("*Suggested approach*\n" + escape(view.approach or DEFAULT_APPROACH)))
    blocks.append(DividerBlock())
    blocks.extend(_conversation(view.messages))
    if permalink and units(permalink) <= BUTTON_URL_LIMIT:
        open_thread = ButtonElement(text="Open thread", url=permalink, action_id="baton_open_thread")
        blocks.append(ActionsBlock(block_id=f"baton_link:{handoff.id}", elements=[open_thread]))
    if handoff.state.is_live:
        blocks.append(handoff_buttons(handoff, snooze_minutes))
    else:
        blocks.append(_context(_closing(handoff)))
    return _fallback(view, mention), [block.to_dict() for block in blocks]


def render_mirror(message: StoredMessage) -> str:
    """A later message copied into the card's thread ("*Customer* wrote: …"), unable to ping anyone."""
    author = _author(message)
    if message.deleted:
        return f"{author} deleted a message."
    return clip(f"{author} wrote: {_body(message.text)}", TEXT_LIMIT)


def words_for(name: str, table: Mapping[str, str], default: str) -> str:
    return table.get(name) or one_line(name.replace("_", " ")).capitalize() or default


def _user(user_id: str | None) -> str | None:
    return f"<@{user_id}>" if user_id and _SLACK_USER.fullmatch(user_id) else None


def _section(text: str, *, verbatim: bool = False) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=clip(text, TEXT_LIMIT), verbatim=verbatim))


def _context(*texts: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=clip(text, CONTEXT_LIMIT)) for text in texts])


def _name(view: CardView) -> str:
    channel = view.channel
    return one_line(channel.account.name or channel.name or channel.channel_id or view.handoff.channel_id)


def _header(view: CardView) -> str:
    emoji = URGENCY_EMOJI.get(view.handoff.urgency, "")
    kind = words_for(view.handoff.escalation_type, TYPE_WORDS, "Handoff")
    # Block Kit has no colours outside legacy attachments: a breached card says so in red in its header.
    breached = ":red_circle: SLA breached · " if view.handoff.breached and view.handoff.state.is_live else ""
    return clip(f"{breached}{emoji} {kind} — {_name(view) or 'unknown account'}", HEADER_LIMIT, mrkdwn=False)


def _intro(view: CardView, mention: str | None) -> list[MarkdownTextObject]:
    parts = []
    if mention:
        parts.append(f"For {one_line(mention)}")
    if view.escalated_from:
        parts.append(f"Handed over from {escape(one_line(view.escalated_from))}")
    if view.type_description:
        parts.append(f"_{escape(one_line(view.type_description))}_")
    return [MarkdownTextObject(text=clip(part, CONTEXT_LIMIT)) for part in parts]


def _fields(view: CardView) -> list[MarkdownTextObject]:
    handoff = view.handoff
    urgency = f"{URGENCY_EMOJI.get(handoff.urgency, '')} {handoff.urgency.value.capitalize()}"
    channel_id = view.channel.channel_id or handoff.channel_id
    channel = f"<#{channel_id}>" if _SLACK_CHANNEL.fullmatch(channel_id) else escape(channel_id)
    pairs = [
        ("Account", _account(view)),
        ("Urgency", urgency.strip()),
        ("State", _state(handoff)),
        ("SLA", _sla(handoff)),
        ("Channel", channel),
    ]
    return [MarkdownTextObject(text=clip(f"*{label}*\n{value}", FIELD_LIMIT)) for label, value in pairs]


def _account(view: CardView) -> str:
    account = view.channel.account
    parts = [clip(escape(_name(view)), 300) or "—"]
    if account.tier:
        parts.append(clip(escape(one_line(account.tier)), 100))
    if math.isfinite(account.value) and 0 < account.value < 1e15:
        parts.append(f"${account.value:,.0f}")
    if owner := _user(account.owner_user_id):
        parts.append(f"owner {owner}")
    return " · ".join(parts)


def _state(handoff: Handoff) -> str:
    words = _STATE_WORDS.get(handoff.state, handoff.state.value)
    if handoff.state is HandoffState.CLAIMED and (assignee := _user(handoff.assignee_id)):
        return f"{words} by {assignee}"
    if handoff.state is HandoffState.SNOOZED and handoff.snoozed_until is not None:
        whose = f" · {assignee} has it" if (assignee := _user(handoff.assignee_id)) else ""
        return f"{words} until {slack_date(handoff.snoozed_until)}{whose}"
    return words


def _sla(handoff: Handoff) -> str:
    parts = []
    if handoff.state.is_live:
        # (a snoozed handoff someone claimed is on its resolve clock: its claim clock stopped at the claim)
        claimed = handoff.state is HandoffState.CLAIMED or sla_of(handoff).claimed_at is not None
        if not claimed and handoff.claim_due_at is not None:
            parts.append(f"claim by {slack_date(handoff.claim_due_at)}")
        if handoff.resolve_due_at is not None:
            parts.append(f"resolve by {slack_date(handoff.resolve_due_at)}")
        if handoff.level > 0:
            parts.append(f"escalated to tier {handoff.level + 1}")
    if handoff.breached:
        parts.append(":warning: breached")
    return " · ".join(parts) or ("closed" if not handoff.state.is_live else "none")


def _why(hits: Sequence[Any]) -> str:
    lines = ["*Why*"]
    lines.extend(clip(_hit_line(hit), HIT_CHARS) for hit in hits[:MAX_HITS])
    if len(hits) > MAX_HITS:
        lines.append(f"_+{len(hits) - MAX_HITS} more_")
    if not hits:
        lines.append("_No trigger details were recorded._")
    return "\n".join(lines)


def _hit_line(hit: Any) -> str:
    if not isinstance(hit, Mapping):
        return "• " + clip(escape(one_line(str(hit))), HIT_CHARS)
    line = f"• *{words_for(str(hit.get('kind') or ''), KIND_WORDS, 'Trigger')}*"
    if (score := percent(hit.get("score"))) is not None:
        line += f" {score}"
    if explanation := one_line(str(hit.get("explanation") or "")):
        line += " — " + clip(escape(explanation), 250)
    evidence = hit.get("evidence") or ()
    items = [evidence] if isinstance(evidence, str) else list(evidence)[:MAX_EVIDENCE]
    quoted = [f"“{clip(escape(one_line(str(item))), EVIDENCE_CHARS)}”" for item in items if str(item).strip()]
    if quoted:
        line += " · " + ", ".join(quoted)
    return line


def _assessment(assessment: AIAssessment) -> str:
    lines = ["*AI assessment*"]
    confidence = percent(assessment.confidence)
    if confidence is None:
        lines.append("Confidence: unknown")
    else:
        low = float(assessment.confidence or 0.0) < 0.5
        lines.append(f"Confidence: {confidence}" + (" :warning:" if low else ""))
    if assessment.summary.strip():
        lines.append("Summary: " + clip(escape(assessment.summary.strip()), 1800))
    if assessment.intent.strip():
        lines.append("Intent: " + clip(escape(one_line(assessment.intent)), 300))
    return "\n".join(lines)


def _sentiment(trend: SentimentTrend) -> str | None:
    latest = trend.latest
    if latest is None or not math.isfinite(latest):
        return None
    emoji = next(face for bound, face in _SENTIMENT_FACES if latest <= bound)
    count = plural(len(trend.values), "customer message")
    return f"*Customer sentiment*\n{emoji} {latest:.2f}, {trend.direction} ({count})"


def _author(message: StoredMessage) -> str:
    words = _AUTHOR_WORDS.get(message.author_kind, "*Someone*")
    if message.author_kind is AuthorKind.INTERNAL and message.author_id:
        # Named without a mention: every new card would otherwise ping everyone who spoke in the thread.
        return f"{words} ({neutralise(f'<@{message.author_id}>')})"
    return words


def _body(text: str) -> str:
    tidy = re.sub(r"\n{3,}", "\n\n", neutralise(text)).strip()
    return balance_fences(tidy) if tidy else "_(no text)_"


def _message_line(message: StoredMessage) -> str:
    if message.deleted:
        return f"{_author(message)}: _(deleted)_"
    edited = " _(edited)_" if message.edited_at is not None else ""
    return f"{_author(message)}: {clip(_body(message.text), MESSAGE_CHARS)}{edited}"


def _conversation(messages: Sequence[StoredMessage]) -> list[Block]:
    """The newest messages, packed newest-first into a few sections; the oldest are dropped first."""
    title = "*Conversation*"
    if not messages:
        return [_section(f"{title}\n_No messages yet._")]
    reserve = units(title) + 60  # the title and the "N earlier messages not shown" line
    chunks: list[list[str]] = [[]]
    used = reserve
    for message in reversed(messages[-MAX_MESSAGES:]):
        line = _message_line(message)
        if used + units(line) + 1 > TEXT_LIMIT:
            if len(chunks) == MAX_CONVERSATION_SECTIONS:
                break
            chunks.append([])
            used = reserve
        chunks[-1].append(line)
        used += units(line) + 1
    hidden = len(messages) - sum(map(len, chunks))
    head = [title] + ([f"_{plural(hidden, 'earlier message')} not shown_"] if hidden else [])
    texts = ["\n".join(reversed(chunk)) for chunk in reversed(chunks)]
    texts[0] = "\n".join([*head, texts[0]])
    # verbatim: Slack must not auto-link or parse mentions in what customers wrote.
    return [_section(text, verbatim=True) for text in texts]


def _snooze_options(snooze_minutes: Sequence[int]) -> list[Option]:
    valid = (m for m in snooze_minutes if isinstance(m, int) and not isinstance(m, bool))
    minutes = dict.fromkeys(m for m in valid if 0 < m <= MAX_SNOOZE_MINUTES)
    return [Option(value=str(m), label=snooze_label(m)) for m in list(minutes)[:MAX_OPTIONS]]


def handoff_buttons(handoff: Handoff, snooze_minutes: Sequence[int]) -> ActionsBlock:
    value = str(handoff.id)
    elements: list[InteractiveElement] = []
    if handoff.state is not HandoffState.CLAIMED:
        elements.append(ButtonElement(text="Claim", action_id="baton_claim", value=value, style="primary"))
    elements.append(UserSelectElement(placeholder="Reassign…", action_id="baton_reassign"))
    options = _snooze_options(snooze_minutes)
    # The domain allows snoozing only open or claimed handoffs (routing.handoffs.TRANSITIONS).
    if options and handoff.state is not HandoffState.SNOOZED:
        elements.append(StaticSelectElement(placeholder="Snooze…", action_id="baton_snooze", options=options))
    elements.append(ButtonElement(text="Resolve", action_id="baton_resolve", value=value))
    elements.append(
        ButtonElement(
            text="Not needed",
            action_id="baton_dismiss",
            value=value,
            style="danger",
            confirm=_DISMISS_CONFIRM,
        )
    )
    # The block id also says whose the handoff was when drawn: a click from a view drawn before a colleague
    # claimed it is stopped and explained (handlers/actions.py), not applied over their claim.
    seen = f"{handoff.state.value}:{handoff.assignee_id or ''}"
    return ActionsBlock(block_id=f"baton_handoff:{handoff.id}:{seen}", elements=elements)


def _closing(handoff: Handoff) -> str:
    verb = "Resolved" if handoff.state is HandoffState.RESOLVED else "Marked not needed"
    who = _user(handoff.context.get("closed_by") or handoff.assignee_id)
    parts = [f"{verb} by {who}" if who else verb, f"opened {slack_date(handoff.opened_at)}"]
    if handoff.closed_at is not None:
        parts.append(f"closed {slack_date(handoff.closed_at)}")
    return " · ".join(parts)


def _fallback(view: CardView, mention: str | None) -> str:
    handoff = view.handoff
    hits = [hit for hit in view.hits if isinstance(hit, Mapping)]
    kinds = dict.fromkeys(words_for(str(hit.get("kind") or ""), KIND_WORDS, "Trigger") for hit in hits)
    text = escape(_header(view))
    if handoff.state is not HandoffState.OPEN:
        text += f" [{_STATE_WORDS.get(handoff.state, handoff.state.value)}]"
    if kinds:
        text += ": " + clip(escape(", ".join(kinds)), 1000)
    if mention:
        text += f" (for {clip(one_line(mention), 200)})"
    return clip(text, TEXT_LIMIT)
