"""What Baton tells Slack, as outbox rows: written with the state change, rendered and sent by the worker.

Rows carry intents, not Block Kit: the worker renders a card from the handoff's state at delivery time, so a
burst of changes costs one up-to-date `chat.update` per row and never shows a stale card.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from routing.models import Handoff, OutboxItem


class Notice(StrEnum):
    """Kinds of outbox rows."""

    POST_CARD = "post_card"  # the handoff card, to the routed channel, user or group member
    UPDATE_CARD = "update_card"  # re-render the card in place
    THREAD_NOTE = "thread_note"  # an internal note in the card's thread ("Riley claimed this")
    MIRROR = "mirror"  # a later customer message copied into the card's thread
    CUSTOMER_MESSAGE = "customer_message"  # the only kind allowed into a shared channel
    ESCALATION = "escalation"  # an SLA escalation tier: a post in a team channel, or a DM to a manager

    @property
    def internal(self) -> bool:
        """Internal notices must never reach a shared (Slack Connect) channel."""
        return self is not Notice.CUSTOMER_MESSAGE


def card_key(handoff: Handoff) -> str:
    """The ordering key of everything posted around a handoff's card: its destination, fixed at opening."""
    return str(handoff.context.get("card_key") or f"handoff-{handoff.id}")


def _row(
    notice: Notice, *, key: str, handoff: Handoff, now: datetime, payload: dict[str, Any], dedupe: str | None
) -> OutboxItem:
    return OutboxItem(
        channel_key=key,
        method=notice.value,
        payload={"handoff_id": handoff.id, **payload},
        created_at=now,
        available_at=now,
        dedupe_key=dedupe,
        handoff_id=handoff.id,
    )


def post_card(handoff: Handoff, *, now: datetime, deleted_ts: str = "") -> OutboxItem:
    """Post the card once per handoff; `deleted_ts`: anew, once, after the card there was deleted in Slack."""
    return _row(
        Notice.POST_CARD,
        key=card_key(handoff),
        handoff=handoff,
        now=now,
        payload={},
        dedupe=f"card:{handoff.id}" + (f":{deleted_ts}" if deleted_ts else ""),
    )


def move_card(handoff: Handoff, *, to: str, now: datetime) -> OutboxItem:
    """Post the card again as a DM to `to`, who was handed the handoff but can't see the DM it was in; from
    then on the card's updates and notes go there."""
    return _row(
        Notice.POST_CARD,
        key=card_key(handoff),
        handoff=handoff,
        now=now,
        payload={"move_to": to},
        dedupe=f"move:{handoff.id}:{to}:{handoff.version}",
    )


def update_card(handoff: Handoff, *, now: datetime) -> OutboxItem:
    """Re-render the card; one row per handoff version, so a replayed change is not queued twice."""
    return _row(
        Notice.UPDATE_CARD,
        key=card_key(handoff),
        handoff=handoff,
        now=now,
        payload={},
        dedupe=f"update:{handoff.id}:{handoff.version}",
    )


def thread_note(
    handoff: Handoff, *, text: str, now: datetime, dedupe: str | None = None, quoted: str = ""
) -> OutboxItem:
    """An internal note in the card's thread: Baton's `text`, then `quoted`, words from outside (an AI
    agent's reason) that the notifier escapes so that they can't ping or link anyone."""
    payload = {"text": text, **({"quoted": quoted} if quoted else {})}
    return _row(
        Notice.THREAD_NOTE,
        key=card_key(handoff),
        handoff=handoff,
        now=now,
        payload=payload,
        dedupe=dedupe,
    )


def mirror(handoff: Handoff, *, ts: str, now: datetime) -> OutboxItem:
    """Copy a customer message (by its ts) into the card's thread, once."""
    return _row(
        Notice.MIRROR,
        key=card_key(handoff),
        handoff=handoff,
        now=now,
        payload={"channel": handoff.channel_id, "ts": ts},
        dedupe=f"mirror:{handoff.id}:{ts}",
    )


def customer_message(handoff: Handoff, *, text: str, now: datetime, dedupe: str) -> OutboxItem:
    """A customer-facing message in the customer's own thread."""
    return _row(
        Notice.CUSTOMER_MESSAGE,
        key=handoff.channel_id,
        handoff=handoff,
        now=now,
        payload={
            "channel": handoff.channel_id,
            "thread_ts": handoff.thread_ts,
            "text": text,
            "state": handoff.state.value,  # what the AI agent reads in the message's metadata
        },
        dedupe=dedupe,
    )


def escalation(handoff: Handoff, *, channel: str, text: str, now: datetime, dedupe: str) -> OutboxItem:
    """An escalation tier's message to a team channel or a person."""
    return _row(
        Notice.ESCALATION,
        key=channel,
        handoff=handoff,
        now=now,
        payload={"channel": channel, "text": text},
        dedupe=dedupe,
    )
