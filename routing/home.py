"""What the App Home shows: a rep's queue of live handoffs, and which user groups count as theirs.

Mixed into BatonService; read only (nothing here changes state).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from routing.config import BatonConfig
from routing.models import Handoff
from routing.ports import Store
from routing.routes import Target, TargetKind


@dataclass(frozen=True, slots=True)
class MyQueue:
    """The first handoffs of someone's queue (most urgent, then newest first) and how many there are."""

    handoffs: list[Handoff] = field(default_factory=list)
    total: int = 0

    @property
    def hidden(self) -> int:
        return max(self.total - len(self.handoffs), 0)


class HomeQueries:
    """Read-only queries behind the App Home."""

    config: BatonConfig
    _store: Store
    _clock: Callable[[], datetime]

    async def my_queue(self, *, user_id: str, group_ids: Sequence[str], limit: int) -> MyQueue:
        """Live handoffs claimed by the user, or unclaimed and routed to them or to one of their groups."""
        async with self._store.transaction(readonly=True) as tx:
            handoffs, total = await tx.queue.mine(user_id=user_id, group_ids=list(group_ids), limit=limit)
        return MyQueue(handoffs, total)

    def routed_groups(self) -> list[str]:
        """The user groups the routes send handoffs to (fallbacks and the default included), in order."""
        routing = self.config.routing
        targets = [route.target for route in routing.routes]
        if routing.default is not None:
            targets.append(routing.default)
        return list(
            dict.fromkeys(t.id for target in targets for t in _chain(target) if t.kind is TargetKind.GROUP)
        )


def _chain(target: Target) -> Iterator[Target]:
    current: Target | None = target
    while current is not None:
        yield current
        current = current.fallback
