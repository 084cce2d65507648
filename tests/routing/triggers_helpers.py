"""Builders shared by the trigger tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from routing.decision import Decision
from routing.models import Account, AIAssessment, AuthorKind, MessageFacts, StoredMessage
from routing.rules import RuleSet, default_rules
from routing.triggers.engine import decide

NOW = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)


def facts(
    text: str, *, kind: AuthorKind = AuthorKind.CUSTOMER, confidence: float | None = None
) -> MessageFacts:
    return MessageFacts(
        channel_id="C1",
        ts="100.0",
        thread_ts="1.0",
        author_id="U1",
        author_team="TCUST",
        author_kind=kind,
        text=text,
        received_at=NOW,
        assessment=AIAssessment(confidence=confidence) if confidence is not None else None,
    )


def stored(text: str, *, kind: AuthorKind = AuthorKind.CUSTOMER, minutes_ago: int = 5) -> StoredMessage:
    return StoredMessage(
        channel_id="C1",
        ts=f"{90 - minutes_ago}.0",
        thread_ts="1.0",
        author_id="U1" if kind is AuthorKind.CUSTOMER else "U9",
        author_team="TCUST",
        author_kind=kind,
        text=text,
        received_at=NOW - timedelta(minutes=minutes_ago),
    )


def run(
    text: str,
    *,
    history: Sequence[StoredMessage] = (),
    rules: RuleSet | None = None,
    account: Account | None = None,
    confidence: float | None = None,
) -> Decision:
    return decide(
        facts(text, confidence=confidence),
        history=history,
        rules=rules or default_rules(),
        account=account,
        now=NOW,
    )
