"""What the notifier checks as a row goes out, not as it was queued: an SLA note whose clock stopped since
is not sent (a reminder that a handoff "is still waiting to be claimed" after a rep claimed it)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from routing.models import HandoffState, OutboxItem
from routing.sweep import sla_note_stale as _sla_note_stale
from tests.storage.builders import T0, at, handoff

OPEN = replace(handoff(), state=HandoffState.OPEN, assignee_id=None, context={})
CLAIMED = replace(OPEN, state=HandoffState.CLAIMED, context={"sla": {"claimed_at": at(3).isoformat()}})
SNOOZED = replace(OPEN, state=HandoffState.SNOOZED)
RESOLVED = replace(CLAIMED, state=HandoffState.RESOLVED)


def row(dedupe: str | None) -> OutboxItem:
    return OutboxItem(channel_key="C1", method="thread_note", payload={}, created_at=T0, available_at=T0,
                      dedupe_key=dedupe, handoff_id=1)  # fmt: skip


@pytest.mark.parametrize(
    ("dedupe", "stale_for"),
    [
        ("warn:1:claim", {"claimed", "snoozed", "resolved"}),
        ("tier:1:claim:0", {"claimed", "snoozed", "resolved"}),
        ("warn:1:resolve", {"snoozed", "resolved"}),
        ("tier:1:resolve:1", {"snoozed", "resolved"}),
        ("breach:1:claim", {"resolved"}),  # a breach stays a fact once claimed
        ("warm:1", set()),  # not an SLA note
        (None, set()),  # (a mirror, a wake-up note)
    ],
)
def test_an_sla_note_whose_clock_stopped_is_not_sent(dedupe: str | None, stale_for: set[str]) -> None:
    states = {"open": OPEN, "claimed": CLAIMED, "snoozed": SNOOZED, "resolved": RESOLVED}
    assert {name for name, h in states.items() if _sla_note_stale(row(dedupe), h)} == stale_for
