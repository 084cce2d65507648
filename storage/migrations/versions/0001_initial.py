"""Initial schema: processed events, channels, conversations, messages, handoffs, their events, the outbox,
configuration versions, the audit log, named admins and the API tokens.

Revision ID: 0001
Revises:
Create Date: 2026-11-27

Column types are spelled with plain SQLAlchemy types so this file stays frozen whatever storage.types becomes.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE_HANDOFF = sa.text("state IN ('open', 'claimed', 'snoozed')")
PENDING_OUTBOX = sa.text("delivered_at IS NULL AND failed_at IS NULL")
ACTIVE_TOKEN = sa.text("revoked_at IS NULL")


def _id() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _json() -> sa.JSON:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "processed_events",
        sa.Column("event_id", sa.String(), nullable=False),
        sa.Column("received_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_processed_events")),
    )
    op.create_index(op.f("ix_processed_events_received_at"), "processed_events", ["received_at"])

    op.create_table(
        "channels",
        sa.Column("channel_id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("is_shared", sa.Boolean(), nullable=False),
        sa.Column("watched", sa.Boolean(), nullable=False),
        sa.Column("account_name", sa.String(), nullable=False),
        sa.Column("account_tier", sa.String(), nullable=False),
        sa.Column("account_value", sa.Float(), nullable=False),
        sa.Column("account_owner_user_id", sa.String(), nullable=True),
        sa.Column("account_timezone", sa.String(), nullable=True),
        sa.Column("unanswered_minutes", sa.Integer(), nullable=True),
        sa.Column("ai_bot_ids", _json(), nullable=False),
        sa.Column("added_at", _utc(), nullable=True),
        sa.PrimaryKeyConstraint("channel_id", name=op.f("pk_channels")),
    )

    op.create_table(
        "conversations",
        sa.Column("id", _id(), nullable=False),
        sa.Column("channel_id", sa.String(), nullable=False),
        sa.Column("thread_ts", sa.String(), nullable=False),
        sa.Column("started_at", _utc(), nullable=False),
        sa.Column("last_message_at", _utc(), nullable=False),
        sa.Column("message_count", sa.Integer(), nullable=False),
        sa.Column("customer_message_count", sa.Integer(), nullable=False),
        sa.Column("waiting_since", _utc(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
        sa.UniqueConstraint("channel_id", "thread_ts", name=op.f("uq_conversations_channel_id_thread_ts")),
    )
    op.create_index(op.f("ix_conversations_waiting_since"), "conversations", ["waiting_since"])

    op.create_table(
        "messages",
        sa.Column("id", _id(), nullable=False),
        sa.Column("channel_id", sa.String(), nullable=False),
        sa.Column("ts", sa.String(), nullable=False),
        sa.Column("thread_ts", sa.String(), nullable=False),
        sa.Column("author_id", sa.String(), nullable=False),
        sa.Column("author_team", sa.String(), nullable=False),
        sa.Column("author_kind", sa.String(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("metadata", _json(), nullable=True),
        sa.Column("received_at", _utc(), nullable=False),
        sa.Column("edited_at", _utc(), nullable=True),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
        sa.UniqueConstraint("channel_id", "ts", name=op.f("uq_messages_channel_id_ts")),
    )
    op.create_index(
        op.f("ix_messages_channel_id_thread_ts_ts"), "messages", ["channel_id", "thread_ts", "ts"]
    )

    op.create_table(
        "handoffs",
        sa.Column("id", _id(), nullable=False),
        sa.Column("channel_id", sa.String(), nullable=False),
        sa.Column("thread_ts", sa.String(), nullable=False),
        sa.Column("escalation_type", sa.String(), nullable=False),
        sa.Column("urgency", sa.String(), nullable=False),
        sa.Column("opened_at", _utc(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("assignee_id", sa.String(), nullable=True),
        sa.Column("routed_to", sa.String(), nullable=True),
        sa.Column("target", sa.String(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("claim_due_at", _utc(), nullable=True),
        sa.Column("resolve_due_at", _utc(), nullable=True),
        sa.Column("next_check_at", _utc(), nullable=True),
        sa.Column("snoozed_until", _utc(), nullable=True),
        sa.Column("breached", sa.Boolean(), nullable=False),
        sa.Column("card_channel", sa.String(), nullable=True),
        sa.Column("card_ts", sa.String(), nullable=True),
        sa.Column("reasons", _json(), nullable=False),
        sa.Column("policy", _json(), nullable=False),
        sa.Column("context", _json(), nullable=False),
        sa.Column("closed_at", _utc(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoffs")),
    )
    op.create_index(op.f("ix_handoffs_state_next_check_at"), "handoffs", ["state", "next_check_at"])
    op.create_index(op.f("ix_handoffs_opened_at"), "handoffs", ["opened_at"])
    op.create_index(
        "uq_handoffs_live_conversation",
        "handoffs",
        ["channel_id", "thread_ts"],
        unique=True,
        sqlite_where=LIVE_HANDOFF,
        postgresql_where=LIVE_HANDOFF,
    )

    op.create_table(
        "handoff_events",
        sa.Column("id", _id(), nullable=False),
        sa.Column("handoff_id", _id(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("at", _utc(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("data", _json(), nullable=False),
        sa.ForeignKeyConstraint(
            ["handoff_id"], ["handoffs.id"], name=op.f("fk_handoff_events_handoff_id_handoffs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_events")),
    )
    op.create_index(op.f("ix_handoff_events_handoff_id"), "handoff_events", ["handoff_id"])

    op.create_table(
        "outbox",
        sa.Column("id", _id(), nullable=False),
        sa.Column("channel_key", sa.String(), nullable=False),
        sa.Column("method", sa.String(), nullable=False),
        sa.Column("payload", _json(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("available_at", _utc(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("delivered_at", _utc(), nullable=True),
        sa.Column("failed_at", _utc(), nullable=True),
        sa.Column("leased_until", _utc(), nullable=True),
        sa.Column("result", _json(), nullable=True),
        sa.Column("handoff_id", _id(), nullable=True),
        sa.Column("dedupe_key", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_outbox_dedupe_key")),
    )
    op.create_index(
        "ix_outbox_pending",
        "outbox",
        ["channel_key", "id"],
        sqlite_where=PENDING_OUTBOX,
        postgresql_where=PENDING_OUTBOX,
    )

    op.create_table(
        "config_versions",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("data", _json(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_config_versions")),
    )

    op.create_table(
        "audit_log",
        sa.Column("id", _id(), nullable=False),
        sa.Column("at", _utc(), nullable=False),
        sa.Column("actor_id", sa.String(), nullable=False),
        sa.Column("actor_team", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("target", sa.String(), nullable=False),
        sa.Column("before", _json(), nullable=True),
        sa.Column("after", _json(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"])

    op.create_table(
        "admins",
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("added_by", sa.String(), nullable=False),
        sa.Column("added_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_admins")),
    )

    op.create_table(
        "api_tokens",
        sa.Column("id", _id(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("token_hash", sa.String(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("revoked_at", _utc(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_index(
        "uq_api_tokens_active_name",
        "api_tokens",
        ["name"],
        unique=True,
        sqlite_where=ACTIVE_TOKEN,
        postgresql_where=ACTIVE_TOKEN,
    )


def downgrade() -> None:
    # Dependants first: handoff_events references handoffs.
    tables = (
        "api_tokens",
        "admins",
        "audit_log",
        "config_versions",
        "outbox",
        "handoff_events",
        "handoffs",
        "messages",
        "conversations",
        "channels",
        "processed_events",
    )
    for table in tables:
        op.drop_table(table)
