"""Changes to the configuration as edits of its plain data (the `config_to_data` form).

Each edit changes a copy of the data in place and says what it touched (before and after, for the audit log);
the caller then validates the whole result with `parse_config`, so an edit never needs its own copy of the
rules about what a valid configuration is. Arguments that can't mean anything raise UsageError.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from routing.admin_grammar import UsageError

Data = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Edit:
    """What an edit did: its target, the touched part before and after (None: absent), one sentence."""

    target: str
    before: Data | None
    after: Data | None
    summary: str


ConfigEdit = Callable[[Data], Edit]

LISTS = {"keyword": "keywords", "phrase": "phrases", "regex": "patterns"}
RULE_FIELDS = {
    "threshold": "threshold",
    "type": "escalation_type",
    "urgency": "urgency",
    "after_minutes": "after_minutes",
    "min_value": "min_account_value",
}
_CHANNEL = re.compile(r"^(?:<#([CG][A-Z0-9]+)(?:\|[^>]*)?>|#?([CG][A-Z0-9]{2,}))$")
_USER = re.compile(r"^(?:<@([UW][A-Z0-9]+)(?:\|[^>]*)?>|@?([UW][A-Z0-9]{2,}))$")
_GROUP = re.compile(r"^(?:<!subteam\^(S[A-Z0-9]+)(?:\|[^>]*)?>|@?(S[A-Z0-9]{2,}))$")


# ---- arguments ----


def channel_id(token: str) -> str | None:
    """A channel id from `<#C123|name>`, `#C123` or `C123`."""
    match = _CHANNEL.match(token)
    return (match.group(1) or match.group(2)) if match else None


def user_id(token: str) -> str | None:
    """A user id from `<@U123|name>`, `@U123` or `U123`."""
    match = _USER.match(token)
    return (match.group(1) or match.group(2)) if match else None


def target_data(token: str, *, fallback: str | None = None) -> Data:
    """A route target from a mention or id: #channel, @user, @group, or `owner` (which needs `fallback`)."""
    lowered = token.lower()
    if lowered in ("owner", "account_owner"):
        if fallback is None:
            raise UsageError("`owner` needs a fallback for accounts without one: add `fallback #channel`.")
        return {"kind": "account_owner", "fallback": target_data(fallback)}
    for kind, parse in (("channel", channel_id), ("user", user_id), ("group", _group_id)):
        found = parse(token.removeprefix(f"{kind}:"))
        if found:
            data: Data = {"kind": kind, "id": found}
            if fallback is not None:
                data["fallback"] = target_data(fallback)
            return data
    raise UsageError(
        f"I can't tell where `{token[:60]}` is: use a #channel, an @person or @group mention as Slack "
        "completes it, an id (C…, U…, S…), or `owner`."
    )


def number(token: str, what: str) -> float:
    """A number such as 0.6, 120000, 120,000, $120k or 1.5m."""
    cleaned = token.lower().replace(",", "").replace("_", "").lstrip("$")
    scale = {"k": 1e3, "m": 1e6}.get(cleaned[-1:], 1.0)
    try:
        value = float(cleaned[:-1] if scale != 1.0 else cleaned) * scale
    except ValueError:
        raise UsageError(f"{what} must be a number, got `{token[:40]}`.") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise UsageError(f"{what} must be a number, got `{token[:40]}`.")
    return value


def whole(token: str, what: str, *, low: int, high: int) -> int:
    """A whole number from low to high."""
    if not re.fullmatch(r"\d{1,9}", token):
        raise UsageError(f"{what} must be a whole number from {low} to {high}, got `{token[:40]}`.")
    value = int(token)
    if not low <= value <= high:
        raise UsageError(f"{what} must be from {low} to {high}, got {value}.")
    return value


def _group_id(token: str) -> str | None:
    match = _GROUP.match(token)
    return (match.group(1) or match.group(2)) if match else None


def csv_list(token: str) -> list[str]:
    """The items of a comma-separated list."""
    return [part.strip() for part in token.split(",") if part.strip()]


# ---- rules ----


def _rule(data: Data, rule_id: str) -> Data:
    for rule in data["triggers"]:
        if rule["id"] == rule_id:
            return rule
    known = ", ".join(f"`{r['id']}`" for r in data["triggers"])
    raise UsageError(f"There is no rule `{rule_id[:60]}`. Rules: {known}.")


def rule_enabled(rule_id: str, enabled: bool) -> ConfigEdit:
    """Turn a rule on or off."""

    def edit(data: Data) -> Edit:
        rule = _rule(data, rule_id)
        before = copy.deepcopy(rule)
        rule["enabled"] = enabled
        state = "on" if enabled else "off"
        return Edit(rule_id, before, copy.deepcopy(rule), f"Rule `{rule_id}` is {state}.")

    return edit


