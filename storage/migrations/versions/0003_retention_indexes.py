"""Index what retention deletes oldest first: messages by receipt (the stats' messages of a period use it
too), conversations by their start, outbox rows by creation.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEXES = (
    ("ix_messages_received_at", "messages", "received_at"),
    ("ix_conversations_started_at", "conversations", "started_at"),
    ("ix_outbox_created_at", "outbox", "created_at"),
)


def upgrade() -> None:
    for name, table, column in _INDEXES:
        op.create_index(op.f(name), table, [column])


def downgrade() -> None:
    for name, table, _column in reversed(_INDEXES):
        op.drop_index(op.f(name), table_name=table)
