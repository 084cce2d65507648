"""Route changes as edits of the configuration's plain data: add, remove, reorder, the default target."""

from __future__ import annotations

import copy
from collections.abc import Sequence

from routing.admin_grammar import UsageError
from routing.config_edits import (
    ConfigEdit,
    Data,
    Edit,
    channel_id,
    csv_list,
    describe_target,
    target_data,
    whole,
)

_OPTIONS = ("fallback", "types", "tiers", "channels", "via", "strategy", "position")


def route_add(route_id: str, target: str, options: Sequence[str]) -> ConfigEdit:
    """Add a route; `options` are `key value` pairs (see the usage)."""
    if len(options) % 2:
        raise UsageError(
            f"Options come in pairs, e.g. `types sales_opportunity`; `{options[-1][:40]}` has no value."
        )
    given = dict(zip(options[::2], options[1::2], strict=True))
    unknown = [key for key in given if key.lower() not in _OPTIONS]
    if unknown:
        raise UsageError(f"A route has no option `{unknown[0][:40]}`; options: {', '.join(_OPTIONS)}.")
    given = {key.lower(): value for key, value in given.items()}
    route: Data = {"id": route_id, "target": target_data(target, fallback=given.get("fallback"))}
    if "via" in given or "strategy" in given:
        if route["target"]["kind"] != "group":
            raise UsageError("`via` and `strategy` are for a user group target.")
        if "via" in given:
            route["target"]["channel"] = _channel(given["via"], "via")
        route["target"]["strategy"] = given.get("strategy", "round_robin").lower()
    for key in ("types", "tiers", "channels"):
        if key in given:
            values = csv_list(given[key])
            if key == "channels":
                values = [_channel(v, "channels") for v in values]
            route[{"types": "escalation_types"}.get(key, key)] = values

    def edit(data: Data) -> Edit:
        routes = data["routing"]["routes"]
        if any(r["id"] == route_id for r in routes):
            raise UsageError(f"There is a route `{route_id}` already; remove it first or pick another id.")
        position = whole(given.get("position", str(len(routes) + 1)), "position", low=1, high=len(routes) + 1)
        routes.insert(position - 1, route)
        where = describe_target(route["target"])
        summary = f"Route `{route_id}` (#{position}) sends {_matching(route)} to {where}."
        return Edit(route_id, None, copy.deepcopy(route), summary)

    return edit


def _channel(token: str, option: str) -> str:
    found = channel_id(token)
    if found is None:
        raise UsageError(
            f"`{option}` takes #channel mentions as Slack completes them; `{token[:60]}` is not one "
            "(type # and pick the channel)."
        )
    return found


def route_remove(route_id: str) -> ConfigEdit:
    """Remove a route."""

    def edit(data: Data) -> Edit:
        routes = data["routing"]["routes"]
        route = _route(routes, route_id)
        routes.remove(route)
        return Edit(route_id, copy.deepcopy(route), None, f"Route `{route_id}` is removed.")

    return edit


def route_reorder(route_ids: Sequence[str]) -> ConfigEdit:
    """Put these routes first, in this order; the others keep their order after them."""
    if len(set(route_ids)) != len(route_ids):
        raise UsageError("Name each route once.")

    def edit(data: Data) -> Edit:
        routes = data["routing"]["routes"]
        first = [_route(routes, route_id) for route_id in route_ids]
        before = {"order": [r["id"] for r in routes]}
        routes[:] = first + [r for r in routes if r["id"] not in route_ids]
        after = {"order": [r["id"] for r in routes]}
        order = ", ".join(f"`{r}`" for r in after["order"])
        return Edit("routes", before, after, f"Routes are tried in this order: {order}.")

    return edit


def route_default(target: str, options: Sequence[str]) -> ConfigEdit:
    """Set the default target (`none`: unrouted handoffs get no card)."""
    if options and (len(options) != 2 or options[0].lower() != "fallback"):
        raise UsageError("After the target, only `fallback <target>`.")
    new = None if target.lower() == "none" else target_data(target, fallback=options[1] if options else None)

    def edit(data: Data) -> Edit:
        routing = data["routing"]
        before = {"default": copy.deepcopy(routing.get("default"))}
        if new is None:
            routing.pop("default", None)
        else:
            routing["default"] = new
        return Edit("default", before, {"default": new}, f"The default is {describe_target(new)}.")

    return edit


def _route(routes: list[Data], route_id: str) -> Data:
    for route in routes:
        if route["id"] == route_id:
            return route
    known = ", ".join(f"`{r['id']}`" for r in routes) or "none"
    raise UsageError(f"There is no route `{route_id[:60]}`. Routes: {known}.")


def _matching(route: Data) -> str:
    parts = [
        f"{label} {', '.join(route[key])}"
        for key, label in (("escalation_types", "types"), ("tiers", "tiers"), ("channels", "channels"))
        if route.get(key)
    ]
    return "handoffs of " + "; ".join(parts) if parts else "every handoff"
