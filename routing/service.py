"""The use-case service: every change to Baton's state goes through here, over the storage ports.

Each use case is one transaction: the state change, its events and its outbox rows commit together, and Slack
is told afterwards by the outbox worker.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from routing import notifications as notify
from routing.administration import Administration
from routing.agent import AgentRequests
from routing.config import BatonConfig
from routing.decision import Decision, TriggerKind
from routing.delivery import DeliverySupport
from routing.errors import Conflict, NotFound
from routing.handoffs import Action, Change, apply, check_seen, in_cooldown, merge, open_handoff
from routing.home import HomeQueries
from routing.intake import (
    HISTORY_FOR_DECISIONS,
    BatchIntake,
    IntakeOutcome,
    IntakeQueue,
    IntakeResult,
    as_sent,
)
from routing.models import (
    ANSWERING_AUTHORS,
    AuthorKind,
    Conversation,
    EventSource,
    Handoff,
    HandoffEvent,
    HandoffState,
    MessageChange,
    MessageFacts,
    StoredMessage,
    WatchedChannel,
    slack_time,
    ts_order,
)
from routing.ports import LiveHandoffExists, Store, UnitOfWork
from routing.reporting import Reporting
from routing.routes import resolve
from routing.sweep import SlaSweeps, SweepReport, after_claim, faster_clock, sla_of, start_clock, with_sla
from routing.triggers.engine import decide, unanswered_decision

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
# Slack redelivers an event for a few minutes at most; a day of event ids is plenty to recognise repeats.
EVENT_IDS_KEPT = timedelta(days=1)
# Rows of each kind retention deletes per sweep: a short transaction, and with a sweep every 15 s still
# ~5.8 million a day.
FORGET_BATCH = 1000
# Once a sweep finds less than a batch to delete, retention looks again only this much later: the rows it
# must keep (a live handoff's old messages) are read again on every look.
FORGET_AGAIN = timedelta(minutes=10)
# Retention keeps a waiting customer's conversation this much longer than the `unanswered` check may make
# them wait: time for the sweep to hand them over.
UNANSWERED_MARGIN = timedelta(hours=1)
UNROUTED = "unrouted"
# An edit or delete of a message not stored: the message itself may still come this long after it was sent
# (Slack retries a failed delivery three times, over about an hour).
ORIGINAL_MAY_COME_FOR = timedelta(hours=1)
# Waiting conversations one sweep looks at, at most, to open handoffs for customers left waiting: those that
# can't have one yet (a channel's longer limit, a cooldown) are paged past, not read again and again.
UNANSWERED_LOOK_AT = 10_000


class BatonService(
    BatchIntake, SlaSweeps, DeliverySupport, Administration, AgentRequests, HomeQueries, Reporting
):
    """Records what happens in watched channels, opens and updates handoffs, queues what Slack must see."""

    def __init__(
        self,
        *,
        store: Store,
        clock: Clock,
        config: BatonConfig | None = None,
        channel_cache_ttl: timedelta = timedelta(seconds=30),
    ):
        self._store = store
        self._clock = clock
        self.config = config or BatonConfig()
        self._channel_cache_ttl = channel_cache_ttl
        self._channel_cache: dict[str, tuple[WatchedChannel | None, datetime]] = {}
        self._outbox_listeners: list[Callable[[], None]] = []
        self._intake_queue = IntakeQueue(self._intake_batch, self._intake_one)
        self._forget_from = datetime.min.replace(tzinfo=UTC)  # retention's next look

    def now(self) -> datetime:
        """The service clock's current time."""
        return self._clock()

    def on_outbox(self, callback: Callable[[], None]) -> None:
        """Call `callback` after a transaction that queued Slack writes commits (wakes the worker)."""
        self._outbox_listeners.append(callback)

    def _outbox_written(self) -> None:
        for callback in self._outbox_listeners:
            callback()

    # ---- channels ----

    async def watched_channel(self, channel_id: str) -> WatchedChannel | None:
        """The channel if Baton watches it; cached briefly because every message event asks."""
        channel = await self.known_channel(channel_id)
        return channel if channel is not None and channel.watched else None

    async def known_channel(self, channel_id: str) -> WatchedChannel | None:
        """The channel's stored settings, watched or no longer; a watched channel's are cached briefly (other
        replicas' changes show within the cache's lifetime, this process's at once). "Not watched" is never
        cached: a channel another replica starts watching must not have its messages dropped here."""
        now = self._clock()
        cached = self._channel_cache.get(channel_id)
        if cached is not None and cached[1] > now:
            return cached[0]
        async with self._store.transaction(readonly=True) as tx:
            channel = await tx.channels.get(channel_id=channel_id)
        if channel is not None and channel.watched:
            self._channel_cache[channel_id] = (channel, now + self._channel_cache_ttl)
        else:
            self._channel_cache.pop(channel_id, None)
        return channel

    async def watch_channel(self, *, channel_id: str, name: str, is_shared: bool) -> WatchedChannel:
        """Start watching a channel, keeping its account settings if Baton knew it before."""
        async with self._store.transaction() as tx:
            known = await tx.channels.get(channel_id=channel_id)
            if known is None:
                channel = WatchedChannel(
                    channel_id=channel_id, name=name, is_shared=is_shared, added_at=self._clock()
                )
            else:
                channel = replace(known, name=name or known.name, is_shared=is_shared, watched=True)
            saved = await tx.channels.save(channel)
        self._channel_cache.pop(channel_id, None)
        logger.info("watching channel %s (%s, shared=%s)", channel_id, name, is_shared)
        return saved

    async def sharing_changed(self, *, channel_id: str, name: str, is_shared: bool) -> WatchedChannel | None:
        """A channel Baton is in was shared with another organisation or unshared. A channel Baton did not
        know starts being watched once shared; a known one keeps its settings and its watched flag (an admin
        who stopped watching it decided so), with the new sharing."""
        async with self._store.transaction() as tx:
            known = await tx.channels.get(channel_id=channel_id)
            if known is None and not is_shared:
                return None
            if known is None:
                channel = WatchedChannel(
                    channel_id=channel_id, name=name, is_shared=True, added_at=self._clock()
                )
            else:
                channel = replace(known, name=name or known.name, is_shared=is_shared)
            saved = await tx.channels.save(channel)
        self._channel_cache.pop(channel_id, None)
        logger.info("channel %s (%s) is %s", channel_id, name, "shared" if is_shared else "no longer shared")
        return saved

    async def save_channel(self, channel: WatchedChannel) -> WatchedChannel:
        """Store a channel's settings (account, AI agent bots, watched or not)."""
        async with self._store.transaction() as tx:
            saved = await tx.channels.save(channel)
        self._channel_cache.pop(channel.channel_id, None)
        return saved

    # ---- intake ----

    async def handle_message(self, facts: MessageFacts) -> IntakeResult:
        """Store a message once, and for a customer's message decide, then open or merge a handoff.

        Messages that arrive while a batch is being stored wait and go together in the next one (one
        transaction, see routing/intake.py); the result comes once the message's transaction committed.
        """
        return await self._intake_queue.submit(facts)

    async def _intake(self, tx: UnitOfWork, facts: MessageFacts) -> IntakeResult:
        # A new message is its own dedupe key: (channel, ts) is unique in storage, so a redelivered event
        # stores nothing. An edit or delete is not: replayed late, it would undo a later edit; its event id
        # is remembered instead.
        if (
            facts.change is not MessageChange.NEW
            and facts.event_id is not None
            and not await tx.processed_events.remember(event_id=facts.event_id, at=facts.received_at)
        ):
            return IntakeResult(IntakeOutcome.DUPLICATE)
        where = {"channel_id": facts.channel_id, "ts": facts.ts}
        if facts.change is MessageChange.EDITED:
            # Edits apply in the order Slack made them, whatever order they arrive in (a failed delivery is
            # retried minutes later): an older one than the stored text changes nothing.
            at = facts.changed_at or facts.received_at
            before = await tx.conversations.get_message(**where) if facts.is_customer else None
            if await tx.conversations.edit_message(**where, text=facts.text, at=at) is not None:
                judged = None if before is None else await self._judge_edit(tx, facts, before=before)
                return judged or IntakeResult(IntakeOutcome.EDITED)
            if await tx.conversations.get_message(**where) is not None:
                return IntakeResult(IntakeOutcome.SUPERSEDED)
            if not await self._may_still_come(facts):
                return IntakeResult(IntakeOutcome.UNKNOWN_MESSAGE)
            # The edit came before the message itself: it stands for the message (stored and judged as
            # edited); the original, when it comes, is a duplicate.
        elif facts.change is MessageChange.DELETED:
            if await tx.conversations.delete_message(**where, at=facts.received_at) is not None:
                return IntakeResult(IntakeOutcome.DELETED)
            if not await self._may_still_come(facts):
                return IntakeResult(IntakeOutcome.UNKNOWN_MESSAGE)
            # The delete came before the message: a deleted message takes its place, so the original, when
            # it comes, is a duplicate, neither shown nor judged.
            await tx.conversations.add_message(StoredMessage.from_facts(facts))
            return IntakeResult(IntakeOutcome.DELETED)
        if not await tx.conversations.add_message(StoredMessage.from_facts(facts)):
            return IntakeResult(IntakeOutcome.DUPLICATE)
        facts = replace(facts, change=MessageChange.NEW)
        judged_by_ai = facts.author_kind is AuthorKind.AI and facts.assessment is not None
        if not (facts.is_customer or judged_by_ai):
            return IntakeResult(IntakeOutcome.STORED)
        channel = await self.watched_channel(facts.channel_id)
        if channel is None:
            return IntakeResult(IntakeOutcome.STORED)
        history = [
            m
            for m in await tx.conversations.messages(
                channel_id=facts.channel_id, thread_ts=facts.thread_ts, limit=HISTORY_FOR_DECISIONS
            )
            if m.ts != facts.ts
        ]
        if judged_by_ai:
            # The AI's self-assessment arrives with its answer, after the customer's message: the conversation
            # is judged again at the customer's last message before it, now with the AI's confidence.
            turn = _last_customer_message([m for m in history if ts_order(m.ts) < ts_order(facts.ts)])
            if turn is None or await self._closed_since(tx, turn):
                return IntakeResult(IntakeOutcome.STORED)
            subject = turn.as_facts(received_at=facts.received_at, assessment=facts.assessment)
            history = [m for m in history if ts_order(m.ts) < ts_order(subject.ts)]
            facts = subject
        else:
            facts, history = as_sent(facts, history)
        live = await tx.handoffs.live_for(channel_id=facts.channel_id, thread_ts=facts.thread_ts)
        return await self._judge(tx, facts, history=history, channel=channel, live=live)

    async def _judge_edit(
        self, tx: UnitOfWork, facts: MessageFacts, *, before: StoredMessage
    ) -> IntakeResult | None:
        """A customer's edit that adds a trigger the message did not fire ("hello, quick one" edited into "can
        I talk to a person?") is judged as the message would have been; None for any other edit (a typo
        fixed, the same request reworded), which changes the history only."""
        channel = await self.watched_channel(facts.channel_id)
        if channel is None or before.deleted or await self._closed_since(tx, before):
            return None  # (a rep dealt with the message after it was sent: its edit reopens nothing)
        history = await tx.conversations.messages(
            channel_id=facts.channel_id, thread_ts=facts.thread_ts, limit=HISTORY_FOR_DECISIONS
        )
        edited, earlier = as_sent(
            replace(facts, change=MessageChange.NEW), [m for m in history if m.ts != facts.ts]
        )
        rules, account, now = self.config.rules, channel.account, facts.received_at
        was, now_reads = (
            decide(message, history=earlier, rules=rules, account=account, now=now)
            for message in (replace(edited, text=before.text), edited)
        )
        if not now_reads.escalate or set(now_reads.reasons) <= set(was.reasons):
            return None
        live = await tx.handoffs.live_for(channel_id=facts.channel_id, thread_ts=facts.thread_ts)
        result = await self._judge(tx, edited, history=earlier, channel=channel, live=live)
        return result if result.handoff is not None else None

    async def _closed_since(self, tx: UnitOfWork, turn: StoredMessage) -> bool:
        """Whether a handoff of the conversation closed after this customer message came: a rep dealt with
        it, so an AI answer coming later (after the cooldown) must not open another for the same message."""
        last = await tx.handoffs.last_closed_for(channel_id=turn.channel_id, thread_ts=turn.thread_ts)
        return last is not None and last.closed_at is not None and turn.received_at <= last.closed_at

    async def _may_still_come(self, facts: MessageFacts) -> bool:
        """Whether the message an edit or delete refers to may still arrive (Slack retries a failed delivery
        for about an hour): sent recently, in a channel watched by then. Else Baton forgot it (retention) or
        never saw it (sent before the channel was watched), and the change is of nothing Baton keeps."""
        sent_at = slack_time(facts.ts)
        if sent_at is None or facts.received_at - sent_at > ORIGINAL_MAY_COME_FOR:
            return False
        channel = await self.watched_channel(facts.channel_id)
        return channel is not None and (channel.added_at is None or channel.added_at <= sent_at)

    async def _judge(
        self,
        tx: UnitOfWork,
        facts: MessageFacts,
        *,
        history: list[StoredMessage],
        channel: WatchedChannel,
        live: Handoff | None,
    ) -> IntakeResult:
        """Decide on a stored customer message, then add to the conversation's live handoff or open one."""
        now = facts.received_at
        decision = decide(facts, history=history, rules=self.config.rules, account=channel.account, now=now)
        if live is not None:
            return await self._merge(tx, live, decision, facts, now, channel=channel)
        if not decision.escalate:
            return IntakeResult(IntakeOutcome.STORED, decision)
        last = await tx.handoffs.last_closed_for(channel_id=facts.channel_id, thread_ts=facts.thread_ts)
        if last is not None and last.closed_at is not None:
            # Judged on what came after the close only: asking again what was dealt with reads as repeated,
            # hence frustrated and urgent, and would always look like something new.
            since = [m for m in history if m.received_at > last.closed_at]
            fresh = decide(facts, history=since, rules=self.config.rules, account=channel.account, now=now)
        else:
            fresh = decision
        if in_cooldown(last, cooldown=self.config.handoffs.cooldown, now=now, decision=fresh):
            logger.info(
                "conversation %s/%s is in cooldown: no new handoff", facts.channel_id, facts.thread_ts
            )
            return IntakeResult(IntakeOutcome.STORED, decision)
        handoff = await self._open(tx, decision, facts, channel, now)
        return IntakeResult(IntakeOutcome.OPENED, decision, handoff)

    async def _open(
        self,
        tx: UnitOfWork,
        decision: Decision,
        facts: MessageFacts,
        channel: WatchedChannel,
        now: datetime,
        *,
        source: EventSource = EventSource.MESSAGE,
    ) -> Handoff:
        assert decision.escalation_type is not None
        route_id, target = self.config.routing.choose(
            escalation_type=decision.escalation_type, account=channel.account, channel_id=channel.channel_id
        )
        destination = None if target is None else resolve(target, account=channel.account)
        draft = open_handoff(
            decision, facts, target=destination.label if destination else UNROUTED, route_id=route_id, now=now
        )
        draft = start_clock(
            draft, self.config.policy(decision.escalation_type), timezone=channel.account.timezone
        )
        warm = self.config.handoffs.warm_messages.get(decision.escalation_type, "")
        if destination is not None:
            context = {
                **draft.context,
                "card_key": destination.key,
                "card_channel": destination.channel,
                "group": destination.group,
                "strategy": destination.strategy.value,
                "fallback_channel": destination.fallback,
                **(
                    {
                        "fallback_group": destination.fallback_group,
                        "fallback_strategy": destination.fallback_strategy.value,
                    }
                    if destination.fallback_group
                    else {}
                ),
                # Queued once the card is posted (routing/delivery.py): if it never is, nobody was told, and
                # the customer is promised nobody.
                **({"warm": warm} if warm else {}),
            }
            draft = replace(draft, context=context, routed_to=destination.user)
        handoff = await tx.handoffs.add(draft)
        await self._event(
            tx,
            handoff,
            "opened",
            source,
            facts.author_id if source is EventSource.MESSAGE else "",
            type=handoff.escalation_type,
            urgency=handoff.urgency.value,
            reasons=list(handoff.reasons),
            route=route_id,
            target=handoff.target,
        )
        if destination is None:
            # Nobody is told, so the customer is promised nobody either.
            logger.warning(
                "handoff %s has no route and no default target: no card is posted and the customer is "
                "not told a person is coming",
                handoff.id,
            )
        else:
            await tx.outbox.enqueue(notify.post_card(handoff, now=now))
        return handoff

    async def _merge(
        self,
        tx: UnitOfWork,
        live: Handoff,
        decision: Decision,
        facts: MessageFacts,
        now: datetime,
        *,
        channel: WatchedChannel,
    ) -> IntakeResult:
        await tx.outbox.enqueue(notify.mirror(live, ts=facts.ts, now=now))
        change = self._merged(live, decision, facts, channel, now) if decision.escalate else None
        if change is None:
            return IntakeResult(IntakeOutcome.STORED, decision, live)
        warm = self.config.handoffs.warm_messages.get(decision.escalation_type or "", "")
        if warm and change.handoff.state is HandoffState.OPEN and not change.handoff.card_ts:
            # The card is not recorded yet: its warm message goes with it (unless one is set already).
            context = {"warm": warm, **change.handoff.context}
            change = replace(change, handoff=replace(change.handoff, context=context))
        merged = await self._commit_change(tx, live, change, EventSource.MESSAGE, facts.author_id, now)
        if warm and merged.state is HandoffState.OPEN and merged.card_ts:
            # A handoff that told the customer nothing yet (opened by the unanswered sweep, say) answers the
            # customer's own request now; one that did already tells them nothing twice (the same dedupe key).
            await tx.outbox.enqueue(
                notify.customer_message(merged, text=warm, now=now, dedupe=f"warm:{merged.id}")
            )
        return IntakeResult(IntakeOutcome.MERGED, decision, merged)

    def _merged(
        self, live: Handoff, decision: Decision, facts: MessageFacts, channel: WatchedChannel, now: datetime
    ) -> Change | None:
        """A new decision's evidence added to a live handoff, on a faster SLA clock if its escalation type
        has one (the handoff keeps its type and route; the `merged` event names the clock it is on now)."""
        change = merge(live, decision, facts)
        if decision.escalation_type is None:
            return change
        # (also when the evidence is nothing new: an agent asking again, for a type with a faster clock)
        base = live if change is None else change.handoff
        policy = self.config.policy(decision.escalation_type)
        faster = faster_clock(base, policy, timezone=channel.account.timezone, now=now)
        if faster is None:
            return change
        due = faster.claim_due_at.isoformat() if faster.claim_due_at else None
        if change is None:
            change = Change(handoff=faster, event="merged", data={"added": [], "trigger_ts": facts.ts})
        data = {**change.data, "sla_of": decision.escalation_type, "claim_due_at": due}
        return replace(change, handoff=faster, data=data)

    # ---- actions ----

    async def act(
        self,
        *,
        handoff_id: int,
        action: Action,
        actor: str,
        source: EventSource,
        assignee: str | None = None,
        snooze_minutes: int | None = None,
        seen: tuple[str, str] | None = None,
    ) -> Handoff:
        """Claim, reassign, snooze, resolve or dismiss: a conditional update, an event, a card update.
        `seen`: the state and assignee the clicker's view showed (checked in the transaction: check_seen)."""
        now = self._clock()
        until = now + timedelta(minutes=snooze_minutes) if snooze_minutes else None
        async with self._store.transaction() as tx:
            for _ in range(3):
                handoff = await tx.handoffs.get(handoff_id=handoff_id)
                if handoff is None:
                    raise NotFound(f"handoff {handoff_id} does not exist")
                check_seen(handoff, action, actor=actor, seen=seen)
                change = apply(handoff, action, actor=actor, now=now, assignee=assignee, until=until)
                if change is None:
                    return handoff
                reclocked = _reclock(handoff, change.handoff, now=now)
                missed = _claim_missed(handoff, reclocked, now=now)
                if missed is not None:
                    reclocked = replace(reclocked, breached=True)
                change = replace(change, handoff=reclocked)
                if not reclocked.state.is_live:  # resolved or not needed: nobody is waiting for an answer now
                    # (the conversation's row before the handoff's, in the order a customer's message takes
                    # them: the other order could deadlock with a message arriving at that moment)
                    where = {"channel_id": handoff.channel_id, "thread_ts": handoff.thread_ts}
                    await tx.conversations.answered(**where)
                try:
                    updated = await self._commit_change(tx, handoff, change, source, actor, now)
                except Conflict:
                    continue  # someone changed it between our read and write: decide again on fresh state
                if missed is not None:  # (before the sweep saw it: it was snoozed, or the sweep not yet due)
                    due = missed.isoformat()
                    await self._event(tx, updated, "sla_breached", source, "", clock="claim", due_at=due)
                await self._after_action(tx, updated, action, actor, now, was_assignee=handoff.assignee_id)
                break
            else:
                raise Conflict(f"handoff {handoff_id} kept changing; try again")
        self._outbox_written()
        return updated

    async def _after_action(
        self,
        tx: UnitOfWork,
        handoff: Handoff,
        action: Action,
        actor: str,
        now: datetime,
        *,
        was_assignee: str | None,
    ) -> None:
        note = {
            Action.CLAIM: f"<@{actor}> claimed this handoff.",
            Action.REASSIGN: f"<@{actor}> handed this to <@{handoff.assignee_id}>.",
            Action.SNOOZE: f"<@{actor}> snoozed this until <!date^{int(handoff.snoozed_until.timestamp())}"
            f"^{{date_short_pretty}} {{time}}|{handoff.snoozed_until:%Y-%m-%d %H:%M} UTC>."
            if handoff.snoozed_until
            else "",
            Action.RESOLVE: f"<@{actor}> resolved this handoff.",
            Action.DISMISS: f"<@{actor}> marked this handoff not needed.",
        }[action]
        await tx.outbox.enqueue(notify.thread_note(handoff, text=note, now=now))
        if action is Action.REASSIGN and handoff.assignee_id and _in_a_dm_not_theirs(handoff):
            # The card is in someone else's DM: the new assignee would never see it, nor its reminders.
            await tx.outbox.enqueue(notify.move_card(handoff, to=handoff.assignee_id, now=now))
        claim_message = self.config.handoffs.claim_message
        # The customer hears who has it when that changes (again when it comes back to a rep), not when the
        # same rep claims their own snoozed handoff back.
        if (
            action in (Action.CLAIM, Action.REASSIGN)
            and claim_message
            and handoff.assignee_id
            and handoff.assignee_id != was_assignee
        ):
            await tx.outbox.enqueue(
                notify.customer_message(
                    handoff,
                    text=claim_message.format(rep=f"<@{handoff.assignee_id}>"),  # checked when loaded
                    now=now,
                    dedupe=f"claimed:{handoff.id}:{handoff.assignee_id}:{handoff.version}",  # (again if back)
                )
            )

    async def _commit_change(
        self, tx: UnitOfWork, before: Handoff, change: Change, source: EventSource, actor: str, now: datetime
    ) -> Handoff:
        updated = await tx.handoffs.update(change.handoff, expected_version=before.version)
        if updated is None:
            raise Conflict(f"handoff {before.id} changed meanwhile")
        await self._event(tx, updated, change.event, source, actor, **change.data)
        await tx.outbox.enqueue(notify.update_card(updated, now=now))
        return updated

    async def _event(
        self, tx: UnitOfWork, handoff: Handoff, kind: str, source: EventSource, actor: str, **data: object
    ) -> None:
        assert handoff.id is not None
        at = self._clock()
        await tx.handoff_events.append(
            HandoffEvent(handoff_id=handoff.id, kind=kind, at=at, source=source, actor=actor, data=dict(data))
        )

    # ---- the scheduler ----

    async def sweep(self, *, limit: int = 1000) -> SweepReport:
        """Fire due SLA steps and open handoffs for customers left waiting; safe to run concurrently."""
        now = self._clock()
        report = await self.sweep_steps(now=now, limit=limit)
        if report.steps:
            self._outbox_written()
        async with self._store.transaction() as tx:
            opened = await self._sweep_unanswered(tx, now=now, limit=limit)
            await tx.processed_events.forget_before(before=now - EVENT_IDS_KEPT)
        if opened:
            self._outbox_written()
        # Apart, after: a failed or slow delete must not undo or hold up the handoffs just opened.
        return replace(report, opened=opened, forgotten=await self._forget_old(now=now))

    async def _forget_old(self, *, now: datetime) -> int:
        """Retention: delete a batch of what is older than the configuration keeps; how many rows went."""
        if now < self._forget_from:
            return 0
        async with self._store.transaction() as tx:
            return await self._forget_batch(tx, now=now)

    async def _forget_batch(self, tx: UnitOfWork, *, now: datetime) -> int:
        kept, batch, forgotten = self.config.retention, FORGET_BATCH, []
        if kept.messages is not None:
            before = now - kept.messages
            # A customer still waiting may yet be handed over by the `unanswered` check: their conversation
            # is kept until the longest wait it allows has passed (a channel's or rule's, at most a week).
            spare = now - await self._longest_unanswered(tx) - UNANSWERED_MARGIN
            forgotten.append(
                await tx.retention.forget_messages(before=before, limit=batch, spare_waiting_since=spare)
            )
            forgotten.append(
                await tx.retention.forget_conversations(before=before, limit=batch, spare_waiting_since=spare)
            )
        if kept.deliveries is not None:
            before = now - kept.deliveries
            forgotten.append(await tx.retention.forget_deliveries(before=before, limit=batch))
        # A full batch may have left more behind: look again at the next sweep; else in a while. (Set before
        # the commit: a look that fails is retried ten minutes later at the latest.)
        self._forget_from = now if max(forgotten, default=0) >= batch else now + FORGET_AGAIN
        return sum(forgotten)

    async def _unanswered_limits(self, tx: UnitOfWork) -> tuple[list[int], list[WatchedChannel]]:
        """The enabled `unanswered` rules' minutes (none: the check is off) and the watched channels, each
        maybe with a limit of its own (read only when the check is on)."""
        default_minutes = [r.after_minutes for r in self.config.rules.enabled(TriggerKind.UNANSWERED)]
        return default_minutes, (await tx.channels.list(watched_only=True) if default_minutes else [])

    async def _longest_unanswered(self, tx: UnitOfWork) -> timedelta:
        """The longest a customer may wait before the `unanswered` check opens a handoff (0: it is off)."""
        default_minutes, watched = await self._unanswered_limits(tx)
        limits = [*default_minutes, *(c.unanswered_minutes or 0 for c in watched)]
        return timedelta(minutes=max(limits, default=0))

    async def _sweep_unanswered(self, tx: UnitOfWork, *, now: datetime, limit: int) -> int:
        default_minutes, watched = await self._unanswered_limits(tx)
        if not default_minutes:
            return 0
        channels = {c.channel_id: c for c in watched}
        shortest = min([*default_minutes, *(c.unanswered_minutes or 10**6 for c in channels.values())])
        opened = looked = 0
        last: Conversation | None = None
        # Page on (not re-read) the oldest: conversations that can't open a handoff yet (a channel's longer
        # limit, a cooldown, an account the rule leaves out) must not hide the ones behind them.
        while opened < limit and looked < UNANSWERED_LOOK_AT:
            page = await tx.conversations.waiting(
                since_before=now - timedelta(minutes=shortest), limit=limit, after=last
            )
            looked += len(page)
            for conversation in page:
                if opened < limit and await self._open_unanswered(tx, conversation, channels, now=now):
                    opened += 1
            if len(page) < limit:
                break  # the last page
            last = page[-1]
        return opened

    async def _open_unanswered(
        self,
        tx: UnitOfWork,
        conversation: Conversation,
        channels: dict[str, WatchedChannel],
        *,
        now: datetime,
    ) -> bool:
        """Open a handoff for a customer left waiting, if the rules say so; whether one was opened."""
        channel = channels.get(conversation.channel_id)
        if channel is None or conversation.waiting_since is None:
            return False
        decision = unanswered_decision(
            waiting_since=conversation.waiting_since,
            now=now,
            rules=self.config.rules,
            account=channel.account,
            after_minutes=channel.unanswered_minutes,
        )
        if not decision.escalate:
            return False
        last = await tx.handoffs.last_closed_for(
            channel_id=conversation.channel_id, thread_ts=conversation.thread_ts
        )
        if in_cooldown(last, cooldown=self.config.handoffs.cooldown, now=now):
            return False
        history = await tx.conversations.messages(
            channel_id=conversation.channel_id, thread_ts=conversation.thread_ts, limit=HISTORY_FOR_DECISIONS
        )
        turn = _last_customer_message(history)
        # Nobody is waiting when the customer's messages were deleted, or when an answer came after their
        # last one: stored first (its event delivered first, or by another replica), it could not stop a
        # wait that had not started yet.
        if turn is None or _answered_after(history, turn):
            await tx.conversations.answered(
                channel_id=conversation.channel_id, thread_ts=conversation.thread_ts
            )
            return False
        facts = turn.as_facts(received_at=now, assessment=None)
        try:
            await self._open(tx, decision, facts, channel, now, source=EventSource.SCHEDULER)
        except LiveHandoffExists:
            return False  # opened meanwhile (another replica's sweep, or a message): nothing left to do
        return True


