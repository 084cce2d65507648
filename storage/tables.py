"""The schema: SQLModel tables, the single source the migrations are checked against."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, MetaData, Table, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from routing.models import LIVE_STATES
from storage.types import UTCDateTime, id_type, json_type

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# The predicate of the partial unique index; queries repeat it literally so PostgreSQL can use the index.
LIVE_HANDOFF_SQL = "state IN ({})".format(", ".join(f"'{state.value}'" for state in LIVE_STATES))
# Outbox rows still waiting for delivery: the claim query and `pending()` filter on exactly this.
PENDING_OUTBOX_SQL = "delivered_at IS NULL AND failed_at IS NULL"
# API tokens still in use: a name is unique among these.
ACTIVE_TOKEN_SQL = "revoked_at IS NULL"


class Row(SQLModel):
    """Base of Baton's tables, with its own metadata (so nothing else shares it) and constraint names."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ProcessedEventRow(Row, table=True):
    __tablename__ = "processed_events"
    __table_args__ = (Index(None, "received_at"),)

    event_id: str = Field(primary_key=True)
    received_at: datetime = Field(sa_type=UTCDateTime)


class ChannelRow(Row, table=True):
    __tablename__ = "channels"

    channel_id: str = Field(primary_key=True)
    name: str = ""
    is_shared: bool = False
    watched: bool = True
    account_name: str = ""
    account_tier: str = ""
    account_value: float = 0.0
    account_owner_user_id: str | None = None
    account_timezone: str | None = None
    unanswered_minutes: int | None = None
    ai_bot_ids: list[str] = Field(default_factory=list, sa_type=json_type())
    added_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ConversationRow(Row, table=True):
    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("channel_id", "thread_ts"),
        Index(None, "waiting_since"),
        Index(None, "started_at"),  # retention: the oldest conversations
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=id_type())
    channel_id: str
    thread_ts: str
    started_at: datetime = Field(sa_type=UTCDateTime)
    last_message_at: datetime = Field(sa_type=UTCDateTime)
    message_count: int = 0
    customer_message_count: int = 0
    waiting_since: datetime | None = Field(default=None, sa_type=UTCDateTime)


class MessageRow(Row, table=True):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("channel_id", "ts"),
        Index(None, "channel_id", "thread_ts", "ts"),
        Index(None, "received_at"),  # retention, and the stats' messages of a period
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=id_type())
    channel_id: str
    ts: str
    thread_ts: str
    author_id: str
    author_team: str
    author_kind: str
    text: str = Field(sa_type=Text)
    metadata_: dict[str, Any] | None = Field(
        default=None, sa_type=json_type(), sa_column_kwargs={"name": "metadata"}
    )
    received_at: datetime = Field(sa_type=UTCDateTime)
    edited_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    deleted: bool = False


class HandoffRow(Row, table=True):
    __tablename__ = "handoffs"
    __table_args__ = (
        Index(None, "state", "next_check_at"),
        Index(None, "opened_at"),  # stats and reports read a period's handoffs
        Index(None, "channel_id", "thread_ts", "closed_at"),  # a conversation's last closed handoff
        # At most one live handoff per conversation, enforced by the database on both dialects.
        Index(
            "uq_handoffs_live_conversation",
            "channel_id",
            "thread_ts",
            unique=True,
            sqlite_where=text(LIVE_HANDOFF_SQL),
            postgresql_where=text(LIVE_HANDOFF_SQL),
        ),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=id_type())
    channel_id: str
    thread_ts: str
    escalation_type: str
    urgency: str
    opened_at: datetime = Field(sa_type=UTCDateTime)
    state: str
    assignee_id: str | None = None
    routed_to: str | None = None
    target: str = ""
    level: int = 0
    claim_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolve_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    next_check_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    snoozed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    breached: bool = False
    card_channel: str | None = None
    card_ts: str | None = None
    reasons: list[str] = Field(default_factory=list, sa_type=json_type())
    policy: dict[str, Any] = Field(default_factory=dict, sa_type=json_type())
    context: dict[str, Any] = Field(default_factory=dict, sa_type=json_type())
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    version: int = 0


