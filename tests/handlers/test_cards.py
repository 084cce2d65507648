"""The handoff card: content, buttons per state, Slack's limits under hostile input, its text rendering."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from handlers.cards import render_card, render_mirror, render_text
from handlers.cards_text import NO_PING, clip, plain, snooze_label, units
from routing.models import (
    Account,
    AuthorKind,
    Handoff,
    HandoffState,
    StoredMessage,
    Urgency,
    WatchedChannel,
)
from routing.views import CardView, SentimentTrend

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
ACME = WatchedChannel(
    channel_id="C0ACME",
    name="acme-support",
    is_shared=True,
    account=Account(name="Acme", tier="Enterprise", value=120_000, owner_user_id="U0OWN"),
)
HIT = {
    "kind": "frustration",
    "rule_id": "frustration.tone",
    "score": 0.82,
    "evidence": ["this is ridiculous", "-0.71"],
    "explanation": "negative tone, getting worse",
}
ASSESSMENT = {"confidence": 0.3, "summary": "Asks for a refund of the May invoice", "intent": "refund"}
HANDOFF = Handoff(
    channel_id="C0ACME",
    thread_ts="1700000000.000100",
    escalation_type="upset_customer",
    urgency=Urgency.URGENT,
    opened_at=NOW,
    claim_due_at=NOW + timedelta(minutes=15),
    resolve_due_at=NOW + timedelta(hours=4),
    reasons=("frustration",),
    context={"hits": [HIT], "approach": "Reply now, personally.", "assessment": ASSESSMENT},
    id=7,
)
SNOOZES = (30, 60, 240, 1440)
PERMALINK = "https://acme.slack.com/archives/C0ACME/p1700000000000100"
ACTIONS_BLOCK = "baton_handoff:7"


def message(text: str, kind: AuthorKind = AuthorKind.CUSTOMER, *, n: int = 1, **kwargs: Any) -> StoredMessage:
    author = {AuthorKind.INTERNAL: "U0REP", AuthorKind.AI: "U0AI"}.get(kind, "U0CUST")
    return StoredMessage(
        channel_id="C0ACME",
        ts=f"1700000000.{n:06d}",
        thread_ts="1700000000.000100",
        author_id=author,
        author_team="T0ACME" if kind is AuthorKind.CUSTOMER else "T0OURS",
        author_kind=kind,
        text=text,
        received_at=NOW,
        **kwargs,
    )


CONVERSATION = (
    message("Our export has been broken for two days, this is ridiculous", n=1),
    message("Sorry about that! Have you tried clearing the cache?", AuthorKind.AI, n=2),
    message("Yes. Twice. I want to talk to a person", n=3),
    message("oops wrong thread", AuthorKind.INTERNAL, n=4, deleted=True),
)


def view(
    handoff: Handoff = HANDOFF,
    *,
    channel: WatchedChannel = ACME,
    messages: tuple[StoredMessage, ...] = CONVERSATION,
    sentiment: tuple[float, ...] = (-0.2, -0.62),
    description: str = "the customer is frustrated or angry: immediate",
) -> CardView:
    return CardView(handoff, channel, messages, SentimentTrend(sentiment), description)


def card(v: CardView | None = None, **kwargs: Any) -> tuple[str, list[dict[str, Any]]]:
    kwargs.setdefault("permalink", PERMALINK)
    kwargs.setdefault("snooze_minutes", SNOOZES)
    return render_card(v or view(), **kwargs)


def blocks_of(type_: str, blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [block for block in blocks if block["type"] == type_]


def actions(blocks: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The card's action elements by action_id (empty when the card has no actions block)."""
    found = [block for block in blocks if str(block.get("block_id")).startswith(ACTIONS_BLOCK + ":")]
    return {element["action_id"]: element for block in found for element in block["elements"]}


def fields(blocks: list[dict[str, Any]]) -> dict[str, str]:
    """The field values by label ("*Label*\\nvalue")."""
    texts = [field["text"] for block in blocks_of("section", blocks) for field in block.get("fields", [])]
    return dict(text.removeprefix("*").split("*\n", 1) for text in texts)


