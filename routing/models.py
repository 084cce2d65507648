"""The domain's value types: what Baton knows about channels, messages, conversations and handoffs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any


class AuthorKind(StrEnum):
    """Who wrote a message, as the domain sees it."""

    CUSTOMER = "customer"  # a user of another organisation in a shared channel
    INTERNAL = "internal"  # a member of our workspace
    AI = "ai"  # a bot we are told is the AI agent answering customers
    OTHER_BOT = "other_bot"  # any other bot or integration
    SELF = "self"  # Baton itself


class MessageChange(StrEnum):
    """What a message event does to the stored history."""

    NEW = "new"
    EDITED = "edited"
    DELETED = "deleted"


@dataclass(frozen=True, slots=True)
class Account:
    """The customer organisation behind a watched channel."""

    name: str = ""
    tier: str = ""
    value: float = 0.0
    owner_user_id: str | None = None
    timezone: str | None = None  # the account's business hours are counted in this zone, if set


@dataclass(frozen=True, slots=True)
class WatchedChannel:
    """A channel Baton watches, with the account it belongs to and which bots are the AI agent."""

    channel_id: str
    name: str = ""
    is_shared: bool = False
    watched: bool = True
    account: Account = field(default_factory=Account)
    ai_bot_ids: tuple[str, ...] = ()
    unanswered_minutes: int | None = None  # a customer waiting this long opens a handoff (None: the rule's)
    added_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AIAssessment:
    """What the AI agent said about its own answer (from message metadata or the API)."""

    confidence: float | None = None
    summary: str = ""
    intent: str = ""


@dataclass(frozen=True, slots=True)
class MessageFacts:
    """One message as the domain sees it, translated from a Slack payload."""

    channel_id: str
    ts: str
    thread_ts: str  # the conversation key: the thread root, or the message itself at top level
    author_id: str
    author_team: str
    author_kind: AuthorKind
    text: str
    received_at: datetime
    event_id: str | None = None
    change: MessageChange = MessageChange.NEW
    assessment: AIAssessment | None = None
    metadata: dict[str, Any] | None = None
    changed_at: datetime | None = None  # an edit or delete: when Slack says it happened (orders them)

    @property
    def is_customer(self) -> bool:
        return self.author_kind is AuthorKind.CUSTOMER


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """A message kept in a conversation's history."""

    channel_id: str
    ts: str
    thread_ts: str
    author_id: str
    author_team: str
    author_kind: AuthorKind
    text: str
    received_at: datetime
    edited_at: datetime | None = None
    deleted: bool = False
    metadata: dict[str, Any] | None = None

    @classmethod
    def from_facts(cls, facts: MessageFacts) -> StoredMessage:
        """The message as stored; an edit or delete that arrived before the message itself stands for it
        (the edited text, or a deleted message)."""
        changed = facts.change is not MessageChange.NEW
        return cls(
            channel_id=facts.channel_id,
            ts=facts.ts,
            thread_ts=facts.thread_ts,
            author_id=facts.author_id,
            author_team=facts.author_team,
            author_kind=facts.author_kind,
            text=facts.text,
            received_at=facts.received_at,
            metadata=facts.metadata,
            edited_at=(facts.changed_at or facts.received_at) if changed else None,
            deleted=facts.change is MessageChange.DELETED,
        )

    def as_facts(self, *, received_at: datetime, assessment: AIAssessment | None = None) -> MessageFacts:
        """The stored message as facts to decide on again (e.g. with the AI's later self-assessment)."""
        return MessageFacts(
            channel_id=self.channel_id,
            ts=self.ts,
            thread_ts=self.thread_ts,
            author_id=self.author_id,
            author_team=self.author_team,
            author_kind=self.author_kind,
            text=self.text,
            received_at=received_at,
            assessment=assessment,
        )


@dataclass(frozen=True, slots=True)
class Conversation:
    """A thread in a watched channel, keyed by (channel, thread root ts)."""

    channel_id: str
    thread_ts: str
    started_at: datetime
    last_message_at: datetime
    message_count: int = 0
    customer_message_count: int = 0
    waiting_since: datetime | None = None  # the oldest customer message nobody answered yet
    id: int | None = None


# Authors whose message answers the customer (ends their wait); other bots and Baton itself don't.
ANSWERING_AUTHORS = (AuthorKind.INTERNAL, AuthorKind.AI)


