"""What listeners report for metrics, through an interface the composition root implements.

The adapter stays free of any metrics library: bot/ puts an implementation into every request's context.
"""

from __future__ import annotations

from typing import Protocol

from slack_bolt.async_app import AsyncBoltContext

from routing.service import IntakeResult

TELEMETRY = "baton_telemetry"


class Telemetry(Protocol):
    """Counts what the listeners saw."""

    def message_handled(self, result: IntakeResult) -> None:
        """One message event went through intake (stored, a duplicate, opened a handoff…)."""
        ...


def report_message(context: AsyncBoltContext, result: IntakeResult) -> None:
    """Tell the request's telemetry, if there is one, what became of a message event."""
    telemetry: Telemetry | None = context.get(TELEMETRY)
    if telemetry is not None:
        telemetry.message_handled(result)