def section_texts(blocks: list[dict[str, Any]]) -> list[str]:
    return [block["text"]["text"] for block in blocks_of("section", blocks) if "text" in block]


def context_texts(blocks: list[dict[str, Any]]) -> list[str]:
    return [" · ".join(e["text"] for e in block["elements"]) for block in blocks_of("context", blocks)]


def conversation(blocks: list[dict[str, Any]]) -> str:
    texts = section_texts(blocks)
    start = next(i for i, text in enumerate(texts) if text.startswith("*Conversation*"))
    return "\n".join(texts[start:])


def assert_within_limits(text: str, blocks: list[dict[str, Any]]) -> None:
    assert len(text) <= 3000 and units(text) <= 3000
    assert 0 < len(blocks) <= 50
    for block in blocks:
        Block.parse(block).to_dict()  # slack_sdk's own validation, from the dict we send
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
        if block["type"] == "section":
            assert units(block.get("text", {}).get("text", "")) <= 3000
            assert len(block.get("fields", [])) <= 10
            assert all(units(field["text"]) <= 2000 for field in block.get("fields", []))
        if block["type"] == "context":
            assert len(block["elements"]) <= 10
            assert all(units(element["text"]) <= 3000 for element in block["elements"])
        if block["type"] == "actions":
            assert len(block["elements"]) <= 25
    for mrkdwn in [text, *section_texts(blocks), *context_texts(blocks)]:
        assert "<" not in re.sub(r"<(?:[@#]|!date\^|https://)[^<>]*>", "", mrkdwn), "half a <link> left"


# --- buttons ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "assignee", "expected"),
    [
        (
            HandoffState.OPEN,
            None,
            ["baton_claim", "baton_reassign", "baton_snooze", "baton_resolve", "baton_dismiss"],
        ),
        (HandoffState.CLAIMED, "U0REP", ["baton_reassign", "baton_snooze", "baton_resolve", "baton_dismiss"]),
        # routing.handoffs.TRANSITIONS: a snoozed handoff can be claimed but not snoozed again
        (HandoffState.SNOOZED, None, ["baton_claim", "baton_reassign", "baton_resolve", "baton_dismiss"]),
        (HandoffState.RESOLVED, "U0REP", []),
        (HandoffState.DISMISSED, "U0REP", []),
    ],
)
def test_buttons_follow_the_state(state, assignee, expected):
    handoff = replace(HANDOFF, state=state, assignee_id=assignee, snoozed_until=NOW + timedelta(hours=1))
    _, blocks = card(view(handoff))
    assert list(actions(blocks)) == expected


def test_action_ids_values_and_styles():
    _, blocks = card()
    found = actions(blocks)
    assert {found[a]["value"] for a in ("baton_claim", "baton_resolve", "baton_dismiss")} == {"7"}
    assert found["baton_claim"]["style"] == "primary"
    assert found["baton_dismiss"]["style"] == "danger"
    assert "false positive" in found["baton_dismiss"]["confirm"]["text"]["text"]
    assert found["baton_reassign"]["type"] == "users_select"
    assert found["baton_reassign"]["placeholder"]["text"] == "Reassign…"
    assert found["baton_snooze"]["type"] == "static_select"


@pytest.mark.parametrize(
    ("minutes", "options"),
    [
        (
            (30, 60, 240, 1440),
            [("30 minutes", "30"), ("1 hour", "60"), ("4 hours", "240"), ("1 day", "1440")],
        ),
        ((1, 90, 2880), [("1 minute", "1"), ("1 h 30 min", "90"), ("2 days", "2880")]),
        ((30, 30, 0, -5, 10**9), [("30 minutes", "30")]),  # repeats and nonsense are dropped
    ],
)
def test_snooze_options(minutes, options):
    _, blocks = card(snooze_minutes=minutes)
    found = actions(blocks)["baton_snooze"]["options"]
    assert [(o["text"]["text"], o["value"]) for o in found] == options