class HandoffState(StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    SNOOZED = "snoozed"
    RESOLVED = "resolved"
    DISMISSED = "dismissed"

    @property
    def is_live(self) -> bool:
        return self in (HandoffState.OPEN, HandoffState.CLAIMED, HandoffState.SNOOZED)


LIVE_STATES: tuple[HandoffState, ...] = (HandoffState.OPEN, HandoffState.CLAIMED, HandoffState.SNOOZED)


class Urgency(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"

    @property
    def rank(self) -> int:
        return _URGENCY_RANK[self]


_URGENCY_RANK = {Urgency.LOW: 0, Urgency.NORMAL: 1, Urgency.HIGH: 2, Urgency.URGENT: 3}


class EventSource(StrEnum):
    """Where a handoff change came from."""

    SLACK_ACTION = "slack_action"
    COMMAND = "command"
    SCHEDULER = "scheduler"
    API = "api"
    MESSAGE = "message"


@dataclass(frozen=True, slots=True)
class Handoff:
    """A conversation handed to humans: its state, owner, deadlines and where its card lives."""

    channel_id: str
    thread_ts: str
    escalation_type: str
    urgency: Urgency
    opened_at: datetime
    state: HandoffState = HandoffState.OPEN
    assignee_id: str | None = None  # who claimed it (or was handed it)
    target: str = ""  # where the card was routed: "user:U…", "owner:U…", "channel:C…", "group:S…"
    routed_to: str | None = None  # the rep the card was meant for (a user target, or the group member picked)
    level: int = 0  # escalation chain tier reached
    claim_due_at: datetime | None = None
    resolve_due_at: datetime | None = None
    next_check_at: datetime | None = None
    snoozed_until: datetime | None = None
    breached: bool = False
    card_channel: str | None = None
    card_ts: str | None = None
    reasons: tuple[str, ...] = ()
    policy: dict[str, Any] = field(default_factory=dict)  # frozen when the handoff opens
    context: dict[str, Any] = field(default_factory=dict)  # snapshot shown on the card
    closed_at: datetime | None = None
    version: int = 0
    id: int | None = None

    @property
    def human_engaged(self) -> bool:
        """A rep has it: claimed, or claimed (or handed to someone) and then snoozed, which wakes claimed."""
        return self.state is HandoffState.CLAIMED or (
            self.state is HandoffState.SNOOZED and self.assignee_id is not None
        )


@dataclass(frozen=True, slots=True)
class HandoffEvent:
    """One append-only entry of a handoff's history: the audit trail and the source of stats."""

    handoff_id: int
    kind: str
    at: datetime
    source: EventSource
    actor: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    id: int | None = None


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """A Slack Web API write waiting to be delivered, written in the same transaction as its cause."""

    channel_key: str  # deliveries are ordered per key (a Slack channel id)
    method: str  # e.g. "chat.postMessage"
    payload: dict[str, Any]
    created_at: datetime
    available_at: datetime
    dedupe_key: str | None = None  # a write is enqueued once per key
    handoff_id: int | None = None
    attempts: int = 0
    last_error: str | None = None
    delivered_at: datetime | None = None
    failed_at: datetime | None = None
    result: dict[str, Any] | None = None
    id: int | None = None


class ChangeSource(StrEnum):
    """Where a configuration change came from."""

    COMMAND = "command"  # /baton in Slack
    CONFIG_FILE = "config_file"  # the BATON_CONFIG file, read at start
    CLI = "cli"  # `baton rules import`


@dataclass(frozen=True, slots=True)
class Actor:
    """Who changes the configuration: a Slack user of some team, or an operator at the CLI."""

    user_id: str
    team_id: str = ""
    source: ChangeSource = ChangeSource.COMMAND


@dataclass(frozen=True, slots=True)
class ConfigVersion:
    """One stored version of the whole configuration (`config_to_data` form); the highest is in force."""

    version: int
    data: dict[str, Any]
    actor: str
    source: ChangeSource
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One administrative change: who, from where, what, and the state before and after."""

    at: datetime
    actor_id: str
    actor_team: str
    source: ChangeSource
    action: str  # e.g. "rules.disable", "channel.set", "config.import"
    target: str  # what changed, e.g. a rule id, a channel id, a user id
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Admin:
    """A Baton admin named with `/baton admins add` (workspace admins and owners are admins anyway)."""

    user_id: str
    added_by: str
    added_at: datetime


@dataclass(frozen=True, slots=True)
class ApiToken:
    """A bearer token of the AI-agent HTTP API; only its SHA-256 is stored, the token is shown once."""

    name: str
    token_hash: str
    created_at: datetime
    revoked_at: datetime | None = None
    id: int | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def slack_time(ts: str) -> datetime | None:
    """A Slack timestamp ("1767600000.000100") as an exact UTC time, or None if it is not one."""
    seconds, _, fraction = ts.partition(".")
    if (
        not seconds.isascii()
        or not seconds.isdigit()
        or not (fraction.isascii() and fraction.isdigit() or not fraction)
    ):
        return None
    micros = int((fraction + "000000")[:6]) if fraction else 0
    return datetime.fromtimestamp(int(seconds), UTC) + timedelta(microseconds=micros)


AI_ASSESSMENT_EVENT = "ai_assessment"  # the message metadata event an AI agent's answer carries


def assessment_from_metadata(metadata: Any) -> AIAssessment | None:
    """The AI agent's self-assessment carried in a message's metadata (`ai_assessment`), if it has one."""
    if not isinstance(metadata, dict) or metadata.get("event_type") != AI_ASSESSMENT_EVENT:
        return None
    payload = metadata.get("event_payload")
    if not isinstance(payload, dict):
        return None
    confidence = payload.get("confidence")
    try:
        value = None if confidence is None or isinstance(confidence, bool) else float(confidence)
    except (TypeError, ValueError, OverflowError):  # (an integer too large for a float: none either)
        value = None
    if value is not None:
        value = min(1.0, max(0.0, value)) if value == value else None  # NaN: no confidence
    return AIAssessment(
        confidence=value, summary=str(payload.get("summary") or ""), intent=str(payload.get("intent") or "")
    )


def ts_order(ts: str) -> tuple[float, str]:
    """A sort key for Slack timestamps, in time order; one that is not a number sorts first, not fails."""
    try:
        return (float(ts), ts)
    except ValueError:
        return (float("-inf"), ts)
