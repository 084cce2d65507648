"""The handoff lifecycle, pure: opening, merging new triggers, and the reps' actions as a transition table."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from routing.decision import Decision, TriggerHit
from routing.errors import BatonError
from routing.models import AIAssessment, Handoff, HandoffState, MessageFacts, Urgency


class Action(StrEnum):
    """What a rep (or an admin, the API, the scheduler) can do to a handoff."""

    CLAIM = "claim"
    REASSIGN = "reassign"
    SNOOZE = "snooze"
    RESOLVE = "resolve"
    DISMISS = "dismiss"  # "not needed": a false positive, feedback for the trigger's tuning


# From which states each action is allowed, and the state it leads to (None: keep the state).
TRANSITIONS: dict[Action, tuple[frozenset[HandoffState], HandoffState | None]] = {
    Action.CLAIM: (frozenset({HandoffState.OPEN, HandoffState.SNOOZED}), HandoffState.CLAIMED),
    Action.REASSIGN: (
        frozenset({HandoffState.OPEN, HandoffState.CLAIMED, HandoffState.SNOOZED}),
        HandoffState.CLAIMED,
    ),
    Action.SNOOZE: (frozenset({HandoffState.OPEN, HandoffState.CLAIMED}), HandoffState.SNOOZED),
    Action.RESOLVE: (
        frozenset({HandoffState.OPEN, HandoffState.CLAIMED, HandoffState.SNOOZED}),
        HandoffState.RESOLVED,
    ),
    Action.DISMISS: (
        frozenset({HandoffState.OPEN, HandoffState.CLAIMED, HandoffState.SNOOZED}),
        HandoffState.DISMISSED,
    ),
}


class InvalidTransition(BatonError):
    """The action does not apply to the handoff's current state."""

    def __init__(self, handoff: Handoff, action: Action) -> None:
        super().__init__(f"handoff {handoff.id} is {handoff.state.value}: it can't be {_PAST[action]}")
        self.handoff = handoff
        self.action = action


class AlreadyClaimed(BatonError):
    """Someone else claimed the handoff first."""

    def __init__(self, handoff: Handoff) -> None:
        super().__init__(f"<@{handoff.assignee_id}> already has this handoff")
        self.handoff = handoff


class ChangedSinceSeen(BatonError):
    """A click that would act over a colleague's hold on a handoff, from a view drawn before they took it."""

    def __init__(self, handoff: Handoff) -> None:
        super().__init__(
            f"This handoff changed since you saw it: <@{handoff.assignee_id}> has it ({handoff.state.value}"
            " now). Nothing was done; click again if it should be."
        )
        self.handoff = handoff


TAKING_OVER = frozenset({Action.REASSIGN, Action.SNOOZE, Action.RESOLVE, Action.DISMISS})


def check_seen(handoff: Handoff, action: Action, *, actor: str, seen: tuple[str, str] | None) -> None:
    """ChangedSinceSeen if `action` would take over a handoff someone else holds now, and the clicker's
    view (`seen`: the state and assignee it was drawn with) did not show it: a claim landing between the
    view and the click (a stale Home tab, or two reps at once) is not overridden unseen."""
    if seen is None or action not in TAKING_OVER or handoff.assignee_id in (None, "", actor):
        return
    if (handoff.state.value, handoff.assignee_id) != seen:
        raise ChangedSinceSeen(handoff)


_PAST = {
    Action.CLAIM: "claimed",
    Action.REASSIGN: "reassigned",
    Action.SNOOZE: "snoozed",
    Action.RESOLVE: "resolved",
    Action.DISMISS: "marked not needed",
}


@dataclass(frozen=True, slots=True)
class Change:
    """A handoff after an action, and what to record about it."""

    handoff: Handoff
    event: str
    data: dict[str, Any]


def apply(
    handoff: Handoff,
    action: Action,
    *,
    actor: str,
    now: datetime,
    assignee: str | None = None,
    until: datetime | None = None,
) -> Change | None:
    """The handoff after `action`; None if it changes nothing (a second click on one's own claim)."""
    allowed, next_state = TRANSITIONS[action]
    if action is Action.CLAIM and handoff.state is HandoffState.CLAIMED:
        if handoff.assignee_id == actor:
            return None
        raise AlreadyClaimed(handoff)
    if (
        action is Action.CLAIM
        and handoff.state is HandoffState.SNOOZED
        and handoff.assignee_id not in (None, actor)
    ):
        raise AlreadyClaimed(handoff)  # theirs while snoozed: taking it over is a reassign (on the record)
    if (
        action is Action.REASSIGN
        and handoff.state in (HandoffState.CLAIMED, HandoffState.SNOOZED)
        and assignee == handoff.assignee_id
    ):
        return None  # handed to whoever has it already (a snoozed one stays snoozed)
    if handoff.state not in allowed:
        raise InvalidTransition(handoff, action)
    data: dict[str, Any] = {"from": handoff.state.value}
    changed = replace(handoff, state=next_state or handoff.state)
    if action is Action.CLAIM:
        changed = replace(changed, assignee_id=actor, snoozed_until=None)
    elif action is Action.REASSIGN:
        if not assignee:
            raise BatonError("reassign needs a user to hand the conversation to")
        changed = replace(changed, assignee_id=assignee, snoozed_until=None)
        data.update(previous=handoff.assignee_id, to=assignee)
    elif action is Action.SNOOZE:
        if until is None or until <= now:
            raise BatonError("snooze needs a time in the future")
        context = {**handoff.context, "snoozed_by": actor}  # reminded when it wakes
        changed = replace(changed, snoozed_until=until, next_check_at=until, context=context)
        data["until"] = until.isoformat()
    else:
        context = {**handoff.context, "closed_by": actor}
        changed = replace(changed, closed_at=now, snoozed_until=None, next_check_at=None, context=context)
    return Change(handoff=changed, event=_PAST[action].replace("marked ", "").replace(" ", "_"), data=data)