def test_no_snooze_minutes_means_no_snooze_menu():
    _, blocks = card(snooze_minutes=())
    assert "baton_snooze" not in actions(blocks)


@pytest.mark.parametrize(
    ("minutes", "label"), [(5, "5 minutes"), (60, "1 hour"), (120, "2 hours"), (1440, "1 day")]
)
def test_snooze_label(minutes, label):
    assert snooze_label(minutes) == label


@pytest.mark.parametrize(("permalink", "buttons"), [(PERMALINK, [("Open thread", PERMALINK)]), (None, [])])
def test_open_thread_link_button(permalink, buttons):
    _, blocks = card(permalink=permalink)
    links = [e for b in blocks_of("actions", blocks) for e in b["elements"] if e.get("url")]
    assert [(e["text"]["text"], e["url"]) for e in links] == buttons


def test_a_handoff_without_an_id_cannot_be_rendered():
    with pytest.raises(ValueError):
        card(view(replace(HANDOFF, id=None)))


# --- header and fields -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("urgency", "kind", "channel", "header"),
    [
        (Urgency.URGENT, "upset_customer", ACME, ":rotating_light: Upset customer — Acme"),
        (Urgency.HIGH, "sales_opportunity", ACME, ":large_orange_circle: Sales opportunity — Acme"),
        (Urgency.NORMAL, "complex_question", ACME, ":large_blue_circle: Complex question — Acme"),
        (Urgency.LOW, "billing_review", ACME, ":white_circle: Billing review — Acme"),
        (
            Urgency.LOW,
            "routine_review",
            WatchedChannel("C0X", name="x-ops"),
            ":white_circle: Routine review — x-ops",
        ),
    ],
)
def test_header(urgency, kind, channel, header):
    _, blocks = card(view(replace(HANDOFF, urgency=urgency, escalation_type=kind), channel=channel))
    assert blocks[0] == {"type": "header", "text": {"type": "plain_text", "text": header, "emoji": True}}


@pytest.mark.parametrize(
    ("handoff", "channel", "label", "value"),
    [
        (HANDOFF, ACME, "Account", "Acme · Enterprise · $120,000 · owner <@U0OWN>"),
        (HANDOFF, WatchedChannel("C0X", name="x-ops"), "Account", "x-ops"),
        (HANDOFF, ACME, "Urgency", ":rotating_light: Urgent"),
        (HANDOFF, ACME, "State", "Open"),
        (
            replace(HANDOFF, state=HandoffState.CLAIMED, assignee_id="U0REP"),
            ACME,
            "State",
            "Claimed by <@U0REP>",
        ),
        (
            replace(HANDOFF, state=HandoffState.SNOOZED, snoozed_until=NOW + timedelta(hours=1)),
            ACME,
            "State",
            "Snoozed until <!date^1795784400^{date_short_pretty} {time}|2026-11-27 13:00 UTC>",
        ),
        (replace(HANDOFF, state=HandoffState.RESOLVED), ACME, "State", "Resolved"),
        (replace(HANDOFF, state=HandoffState.DISMISSED), ACME, "State", "Not needed"),
        (
            replace(HANDOFF, resolve_due_at=None),
            ACME,
            "SLA",
            "claim by <!date^1795781700^{date_short_pretty} {time}|2026-11-27 12:15 UTC>",
        ),
        (
            replace(HANDOFF, claim_due_at=None, resolve_due_at=None, breached=True),
            ACME,
            "SLA",
            ":warning: breached",
        ),
        (replace(HANDOFF, claim_due_at=None, resolve_due_at=None), ACME, "SLA", "none"),
        (HANDOFF, ACME, "Channel", "<#C0ACME>"),
    ],
)
def test_fields(handoff, channel, label, value):
    _, blocks = card(view(handoff, channel=channel))
    assert fields(blocks)[label] == value


