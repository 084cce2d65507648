"""The scheduler ticker: one APScheduler interval job per replica, calling the service's sweep.

Every replica runs it; the sweep itself makes that safe (due rows are locked with SKIP LOCKED on PostgreSQL,
updates are compare-and-set, a step re-checks state), so no leader election is needed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

logger = logging.getLogger(__name__)


def build_scheduler(
    sweep: Callable[[], Awaitable[object]],
    *,
    every: timedelta,
    refresh_config: Callable[[], Awaitable[object]] | None = None,
) -> AsyncIOScheduler:
    """A scheduler that runs `sweep` every `every`; a late or slow tick coalesces instead of piling up.

    `refresh_config` runs on the same beat: it picks up configuration changes another replica stored.
    """
    scheduler = AsyncIOScheduler(timezone="UTC")
    if refresh_config is not None:
        scheduler.add_job(
            _logged(refresh_config, "configuration refresh"),
            "interval",
            seconds=every.total_seconds(),
            id="baton-config",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
        )
    scheduler.add_job(
        _logged(sweep),
        "interval",
        seconds=every.total_seconds(),
        id="baton-sweep",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=None,
    )
    return scheduler


def _logged(sweep: Callable[[], Awaitable[object]], what: str = "SLA sweep") -> Callable[[], Awaitable[None]]:
    async def tick() -> None:
        try:
            report = await sweep()
        except Exception:  # the next tick tries again; the scheduler must never stop
            logger.exception("%s failed", what)
            return
        if report:
            logger.debug("%s: %s", what, report)

    return tick
