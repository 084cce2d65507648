"""Stats and calibration advice for a period: the use case behind `/baton stats` and `baton report`.

Mixed into BatonService. The rows come from one read-only transaction; the replays behind the advice are
CPU work and run in a worker thread, so the event loop keeps serving Slack meanwhile.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from routing import calibration
from routing.config import BatonConfig
from routing.models import Account, StoredMessage
from routing.ports import Store
from routing.rules import RuleSet
from routing.stats import Advice, EscalationStats, HandoffFacts, summarize


class Reporting:
    """Escalation health over a period, from stored messages and the handoff event log."""

    config: BatonConfig
    _store: Store
    _clock: Callable[[], datetime]

    async def stats(self, *, since: datetime, until: datetime, advise: bool = True) -> EscalationStats:
        """Handoffs opened and customer messages received in [since, until); with `advise`, replay-backed
        threshold suggestions.

        Retention deletes messages after `retention.message_days`: a period reaching further back is cut to
        what is kept (handoffs too, so the rate compares like with like), and a note says so. That includes
        what a shorter setting in force earlier deleted: the figures start after it.
        """
        kept = self.config.retention.messages
        cut: tuple[str, ...] = ()
        now = self._clock()
        if kept is not None and since < now - kept:
            since = min(now - kept, until)
            days = self.config.retention.message_days
            cut = (
                f"Messages are kept {days} day{'s' if days != 1 else ''} (retention): the figures start at "
                f"{since:%Y-%m-%d %H:%M} UTC.",
            )
        async with self._store.transaction(readonly=True) as tx:
            deleted_before = _deleted_before(await tx.config_versions.message_retention())
        if deleted_before is not None and since < deleted_before:
            since = min(deleted_before, until)
            cut = (
                "An earlier, shorter retention setting deleted the messages before "
                f"{since:%Y-%m-%d %H:%M} UTC: the figures start there.",
            )
        stats = await self._stats(since=since, until=until, advise=advise)
        return replace(stats, notes=cut + stats.notes) if cut else stats

    async def _stats(self, *, since: datetime, until: datetime, advise: bool) -> EscalationStats:
        rules = self.config.rules
        async with self._store.transaction(readonly=True) as tx:
            counts = await tx.stats.customer_messages(since=since, until=until)
            handoffs = await tx.stats.handoffs_opened(since=since, until=until)
            channels = await tx.channels.list(watched_only=False)
            names = {c.channel_id: c.account.name or c.name for c in channels}
            accounts = {c.channel_id: c.account for c in channels}
            base = summarize(
                since=since, until=until, messages_by_channel=counts, handoffs=handoffs, channel_names=names
            )
            if not advise:
                return base
            needs = calibration.needs(base, handoffs, rules)
            sample: list[StoredMessage] = []
            if needs.band is not None:
                sample = await tx.stats.customer_message_sample(
                    since=since, until=until, limit=calibration.MAX_REPLAYED
                )
            keys = list(dict.fromkeys([*needs.threads, *((m.channel_id, m.thread_ts) for m in sample)]))
            threads = await tx.stats.thread_messages(threads=keys, until=until) if keys else {}
        capped = base.overall.messages > len(sample) if sample else False
        advice = await asyncio.to_thread(
            _advise, base, needs, sample, threads, accounts, rules, capped=capped
        )
        notes: tuple[str, ...] = ()
        if capped:
            notes = (
                f"The rate advice replayed the first {len(sample):,} of {base.overall.messages:,} customer "
                "messages of the period.",
            )
        if len(needs.handoffs) >= calibration.MAX_REPLAYED:
            notes += (f"The trigger advice replayed the first {calibration.MAX_REPLAYED:,} handoffs.",)
        return replace(base, advice=tuple(advice), notes=notes)


def _advise(
    stats: EscalationStats,
    needs: calibration.Needs,
    sample: Sequence[StoredMessage],
    threads: dict[tuple[str, str], list[StoredMessage]],
    accounts: dict[str, Account],
    rules: RuleSet,
    *,
    capped: bool,
) -> list[Advice]:
    advice: list[Advice] = []
    handoffs: Sequence[HandoffFacts] = needs.handoffs
    for rule in needs.rules:
        found = calibration.trigger_advice(
            rule, stats=stats, handoffs=handoffs, threads=threads, accounts=accounts, rules=rules
        )
        if found is not None:
            advice.append(found)
    if needs.band is not None:
        advice += calibration.band_advice(
            stats=stats, sample=sample, threads=threads, accounts=accounts, rules=rules, capped=capped
        )
    return advice


def _deleted_before(history: list[tuple[datetime, int]]) -> datetime | None:
    """The latest instant before which retention may have deleted messages under an earlier setting
    (`history`: when each configuration version was stored, and its message_days; 0 kept them). While a
    version was in force, up to when the next one was stored, it deleted what was older than its days. None
    if no earlier version deleted anything (the one in force is the caller's to apply)."""
    horizons = [
        following - timedelta(days=days)
        for (_, days), (following, _) in zip(history, history[1:], strict=False)
        if days
    ]
    return max(horizons, default=None)
