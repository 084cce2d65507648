"""Intake in batches: the message events that arrive while a batch is being stored go together in the next.

One transaction stores a whole batch, so its cost (begin, commit, the messages' insert, the conversations'
update, the history and live-handoff reads) is shared by every message in it. Nothing waits for a batch to
fill: the first message goes at once, and those that arrive meanwhile wait for it. A batch is taken in the
order the messages arrived, with the result each would have had on its own: new messages are stored
together, and an edit, a delete or the AI's self-assessment is handled in its place in the order. If the
batch's transaction fails, each message is tried again in a transaction of its own, so one bad message
fails alone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from enum import StrEnum

from routing.decision import Decision
from routing.models import (
    AuthorKind,
    Handoff,
    MessageChange,
    MessageFacts,
    StoredMessage,
    WatchedChannel,
    assessment_from_metadata,
    ts_order,
)
from routing.ports import Store, UnitOfWork

logger = logging.getLogger(__name__)

MAX_BATCH = 100
HISTORY_FOR_DECISIONS = 20


class IntakeOutcome(StrEnum):
    """What became of one message event."""

    STORED = "stored"
    DUPLICATE = "duplicate"
    EDITED = "edited"
    DELETED = "deleted"
    SUPERSEDED = "superseded"  # an edit older than what is stored (a later edit, or the delete)
    UNKNOWN_MESSAGE = "unknown_message"  # an edit or delete of a message Baton forgot or never saw
    OPENED = "opened"  # stored, and a handoff opened
    MERGED = "merged"  # stored, and added to the conversation's live handoff


@dataclass(frozen=True, slots=True)
class IntakeResult:
    outcome: IntakeOutcome
    decision: Decision | None = None
    handoff: Handoff | None = None


Batch = Callable[[list[MessageFacts]], Awaitable[list[IntakeResult]]]
Single = Callable[[MessageFacts], Awaitable[IntakeResult]]


class IntakeQueue:
    """Hands messages to `batch` in arrival order, one batch at a time, at most MAX_BATCH together."""

    def __init__(self, batch: Batch, single: Single) -> None:
        self._batch = batch
        self._single = single
        self._waiting: list[tuple[MessageFacts, asyncio.Future[IntakeResult]]] = []
        self._draining: asyncio.Task[None] | None = None

    async def submit(self, facts: MessageFacts) -> IntakeResult:
        """The message's result, once the transaction that stored it committed."""
        future: asyncio.Future[IntakeResult] = asyncio.get_running_loop().create_future()
        self._waiting.append((facts, future))
        if self._draining is None or self._draining.done():
            self._draining = asyncio.create_task(self._drain(), name="baton-intake")
        return await future

    async def _drain(self) -> None:
        while self._waiting:
            taken, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
            try:
                await self._run(taken)
            except BaseException as error:  # cancelled (shutting down): nobody is left waiting forever
                for _, future in [*taken, *self._waiting]:
                    if not future.done():
                        future.set_exception(RuntimeError("intake stopped"))
                self._waiting = []
                raise error

    async def _run(self, taken: list[tuple[MessageFacts, asyncio.Future[IntakeResult]]]) -> None:
        try:
            results = await self._batch([facts for facts, _ in taken])
        except Exception:
            # Alone, a message goes the full way, one statement at a time: even a batch of one is tried again
            # that way before its error stands.
            logger.warning(
                "a batch of %s messages failed; storing them one by one", len(taken), exc_info=True
            )
            for facts, future in taken:
                try:
                    _settle(future, result=await self._single(facts))
                except Exception as single_error:
                    _settle(future, error=single_error)
            return
        for (_, future), result in zip(taken, results, strict=True):
            _settle(future, result=result)


def _settle(
    future: asyncio.Future[IntakeResult],
    *,
    result: IntakeResult | None = None,
    error: Exception | None = None,
) -> None:
    if future.done():  # the request gave up waiting; the message is stored all the same
        return
    if error is not None:
        future.set_exception(error)
    else:
        assert result is not None
        future.set_result(result)


