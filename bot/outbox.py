"""The outbox worker: delivers queued Slack writes in order per channel, and never drops one.

Retries live here and only here: a 429 waits the Retry-After Slack gave for that channel, 5xx answers and
connection errors back off exponentially, Slack's definite refusals are kept as failed rows. Several replicas
can run a worker against one PostgreSQL database: rows are leased with FOR UPDATE SKIP LOCKED.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.client import SLACK_TIMEOUT
from bot.metrics import Metrics
from handlers.delivery_errors import (
    InternalPostRefused,
    Permanent,
    RateLimited,
    Transient,
    WorkspaceRefused,
    attempt_note,
)
from handlers.notifier import Notifier
from routing.models import OutboxItem
from routing.ports import Store

logger = logging.getLogger(__name__)

MAX_BACKOFF = 300.0
# How long the worker waits after a failed claim (the database is down or restarting) before it tries again.
ERROR_PAUSE = 0.5


def backoff(attempts: int) -> float:
    """Seconds to wait after the `attempts`-th failed try: 0.5, 1, 2, 4… up to five minutes, with jitter."""
    base = min(MAX_BACKOFF, 0.5 * 2 ** max(0, attempts - 1))
    return base * random.uniform(0.8, 1.2)


@dataclass(frozen=True, slots=True)
class _Lease:
    """A claim's lease on its rows: when it ends, and until when a lane may start sending another row."""

    until: datetime
    send_before: datetime


