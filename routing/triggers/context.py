"""What every trigger looks at: the prepared message, its sentiment, the conversation and the account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from routing.models import Account, AIAssessment, AuthorKind, StoredMessage
from routing.triggers.sentiment import Sentiment, score
from routing.triggers.text import Text, prepare

HISTORY_WINDOW = 12  # messages of the conversation looked at for repeats and trends


@dataclass(frozen=True)
class Turn:
    """An earlier message of the conversation, prepared."""

    author: AuthorKind
    text: Text
    at: datetime

    @cached_property
    def sentiment(self) -> Sentiment:
        return score(self.text)


class Context:
    """One customer message in its conversation; expensive parts computed once, on first use."""

    def __init__(
        self,
        *,
        text: str,
        history: tuple[StoredMessage, ...],
        account: Account | None,
        assessment: AIAssessment | None,
        now: datetime,
    ) -> None:
        self.text = prepare(text)
        self.account = account
        self.assessment = assessment
        self.now = now
        self._history = history[-HISTORY_WINDOW:]

    @cached_property
    def sentiment(self) -> Sentiment:
        return score(self.text)

    @cached_property
    def turns(self) -> tuple[Turn, ...]:
        """Earlier messages, oldest first, deleted ones left out."""
        return tuple(
            Turn(author=m.author_kind, text=prepare(m.text), at=m.received_at)
            for m in self._history
            if not m.deleted
        )

    @property
    def account_known(self) -> bool:
        return self.account is not None and bool(self.account.tier or self.account.value or self.account.name)