class BatchIntake:
    """The service's intake of many messages in one transaction (mixed into BatonService)."""

    _store: Store

    async def watched_channel(self, channel_id: str) -> WatchedChannel | None:
        raise NotImplementedError

    def _outbox_written(self) -> None:
        raise NotImplementedError

    async def _intake(self, tx: UnitOfWork, facts: MessageFacts) -> IntakeResult:
        raise NotImplementedError

    async def _judge(
        self,
        tx: UnitOfWork,
        facts: MessageFacts,
        *,
        history: list[StoredMessage],
        channel: WatchedChannel,
        live: Handoff | None,
    ) -> IntakeResult:
        raise NotImplementedError

    async def _intake_one(self, facts: MessageFacts) -> IntakeResult:
        """One message in a transaction of its own, the full way (`_intake`, the reference the batch path is
        tested against): what a failed batch's messages are tried again with."""
        async with self._store.transaction() as tx:
            result = await self._intake(tx, facts)
        if result.handoff is not None:
            self._outbox_written()
        return result

    async def _intake_batch(self, batch: list[MessageFacts]) -> list[IntakeResult]:
        """Messages in arrival order, in one transaction; their results in the same order."""
        results: list[IntakeResult | None] = [None] * len(batch)
        async with self._store.transaction() as tx:
            new: list[int] = []
            for index, facts in enumerate(batch):
                if facts.change is MessageChange.NEW and not _judged_by_ai(facts):
                    new.append(index)
                    continue
                await self._store_new(tx, batch, new, results)
                new = []
                results[index] = await self._intake(tx, facts)
            await self._store_new(tx, batch, new, results)
        done = [result for result in results if result is not None]
        assert len(done) == len(batch)
        if any(result.handoff is not None for result in done):
            self._outbox_written()
        return done

    async def _store_new(
        self,
        tx: UnitOfWork,
        batch: list[MessageFacts],
        indexes: list[int],
        results: list[IntakeResult | None],
    ) -> None:
        """Store new messages together; judge each customer message in turn, as if it had come alone."""
        if not indexes:
            return
        stored = await tx.conversations.add_messages([StoredMessage.from_facts(batch[i]) for i in indexes])
        kept = [i for i, was_stored in zip(indexes, stored, strict=True) if was_stored]
        judged: list[tuple[int, WatchedChannel]] = []
        for index, was_stored in zip(indexes, stored, strict=True):
            facts = batch[index]
            channel = (
                await self.watched_channel(facts.channel_id) if was_stored and facts.is_customer else None
            )
            if channel is None:
                results[index] = IntakeResult(IntakeOutcome.STORED if was_stored else IntakeOutcome.DUPLICATE)
            else:
                judged.append((index, channel))
        if not judged:
            return
        keys = [(batch[i].channel_id, batch[i].thread_ts) for i, _ in judged]
        # Each message's history is the conversation as it was when it was stored: without those stored
        # after it in this batch. Fetch enough to leave HISTORY_FOR_DECISIONS for each.
        per_conversation = max(
            sum(1 for i in kept if (batch[i].channel_id, batch[i].thread_ts) == k) for k in keys
        )
        recent = await tx.conversations.recent_messages(keys, limit=HISTORY_FOR_DECISIONS + per_conversation)
        # Every conversation's live handoff is looked up, even one with no message stored before this batch:
        # retention can delete a conversation's messages in the instant an agent escalates it, leaving a live
        # handoff with none, and its next message must still be added to that handoff.
        live = await tx.handoffs.live_for_many(keys)
        for index, channel in judged:
            facts = batch[index]
            key = (facts.channel_id, facts.thread_ts)
            later = {batch[i].ts for i in kept if i > index and batch[i].channel_id == facts.channel_id}
            then = [m for m in recent[key] if m.ts not in later][-HISTORY_FOR_DECISIONS:]
            facts, history = as_sent(facts, [m for m in then if m.ts != facts.ts])
            result = await self._judge(tx, facts, history=history, channel=channel, live=live.get(key))
            results[index] = result
            if result.handoff is not None and result.handoff.state.is_live:
                live[key] = result.handoff


def as_sent(facts: MessageFacts, history: list[StoredMessage]) -> tuple[MessageFacts, list[StoredMessage]]:
    """A customer message with the conversation as it stood when it was sent (the messages before it), and
    with the AI's confidence in its answer if that answer was stored first: the two events can arrive in
    either order (a failed delivery is retried later), and the answer alone found nothing to judge."""
    sent = ts_order(facts.ts)
    keyed = [(ts_order(m.ts), m) for m in history]  # (each ts parsed once: this runs for every message)
    earlier = [m for key, m in keyed if key < sent]
    if facts.assessment is None and len(earlier) < len(keyed):  # something stored came after it
        for _, message in sorted((pair for pair in keyed if pair[0] > sent), key=lambda pair: pair[0]):
            if message.author_kind is AuthorKind.CUSTOMER:
                break  # the next question: answers from here on are to it
            assessment = assessment_from_metadata(message.metadata)
            if message.author_kind is AuthorKind.AI and assessment is not None:
                return replace(facts, assessment=assessment), earlier
    return facts, earlier


def _judged_by_ai(facts: MessageFacts) -> bool:
    return facts.author_kind is AuthorKind.AI and facts.assessment is not None
