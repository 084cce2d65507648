"""Baton's whole configuration as data: trigger rules, routes and handoff behaviour, validated together."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from string import Formatter
from typing import Any

from routing.routes import Route, RoutingTable, Strategy, Target, TargetKind, target_to_data
from routing.rules import RulesError, RuleSet, default_rules, parse_rules, rules_to_data
from routing.sla import DEFAULT_POLICIES, SlaPolicy, policy_from_data, policy_to_data

WARM_MESSAGES: dict[str, str] = {
    "upset_customer": "I'm sorry this has been frustrating. I'm bringing in someone from our team right now "
    "to sort it out with you, here in this thread.",
    "human_request": "Of course. I'm connecting you with a member of our team; they'll pick it up right here "
    "in this thread.",
    "sales_opportunity": "I'll connect you with our pricing specialist who can help with custom "
    "arrangements.",
    "complex_question": "This one deserves a specialist's eye. I've asked a member of our team to follow up "
    "here today.",
    "uncertain_ai": "I want to be sure you get the right answer, so I've asked a colleague to double-check "
    "this for you.",
}
CLAIM_MESSAGE = "{rep} from our team is taking it from here."


@dataclass(frozen=True, slots=True)
class HandoffSettings:
    """How handoffs behave: the customer-facing words, cooldown, card size, snooze choices."""

    warm_messages: Mapping[str, str] = field(default_factory=lambda: dict(WARM_MESSAGES))  # "" or absent: off
    claim_message: str = CLAIM_MESSAGE  # "" turns it off; {rep} is the rep's mention (the only placeholder)
    cooldown_minutes: int = 30  # after a resolve or dismiss, no new handoff for the conversation this long
    card_history: int = 8  # conversation messages shown on a card
    snooze_minutes: tuple[int, ...] = (30, 60, 240, 24 * 60)

    @property
    def cooldown(self) -> timedelta:
        return timedelta(minutes=self.cooldown_minutes)


@dataclass(frozen=True, slots=True)
class Retention:
    """How long Baton keeps what it stores besides handoffs (0: for ever). Handoffs, their events, the audit
    log and configuration versions are the record and are always kept."""

    message_days: int = 90  # customer, agent and AI messages (and their conversations)
    delivery_days: int = 30  # Slack writes delivered (or given up on) by the outbox

    @property
    def messages(self) -> timedelta | None:
        return timedelta(days=self.message_days) if self.message_days else None

    @property
    def deliveries(self) -> timedelta | None:
        return timedelta(days=self.delivery_days) if self.delivery_days else None


@dataclass(frozen=True, slots=True)
class BatonConfig:
    """Everything an admin configures."""

    rules: RuleSet = field(default_factory=default_rules)
    routing: RoutingTable = field(default_factory=RoutingTable)
    handoffs: HandoffSettings = field(default_factory=HandoffSettings)
    sla: Mapping[str, SlaPolicy] = field(default_factory=lambda: dict(DEFAULT_POLICIES))
    retention: Retention = field(default_factory=Retention)

    def policy(self, escalation_type: str) -> SlaPolicy:
        """The SLA of an escalation type (a type without one gets routine review's 24 hours)."""
        return self.sla.get(escalation_type) or DEFAULT_POLICIES["routine_review"]


def parse_config(data: Any, *, source: str) -> BatonConfig:
    """Validate a configuration mapping; errors name the source, the field and what is wrong."""
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise RulesError(source, "", f"expected a mapping at the top level, got {type(data).__name__}")
    _refuse_nul(data, source, "")
    rules_part = {k: v for k, v in data.items() if k not in ("routing", "handoffs", "sla", "retention")}
    rules = parse_rules(rules_part, source=source)
    type_names = {t.name for t in rules.escalation_types}
    return BatonConfig(
        rules=rules,
        routing=_parse_routing(data.get("routing"), source, type_names),
        handoffs=_parse_handoffs(data.get("handoffs"), source, type_names),
        sla=_parse_sla(data.get("sla"), source, type_names),
        retention=_parse_retention(data.get("retention"), source),
    )


def _refuse_nul(data: Any, source: str, path: str) -> None:
    """A NUL character anywhere is refused: no text of Baton's means one, and PostgreSQL can't store it."""
    if isinstance(data, str):
        if "\x00" in data:
            raise RulesError(source, path, "contains a NUL character (\\0), which can't be stored")
    elif isinstance(data, Mapping):
        for key, value in data.items():
            where = f"{path}.{key}" if path else str(key)
            _refuse_nul(key, source, where)
            _refuse_nul(value, source, where)
    elif isinstance(data, list):
        for index, item in enumerate(data):
            _refuse_nul(item, source, f"{path}[{index}]")


def config_to_data(config: BatonConfig) -> dict[str, Any]:
    """The whole configuration as plain data: parse_config(config_to_data(c)) == c."""
    data = rules_to_data(config.rules)
    routing = config.routing
    data["routing"] = {
        "routes": [
            {
                "id": r.id,
                "target": target_to_data(r.target),
                **({"escalation_types": list(r.escalation_types)} if r.escalation_types else {}),
                **({"tiers": list(r.tiers)} if r.tiers else {}),
                **({"channels": list(r.channels)} if r.channels else {}),
            }
            for r in routing.routes
        ],
        **({"default": target_to_data(routing.default)} if routing.default else {}),
    }
    data["sla"] = {name: policy_to_data(policy) for name, policy in config.sla.items()}
    h = config.handoffs
    data["handoffs"] = {
        "warm_messages": dict(h.warm_messages),
        "claim_message": h.claim_message,
        "cooldown_minutes": h.cooldown_minutes,
        "card_history": h.card_history,
        "snooze_minutes": list(h.snooze_minutes),
    }
    kept = config.retention
    data["retention"] = {"message_days": kept.message_days, "delivery_days": kept.delivery_days}
    return data


def _parse_routing(raw: Any, source: str, type_names: set[str]) -> RoutingTable:
    if raw is None:
        return RoutingTable()
    _mapping(raw, source, "routing", ("routes", "default"))
    routes: list[Route] = []
    seen: set[str] = set()
    for index, item in enumerate(raw.get("routes") or []):
        path = f"routing.routes[{index}]"
        _mapping(item, source, path, ("id", "target", "escalation_types", "tiers", "channels"))
        route_id = str(item.get("id") or f"route-{index + 1}")
        if route_id in seen:
            raise RulesError(source, f"{path}.id", f"duplicate route id {route_id!r}")
        seen.add(route_id)
        types = _strings(item.get("escalation_types"), source, f"{path}.escalation_types")
        unknown = [t for t in types if t not in type_names]
        if unknown:
            raise RulesError(source, f"{path}.escalation_types", f"unknown escalation type {unknown[0]!r}")
        if "target" not in item:
            raise RulesError(source, f"{path}.target", "a route needs a target")
        routes.append(
            Route(
                id=route_id,
                target=_target(item["target"], source, f"{path}.target"),
                escalation_types=types,
                tiers=tuple(t.lower() for t in _strings(item.get("tiers"), source, f"{path}.tiers")),
                channels=_channel_ids(item.get("channels"), source, f"{path}.channels"),
            )
        )
    default = raw.get("default")
    return RoutingTable(
        routes=tuple(routes), default=None if default is None else _target(default, source, "routing.default")
    )


def _target(raw: Any, source: str, path: str) -> Target:
    _mapping(raw, source, path, ("kind", "id", "channel", "strategy", "fallback"))
    try:
        kind = TargetKind(raw.get("kind"))
    except ValueError:
        choices = ", ".join(k.value for k in TargetKind)
        raise RulesError(
            source, f"{path}.kind", f"must be one of {choices}, got {raw.get('kind')!r}"
        ) from None
    target_id = str(raw.get("id") or "")
    if kind is not TargetKind.ACCOUNT_OWNER and not target_id:
        raise RulesError(source, f"{path}.id", f"a {kind.value} target needs an id")
    prefix = {TargetKind.USER: ("U", "W"), TargetKind.CHANNEL: ("C", "G"), TargetKind.GROUP: ("S",)}.get(kind)
    if prefix and not target_id.startswith(prefix):
        raise RulesError(source, f"{path}.id", f"{target_id!r} is not a Slack {kind.value} id")
    try:
        strategy = Strategy(raw.get("strategy") or Strategy.ROUND_ROBIN.value)
    except ValueError:
        raise RulesError(source, f"{path}.strategy", "must be round_robin or least_loaded") from None
    if raw.get("strategy") is not None and kind is not TargetKind.GROUP:
        # Only a group has members to choose among; kept on another target it would be lost when stored.
        raise RulesError(source, f"{path}.strategy", f"applies to group targets only, not to a {kind.value}")
    fallback = raw.get("fallback")
    if kind is TargetKind.ACCOUNT_OWNER and fallback is None:
        raise RulesError(source, f"{path}.fallback", "an account_owner target needs a fallback")
    channel = str(raw.get("channel") or "")
    if channel and not _CHANNEL_ID.fullmatch(channel):
        raise RulesError(source, f"{path}.channel", f"{channel!r} is not a Slack channel id")
    return Target(
        kind=kind,
        id=target_id,
        channel=channel,
        strategy=strategy,
        fallback=None if fallback is None else _target(fallback, source, f"{path}.fallback"),
    )


def _parse_handoffs(raw: Any, source: str, type_names: set[str]) -> HandoffSettings:
    defaults = HandoffSettings()
    # The defaults of the escalation types this configuration has (`extends: none` may have none of them).
    warm = {name: text for name, text in defaults.warm_messages.items() if name in type_names}
    base = replace(defaults, warm_messages=warm)
    if raw is None:
        return base
    allowed = (
        "warm_messages",
        "claim_message",
        "cooldown_minutes",
        "card_history",
        "snooze_minutes",
    )
    _mapping(raw, source, "handoffs", allowed)
    for name, text in _type_map(
        raw.get("warm_messages"), source, "handoffs.warm_messages", type_names
    ).items():
        if not isinstance(text, str) or len(text) > 1000:
            raise RulesError(
                source, f"handoffs.warm_messages.{name}", "must be text of at most 1000 characters"
            )
        if _PLACEHOLDER.search(text):
            raise RulesError(
                source,
                f"handoffs.warm_messages.{name}",
                "has no placeholders: it is sent before anyone claims ({rep} is for claim_message)",
            )
        warm[name] = text
    snooze = raw.get("snooze_minutes", list(base.snooze_minutes))
    if not isinstance(snooze, list) or not snooze or len(snooze) > 10:
        raise RulesError(source, "handoffs.snooze_minutes", "must be a list of 1 to 10 durations in minutes")
    claim_message = raw.get("claim_message", base.claim_message)
    if not isinstance(claim_message, str) or len(claim_message) > 1000:
        raise RulesError(source, "handoffs.claim_message", "must be text of at most 1000 characters")
    problem = _claim_message_problem(claim_message)
    if problem:
        raise RulesError(source, "handoffs.claim_message", problem)
    return replace(
        base,
        warm_messages=warm,
        claim_message=claim_message,
        cooldown_minutes=_int(
            raw.get("cooldown_minutes", base.cooldown_minutes),
            source,
            "handoffs.cooldown_minutes",
            low=0,
            high=7 * 24 * 60,
        ),
        card_history=_int(
            raw.get("card_history", base.card_history), source, "handoffs.card_history", low=1, high=20
        ),
        snooze_minutes=tuple(
            _int(m, source, f"handoffs.snooze_minutes[{i}]", low=1, high=30 * 24 * 60)
            for i, m in enumerate(snooze)
        ),
    )


def _parse_sla(raw: Any, source: str, type_names: set[str]) -> dict[str, SlaPolicy]:
    policies = {name: policy for name, policy in DEFAULT_POLICIES.items() if name in type_names}
    for name, data in _type_map(raw, source, "sla", type_names).items():
        # A field left out keeps the type's default (its business hours, its chain), not the field's.
        default = DEFAULT_POLICIES.get(name)
        if default is not None and isinstance(data, Mapping):
            merged = {**policy_to_data(default), **data}
            if merged.get("hours") is None and "same_business_day" not in data:
                merged["same_business_day"] = False  # around the clock: no business day to end with
            data = merged
        policies[name] = policy_from_data(data, source=source, path=f"sla.{name}")
    return policies


def _parse_retention(raw: Any, source: str) -> Retention:
    base = Retention()
    if raw is None:
        return base
    _mapping(raw, source, "retention", ("message_days", "delivery_days"))
    return Retention(
        message_days=_int(
            raw.get("message_days", base.message_days), source, "retention.message_days", low=0, high=36500
        ),
        delivery_days=_int(
            raw.get("delivery_days", base.delivery_days), source, "retention.delivery_days", low=0, high=36500
        ),
    )


def _mapping(raw: Any, source: str, path: str, allowed: tuple[str, ...]) -> None:
    if not isinstance(raw, Mapping):
        raise RulesError(source, path, f"expected a mapping, got {type(raw).__name__}")
    for key in raw:
        if key not in allowed:
            raise RulesError(source, f"{path}.{key}", f"unknown field; allowed: {', '.join(allowed)}")


def _type_map(raw: Any, source: str, path: str, type_names: set[str]) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise RulesError(source, path, "expected a mapping of escalation type to value")
    for name in raw:
        if name not in type_names:
            raise RulesError(source, f"{path}.{name}", "unknown escalation type")
    return dict(raw)


def _strings(raw: Any, source: str, path: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(item, str) and item for item in raw):
        raise RulesError(source, path, "expected a list of non-empty strings")
    return tuple(raw)


def _claim_message_problem(text: str) -> str | None:
    """What keeps `text.format(rep=...)` from working, or None ({{ and }} are literal braces)."""
    try:
        fields = [
            (name, spec, conversion)
            for _, name, spec, conversion in Formatter().parse(text)
            if name is not None
        ]
    except ValueError:
        return "a brace that is not part of {rep} must be doubled: {{ or }}"
    for name, spec, conversion in fields:
        if (name, spec, conversion) != ("rep", "", None):
            return f"{{rep}} (the rep's mention) is the only placeholder; {{{{{name}}}}} shows braces"
    return None


def upgraded(data: Any) -> Any:
    """A configuration stored by an earlier release, made valid where today's checks are stricter (what
    never worked is dropped: a route's channel that is not a channel id; a placeholder other than {rep} is
    kept as literal text; a non-finite number stored as null falls back to the default). Idempotent; the
    data is not changed in place."""
    if not isinstance(data, Mapping):
        return data
    data = copy.deepcopy(dict(data))
    routing = data.get("routing")
    if isinstance(routing, dict):
        for route in routing.get("routes") or []:
            if isinstance(route, dict):
                if isinstance(route.get("channels"), list):
                    route["channels"] = [
                        c for c in route["channels"] if isinstance(c, str) and _CHANNEL_ID.fullmatch(c)
                    ]
                _drop_bad_channel(route.get("target"))
        _drop_bad_channel(routing.get("default"))
    handoffs = data.get("handoffs")
    if isinstance(handoffs, dict) and isinstance(handoffs.get("claim_message"), str):
        handoffs["claim_message"] = _literal_braces(handoffs["claim_message"])
    warm = handoffs.get("warm_messages") if isinstance(handoffs, dict) else None
    if isinstance(warm, dict):
        for name, text in warm.items():
            while isinstance(text, str) and _PLACEHOLDER.search(text):  # sent as typed, braces too
                text = _PLACEHOLDER.sub(lambda m: _SAID_INSTEAD.get(m.group(1).strip(), m.group(1)), text)
            warm[name] = (
                text  # (until none is left: "{{team}}" reads "team", and a second pass changes nothing)
            )
    for trigger in data.get("triggers") or []:
        if isinstance(trigger, dict):
            for key in ("threshold", "min_account_value"):
                if key in trigger and trigger[key] is None:
                    del trigger[key]
    return data


def _drop_bad_channel(target: Any) -> None:
    if isinstance(target, dict):
        channel = target.get("channel")
        if isinstance(channel, str) and channel and not _CHANNEL_ID.fullmatch(channel):
            del target["channel"]
        _drop_bad_channel(target.get("fallback"))


_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_SAID_INSTEAD = {"rep": "someone from our team"}  # what a stored warm message's {rep} becomes


def _literal_braces(text: str) -> str:
    """`text` with every brace but those of {rep} made literal (doubled), unless it is valid already."""
    if _claim_message_problem(text) is None:
        return text
    try:
        parsed = list(Formatter().parse(text))
    except ValueError:  # a lone brace: every brace is literal
        return text.replace("{", "{{").replace("}", "}}").replace("{{rep}}", "{rep}")
    out = []
    for literal, name, spec, conversion in parsed:
        out.append(literal.replace("{", "{{").replace("}", "}}"))
        if name is None:
            continue
        if (name, spec, conversion) == ("rep", "", None):
            out.append("{rep}")
        else:
            field = name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            out.append("{{" + field + "}}")
    return "".join(out)


def _channel_ids(raw: Any, source: str, path: str) -> tuple[str, ...]:
    channels = _strings(raw, source, path)
    for index, channel in enumerate(channels):
        if not _CHANNEL_ID.fullmatch(channel):
            raise RulesError(source, f"{path}[{index}]", f"{channel!r} is not a Slack channel id")
    return channels


_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,}")


def _int(raw: Any, source: str, path: str, *, low: int, high: int) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= high:
        raise RulesError(source, path, f"expected a whole number from {low} to {high}, got {raw!r}")
    return raw
