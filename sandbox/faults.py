"""Fault injection: make the next N calls of a Web API method fail in a chosen way."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FaultKind = Literal["error", "http_500", "drop", "drop_after", "ratelimit", "slow"]
FAULT_KINDS: tuple[str, ...] = ("error", "http_500", "drop", "drop_after", "ratelimit", "slow")


@dataclass
class Fault:
    """One armed fault; `remaining` counts down on each matching call."""

    method: str
    kind: FaultKind
    remaining: int
    error: str = "internal_error"
    status: int = 500
    retry_after: int = 1
    delay: float = 1.0


class Faults:
    """Armed faults, consumed first-in first-out per method."""

    def __init__(self) -> None:
        self._armed: list[Fault] = []

    def inject(
        self,
        method: str,
        count: int = 1,
        kind: FaultKind = "error",
        *,
        error: str = "internal_error",
        status: int = 500,
        retry_after: int = 1,
        delay: float = 1.0,
    ) -> Fault:
        """Fail the next `count` calls of `method`.

        kinds: "error" (HTTP 200, ok:false, `error`), "http_500" (HTTP `status`, any 5xx), "drop" (close the
        connection without answering), "drop_after" (do what the call asks, then close the connection
        without answering: the caller can't know it worked), "ratelimit" (HTTP 429, Retry-After
        `retry_after`), "slow" (sleep `delay` seconds, then answer normally).
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {FAULT_KINDS}")
        if kind == "http_500" and not 500 <= status <= 599:
            raise ValueError("http_500 faults need a 5xx status")
        if count < 1:
            raise ValueError("count must be at least 1")
        fault = Fault(method, kind, count, error, status, max(1, retry_after), delay)
        self._armed.append(fault)
        return fault

    def take(self, method: str) -> Fault | None:
        """The fault to apply to this call of method, if any (counts it down)."""
        for fault in self._armed:
            if fault.method == method and fault.remaining > 0:
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._armed.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        """Disarm every fault."""
        self._armed.clear()

    @property
    def pending(self) -> list[Fault]:
        """Faults still armed."""
        return list(self._armed)