def _in_a_dm_not_theirs(handoff: Handoff) -> bool:
    """Whether a handoff's card is a DM (to the person it was routed to, or moved to) of someone other than
    its assignee."""
    if not (handoff.card_channel or "").startswith("D"):
        return False
    return str(handoff.context.get("card_dm_of") or handoff.routed_to or "") != handoff.assignee_id


def _last_customer_message(history: list[StoredMessage]) -> StoredMessage | None:
    """The conversation's last customer message that was not deleted."""
    customer = [m for m in history if m.author_kind is AuthorKind.CUSTOMER and not m.deleted]
    return customer[-1] if customer else None


def _answered_after(history: list[StoredMessage], question: StoredMessage) -> bool:
    """Whether someone of ours or the AI agent wrote in the conversation after this customer message."""
    asked = ts_order(question.ts)
    return any(
        m.author_kind in ANSWERING_AUTHORS and not m.deleted and ts_order(m.ts) > asked for m in history
    )


def _claim_missed(before: Handoff, after: Handoff, *, now: datetime) -> datetime | None:
    """The claim deadline a handoff nobody had claimed missed, unrecorded, if this action ends its claim
    clock (a claim, an assignment, resolved or not needed) after that deadline; else None."""
    sla = sla_of(before)
    ends_claim_clock = after.state is not HandoffState.OPEN and after.state is not HandoffState.SNOOZED
    if sla.claimed_at is not None or sla.breached_at is not None or not ends_claim_clock:
        return None
    due = before.claim_due_at
    return due if due is not None and due < now else None


def _reclock(before: Handoff, changed: Handoff, *, now: datetime) -> Handoff:
    """The SLA clock after an action: a first claim starts the resolve clock; others keep their clock."""
    if changed.state is HandoffState.CLAIMED:
        was_claimed = sla_of(before).claimed_at is not None
        return after_claim(changed, was_claimed=was_claimed, now=now)
    return with_sla(changed, sla_of(changed), now=now)
