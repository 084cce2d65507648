"""The App Home's Block Kit: the queue and its cap, the empty state, the dashboard from EscalationStats."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from handlers.home_blocks import MAX_BLOCKS, HomeView, render_home
from handlers.permissions import Role
from routing.home import MyQueue
from routing.models import Handoff, HandoffState, Urgency
from routing.stats import Durations, EscalationStats, Rate, TriggerStats

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
TYPES = ("upset_customer", "human_request")


def handoff(i: int, **changes: Any) -> Handoff:
    base = Handoff(
        channel_id="C0ACME",
        thread_ts=f"1700000000.{i:06d}",
        escalation_type="upset_customer",
        urgency=Urgency.URGENT,
        opened_at=NOW - timedelta(minutes=i),
        claim_due_at=NOW + timedelta(minutes=15),
        target="user:U0REP",
        routed_to="U0REP",
        reasons=("frustration", "explicit_request"),
        id=i + 1,
    )
    return Handoff(**{**{f: getattr(base, f) for f in base.__dataclass_fields__}, **changes})


def stats(**changes: Any) -> EscalationStats:
    base: dict[str, Any] = {
        "since": NOW - timedelta(days=7),
        "until": NOW,
        "overall": Rate(handoffs=8, messages=100),
        "by_trigger": {
            "frustration": TriggerStats("frustration", handoffs=5, not_needed=1),
            "low_confidence": TriggerStats("low_confidence", handoffs=2, not_needed=2),
            "explicit_request": TriggerStats("explicit_request", handoffs=3, not_needed=0),
        },
        "time_to_claim": Durations(count=6, p50=timedelta(minutes=12), p90=timedelta(minutes=45)),
        "sla_met": 9,
        "sla_measured": 10,
        "breaches": 1,
        "reassignments": 2,
    }
    return EscalationStats(**{**base, **changes})


def text_of(view: dict[str, Any]) -> str:
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(view["blocks"])
    return "\n".join(found)


def controls(view: dict[str, Any]) -> list[str]:
    return [
        ":".join(b["block_id"].split(":")[:2])  # (the rest says whose the handoff was when drawn)
        for b in view["blocks"]
        if b.get("block_id", "").startswith("baton_handoff:")
    ]


def test_each_handoff_has_a_line_and_the_cards_buttons():
    queue = MyQueue([handoff(0), handoff(1, state=HandoffState.CLAIMED, assignee_id="U0REP")], total=2)
    view = render_home(HomeView("U0REP", Role.MEMBER, queue, (30, 60), {"C0ACME": "Acme <Corp>"}))
    assert view["type"] == "home"
    text = text_of(view)
    assert ":rotating_light: *Upset customer* in <#C0ACME> (Acme &lt;Corp&gt;)" in text
    assert "Frustration, Asked for a person · opened <!date^" in text
    assert "Claimed by you" in text and "Waiting for someone to claim it · claim by" in text
    actions = {
        b["block_id"]: [e["action_id"] for e in b["elements"]]
        for b in view["blocks"]
        if b["type"] == "actions"
    }
    assert actions["baton_handoff:1:open:"][0] == "baton_claim"  # drawn open, nobody's
    assert "baton_claim" not in actions["baton_handoff:2:claimed:U0REP"]
    assert "Escalation health" not in text and "…and" not in text


def test_nothing_waiting_says_what_baton_does():
    text = text_of(render_home(HomeView("U0REP", Role.MEMBER)))
    assert "Nothing is waiting for you." in text and "hands a conversation to a person" in text


def test_someone_of_another_organisation_sees_no_queue_and_nothing_about_being_watched():
    text = text_of(render_home(HomeView("U0ACME1", Role.EXTERNAL, MyQueue([handoff(0)], 1))))
    assert "Your queue" not in text and "bring the right person into your conversations" in text
    for internal in ("frustrated", "watches", "handoff", "Handoff", "claim", "AI"):
        assert internal not in text, internal


@pytest.mark.parametrize("role", [Role.MEMBER, Role.ADMIN])
def test_a_long_queue_is_capped_and_counted(role: Role):
    queue = MyQueue([handoff(i) for i in range(200)], total=1000)
    home = HomeView("U0REP", role, queue, stats=stats(), escalation_types=TYPES, notice="x" * 5000)
    view = render_home(home)
    assert len(view["blocks"]) <= MAX_BLOCKS
    shown = controls(view)
    assert len(shown) == 20 and shown[0] == "baton_handoff:1"
    assert f"…and {1000 - 20} more handoffs." in text_of(view)
    assert len({b.get("block_id") for b in view["blocks"] if b.get("block_id")}) == len(
        [b for b in view["blocks"] if b.get("block_id")]
    )


def test_the_dashboard_shows_rate_band_volume_sla_and_not_needed():
    text = text_of(render_home(HomeView("U0ADMIN", Role.ADMIN, stats=stats(), escalation_types=TYPES)))
    assert "*Escalation rate*: 8.0% (8 handoffs for 100 customer messages)" in text
    assert "within the healthy 5–15% band" in text
    assert "*SLA compliance*\n90% (9 of 10 claimed in time)" in text
    assert "*Time to claim*\nmedian 12 min, 90% within 45 min" in text
    assert "*Handoffs by trigger*\n• Frustration: 5\n• Asked for a person: 3\n• Low AI confidence: 2" in text
    assert (
        "*Most often marked not needed*\n• Low AI confidence: 100% (2 of 2)\n• Frustration: 20% (1 of 5)"
        in text
    )


@pytest.mark.parametrize(
    ("rate", "words"),
    [
        (Rate(1, 100), "below the healthy 5–15% band"),
        (Rate(30, 100), "above the healthy 5–15% band"),
        (Rate(0, 0), "No customer messages in the last 7 days."),
    ],
)
def test_the_rate_is_placed_against_the_band(rate: Rate, words: str):
    text = text_of(render_home(HomeView("U0ADMIN", Role.ADMIN, stats=stats(overall=rate, by_trigger={}))))
    assert words in text
    assert "No handoffs in the last 7 days." in text and "No handoff was marked not needed." in text


def test_without_stats_the_dashboard_says_so_and_the_type_picker_stays():
    view = render_home(HomeView("U0ADMIN", Role.ADMIN, stats=None, escalation_types=TYPES))
    assert "Stats are unavailable right now" in text_of(view)
    (picker,) = [e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert (picker["action_id"], [o["value"] for o in picker["options"]]) == ("baton_edit_type", list(TYPES))


def test_a_type_whose_name_slack_cannot_take_as_an_option_is_left_out_of_the_picker():
    long_name = "enterprise_renewal_" + "x" * 140  # 159 characters: over Slack's 150 for an option value
    home = HomeView(
        user_id="U0ADMIN", role=Role.ADMIN, stats=stats(), escalation_types=("upset_customer", long_name)
    )
    options = [
        option["value"]
        for block in render_home(home)["blocks"]
        for element in block.get("elements", [])
        for option in element.get("options", [])
    ]
    assert options == ["upset_customer"]
