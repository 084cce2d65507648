"""The handoff lifecycle, pure: transitions, claims, merging, cooldown."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from routing.decision import Decision, TriggerHit, TriggerKind
from routing.errors import BatonError
from routing.handoffs import (
    Action,
    AlreadyClaimed,
    InvalidTransition,
    apply,
    in_cooldown,
    merge,
    open_handoff,
)
from routing.models import AIAssessment, AuthorKind, HandoffState, MessageFacts, Urgency

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
FACTS = MessageFacts(
    channel_id="C1", ts="2.0", thread_ts="1.0", author_id="U9", author_team="T9",
    author_kind=AuthorKind.CUSTOMER, text="hi", received_at=NOW,
)  # fmt: skip


def decision(kind: TriggerKind, etype: str, urgency: Urgency, rule: str | None = None) -> Decision:
    hit = TriggerHit(kind=kind, rule_id=rule or kind.value, score=0.9, evidence=("x",), explanation="why")
    return Decision(
        escalate=True, escalation_type=etype, urgency=urgency, hits=(hit,), suggested_approach="do"
    )


OPEN = replace(
    open_handoff(
        decision(TriggerKind.EXPLICIT_REQUEST, "human_request", Urgency.HIGH),
        FACTS,
        target="channel:C0T",
        route_id="default",
        now=NOW,
    ),
    id=7,
)


def in_state(state: HandoffState, assignee: str | None = None):
    return replace(OPEN, state=state, assignee_id=assignee)


def test_opening_freezes_the_decision_onto_the_handoff():
    assert (OPEN.state, OPEN.escalation_type, OPEN.urgency, OPEN.reasons) == (
        HandoffState.OPEN, "human_request", Urgency.HIGH, ("explicit_request",),
    )  # fmt: skip
    assert OPEN.context["hits"][0]["explanation"] == "why" and OPEN.context["approach"] == "do"
    with pytest.raises(BatonError):
        open_handoff(Decision(escalate=False), FACTS, target="", route_id="", now=NOW)


@pytest.mark.parametrize(
    ("state", "action", "result"),
    [
        (HandoffState.OPEN, Action.CLAIM, HandoffState.CLAIMED),
        (HandoffState.SNOOZED, Action.CLAIM, HandoffState.CLAIMED),
        (HandoffState.OPEN, Action.REASSIGN, HandoffState.CLAIMED),
        (HandoffState.CLAIMED, Action.SNOOZE, HandoffState.SNOOZED),
        (HandoffState.OPEN, Action.RESOLVE, HandoffState.RESOLVED),
        (HandoffState.SNOOZED, Action.DISMISS, HandoffState.DISMISSED),
        (HandoffState.RESOLVED, Action.CLAIM, InvalidTransition),
        (HandoffState.DISMISSED, Action.RESOLVE, InvalidTransition),
        (HandoffState.SNOOZED, Action.SNOOZE, InvalidTransition),
        (HandoffState.RESOLVED, Action.REASSIGN, InvalidTransition),
    ],
)
def test_transition_table(state, action, result):
    kwargs = {"assignee": "U2", "until": NOW + timedelta(hours=1)}
    if isinstance(result, type):
        with pytest.raises(result):
            apply(in_state(state), action, actor="U1", now=NOW, **kwargs)
        return
    change = apply(in_state(state), action, actor="U1", now=NOW, **kwargs)
    assert change is not None and change.handoff.state is result
    if result in (HandoffState.RESOLVED, HandoffState.DISMISSED):
        assert change.handoff.closed_at == NOW and change.handoff.context["closed_by"] == "U1"


def test_claiming_what_someone_else_claimed_names_them_and_a_second_own_click_is_a_no_op():
    claimed = in_state(HandoffState.CLAIMED, assignee="U1")
    with pytest.raises(AlreadyClaimed, match="<@U1> already has this handoff"):
        apply(claimed, Action.CLAIM, actor="U2", now=NOW)
    assert apply(claimed, Action.CLAIM, actor="U1", now=NOW) is None


@pytest.mark.parametrize(
    ("action", "kwargs"),
    [(Action.REASSIGN, {}), (Action.SNOOZE, {}), (Action.SNOOZE, {"until": NOW - timedelta(minutes=1)})],
)
def test_actions_missing_their_argument_are_refused(action, kwargs):
    with pytest.raises(BatonError):
        apply(OPEN, action, actor="U1", now=NOW, **kwargs)


def test_merge_adds_new_evidence_and_raises_urgency_only():
    upset = decision(TriggerKind.FRUSTRATION, "upset_customer", Urgency.URGENT)
    change = merge(OPEN, upset, replace(FACTS, assessment=AIAssessment(confidence=0.3)))
    assert change is not None
    assert change.handoff.urgency is Urgency.URGENT
    assert change.handoff.reasons == ("explicit_request", "frustration")
    assert change.handoff.context["assessment"]["confidence"] == 0.3
    assert merge(change.handoff, upset, FACTS) is None  # the same evidence again changes nothing
    lower = decision(TriggerKind.LOW_CONFIDENCE, "uncertain_ai", Urgency.LOW)
    assert merge(change.handoff, lower, FACTS).handoff.urgency is Urgency.URGENT


def test_cooldown():
    closed = replace(OPEN, state=HandoffState.RESOLVED, closed_at=NOW)
    assert in_cooldown(closed, cooldown=timedelta(minutes=30), now=NOW + timedelta(minutes=29))
    assert not in_cooldown(closed, cooldown=timedelta(minutes=30), now=NOW + timedelta(minutes=31))
    assert not in_cooldown(None, cooldown=timedelta(minutes=30), now=NOW)


def test_the_cooldown_holds_back_the_same_evidence_not_something_new():
    """After "not needed" on a request for a person, the same ask again is held back (ping-pong), but a more
    urgent decision or one with a trigger the closed handoff did not have opens a handoff (before: "production
    is down, get me a person NOW" was dropped for 30 minutes)."""
    closed = replace(OPEN, state=HandoffState.DISMISSED, closed_at=NOW)  # explicit_request, normal
    soon = NOW + timedelta(minutes=5)
    again = decision(TriggerKind.EXPLICIT_REQUEST, "human_request", closed.urgency)
    assert in_cooldown(closed, cooldown=timedelta(minutes=30), now=soon, decision=again)
    urgent = decision(TriggerKind.EXPLICIT_REQUEST, "human_request", Urgency.URGENT)
    assert not in_cooldown(closed, cooldown=timedelta(minutes=30), now=soon, decision=urgent)
    upset = decision(TriggerKind.FRUSTRATION, "upset_customer", closed.urgency)
    assert not in_cooldown(closed, cooldown=timedelta(minutes=30), now=soon, decision=upset)
