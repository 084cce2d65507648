"""A rep's queue for the App Home: the live handoffs that are theirs or their user groups'.

Its own statement on the handoffs table (the handoffs repository belongs to the sweep); read only.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, bindparam, case, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from routing.models import Handoff, Urgency
from storage.handoffs import handoff_of_row
from storage.tables import HANDOFFS, LIVE_HANDOFF_SQL

_C = HANDOFFS.c
_URGENCY_RANK = case({urgency.value: urgency.rank for urgency in Urgency}, value=_C.urgency, else_=0)
# Mine: claimed by (or handed to) me; or nobody has it yet and it was routed to me or to one of my groups.
_MINE = or_(
    _C.assignee_id == bindparam("user_id"),
    and_(
        _C.assignee_id.is_(None),
        or_(_C.routed_to == bindparam("user_id"), _C.target.in_(bindparam("targets", expanding=True))),
    ),
)
_PAGE = (
    select(HANDOFFS)
    .where(text(LIVE_HANDOFF_SQL), _MINE)
    .order_by(_URGENCY_RANK.desc(), _C.opened_at.desc(), _C.id.desc())
    .limit(bindparam("limit"))
)
_COUNT = select(func.count()).select_from(HANDOFFS).where(text(LIVE_HANDOFF_SQL), _MINE)


class SqlQueue:
    """Read-only queries behind a rep's App Home."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def mine(self, *, user_id: str, group_ids: Sequence[str], limit: int) -> tuple[list[Handoff], int]:
        """Up to `limit` of the user's live handoffs, most urgent then newest first; and how many in all."""
        # An empty IN list is fine for SQLAlchemy's expanding parameters on both dialects.
        parameters = {"user_id": user_id, "targets": [f"group:{g}" for g in group_ids], "limit": limit}
        rows = await self._connection.execute(_PAGE, parameters)
        page = [handoff_of_row(row) for row in rows]
        total = (await self._connection.execute(_COUNT, parameters)).scalar_one()
        return page, int(total)