def test_sla_while_claimed_is_the_resolve_deadline_and_shows_a_breach():
    handoff = replace(HANDOFF, state=HandoffState.CLAIMED, assignee_id="U0REP", breached=True, level=1)
    sla = fields(card(view(handoff))[1])["SLA"]
    assert sla.startswith("resolve by <!date^") and "claim by" not in sla
    assert sla.endswith("escalated to tier 2 · :warning: breached")


@pytest.mark.parametrize(
    ("mention", "intro"),
    [
        ("<@U0REP>", "For <@U0REP> · _the customer is frustrated or angry: immediate_"),
        (None, "_the customer is frustrated or angry: immediate_"),
    ],
)
def test_mention_and_type_description_lead_the_card(mention, intro):
    _, blocks = card(mention=mention)
    assert blocks[1]["type"] == "context" and context_texts(blocks)[0] == intro


# --- why, assessment, sentiment, approach ----------------------------------------------------------------


def test_why_shows_each_hit_with_score_explanation_and_quoted_evidence():
    why = section_texts(card()[1])[0]
    assert why == (
        "*Why*\n• *Frustration* 82% — negative tone, getting worse · “this is ridiculous”, “-0.71”"
    )


def test_why_caps_the_hits_shown():
    hits = [{**HIT, "kind": "custom", "explanation": f"rule {i}"} for i in range(50)]
    why = section_texts(card(view(replace(HANDOFF, context={"hits": hits})))[1])[0]
    assert why.count("• *Custom rule*") == 6 and why.endswith("_+44 more_")


@pytest.mark.parametrize(
    ("assessment", "expected"),
    [
        (
            ASSESSMENT,
            "*AI assessment*\nConfidence: 30% :warning:\nSummary: Asks for a refund of the May invoice",
        ),
        (
            {"confidence": 0.5, "summary": "", "intent": "upgrade"},
            "*AI assessment*\nConfidence: 50%\nIntent: upgrade",
        ),
        (
            {"confidence": None, "summary": "unsure", "intent": ""},
            "*AI assessment*\nConfidence: unknown\nSummary",
        ),
        (None, None),
    ],
)
def test_ai_assessment(assessment, expected):
    texts = section_texts(
        card(view(replace(HANDOFF, context={**HANDOFF.context, "assessment": assessment})))[1]
    )
    shown = [text for text in texts if text.startswith("*AI assessment*")]
    if expected is None:
        assert shown == []
    else:
        assert shown[0].startswith(expected)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ((-0.2, -0.62), "*Customer sentiment*\n:rage: -0.62, worsening (2 customer messages)"),
        ((0.4,), "*Customer sentiment*\n:slightly_smiling_face: 0.40, steady (1 customer message)"),
        ((), None),
    ],
)
def test_sentiment_only_when_there_are_values(values, expected):
    texts = section_texts(card(view(sentiment=values))[1])
    assert [t for t in texts if t.startswith("*Customer sentiment*")] == ([expected] if expected else [])


def test_suggested_approach_falls_back_to_the_default():
    assert "*Suggested approach*\nReply now, personally." in section_texts(card()[1])
    texts = section_texts(card(view(replace(HANDOFF, context={})))[1])
    assert any(t.startswith("*Suggested approach*\nRead the thread") for t in texts)


# --- conversation and mirror -----------------------------------------------------------------------------


def test_conversation_lines_oldest_first_with_authors():
    assert conversation(card()[1]) == (
        "*Conversation*\n"
        "*Customer*: Our export has been broken for two days, this is ridiculous\n"
        "*AI agent*: Sorry about that! Have you tried clearing the cache?\n"
        "*Customer*: Yes. Twice. I want to talk to a person\n"
        "*Our team* (@\u200bU0REP): _(deleted)_"
    )


def test_conversation_sections_are_verbatim():
    _, blocks = card()
    sections = [
        b for b in blocks_of("section", blocks) if b.get("text", {}).get("text", "").startswith("*Conv")
    ]
    assert sections[0]["text"]["verbatim"] is True