class HandoffEventRow(Row, table=True):
    __tablename__ = "handoff_events"
    __table_args__ = (Index(None, "handoff_id"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=id_type())
    handoff_id: int = Field(foreign_key="handoffs.id", sa_type=id_type())
    kind: str
    at: datetime = Field(sa_type=UTCDateTime)
    source: str
    actor: str = ""
    data: dict[str, Any] = Field(default_factory=dict, sa_type=json_type())


class OutboxRow(Row, table=True):
    __tablename__ = "outbox"
    __table_args__ = (
        # The claim query: the head (lowest id) of each channel among rows still to deliver.
        Index(
            "ix_outbox_pending",
            "channel_key",
            "id",
            sqlite_where=text(PENDING_OUTBOX_SQL),
            postgresql_where=text(PENDING_OUTBOX_SQL),
        ),
        Index(None, "created_at"),  # retention: the oldest rows
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=id_type())
    channel_key: str
    method: str
    payload: dict[str, Any] = Field(sa_type=json_type())
    created_at: datetime = Field(sa_type=UTCDateTime)
    available_at: datetime = Field(sa_type=UTCDateTime)
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_type=Text)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    failed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    leased_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    result: dict[str, Any] | None = Field(default=None, sa_type=json_type())
    handoff_id: int | None = Field(default=None, sa_type=id_type())
    dedupe_key: str | None = Field(default=None, unique=True)


class ConfigVersionRow(Row, table=True):
    __tablename__ = "config_versions"

    # Numbered by the writer (latest + 1): the primary key makes two concurrent changes collide, not merge.
    version: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    data: dict[str, Any] = Field(sa_type=json_type())
    actor: str = ""
    source: str
    created_at: datetime = Field(sa_type=UTCDateTime)


class AuditLogRow(Row, table=True):
    __tablename__ = "audit_log"
    __table_args__ = (Index(None, "at"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=id_type())
    at: datetime = Field(sa_type=UTCDateTime)
    actor_id: str
    actor_team: str = ""
    source: str
    action: str
    target: str = ""
    before: dict[str, Any] | None = Field(default=None, sa_type=json_type())
    after: dict[str, Any] | None = Field(default=None, sa_type=json_type())


class AdminRow(Row, table=True):
    __tablename__ = "admins"

    user_id: str = Field(primary_key=True)
    added_by: str = ""
    added_at: datetime = Field(sa_type=UTCDateTime)


class ApiTokenRow(Row, table=True):
    __tablename__ = "api_tokens"
    __table_args__ = (
        # A name belongs to one active token; a revoked token's name may be used again.
        Index(
            "uq_api_tokens_active_name",
            "name",
            unique=True,
            sqlite_where=text(ACTIVE_TOKEN_SQL),
            postgresql_where=text(ACTIVE_TOKEN_SQL),
        ),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=id_type())
    name: str
    token_hash: str = Field(unique=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


METADATA: MetaData = Row.metadata
PROCESSED_EVENTS: Table = METADATA.tables["processed_events"]
CHANNELS: Table = METADATA.tables["channels"]
CONVERSATIONS: Table = METADATA.tables["conversations"]
MESSAGES: Table = METADATA.tables["messages"]
HANDOFFS: Table = METADATA.tables["handoffs"]
HANDOFF_EVENTS: Table = METADATA.tables["handoff_events"]
OUTBOX: Table = METADATA.tables["outbox"]
CONFIG_VERSIONS: Table = METADATA.tables["config_versions"]
AUDIT_LOG: Table = METADATA.tables["audit_log"]
ADMINS: Table = METADATA.tables["admins"]
API_TOKENS: Table = METADATA.tables["api_tokens"]
