"""Retention: deletes what is older than the configured number of days, a bounded batch per call.

Each statement reads the oldest rows off an index on their time (messages by receipt, conversations by their
start, outbox rows by creation) and deletes at most `limit` of them, so a call stays short however much is
due; the scheduler calls it on every sweep until nothing old is left. A conversation with a live handoff
keeps its messages whatever their age: its card and its next decisions still need them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Integer, bindparam, delete, exists, or_, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.tables import CONVERSATIONS, HANDOFFS, LIVE_HANDOFF_SQL, MESSAGES, OUTBOX

_M, _C, _H, _O = MESSAGES.c, CONVERSATIONS.c, HANDOFFS.c, OUTBOX.c


def _no_live_handoff(channel_id: ColumnElement[str], thread_ts: ColumnElement[str]) -> ColumnElement[bool]:
    # LIVE_HANDOFF_SQL is the live-conversation index's own predicate (unqualified `state`: the subquery's).
    return ~exists().where(_H.channel_id == channel_id, _H.thread_ts == thread_ts, text(LIVE_HANDOFF_SQL))


_BEFORE = bindparam("before", type_=_M.received_at.type)
_LIMIT = bindparam("limit", type_=Integer)
_OLD_MESSAGES = (
    select(_M.id)
    .where(_M.received_at < _BEFORE, _no_live_handoff(_M.channel_id, _M.thread_ts))
    .order_by(_M.received_at)
    .limit(_LIMIT)
)
_OLD_CONVERSATIONS = (
    select(_C.id)
    .where(
        _C.started_at < _BEFORE,  # the index; a conversation's start never moves (its last message does)
        _C.last_message_at < _BEFORE,
        _no_live_handoff(_C.channel_id, _C.thread_ts),
    )
    .order_by(_C.started_at)
    .limit(_LIMIT)
)
_OLD_DELIVERIES = (
    select(_O.id)
    .where(_O.created_at < _BEFORE, or_(_O.delivered_at.is_not(None), _O.failed_at.is_not(None)))
    .order_by(_O.created_at)
    .limit(_LIMIT)
)
_PRUNE_MESSAGES = delete(MESSAGES).where(_M.id.in_(_OLD_MESSAGES.scalar_subquery()))
_PRUNE_CONVERSATIONS = delete(CONVERSATIONS).where(_C.id.in_(_OLD_CONVERSATIONS.scalar_subquery()))
_PRUNE_DELIVERIES = delete(OUTBOX).where(_O.id.in_(_OLD_DELIVERIES.scalar_subquery()))


class SqlRetention:
    """Deletes old messages, conversations and finished Slack writes."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def forget_messages(self, *, before: datetime, limit: int) -> int:
        """Delete up to `limit` messages received before `before`, not those of a conversation with a live
        handoff; how many went."""
        result = await self._connection.execute(_PRUNE_MESSAGES, {"before": before, "limit": limit})
        return int(result.rowcount)

    async def forget_conversations(self, *, before: datetime, limit: int) -> int:
        """Delete up to `limit` conversations whose last message came before `before`, not those with a live
        handoff; how many went."""
        result = await self._connection.execute(_PRUNE_CONVERSATIONS, {"before": before, "limit": limit})
        return int(result.rowcount)

    async def forget_deliveries(self, *, before: datetime, limit: int) -> int:
        """Delete up to `limit` outbox rows created before `before` and delivered or given up on."""
        result = await self._connection.execute(_PRUNE_DELIVERIES, {"before": before, "limit": limit})
        return int(result.rowcount)