def test_empty_conversation():
    assert conversation(card(view(messages=()))[1]) == "*Conversation*\n_No messages yet._"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("<!channel> help", f"{NO_PING}channel help"),
        ("<!here|here> now", f"{NO_PING}here now"),
        ("<!everyone>", f"{NO_PING}everyone"),
        ("ask <!subteam^S0SUP|@support>", f"ask {NO_PING}support"),
        ("ask <!subteam^S0SUP>", f"ask {NO_PING}S0SUP"),
        ("cc <@U0BOB> and <@U0ANN|ann>", f"cc {NO_PING}U0BOB and {NO_PING}ann"),
        ("typed @here and @channel", f"typed {NO_PING}here and {NO_PING}channel"),
        ("due <!date^1795781700^{date}|Nov 27>", "due Nov 27"),
        (
            "see <#C0GEN|general> and <https://a.example|docs>",
            "see <#C0GEN|general> and <https://a.example|docs>",
        ),
        ("rtl\u202e trick\x00", "rtl trick"),
        # A mention whose label, once shown, would close a new one around it (sent through the API).
        ("hi <<!x|!channel>>", f"hi {NO_PING}channel"),
        ("hi <<!date^1795781700^{date}|!here>>", f"hi {NO_PING}here"),
        ("hi <<!foo|!subteam^S0SUP>>", f"hi {NO_PING}S0SUP"),
        ("hi <<<!a|!b|!everyone>>>", f"hi {NO_PING}everyone"),
        ("hi <<@U1|@U0BOB>>", f"hi {NO_PING}\u200bU0BOB"),
    ],
)
def test_conversation_and_mirror_cannot_ping(raw, shown):
    assert conversation(card(view(messages=(message(raw),)))[1]) == f"*Conversation*\n*Customer*: {shown}"
    assert render_mirror(message(raw)) == f"*Customer* wrote: {shown}"


@pytest.mark.parametrize(
    ("msg", "mirror"),
    [
        (message("x" * 10_000), None),
        (message("gone", deleted=True), "*Customer* deleted a message."),
        (message(""), "*Customer* wrote: _(no text)_"),
        (message("```\ncode never closed"), "*Customer* wrote: ```\ncode never closed\n```"),
    ],
)
def test_mirror(msg, mirror):
    text = render_mirror(msg)
    assert len(text) <= 3000
    if mirror is not None:
        assert text == mirror
    else:
        assert text.startswith("*Customer* wrote: xxx") and text.endswith("…")


def test_long_history_drops_the_oldest_and_says_so():
    history = tuple(message(f"message {i} " + "y" * 10_000, n=i) for i in range(200))
    text = conversation(card(view(messages=history))[1])
    assert text.startswith("*Conversation*\n_180 earlier messages not shown_\n*Customer*: message 180 ")
    assert "message 199 " in text and "message 179 " not in text
    assert text.index("message 198 ") < text.index("message 199 ")


# --- limits under hostile input --------------------------------------------------------------------------

WEIRD = "👩‍👩‍👧‍👦𝕬𝖈𝖒𝖊 Z̷̢͎a̸l̶g̵o\u202eevil\u200d\x07 <!here> *bold _it ```"
BIG_HIT = {
    "kind": "x" * 500,
    "rule_id": "r",
    "score": "nan",
    "evidence": ["e" * 5000] * 20,
    "explanation": WEIRD * 300,
}


@pytest.mark.parametrize(
    "hostile",
    [
        view(messages=tuple(message("z" * 10_000, n=i) for i in range(200))),
        view(messages=tuple(message(WEIRD * 400, kind, n=i) for i, kind in enumerate(list(AuthorKind) * 40))),
        view(messages=tuple(message("<@U0BOB>" * 2000, n=i) for i in range(60))),
        view(messages=tuple(message("&amp;" * 3000, n=i) for i in range(60))),
        view(replace(HANDOFF, context={"hits": [BIG_HIT] * 50, "approach": WEIRD * 500})),
        view(
            replace(
                HANDOFF,
                context={"assessment": {"confidence": 7, "summary": "s" * 9000, "intent": "i" * 9000}},
            )
        ),
        view(
            replace(HANDOFF, escalation_type=WEIRD * 50),
            channel=WatchedChannel("C0X", account=Account(name=WEIRD * 200, tier=WEIRD * 200, value=1e300)),
            description=WEIRD * 200,
        ),
        view(channel=WatchedChannel("C0X"), messages=(), sentiment=()),
        view(replace(HANDOFF, context={}, state=HandoffState.RESOLVED, closed_at=NOW), messages=()),
    ],
)
def test_limits_hold_for_hostile_input(hostile):
    text, blocks = render_card(hostile, permalink=PERMALINK, snooze_minutes=range(1, 500), mention="<@U0REP>")
    assert_within_limits(text, blocks)


