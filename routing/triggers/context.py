"""What every trigger looks at: the prepared message, its sentiment, the conversation and the account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property, lru_cache

from routing.models import Account, AIAssessment, AuthorKind, StoredMessage
from routing.triggers.prefilter import SCANNER
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
        return _scored(self.text)


# Each new message of a conversation looks again at the same earlier ones: their preparation and tone are
# remembered by text (both are pure functions of it). Bounded in entries and, since a Slack message may run
# to 40,000 characters, in size: longer texts than CACHED_CHARS (rare) are worked out each time.
CACHED_CHARS = 2_000
_prepare_cached = lru_cache(maxsize=2048)(prepare)
_score_cached = lru_cache(maxsize=2048)(score)


def _prepared(text: str) -> Text:
    return _prepare_cached(text) if len(text) <= CACHED_CHARS else prepare(text)


def _scored(text: Text) -> Sentiment:
    return _score_cached(text) if text.raw_length <= CACHED_CHARS else score(text)


class Context:
    """One customer message in its conversation; expensive parts computed once, on first use.

    `prepared`, `sentiment`, `bits` (SCANNER.mask of the prepared lower text) and `tone_bounds` may be
    passed in when the caller already has them (the engine's fast check).
    """

    __slots__ = (
        "text",
        "account",
        "assessment",
        "now",
        "_history",
        "_sentiment",
        "_turns",
        "_bits",
        "_bits_of",
        "tone_bounds",
    )

    def __init__(
        self,
        *,
        text: str,
        history: tuple[StoredMessage, ...],
        account: Account | None,
        assessment: AIAssessment | None,
        now: datetime,
        prepared: Text | None = None,
        sentiment: Sentiment | None = None,
        bits: int | None = None,
        tone_bounds: dict[float, bool] | None = None,
    ) -> None:
        self.text = prepare(text) if prepared is None else prepared
        self.account = account
        self.assessment = assessment
        self.now = now
        self._history = history[-HISTORY_WINDOW:]
        self._sentiment = sentiment
        self._turns: tuple[Turn, ...] | None = None
        self._bits = 0 if bits is None else bits
        self._bits_of: Text | None = None if bits is None else self.text
        # frustration.tone_may_fire results for this message by threshold, when the caller has them
        self.tone_bounds = tone_bounds

    @property
    def sentiment(self) -> Sentiment:
        found = self._sentiment
        if found is None:
            found = self._sentiment = score(self.text)
        return found

    @property
    def bits(self) -> int:
        """The literal prefilter's bits for this message (SCANNER.mask of its lower-cased text), once."""
        if self._bits_of is not self.text:
            self._bits = SCANNER.mask(self.text.lower)
            self._bits_of = self.text
        return self._bits

    @property
    def turns(self) -> tuple[Turn, ...]:
        """Earlier messages, oldest first, deleted ones left out."""
        found = self._turns
        if found is None:
            found = self._turns = tuple(
                Turn(author=m.author_kind, text=_prepared(m.text), at=m.received_at)
                for m in self._history
                if not m.deleted
            )
        return found

    @property
    def account_known(self) -> bool:
        return account_known(self.account)


def account_known(account: Account | None) -> bool:
    """Whether the account is described (a tier, a value or a name): what `require_account` needs."""
    return account is not None and bool(account.tier or account.value or account.name)
