"""Freeze the account's time zone into the SLA policy of every live handoff: until now a handoff's clock read
its account's zone on every sweep, so changing the zone moved the deadlines of handoffs already open. From
now on the zone is frozen when a handoff opens; live handoffs get the zone in force at this upgrade.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Live handoffs with business hours, in a channel whose account has a zone other than the hours' own.
_POSTGRESQL = """
UPDATE handoffs AS h
SET policy = jsonb_set(h.policy, '{hours,timezone}', to_jsonb(c.account_timezone))
FROM channels AS c
WHERE c.channel_id = h.channel_id
  AND h.state IN ('open', 'claimed', 'snoozed')
  AND coalesce(c.account_timezone, '') <> ''
  AND jsonb_typeof(h.policy -> 'hours') = 'object'
  AND (h.policy -> 'hours' ->> 'timezone') IS DISTINCT FROM c.account_timezone
"""
_SQLITE = """
UPDATE handoffs
SET policy = json_set(
  policy, '$.hours.timezone',
  (SELECT c.account_timezone FROM channels AS c WHERE c.channel_id = handoffs.channel_id)
)
WHERE state IN ('open', 'claimed', 'snoozed')
  AND json_type(policy, '$.hours') = 'object'
  AND EXISTS (
    SELECT 1 FROM channels AS c
    WHERE c.channel_id = handoffs.channel_id
      AND coalesce(c.account_timezone, '') <> ''
      AND c.account_timezone IS NOT json_extract(handoffs.policy, '$.hours.timezone')
  )
"""


def upgrade() -> None:
    op.execute(_POSTGRESQL if op.get_context().dialect.name == "postgresql" else _SQLITE)


def downgrade() -> None:
    pass  # the zones stay frozen: the older code reads the account's zone again, the same one or a newer one
