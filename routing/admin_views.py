"""What the read-only `/baton` commands show: rules, escalation types, routes, channels, admins, audit.

Slack mrkdwn, a line per item; the App Home can show the same lines.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from routing.config import BatonConfig, config_to_data
from routing.config_edits import describe_target
from routing.models import Admin, AuditEntry, WatchedChannel
from routing.routes import target_to_data
from routing.rules import TriggerRule
from routing.sla import SlaPolicy

MAX_SHOWN = 60  # characters of a value shown in a list or a diff


def rules_lines(config: BatonConfig) -> str:
    """Every rule: on or off, kind, threshold, escalation type, how many admin words."""
    lines = ["*Trigger rules* (`/baton rules show <rule>` for one in full)"]
    for rule in config.rules.rules:
        state = "on" if rule.enabled else "*off*"
        extra = len(rule.keywords) + len(rule.phrases) + len(rule.patterns)
        words = f", {extra} custom words/phrases/regexes" if extra else ""
        measure, etype = _rule_measure(rule), rule.escalation_type
        lines.append(f"• `{rule.id}` ({rule.kind.value}) {state}: {measure} → `{etype}`{words}")
    return "\n".join(lines)


def rule_lines(config: BatonConfig, rule_id: str) -> str:
    """One rule with every setting."""
    data = next(r for r in config_to_data(config)["triggers"] if r["id"] == rule_id)
    lines = [f"*Rule `{rule_id}`*"]
    for key, value in data.items():
        if key != "id":
            lines.append(f"• {key}: {_short(value)}")
    return "\n".join(lines)


def types_lines(config: BatonConfig) -> str:
    """Every escalation type: urgency, SLA, where its cards go, the customer message."""
    lines = ["*Escalation types* (precedence order)"]
    for etype in config.rules.escalation_types:
        message = config.handoffs.warm_messages.get(etype.name, "")
        lines.append(
            f"• `{etype.name}`: {etype.urgency.value}, {_sla(config.policy(etype.name))}, "
            f"{_type_routes(config, etype.name)}; customer message: {_short(message) if message else 'none'}"
        )
    return "\n".join(lines)


def _type_routes(config: BatonConfig, name: str) -> str:
    """Where a type's cards go: the routes that can take it, in order, each with what else it needs (tiers,
    channels), up to the first that takes every such card, else the default."""
    parts = []
    for route in config.routing.routes:
        if route.escalation_types and name not in route.escalation_types:
            continue
        needs = [f"{label} {', '.join(values)}" for label, values in (("tiers", route.tiers),
                 ("channels", route.channels)) if values]  # fmt: skip
        where = describe_target(target_to_data(route.target))
        parts.append(f"route `{route.id}`" + (f" ({'; '.join(needs)})" if needs else "") + f" → {where}")
        if not needs:
            return "; else ".join(parts)
    default = config.routing.default
    parts.append(f"route `default` → {describe_target(None if default is None else target_to_data(default))}")
    return "; else ".join(parts)


def routes_lines(config: BatonConfig) -> str:
    """The routes in order and the default."""
    lines = ["*Routes* (first match wins)"]
    for index, route in enumerate(config.routing.routes, start=1):
        match = [
            f"{label} {', '.join(values)}"
            for label, values in (
                ("types", route.escalation_types),
                ("tiers", route.tiers),
                ("channels", route.channels),
            )
            if values
        ]
        when = "; ".join(match) or "everything"
        lines.append(f"{index}. `{route.id}`: {when} → {describe_target(target_to_data(route.target))}")
    if not config.routing.routes:
        lines.append("No routes.")
    default = config.routing.default
    lines.append(f"Default: {describe_target(None if default is None else target_to_data(default))}")
    return "\n".join(lines)


def channel_line(channel: WatchedChannel) -> str:
    """A channel and its account in one line."""
    account = channel.account
    parts = [
        f"account {account.name or '-'}",
        f"tier {account.tier or '-'}",
        f"value {account.value:,.0f}",
        f"owner <@{account.owner_user_id}>" if account.owner_user_id else "no owner",
        "AI agent " + " ".join(_bot(b) for b in channel.ai_bot_ids) if channel.ai_bot_ids else "no AI agent",
    ]
    if account.timezone:
        parts.append(f"time zone {account.timezone}")
    if channel.unanswered_minutes is not None:
        parts.append(f"unanswered after {channel.unanswered_minutes} min")
    state = "" if channel.watched else " _(not watched)_"
    shared = " (Slack Connect)" if channel.is_shared else ""
    return f"• <#{channel.channel_id}>{shared}{state}: " + ", ".join(parts)


def channels_lines(channels: Sequence[WatchedChannel]) -> str:
    """The watched channels."""
    watched = [c for c in channels if c.watched]
    if not watched:
        return (
            "Baton watches no channel yet: invite it to a Slack Connect channel, or `/baton channel watch`."
        )
    return "\n".join(["*Watched channels*", *(channel_line(c) for c in watched)])


def admins_lines(admins: Sequence[Admin]) -> str:
    """The named admins."""
    lines = ["*Baton admins*: workspace admins and owners, and"]
    lines += [f"• <@{a.user_id}> (added by <@{a.added_by}> on {a.added_at:%Y-%m-%d})" for a in admins]
    if not admins:
        lines[0] += " nobody else yet (`/baton admins add @someone`)."
    return "\n".join(lines)


def audit_lines(entries: Sequence[AuditEntry]) -> str:
    """The newest audit entries with what changed."""
    if not entries:
        return "No configuration changes yet."
    lines = ["*Latest changes* (newest first)"]
    for entry in entries:
        who = f"<@{entry.actor_id}>" if entry.actor_id.startswith(("U", "W")) else entry.actor_id or "?"
        lines.append(
            f"• {entry.at:%Y-%m-%d %H:%M} UTC {who} ({entry.source.value}) `{entry.action}` "
            f"`{entry.target}`: {diff(entry.before, entry.after)}"
        )
    return "\n".join(lines)


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> str:
    """What changed between two states, field by field (at most a few fields)."""
    if before is None:
        return "added"
    if after is None:
        return "removed"
    before, after = _flat(before), _flat(after)
    changed = [key for key in dict.fromkeys([*before, *after]) if before.get(key) != after.get(key)]
    if not changed:
        return "no difference"
    shown = [f"{key} {_short(before.get(key))} → {_short(after.get(key))}" for key in changed[:4]]
    more = f" and {len(changed) - 4} more" if len(changed) > 4 else ""
    return "; ".join(shown) + more


def _flat(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mappings as dotted keys (`account.value`), so a diff names the field that changed."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict) and value:
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _rule_measure(rule: TriggerRule) -> str:
    if rule.kind.value == "unanswered":
        return f"after {rule.after_minutes} min"
    if rule.kind.value == "low_confidence":
        return f"confidence under {rule.threshold:g}"
    return f"threshold {rule.threshold:g}"


def _sla(policy: SlaPolicy) -> str:
    clock = "business hours" if policy.hours else "24×7"
    resolve = f", resolve within {policy.resolve_within_minutes} min" if policy.resolve_within_minutes else ""
    return f"claim within {policy.claim_within_minutes} min ({clock}){resolve}"


def _bot(bot_id: str) -> str:
    return f"<@{bot_id}>" if bot_id.startswith(("U", "W")) else f"`{bot_id}`"


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = text.replace("`", "'").replace("\n", " ")
    return f"`{text[:MAX_SHOWN]}…`" if len(text) > MAX_SHOWN else f"`{text}`"
