"""Per-channel token-bucket rate limiting for message-writing methods."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

RATE_LIMITED_METHODS = frozenset({"chat.postMessage", "chat.update", "chat.postEphemeral"})


@dataclass(frozen=True)
class RateLimit:
    """A token bucket: `burst` calls at once, refilled at `per_second` calls per second."""

    per_second: float = 1.0
    burst: int = 3


class RateLimiter:
    """One bucket per channel; `None` limit means unlimited (the default)."""

    def __init__(self, limit: RateLimit | None = None, now: Callable[[], float] = time.monotonic) -> None:
        self._now = now
        self._limit = limit
        self._buckets: dict[str, tuple[float, float]] = {}

    @property
    def limit(self) -> RateLimit | None:
        """The current limit."""
        return self._limit

    @limit.setter
    def limit(self, value: RateLimit | None) -> None:
        self._limit = value
        self._buckets.clear()

    def check(self, key: str) -> int | None:
        """Take one token for key; None if allowed, else the Retry-After seconds (at least 1)."""
        if self._limit is None:
            return None
        now = self._now()
        tokens, last = self._buckets.get(key, (float(self._limit.burst), now))
        tokens = min(float(self._limit.burst), tokens + (now - last) * self._limit.per_second)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            return None
        self._buckets[key] = (tokens, now)
        wait = (1.0 - tokens) / self._limit.per_second if self._limit.per_second > 0 else 60.0
        return max(1, math.ceil(wait))