def test_limits_hold_for_the_ordinary_card():
    assert_within_limits(*card())


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("see <https://example.com|the docs> now", 20, "see…"),
        ("fish &amp; chips", 11, "fish…"),
        ("```\nlong code block here", 16, "```\nlong co…\n```"),
        ("😀" * 10, 9, "😀😀…"),  # room kept for a closing ``` even when none is needed
    ],
)
def test_clip_never_breaks_markup(text, limit, expected):
    assert clip(text, limit) == expected
    assert units(clip(text, limit)) <= limit


# --- plain text ------------------------------------------------------------------------------------------


def test_render_text_reads_like_the_card():
    text = render_text(*card(mention="<@U0REP>"))
    for expected in (
        ":rotating_light: Upset customer — Acme",
        "For @U0REP",
        "Account: Acme · Enterprise · $120,000 · owner @U0OWN",
        "State: Open",
        "SLA: claim by 2026-11-27 12:15 UTC · resolve by 2026-11-27 16:00 UTC",
        "Channel: #C0ACME",
        "Frustration 82% — negative tone, getting worse",
        "Customer: Yes. Twice. I want to talk to a person",
        "Our team (@\u200bU0REP): (deleted)",
        f"[Open thread] ({PERMALINK})",
        "[Claim] [Reassign…] [Snooze…] [Resolve] [Not needed]",
    ):
        assert expected in text
    assert "<@" not in text and "<!date" not in text and "*" not in text


def test_render_text_of_a_closed_card():
    handoff = replace(
        HANDOFF, state=HandoffState.RESOLVED, assignee_id="U0REP", closed_at=NOW + timedelta(hours=1)
    )
    text = render_text(*card(view(handoff)))
    assert "Resolved by @U0REP · opened 2026-11-27 12:00 UTC · closed 2026-11-27 13:00 UTC" in text
    assert "[Claim]" not in text and "[Resolve]" not in text


@pytest.mark.parametrize(
    ("mrkdwn", "expected"),
    [
        ("<@U123> and <@U9|riley>", "@U123 and @riley"),
        ("<#C1|general> <#C2>", "#general #C2"),
        ("<!date^1795781700^{date}|Nov 27> <!here>", "Nov 27 @here"),
        (
            "<https://example.com|docs> <https://example.com>",
            "docs (https://example.com) https://example.com",
        ),
        ("*bold* _it_ snake_case 2*3*4", "bold it snake_case 2*3*4"),
        ("a &lt;b&gt; &amp;amp;", "a <b> &amp;"),
    ],
)
def test_plain(mrkdwn, expected):
    assert plain(mrkdwn) == expected


def test_render_text_skips_unknown_blocks_and_falls_back_to_the_text():
    blocks = [
        {"type": "image", "image_url": "https://x", "alt_text": "x"},
        {"type": "section", "text": {"type": "mrkdwn", "text": "*hi* <@U1>"}},
        {"type": "section"},
        {
            "type": "context",
            "elements": [{"type": "image", "alt_text": "logo"}, {"type": "plain_text", "text": "*x*"}],
        },
        {"type": "actions", "elements": [{"type": "datepicker"}, {"type": "button", "text": {"text": "Go"}}]},
        {"no": "type"},
    ]
    assert render_text("ignored", blocks) == "hi @U1\nlogo · *x*\n[Go]"
    assert render_text("*Upset* <@U1>", []) == "Upset @U1"
