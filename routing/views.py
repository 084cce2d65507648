"""Read models: what a handoff card shows, assembled from the handoff, its channel and its conversation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from routing.models import AIAssessment, AuthorKind, Handoff, StoredMessage, WatchedChannel
from routing.triggers.sentiment import score
from routing.triggers.text import prepare


@dataclass(frozen=True, slots=True)
class SentimentTrend:
    """The customer's tone over the messages on the card: compound values oldest first, and the direction."""

    values: tuple[float, ...]

    @property
    def latest(self) -> float | None:
        return self.values[-1] if self.values else None

    @property
    def direction(self) -> str:
        """'worsening', 'improving' or 'steady' between the first and the last value."""
        if len(self.values) < 2:
            return "steady"
        delta = self.values[-1] - self.values[0]
        return "worsening" if delta <= -0.2 else "improving" if delta >= 0.2 else "steady"


@dataclass(frozen=True, slots=True)
class CardView:
    """Everything a handoff card shows."""

    handoff: Handoff
    channel: WatchedChannel
    messages: tuple[StoredMessage, ...]
    sentiment: SentimentTrend
    type_description: str
    escalated_from: str | None = None  # e.g. "the AI agent" when an AI conversation is handed over

    @property
    def hits(self) -> list[dict[str, Any]]:
        return list(self.handoff.context.get("hits", []))

    @property
    def approach(self) -> str:
        return str(self.handoff.context.get("approach") or "")

    @property
    def assessment(self) -> AIAssessment | None:
        data = self.handoff.context.get("assessment")
        if not data:
            return None
        confidence, summary, intent = data.get("confidence"), data.get("summary"), data.get("intent")
        return AIAssessment(confidence=confidence, summary=summary or "", intent=intent or "")


def sentiment_trend(messages: Sequence[StoredMessage]) -> SentimentTrend:
    """The tone of the customer's (undeleted) messages, oldest first."""
    return SentimentTrend(
        tuple(
            score(prepare(m.text)).compound
            for m in messages
            if m.author_kind is AuthorKind.CUSTOMER and not m.deleted
        )
    )
