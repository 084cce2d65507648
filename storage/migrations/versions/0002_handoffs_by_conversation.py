"""Index handoffs by conversation and closing time: "the conversation's last closed handoff" (the cooldown
check of every escalating message and of the unanswered sweep) read every handoff without it.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    columns = ["channel_id", "thread_ts", "closed_at"]
    op.create_index(op.f("ix_handoffs_channel_id_thread_ts_closed_at"), "handoffs", columns)


def downgrade() -> None:
    op.drop_index(op.f("ix_handoffs_channel_id_thread_ts_closed_at"), table_name="handoffs")
