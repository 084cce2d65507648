"""`/baton test <text>`: what Baton would decide for a customer message, storing and posting nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from routing.config import BatonConfig
from routing.decision import Decision
from routing.models import Account, AuthorKind, MessageFacts, WatchedChannel
from routing.routes import resolve
from routing.triggers.engine import decide


@dataclass(frozen=True, slots=True)
class DryRun:
    """The decision for a test message, and where its card would go."""

    decision: Decision
    route_id: str | None = None
    destination: str | None = None  # e.g. "channel:C0TRIAGE", "owner:U0REP", "group:S0SUPPORT"

    def describe(self) -> str:
        """A few lines of Slack mrkdwn for the person who asked."""
        decision = self.decision
        if not decision.escalate:
            why = "; ".join(decision.notes) if decision.notes else "no trigger fired"
            return f"*No handoff*: the AI would keep this conversation ({why})."
        urgency = decision.urgency.value if decision.urgency else "-"
        lines = [f"*Handoff*: `{decision.escalation_type}`, urgency *{urgency}*"]
        lines += [
            f"• `{hit.kind.value}` ({hit.score:.0%}, rule `{hit.rule_id}`): {hit.explanation}"
            for hit in decision.hits
        ]
        if self.destination:
            lines.append(f"Route `{self.route_id}` → {_target_words(self.destination)}")
        else:
            lines.append("No route matches and there is no default: the handoff would get no card.")
        return "\n".join(lines)


def dry_run(text: str, *, config: BatonConfig, channel: WatchedChannel | None, now: datetime) -> DryRun:
    """Decide on `text` as if a customer had written it in `channel` (or anywhere, with no account)."""
    channel_id = channel.channel_id if channel else "C-test"
    account = channel.account if channel else Account()
    facts = MessageFacts(
        channel_id=channel_id,
        ts="0.0",
        thread_ts="0.0",
        author_id="",
        author_team="",
        author_kind=AuthorKind.CUSTOMER,
        text=text,
        received_at=now,
    )
    decision = decide(facts, history=(), rules=config.rules, account=account if channel else None, now=now)
    if not decision.escalate or decision.escalation_type is None:
        return DryRun(decision)
    route_id, target = config.routing.choose(
        escalation_type=decision.escalation_type, account=account, channel_id=channel_id
    )
    if target is None:
        return DryRun(decision, route_id)
    return DryRun(decision, route_id, resolve(target, account=account).label)


def _target_words(label: str) -> str:
    kind, _, rest = label.partition(":")
    words = {
        "channel": f"<#{rest}>",
        "user": f"a DM to <@{rest}>",
        "owner": f"the account owner <@{rest}>",
        "group": f"a member of <!subteam^{rest}>",
    }
    return words.get(kind, label)
