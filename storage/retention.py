"""Retention: deletes what is older than the configured number of days, a bounded batch per call.

Each statement reads the oldest rows off an index on their time (messages by receipt, conversations by their
start, outbox rows by creation) and deletes at most `limit` of them, so a call stays short however much is
due; the scheduler calls it on every sweep until nothing old is left. A conversation keeps its messages
whatever their age while it has a live handoff (its card and its next decisions need them) or a handoff
with a Slack write still to deliver (a card update renders them), and while its customer has been waiting
since after `spare_waiting_since` (the `unanswered` check still has to hand them over). A live handoff keeps
its delivered Slack writes: their dedupe keys stop a second warm message.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Integer, bindparam, delete, exists, func, or_, select, text, true
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.tables import CONVERSATIONS, HANDOFFS, LIVE_HANDOFF_SQL, MESSAGES, OUTBOX

_M, _C, _H, _O = MESSAGES.c, CONVERSATIONS.c, HANDOFFS.c, OUTBOX.c


_SPARE_WAITING = bindparam("spare_waiting_since", type_=_C.waiting_since.type)
_PENDING = exists().where(_O.handoff_id == _H.id, _O.delivered_at.is_(None), _O.failed_at.is_(None))


def _no_handoff_needs_it(
    channel_id: ColumnElement[str], thread_ts: ColumnElement[str]
) -> ColumnElement[bool]:
    # LIVE_HANDOFF_SQL is the live-conversation index's own predicate (unqualified `state`: the subquery's).
    needs = or_(text(LIVE_HANDOFF_SQL), _PENDING)
    return ~exists().where(_H.channel_id == channel_id, _H.thread_ts == thread_ts, needs)


def _not_waiting(channel_id: ColumnElement[str], thread_ts: ColumnElement[str]) -> ColumnElement[bool]:
    waiting = exists().where(
        _C.channel_id == channel_id, _C.thread_ts == thread_ts, _C.waiting_since >= _SPARE_WAITING
    )
    return ~waiting


_BEFORE = bindparam("before", type_=_M.received_at.type)
_LIMIT = bindparam("limit", type_=Integer)
_OLD_MESSAGES = (
    select(_M.id)
    .where(
        _M.received_at < _BEFORE,
        _no_handoff_needs_it(_M.channel_id, _M.thread_ts),
        _not_waiting(_M.channel_id, _M.thread_ts),
    )
    .order_by(_M.received_at)
    .limit(_LIMIT)
)
_OLD_CONVERSATIONS = (
    select(_C.id)
    .where(
        _C.started_at < _BEFORE,  # the index; a conversation's start never moves (its last message does)
        _C.last_message_at < _BEFORE,
        # (not waiting, or since before: written so that it is no index's condition, see the test)
        func.coalesce(_C.waiting_since < _SPARE_WAITING, true()),
        _no_handoff_needs_it(_C.channel_id, _C.thread_ts),
    )
    .order_by(_C.started_at)
    .limit(_LIMIT)
)
_LIVE_HANDOFF = exists().where(_H.id == _O.handoff_id, text(LIVE_HANDOFF_SQL))
_OLD_DELIVERIES = (
    select(_O.id)
    .where(
        _O.created_at < _BEFORE,
        or_(_O.delivered_at.is_not(None), _O.failed_at.is_not(None)),
        ~_LIVE_HANDOFF,
    )
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

    async def forget_messages(self, *, before: datetime, limit: int, spare_waiting_since: datetime) -> int:
        """Delete up to `limit` messages received before `before`, not those of a conversation a handoff
        still needs or whose customer has waited since after `spare_waiting_since`; how many went."""
        parameters = {"before": before, "limit": limit, "spare_waiting_since": spare_waiting_since}
        return int((await self._connection.execute(_PRUNE_MESSAGES, parameters)).rowcount)

    async def forget_conversations(
        self, *, before: datetime, limit: int, spare_waiting_since: datetime
    ) -> int:
        """Delete up to `limit` conversations whose last message came before `before`, not those a handoff
        still needs or whose customer has waited since after `spare_waiting_since`; how many went."""
        parameters = {"before": before, "limit": limit, "spare_waiting_since": spare_waiting_since}
        return int((await self._connection.execute(_PRUNE_CONVERSATIONS, parameters)).rowcount)

    async def forget_deliveries(self, *, before: datetime, limit: int) -> int:
        """Delete up to `limit` outbox rows created before `before` and delivered or given up on, not those of
        a live handoff (their dedupe keys stop a repeat, such as a second warm message)."""
        result = await self._connection.execute(_PRUNE_DELIVERIES, {"before": before, "limit": limit})
        return int(result.rowcount)
