"""The AI agent's answers carry its confidence: a low one escalates the customer message it answers."""

from __future__ import annotations

from datetime import timedelta

from routing.handoffs import Action
from routing.models import AIAssessment, AuthorKind, EventSource, MessageFacts
from storage import SqlStore
from tests.bot.test_sla import MONDAY_10, Clock, customer, service_on, watched


def ai_answer(text: str, clock: Clock, *, thread: str, confidence: float) -> MessageFacts:
    answer = customer(text, clock, thread=thread)
    return MessageFacts(
        channel_id=answer.channel_id, ts=answer.ts, thread_ts=thread, author_id="U0AIBOT",
        author_team="T0OURS", author_kind=AuthorKind.AI, text=text, received_at=clock(),
        event_id=answer.event_id, assessment=AIAssessment(confidence=confidence),
    )  # fmt: skip


async def test_an_ai_answer_after_a_closed_handoff_does_not_reopen_it_for_the_same_message(store: SqlStore):
    clock = Clock(MONDAY_10)
    service = service_on(store, clock)
    await watched(service, ai_bot_ids=("U0AIBOT",))
    ask = customer("Can I talk to a person please?", clock)
    opened = await service.handle_message(ask)
    assert opened.handoff is not None
    clock.at(MONDAY_10, 10)
    await service.act(
        handoff_id=opened.handoff.id, action=Action.RESOLVE, actor="U0REP", source=EventSource.COMMAND
    )
    clock.at(MONDAY_10, 55)  # the cooldown (30 minutes) is over
    followup = ai_answer("Glad that is sorted! Anything else?", clock, thread=ask.ts, confidence=0.95)
    assert (await service.handle_message(followup)).handoff is None
    # A new customer message after the close is judged as any other.
    clock.now += timedelta(minutes=1)
    again = await service.handle_message(customer("I still need a human, please", clock, thread=ask.ts))
    assert again.handoff is not None and again.handoff.id != opened.handoff.id