class OutboxWorker:
    """Claims due rows, hands each to the notifier, and records the outcome."""

    def __init__(
        self,
        *,
        store: Store,
        notifier: Notifier,
        delivered: Callable[[Sequence[tuple[OutboxItem, dict[str, Any]]]], Awaitable[int]],
        clock: Callable[[], datetime],
        batch: int = 50,
        per_channel: int = 20,
        lease: timedelta = timedelta(seconds=60),
        idle_seconds: float = 5.0,
        in_flight: timedelta = timedelta(seconds=SLACK_TIMEOUT),
        metrics: Metrics | None = None,
    ) -> None:
        """`idle_seconds`: how often an idle worker looks for due rows nobody told it about (another replica's
        that its own worker left, a lease that ran out). This process's rows wake it at once (`wake`), and the
        rows it put off itself it looks for when they come due.

        `in_flight`: how long a Slack call the worker stopped waiting for may still take effect at Slack (the
        client's timeout); a row given up on that way is tried again only after it, so that the next try's
        look-up (by the post's metadata) sees the post if it landed after all."""
        self._store = store
        self._notifier = notifier
        self._delivered = delivered  # marks rows delivered (and records cards' places) in one transaction;
        # it returns how many rows that queued (a posted card's warm message)
        self._clock = clock
        self._batch = batch
        self._per_channel = per_channel
        self._lease = lease
        self._in_flight = in_flight
        self._idle = idle_seconds
        self._wake = asyncio.Event()
        self._metrics = metrics
        self._more = False  # the last claim may have left due rows behind: claim again at once
        self._retry_at: datetime | None = None  # when the earliest row this worker put off comes due

    def wake(self) -> None:
        """Look for work now (the service calls this after committing outbox rows)."""
        self._wake.set()

    async def run(self) -> None:
        """Deliver until cancelled; a database outage pauses delivery, it does not stop the worker."""
        while True:
            # Rows committed before this point are seen by the claim below; a wake from now on may be for
            # rows it does not see, and makes the next wait return at once.
            self._wake.clear()
            try:
                await self.deliver_due()
                pause = 0.0 if self._more else self._pause()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("outbox sweep failed; retrying shortly")
                self._count("sweep")
                pause = ERROR_PAUSE
            if pause <= 0:
                continue
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=pause)
            except TimeoutError:
                pass

    def _pause(self) -> float:
        """Seconds to wait for a wake: until a row this worker put off comes due, at most `idle_seconds`."""
        if self._retry_at is None:
            return self._idle
        return max(0.0, min(self._idle, (self._retry_at - self._clock()).total_seconds()))

    async def deliver_due(self) -> int:
        """Claim due rows (a run of rows per channel) and deliver them, channels concurrently; how many."""
        claimed_at = self._clock()
        if self._retry_at is not None and self._retry_at <= claimed_at:
            self._retry_at = None  # due now: this claim takes it
        async with self._store.transaction() as tx:
            items = await tx.outbox.claim_due(
                now=claimed_at, limit=self._batch, lease=self._lease, per_channel=self._per_channel
            )
        lanes: dict[str, list[OutboxItem]] = {}
        for item in items:
            lanes.setdefault(item.channel_key, []).append(item)
        # A full claim, or a channel's full run, may have left due rows behind it.
        self._more = len(items) >= self._batch or any(
            len(lane) >= self._per_channel for lane in lanes.values()
        )
        lease = _Lease(until=claimed_at + self._lease, send_before=claimed_at + self._lease / 3)
        # Every lane's deliveries are recorded in one transaction once all lanes are done, not one per lane:
        # at low rates a claim is typically a new card and its warm message, two lanes. No lane waits on
        # another's record: everything about one card is in its own lane (`card_key`). A lane ends within a
        # third of the lease, so its rows are recorded long before another worker could claim them again.
        unrecorded: list[tuple[OutboxItem, dict[str, Any]]] = []
        try:
            # Cancelled (shutting down), gather still waits for every lane to end before this unwinds.
            outcomes = await asyncio.gather(
                *(self._deliver_lane(lane, lease, unrecorded) for lane in lanes.values()),
                return_exceptions=True,
            )
        finally:
            await self._record(unrecorded)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        return len(items)

    async def _deliver_lane(
        self, lane: list[OutboxItem], lease: _Lease, unrecorded: list[tuple[OutboxItem, dict[str, Any]]]
    ) -> None:
        """One channel's run, in order. Its deliveries go into `unrecorded`, for the caller to record with the
        other lanes' (one transaction), except that a row whose handoff had a card posted earlier in the run
        waits until the card's place is recorded. The first row that fails stops the run, and so does running
        out of time (a third of the lease, so that a slow Slack can't outlast it and let another worker take
        the run too): what was delivered is recorded and the rows behind are given back untried."""
        done: list[tuple[OutboxItem, dict[str, Any]]] = []
        try:
            for position, item in enumerate(lane):
                if position and self._clock() >= lease.send_before:
                    await self._record(done)
                    await self._give_back(lane[position:], lease)
                    return
                if any(
                    earlier.handoff_id == item.handoff_id and "card" in result for earlier, result in done
                ):
                    await self._record(done)
                result = await self._deliver(item, lease)
                if result is None:
                    await self._record(done)
                    await self._give_back(lane[position + 1 :], lease)
                    return
                done.append((item, result))
        finally:
            unrecorded.extend(done)

    async def _record(self, done: list[tuple[OutboxItem, dict[str, Any]]]) -> None:
        if done:
            if await self._delivered(list(done)):
                self._more = True  # it queued rows (a posted card's warm message): claim again at once
            done.clear()

    async def _give_back(self, items: list[OutboxItem], lease: _Lease) -> None:
        if items:
            self._more = True  # due again at once
            async with self._store.transaction() as tx:
                await tx.outbox.release(
                    item_ids=[item.id for item in items if item.id is not None], leased_until=lease.until
                )

    async def _deliver(self, item: OutboxItem, lease: _Lease) -> dict[str, Any] | None:
        """Send one row: its result, or None after rescheduling or failing it.

        A row's calls to Slack (a guard, a look-up, the post…) must end before its lease does: once it
        ends another worker may take the row and post it again. So the worker stops waiting a sixth of the
        lease before, and treats the row as maybe sent: tried again after `in_flight`, look-up first."""
        assert item.id is not None
        stop_at = lease.until - self._lease / 6
        try:
            async with asyncio.timeout((stop_at - self._clock()).total_seconds()):
                return await self._notifier.deliver(item)
        except TimeoutError:
            self._count("ambiguous")
            wait = max(backoff(item.attempts), self._in_flight.total_seconds())
            await self._retry(
                item, lease, wait, "ambiguous: Slack had not answered when its lease was ending"
            )
        except RateLimited as limited:
            self._count("ratelimited")
            await self._retry(
                item, lease, limited.retry_after, f"ratelimited: retry after {limited.retry_after:g}s"
            )
        except WorkspaceRefused as error:
            logger.error(
                "Slack refused Baton's token or app (%s): outbox row %s waits until that is fixed"
                " (reinstall the app, or check its token and scopes)",
                error.code,
                item.id,
            )
            self._count("workspace")
            await self._retry(item, lease, backoff(item.attempts), f"workspace: {error}")
        except Transient as error:
            kind = "ambiguous" if error.ambiguous else "transient"
            self._count(kind)
            await self._retry(item, lease, backoff(item.attempts), f"{kind}: {error}")
        except InternalPostRefused as error:
            logger.error("outbox row %s refused: %s", item.id, error)
            self._count("refused")
            await self._fail(item, lease, f"refused: {error}")
        except Permanent as error:
            logger.warning("outbox row %s (%s) failed for good: %s", item.id, item.method, error)
            self._count("permanent")
            await self._fail(item, lease, str(error))
        except Exception as error:  # a bug or the database: keep the row and try again later
            logger.exception("outbox row %s (%s) raised", item.id, item.method)
            self._count("error")
            await self._retry(item, lease, backoff(item.attempts), f"error: {type(error).__name__}: {error}")
        return None

    def _count(self, kind: str) -> None:
        if self._metrics is not None:
            self._metrics.delivery_failed(kind)

    async def _retry(self, item: OutboxItem, lease: _Lease, delay: float, error: str) -> None:
        assert item.id is not None
        logger.info("outbox row %s (%s) retries in %.1fs: %s", item.id, item.method, delay, error)
        available_at = self._clock() + timedelta(seconds=delay)
        # The attempt it failed at: whether the next try must first look for a post this one made (see
        # handlers/notifier.py `_already_posted`) depends on how the latest attempt failed.
        recorded = f"{attempt_note(item)}{error}"[:500]
        async with self._store.transaction() as tx:
            await tx.outbox.reschedule(
                item_id=item.id, available_at=available_at, error=recorded, held_until=lease.until
            )
        if self._retry_at is None or available_at < self._retry_at:
            self._retry_at = available_at

    async def _fail(self, item: OutboxItem, lease: _Lease, error: str) -> None:
        assert item.id is not None
        async with self._store.transaction() as tx:
            await tx.outbox.mark_failed(
                item_id=item.id, at=self._clock(), error=error[:500], held_until=lease.until
            )