def rule_set(rule_id: str, field: str, value: str) -> ConfigEdit:
    """Change one setting of a rule."""
    key = RULE_FIELDS.get(field.lower())
    if key is None:
        raise UsageError(f"A rule has no setting `{field[:40]}`; one of: {', '.join(RULE_FIELDS)}.")
    parsed: Any
    if key == "threshold":
        parsed = number(value, "The threshold")
    elif key == "min_account_value":
        parsed = number(value, "The minimum account value")
    elif key == "after_minutes":
        parsed = whole(value, "after_minutes", low=0, high=7 * 24 * 60)
    elif key == "urgency" and value.lower() in ("default", "none"):
        parsed = None
    else:
        parsed = value.lower() if key == "urgency" else value

    def edit(data: Data) -> Edit:
        rule = _rule(data, rule_id)
        before = copy.deepcopy(rule)
        rule[key] = parsed
        shown = "the escalation type's" if parsed is None else f"`{parsed}`"
        return Edit(rule_id, before, copy.deepcopy(rule), f"Rule `{rule_id}`: {field.lower()} is {shown}.")

    return edit


def rule_add(rule_id: str, what: str, text: str, escalation_type: str | None) -> ConfigEdit:
    """Add a keyword, phrase or regex to a rule; a new id makes a custom rule of it."""
    key = LISTS.get(what.lower())
    if key is None:
        raise UsageError(f"Add a `keyword`, `phrase` or `regex`, not `{what[:40]}`.")

    def edit(data: Data) -> Edit:
        existing = next((r for r in data["triggers"] if r["id"] == rule_id), None)
        if existing is None:
            rule: Data = {
                "id": rule_id,
                "kind": "custom",
                "escalation_type": escalation_type or "complex_question",
                key: [text],
                "description": f"custom {what.lower()} rule added with /baton",
            }
            data["triggers"].append(rule)
            summary = (
                f"New custom rule `{rule_id}` ({rule['escalation_type']}) matches {what.lower()} `{text}`."
            )
            return Edit(rule_id, None, copy.deepcopy(rule), summary)
        if escalation_type and escalation_type != existing.get("escalation_type"):
            raise UsageError(
                f"Rule `{rule_id}` exists already: `type` is for a new rule only (it would change what every "
                f"hit of `{rule_id}` escalates as). `/baton rules set {rule_id} type {escalation_type}` "
                "does that on purpose."
            )
        before = copy.deepcopy(existing)
        if text in existing.get(key, []):
            raise UsageError(f"Rule `{rule_id}` has that {what.lower()} already.")
        existing[key] = [*existing.get(key, []), text]
        summary = f"Rule `{rule_id}` now also matches {what.lower()} `{text}`."
        return Edit(rule_id, before, copy.deepcopy(existing), summary)

    return edit


def rule_remove(rule_id: str, what: str | None = None, text: str | None = None) -> ConfigEdit:
    """Remove a custom rule, or one entry of a rule's keywords, phrases or regexes."""
    key = None if what is None else LISTS.get(what.lower())
    if what is not None and key is None:
        raise UsageError(f"Remove a `keyword`, `phrase` or `regex`, not `{what[:40]}`.")

    def edit(data: Data) -> Edit:
        rule = _rule(data, rule_id)
        before = copy.deepcopy(rule)
        if key is None:
            if rule["kind"] != "custom":
                raise UsageError(
                    f"`{rule_id}` is built in and can't be removed; "
                    f"`/baton rules disable {rule_id}` turns it off."
                )
            data["triggers"].remove(rule)
            return Edit(rule_id, before, None, f"Rule `{rule_id}` is removed.")
        if text not in rule.get(key, []):
            have = ", ".join(f"`{t}`" for t in rule.get(key, [])) or "none"
            raise UsageError(f"Rule `{rule_id}` has no {what} `{text}`; its {key}: {have}.")
        rule[key] = [t for t in rule[key] if t != text]
        return Edit(
            rule_id, before, copy.deepcopy(rule), f"Rule `{rule_id}` no longer matches {what} `{text}`."
        )

    return edit


# ---- escalation types ----


def _type(data: Data, name: str) -> Data:
    for etype in data["escalation_types"]:
        if etype["name"] == name:
            return etype
    known = ", ".join(f"`{t['name']}`" for t in data["escalation_types"])
    raise UsageError(f"There is no escalation type `{name[:60]}`. Types: {known}.")


