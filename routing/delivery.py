"""What the outbox's notifier asks of the service: card views, messages, delivery records, group picks.

Mixed into BatonService (like the sweep), so the service module stays a readable size.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from routing import notifications as notify
from routing.config import BatonConfig
from routing.errors import Conflict, NotFound
from routing.models import (
    AuthorKind,
    EventSource,
    Handoff,
    HandoffEvent,
    OutboxItem,
    StoredMessage,
    WatchedChannel,
    ts_order,
)
from routing.ports import Store, UnitOfWork
from routing.routes import Strategy, pick_member
from routing.views import CardView, sentiment_trend

ANSWER_LOOK_BACK = 50  # the conversation's latest messages looked through for an answer of ours


class DeliverySupport:
    """Reads and records for the notifier and the outbox worker."""

    config: BatonConfig
    _store: Store
    _clock: Callable[[], datetime]

    async def known_channel(self, channel_id: str) -> WatchedChannel | None:
        raise NotImplementedError

    def _outbox_written(self) -> None:
        raise NotImplementedError

    async def _event(
        self, tx: UnitOfWork, handoff: Handoff, kind: str, source: EventSource, actor: str, **data: object
    ) -> None:
        raise NotImplementedError

    async def card_view(self, handoff_id: int) -> CardView | None:
        """What the handoff's card shows now."""
        async with self._store.transaction(readonly=True) as tx:
            handoff = await tx.handoffs.get(handoff_id=handoff_id)
            if handoff is None:
                return None
            messages = await tx.conversations.messages(
                channel_id=handoff.channel_id,
                thread_ts=handoff.thread_ts,
                limit=self.config.handoffs.card_history,
            )
        channel = await self.known_channel(handoff.channel_id) or WatchedChannel(handoff.channel_id)
        description = next(
            (t.description for t in self.config.rules.escalation_types if t.name == handoff.escalation_type),
            "",
        )
        return CardView(
            handoff=handoff,
            channel=channel,
            messages=tuple(messages),
            sentiment=sentiment_trend(messages),
            type_description=description,
        )

    async def message(self, *, channel_id: str, ts: str) -> StoredMessage | None:
        """One stored message (the notifier mirrors customer messages into card threads)."""
        async with self._store.transaction(readonly=True) as tx:
            return await tx.conversations.get_message(channel_id=channel_id, ts=ts)

    async def delivered(self, deliveries: Sequence[tuple[OutboxItem, dict[str, Any]]]) -> int:
        """Record delivered outbox rows and, for cards, where they were posted: one transaction. How many
        rows that queued (a card posted queues its warm message: the promise holds once someone was told)."""
        queued = 0
        async with self._store.transaction() as tx:
            await tx.outbox.mark_delivered_many(
                [(item.id, result) for item, result in deliveries if item.id is not None], at=self._clock()
            )
            for item, result in deliveries:
                card = result.get("card")
                if isinstance(card, dict) and item.handoff_id is not None:
                    queued += await self._card_posted(
                        tx,
                        item.handoff_id,
                        channel=str(card["channel"]),
                        ts=str(card["ts"]),
                        rerouted=str(card.get("rerouted") or ""),
                        routed_to=card.get("routed_to"),
                        dm_of=str(card.get("moved_to") or card.get("dm_of") or ""),
                    )
        return queued

    async def _card_posted(
        self,
        tx: UnitOfWork,
        handoff_id: int,
        *,
        channel: str,
        ts: str,
        rerouted: str = "",
        routed_to: Any = None,
        dm_of: str = "",
    ) -> int:
        """Record where a card went; queue the handoff's warm message the first time. Rows queued (0 or 1).
        `rerouted`: why the card went to the route's fallback; the handoff is then meant for `routed_to` (the
        fallback group's member, or nobody in particular) instead of the person who could not take it.
        `dm_of`: the person whose DM the card is in (posted there, or moved there when handed to them)."""
        for _ in range(3):
            handoff = await tx.handoffs.get(handoff_id=handoff_id)
            if handoff is None or (handoff.card_channel, handoff.card_ts) == (channel, ts):
                return 0
            posted = replace(handoff, card_channel=channel, card_ts=ts)
            if rerouted:
                posted = replace(posted, routed_to=str(routed_to) if routed_to else None)
            if dm_of:
                posted = replace(posted, context={**posted.context, "card_dm_of": dm_of})
            updated = await tx.handoffs.update(posted, expected_version=handoff.version)
            if updated is not None:
                moved = bool(handoff.card_ts) and bool(dm_of)  # (a card posted again elsewhere: moved)
                why = {"rerouted": rerouted} if rerouted else {"moved_to": dm_of} if moved else {}
                where = {"channel": channel, "ts": ts, **why}
                await self._event(tx, updated, "card_posted", EventSource.MESSAGE, "", **where)
                warm = str(updated.context.get("warm") or "")
                # Not once someone has it: the claim message told the customer who (and came first). (One of
                # ours answering the customer meanwhile is checked as it goes out: answered_by_us.)
                if not warm or handoff.card_ts or not updated.state.is_live or updated.assignee_id:
                    return 0
                message = notify.customer_message(
                    updated, text=warm, now=self._clock(), dedupe=f"warm:{handoff_id}"
                )
                return 0 if await tx.outbox.enqueue(message) is None else 1
        return 0

    async def route_to_member(
        self, *, handoff_id: int, members: list[str], reroute: tuple[str, Strategy] | None = None
    ) -> str | None:
        """Pick the group member a handoff's card goes to (round robin or least loaded), and remember it.
        `reroute` (group, strategy): the route's fallback group, which the handoff is routed to instead."""
        async with self._store.transaction() as tx:
            handoff = await tx.handoffs.get(handoff_id=handoff_id)
            if handoff is None:
                raise NotFound(f"handoff {handoff_id} does not exist")
            if reroute is not None and handoff.target != f"group:{reroute[0]}":
                group, fallback_strategy = reroute
                context = {**handoff.context, "group": group, "strategy": fallback_strategy.value}
                handoff = replace(handoff, target=f"group:{group}", routed_to=None, context=context)
            elif handoff.routed_to:
                return handoff.routed_to
            strategy = Strategy(handoff.context.get("strategy") or Strategy.ROUND_ROBIN.value)
            await tx.handoffs.lock_routing(target=handoff.target)
            load = (
                await tx.handoffs.live_counts(user_ids=members) if strategy is Strategy.LEAST_LOADED else {}
            )
            recent = await tx.handoffs.recently_routed(target=handoff.target, limit=2 * len(members))
            member = pick_member(members, strategy=strategy, recent=recent, load=load)
            if member is None:
                return None
            updated = await tx.handoffs.update(
                replace(handoff, routed_to=member), expected_version=handoff.version
            )
            if updated is None:
                raise Conflict(f"handoff {handoff_id} changed meanwhile")
            await self._event(tx, updated, "routed", EventSource.MESSAGE, "", member=member)
            return member

    async def card_gone(self, *, handoff_id: int, ts: str) -> bool:
        """The handoff's card at `ts` was deleted in Slack (Slack: message_not_found): a live handoff forgets
        it and has its card posted anew, so that it stays in front of the team; whether it was queued."""
        async with self._store.transaction() as tx:
            handoff = await tx.handoffs.get(handoff_id=handoff_id)
            if handoff is None or handoff.card_ts != ts or not handoff.state.is_live:
                return False  # posted anew already, or nobody needs it any more
            gone = replace(handoff, card_channel=None, card_ts=None)
            updated = await tx.handoffs.update(gone, expected_version=handoff.version)
            if updated is None:
                raise Conflict(f"handoff {handoff_id} changed meanwhile")
            await self._event(
                tx, updated, "card_deleted", EventSource.MESSAGE, "", channel=handoff.card_channel, ts=ts
            )
            await tx.outbox.enqueue(notify.post_card(updated, deleted_ts=ts, now=self._clock()))
        self._outbox_written()
        return True

    async def answered_by_us(self, handoff: Handoff) -> bool:
        """Whether a member of our team has written in the handoff's conversation since the message that
        opened it (the customer then needs no "someone is coming")."""
        opened_by = ts_order(str(handoff.context.get("trigger_ts") or handoff.thread_ts))
        async with self._store.transaction(readonly=True) as tx:
            recent = await tx.conversations.messages(
                channel_id=handoff.channel_id, thread_ts=handoff.thread_ts, limit=ANSWER_LOOK_BACK
            )
        ours = (m for m in recent if m.author_kind is AuthorKind.INTERNAL and not m.deleted)
        return any(ts_order(m.ts) > opened_by for m in ours)

    async def handoff(self, handoff_id: int) -> Handoff | None:
        """One handoff."""
        async with self._store.transaction(readonly=True) as tx:
            return await tx.handoffs.get(handoff_id=handoff_id)

    async def events(self, handoff_id: int) -> list[HandoffEvent]:
        """A handoff's history."""
        async with self._store.transaction(readonly=True) as tx:
            return await tx.handoff_events.for_handoff(handoff_id=handoff_id)
