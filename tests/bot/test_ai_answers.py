"""The AI agent's answers carry its confidence: a low one escalates the customer message it answers."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

from routing.handoffs import Action
from routing.models import AIAssessment, AuthorKind, EventSource, MessageFacts
from storage import SqlStore
from tests.bot.test_sla import MONDAY_10, Clock, customer, service_on, watched


def ai_answer(text: str, clock: Clock, *, thread: str, confidence: float) -> MessageFacts:
    """The AI agent's answer as Slack delivers it: its confidence in the message's metadata."""
    answer = customer(text, clock, thread=thread)
    metadata = {"event_type": "ai_assessment", "event_payload": {"confidence": confidence}}
    return MessageFacts(
        channel_id=answer.channel_id, ts=answer.ts, thread_ts=thread, author_id="U0AIBOT",
        author_team="T0OURS", author_kind=AuthorKind.AI, text=text, received_at=clock(),
        event_id=answer.event_id, assessment=AIAssessment(confidence=confidence), metadata=metadata,
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


async def test_a_low_confidence_answer_stored_before_the_question_still_escalates_it(store: SqlStore):
    """The answer's event and the question's can arrive in either order (a failed delivery is retried later);
    one by one or in one batch, the question is judged with the confidence of the answer stored first."""
    clock = Clock(MONDAY_10)
    service = service_on(store, clock)
    await watched(service, ai_bot_ids=("U0AIBOT",))
    for together in (False, True):
        question = customer("How do I configure SSO with Okta for our workspace?", clock)
        answer = ai_answer("Try Settings > SSO.", clock, thread=question.ts, confidence=0.2)
        if together:
            results = await asyncio.gather(service.handle_message(answer), service.handle_message(question))
        else:
            results = [await service.handle_message(answer), await service.handle_message(question)]
        opened = [r.handoff for r in results if r.handoff is not None]
        assert len(opened) == 1 and opened[0].escalation_type == "uncertain_ai", (together, results)
        assert opened[0].thread_ts == question.ts


async def test_a_timestamp_that_is_not_a_number_orders_first_and_loses_no_message(store: SqlStore):
    clock = Clock(MONDAY_10)
    service = service_on(store, clock)
    await watched(service, ai_bot_ids=("U0AIBOT",))
    question = customer("How do I export a CSV report?", clock)
    await service.handle_message(question)
    odd = replace(customer("noted", clock, thread=question.ts), ts="x-1", author_kind=AuthorKind.INTERNAL)
    await service.handle_message(odd)
    again = await service.handle_message(
        customer("Can I talk to a person please?", clock, thread=question.ts)
    )
    assert again.handoff is not None