AGENT_RULE = "agent_request"  # the rule id of the hit an agent's request adds (it is no configured rule)


def opened_with(decision: Decision) -> list[str]:
    """The reasons a handoff opens with, as stats attribute it: each hit's kind, but `agent_request` for an
    AI agent's request over the API (its hit has kind low_confidence, which no rule of that name fired)."""
    return list(dict.fromkeys(AGENT_RULE if h.rule_id == AGENT_RULE else h.kind.value for h in decision.hits))


def open_handoff(
    decision: Decision,
    facts: MessageFacts,
    *,
    target: str,
    route_id: str,
    now: datetime,
) -> Handoff:
    """A new open handoff for the conversation `facts` belongs to."""
    if not decision.escalate or decision.escalation_type is None:
        raise BatonError("only an escalating decision opens a handoff")
    urgency = decision.urgency or Urgency.NORMAL
    return Handoff(
        channel_id=facts.channel_id,
        thread_ts=facts.thread_ts,
        escalation_type=decision.escalation_type,
        urgency=urgency,
        opened_at=now,
        target=target,
        reasons=decision.reasons,
        context={
            "route": route_id,
            "trigger_ts": facts.ts,
            "approach": decision.suggested_approach,
            "hits": [hit_to_data(hit) for hit in decision.hits],
            "opened_with": opened_with(decision),  # `reasons` also gets those merged in later
            "assessment": assessment_to_data(facts.assessment),
        },
    )


def merge(handoff: Handoff, decision: Decision, facts: MessageFacts) -> Change | None:
    """Add a new decision's evidence to a live handoff, raising its urgency if higher; None if nothing new."""
    known = {(hit["kind"], hit["rule_id"]) for hit in handoff.context.get("hits", [])}
    fresh = [hit for hit in decision.hits if (hit.kind.value, hit.rule_id) not in known]
    urgency = handoff.urgency
    if decision.urgency is not None and decision.urgency.rank > urgency.rank:
        urgency = decision.urgency
    if not fresh and urgency is handoff.urgency:
        return None
    context = dict(handoff.context)
    context["hits"] = [*handoff.context.get("hits", []), *(hit_to_data(hit) for hit in fresh)]
    if facts.assessment is not None:
        context["assessment"] = assessment_to_data(facts.assessment)
    reasons = tuple(dict.fromkeys([*handoff.reasons, *decision.reasons]))
    merged = replace(handoff, urgency=urgency, reasons=reasons, context=context)
    data = {"added": [hit.kind.value for hit in fresh], "urgency": urgency.value, "trigger_ts": facts.ts}
    return Change(handoff=merged, event="merged", data=data)


def in_cooldown(
    last_closed: Handoff | None, *, cooldown: timedelta, now: datetime, decision: Decision | None = None
) -> bool:
    """Whether a conversation's handoff closed so recently that a new one would ping-pong. A `decision` that
    is more urgent than the closed handoff, or fires a trigger it did not have, is something new ("production
    is down, get me a person now" after a pricing question was resolved): no cooldown holds it back."""
    if last_closed is None or last_closed.closed_at is None or now - last_closed.closed_at >= cooldown:
        return False
    if decision is None:
        return True
    more_urgent = decision.urgency is not None and decision.urgency.rank > last_closed.urgency.rank
    return not more_urgent and set(decision.reasons) <= set(last_closed.reasons)


def hit_to_data(hit: TriggerHit) -> dict[str, Any]:
    """A trigger hit as JSON-ready data, for the handoff's snapshot and its events."""
    return {
        "kind": hit.kind.value,
        "rule_id": hit.rule_id,
        "score": hit.score,
        "evidence": list(hit.evidence),
        "explanation": hit.explanation,
    }


def assessment_to_data(assessment: AIAssessment | None) -> dict[str, Any] | None:
    """The AI's self-assessment as JSON-ready data."""
    if assessment is None:
        return None
    return {"confidence": assessment.confidence, "summary": assessment.summary, "intent": assessment.intent}