def type_set(name: str, field: str, values: Sequence[str]) -> ConfigEdit:
    """Change an escalation type's SLA, urgency, route or customer message."""
    field = field.lower()
    setters = {
        "sla": _type_sla,
        "resolve": _type_resolve,
        "urgency": _type_urgency,
        "route": _type_route,
        "message": _type_message,
    }
    setter = setters.get(field)
    if setter is None:
        raise UsageError(f"An escalation type has no setting `{field[:40]}`; one of: {', '.join(setters)}.")
    if field != "message" and field != "route" and len(values) != 1:
        raise UsageError(f"`{field}` takes one value.")
    return setter(name, values)


def _type_view(data: Data, name: str) -> Data:
    etype = _type(data, name)
    routes = [r for r in data["routing"]["routes"] if r["id"] == f"type-{name}"]
    return {
        "urgency": etype["urgency"],
        "sla": copy.deepcopy(data["sla"].get(name)),
        "route": copy.deepcopy(routes[0]) if routes else None,
        "message": data["handoffs"]["warm_messages"].get(name, ""),
    }


def _type_edit(name: str, change: Callable[[Data], str]) -> ConfigEdit:
    def edit(data: Data) -> Edit:
        before = _type_view(data, name)
        summary = change(data)
        return Edit(name, before, _type_view(data, name), summary)

    return edit


def _type_sla(name: str, values: Sequence[str]) -> ConfigEdit:
    minutes = whole(values[0], "The claim SLA", low=1, high=30 * 24 * 60)

    def change(data: Data) -> str:
        _type(data, name)
        data["sla"].setdefault(name, {})["claim_within_minutes"] = minutes
        return f"`{name}` must be claimed within {minutes} minutes."

    return _type_edit(name, change)


def _type_resolve(name: str, values: Sequence[str]) -> ConfigEdit:
    off = values[0].lower() in ("none", "off")
    minutes = None if off else whole(values[0], "The resolve SLA", low=1, high=90 * 24 * 60)

    def change(data: Data) -> str:
        _type(data, name)
        policy = data["sla"].get(name)
        if policy is None:
            raise UsageError(f"Set `{name}`'s claim SLA first: `/baton types set {name} sla <minutes>`.")
        policy["resolve_within_minutes"] = minutes
        return (
            f"`{name}` has no resolve SLA." if off else f"`{name}` must be resolved within {minutes} minutes."
        )

    return _type_edit(name, change)


def _type_urgency(name: str, values: Sequence[str]) -> ConfigEdit:
    urgency = values[0].lower()

    def change(data: Data) -> str:
        _type(data, name)["urgency"] = urgency
        return f"`{name}` handoffs are {urgency}."

    return _type_edit(name, change)


def _type_route(name: str, values: Sequence[str]) -> ConfigEdit:
    if len(values) == 3 and values[1].lower() == "fallback":
        target = target_data(values[0], fallback=values[2])
    elif len(values) == 1:
        target = target_data(values[0])
    else:
        raise UsageError("`route` takes a target, and for `owner` a `fallback <target>`.")

    def change(data: Data) -> str:
        _type(data, name)
        routes = data["routing"]["routes"]
        route_id = f"type-{name}"
        existing = next((r for r in routes if r["id"] == route_id), None)
        if existing is None:
            existing = {"id": route_id, "escalation_types": [name]}
        else:
            routes.remove(existing)  # back to the front: routes added ahead of it since would win
        routes.insert(0, {**existing, "target": target})
        return f"`{name}` handoffs go to {describe_target(target)} (route `{route_id}`, first)."

    return _type_edit(name, change)


def _type_message(name: str, values: Sequence[str]) -> ConfigEdit:
    text = " ".join(values)
    off = text.lower() in ("off", "none", "")
    if not off and re.search(r"\{[^{}]*\}", text):
        raise UsageError(
            "The customer message has no placeholders: it is sent when the handoff opens, before anyone "
            "claims it (`{rep}` is for the claim message). Nothing was changed."
        )

    def change(data: Data) -> str:
        _type(data, name)
        data["handoffs"]["warm_messages"][name] = "" if off else text
        return f"`{name}` sends the customer no message." if off else f"`{name}` tells the customer: {text}"

    return _type_edit(name, change)


def describe_target(target: Data | None) -> str:
    """A target in Slack mrkdwn, e.g. `<#C0TRIAGE>` or `the account owner (else <#C0TRIAGE>)`."""
    if target is None:
        return "nowhere (no card)"
    kind, ident = target.get("kind"), target.get("id", "")
    words = {
        "channel": f"<#{ident}>",
        "user": f"<@{ident}>",
        "group": f"<!subteam^{ident}>" + (f" in <#{target['channel']}>" if target.get("channel") else ""),
    }.get(str(kind), "the account owner")
    fallback = target.get("fallback")
    return f"{words} (else {describe_target(fallback)})" if fallback else words
