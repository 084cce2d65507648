"""Running a parsed `/baton` command: a dict from command name to its use case, each answering in mrkdwn.

The caller has already checked who may run it (`Spec.access`); `test`, `export` and `import` are the Slack
adapter's (they need the channel's facts or YAML), everything else is here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace

from routing import admin_views as views
from routing.admin_grammar import Command, UsageError, help_text
from routing.administration import Administration, ConfigChange
from routing.channel_edits import channel_set
from routing.config_edits import (
    ConfigEdit,
    channel_id,
    rule_add,
    rule_enabled,
    rule_remove,
    rule_set,
    type_set,
    user_id,
    whole,
)
from routing.models import Actor, WatchedChannel
from routing.route_edits import route_add, route_default, route_remove, route_reorder


@dataclass(frozen=True, slots=True)
class SeenChannel:
    """What Slack says of a channel an admin names: the channel, and whether Baton is in it."""

    channel: WatchedChannel
    is_member: bool = True


ChannelLookup = Callable[[str], Awaitable[SeenChannel | None]]  # None: Baton can't see it
# A user id -> why they can't get cards (of another organisation, a bot, deactivated), or None.
PersonCheck = Callable[[str], Awaitable[str | None]]
OUTSIDER = "they are not a member of our team"  # PersonCheck's reason for a person of another organisation
AUDIT_DEFAULT, AUDIT_MAX = 10, 50


@dataclass(frozen=True, slots=True)
class Invocation:
    """Who runs a command, where, and how to look a channel up in Slack (its name, shared or not)."""

    admin: Administration
    actor: Actor
    channel_id: str
    lookup_channel: ChannelLookup
    why_not_person: PersonCheck
    bot_id_of: Callable[[str], Awaitable[str | None]]  # a bot user's bot id (B…), else None


Handler = Callable[[Invocation, tuple[str, ...]], Awaitable[str]]


async def execute(command: Command, invocation: Invocation) -> str:
    """Run a command; UsageError (with the command's usage) when its arguments can't be used."""
    try:
        return await HANDLERS[command.name](invocation, command.args)
    except UsageError as error:
        if error.usage:
            raise
        raise UsageError(error.problem, usage=(command.spec.usage,)) from None


async def _change(inv: Invocation, edit: ConfigEdit, action: str) -> str:
    change: ConfigChange = await inv.admin.change_config(edit, actor=inv.actor, action=action)
    if change.version is None:
        return f"Nothing changed: {change.edit.summary}"
    return f"{change.edit.summary} (configuration version {change.version})"


# ---- help and rules ----


async def _help(inv: Invocation, args: tuple[str, ...]) -> str:
    return help_text(args[0] if args else None)


async def _rules_list(inv: Invocation, args: tuple[str, ...]) -> str:
    return views.rules_lines(inv.admin.config)


async def _rules_show(inv: Invocation, args: tuple[str, ...]) -> str:
    if inv.admin.config.rules.rule(args[0]) is None:
        known = ", ".join(f"`{r.id}`" for r in inv.admin.config.rules.rules)
        raise UsageError(f"There is no rule `{args[0][:60]}`. Rules: {known}.")
    return views.rule_lines(inv.admin.config, args[0])


async def _rules_enable(inv: Invocation, args: tuple[str, ...]) -> str:
    return await _change(inv, rule_enabled(args[0], True), "rules.enable")


async def _rules_disable(inv: Invocation, args: tuple[str, ...]) -> str:
    return await _change(inv, rule_enabled(args[0], False), "rules.disable")


async def _rules_set(inv: Invocation, args: tuple[str, ...]) -> str:
    return await _change(inv, rule_set(*args), "rules.set")


async def _rules_add(inv: Invocation, args: tuple[str, ...]) -> str:
    rule, what, text, *option = args
    if option and (len(option) != 2 or option[0].lower() != "type"):
        raise UsageError('After the text, only `type <escalation type>`. Put "quotes" around a phrase.')
    return await _change(inv, rule_add(rule, what, text, option[1] if option else None), "rules.add")


async def _rules_remove(inv: Invocation, args: tuple[str, ...]) -> str:
    if len(args) == 2:
        raise UsageError(f"Say which {args[1][:20]} to remove, in quotes.")
    return await _change(inv, rule_remove(*args), "rules.remove")


# ---- types and routes ----


async def _types_list(inv: Invocation, args: tuple[str, ...]) -> str:
    return views.types_lines(inv.admin.config)


async def _types_set(inv: Invocation, args: tuple[str, ...]) -> str:
    name, field, *values = args
    edit = type_set(name, field, values)
    if field.lower() == "route" and values:
        await _no_shared_destination(inv, values[0], tuple(values[1:]))
    return await _change(inv, edit, f"types.set.{field.lower()}")


async def _route_list(inv: Invocation, args: tuple[str, ...]) -> str:
    return views.routes_lines(inv.admin.config)


async def _route_add(inv: Invocation, args: tuple[str, ...]) -> str:
    edit = route_add(args[0], args[1], args[2:])
    await _no_shared_destination(inv, args[1], args[2:])
    return await _change(inv, edit, "route.add")


async def _route_remove(inv: Invocation, args: tuple[str, ...]) -> str:
    return await _change(inv, route_remove(args[0]), "route.remove")


async def _route_reorder(inv: Invocation, args: tuple[str, ...]) -> str:
    return await _change(inv, route_reorder(args), "route.reorder")


async def _route_default(inv: Invocation, args: tuple[str, ...]) -> str:
    edit = route_default(args[0], args[1:])
    await _no_shared_destination(inv, args[0], args[1:])
    return await _change(inv, edit, "route.default")


async def _no_shared_destination(inv: Invocation, target: str, options: tuple[str, ...]) -> None:
    """UsageError if a card would go outside our team through the target, its fallback or `via`."""
    pairs = zip(options[::2], options[1::2], strict=False)
    tokens = [target, *(value for key, value in pairs if key.lower() in ("fallback", "via"))]
    await refuse_unusable(tokens, lookup_channel=inv.lookup_channel, why_not_person=inv.why_not_person)


async def refuse_unusable(
    destinations: Iterable[str], *, lookup_channel: ChannelLookup, why_not_person: PersonCheck
) -> None:
    """UsageError if a card would go where it can never be seen: a Slack Connect channel, a channel Baton
    can't see (a private one it is not in), a person of another organisation, a bot or a deactivated account
    (channel and user ids or mentions). Every card there would fail or go unread, so say it when it is given
    rather than lose them quietly."""
    for token in destinations:
        cid = channel_id(token)
        if cid is not None:
            seen = await lookup_channel(cid)
            if seen is None:
                raise UsageError(f"I can't see <#{cid}>: invite me to it first (`/invite @Baton` there).")
            if seen.channel.is_shared:
                raise UsageError(
                    f"<#{cid}> is a Slack Connect channel: cards and internal notes are never posted there. "
                    "Route to an internal channel, a person or a user group."
                )
        uid = user_id(token)
        why = None if uid is None else await why_not_person(uid)
        if why == OUTSIDER:
            raise UsageError(
                f"<@{uid}> is of another organisation: cards and internal notes are only for our team. "
                "Name one of ours."
            )
        if why is not None:
            raise UsageError(f"<@{uid}> can't take handoffs: {why}. Name someone who can.")


# ---- channels ----


def _which_channel(inv: Invocation, args: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """The channel named first (a #mention or id), else the one the command was run in; and the rest."""
    if args:
        named = channel_id(args[0])
        if named is not None:
            return named, args[1:]
        if args[0].startswith(("#", "<#")):
            raise UsageError(
                f"`{args[0][:40]}` is not a channel I can recognise; pick it with # so Slack links it."
            )
    return inv.channel_id, args


async def _channel_list(inv: Invocation, args: tuple[str, ...]) -> str:
    return views.channels_lines(await inv.admin.channels())


async def _channel_show(inv: Invocation, args: tuple[str, ...]) -> str:
    cid, _ = _which_channel(inv, args)
    channel = await inv.admin.channel(cid)
    if channel is None:
        return f"Baton doesn't know <#{cid}>: `/baton channel watch <#{cid}>` to watch it."
    return views.channel_line(channel)


async def _channel_watch(inv: Invocation, args: tuple[str, ...]) -> str:
    cid, _ = _which_channel(inv, args)
    found = await inv.lookup_channel(cid)
    invite = "invite me to it first (`/invite @Baton` there), then try again."
    if found is None:
        raise UsageError(f"I can't see <#{cid}>: {invite}")
    if not found.is_member:  # Slack sends Baton no event of a channel it is not in: it would see nothing
        raise UsageError(f"I'm not in <#{cid}>, so Slack tells me nothing of it: {invite}")
    seen = found.channel

    def watch(known: WatchedChannel | None) -> WatchedChannel:
        base = known or replace(seen, watched=False)
        return replace(base, name=seen.name or base.name, is_shared=seen.is_shared, watched=True)

    before, _ = await inv.admin.change_channel(cid, watch, actor=inv.actor, action="channel.watch")
    if before is not None and before.watched:
        return f"Baton watches <#{cid}> already."
    return f"Baton watches <#{cid}> now. Tell it the account: `/baton channel set <#{cid}> account <name>`."


async def _channel_unwatch(inv: Invocation, args: tuple[str, ...]) -> str:
    cid, _ = _which_channel(inv, args)

    def unwatch(known: WatchedChannel | None) -> WatchedChannel:
        if known is None or not known.watched:
            raise UsageError(f"Baton doesn't watch <#{cid}>.")
        return replace(known, watched=False)

    await inv.admin.change_channel(cid, unwatch, actor=inv.actor, action="channel.unwatch")
    return f"Baton no longer watches <#{cid}> (its account settings are kept)."


async def _channel_set(inv: Invocation, args: tuple[str, ...]) -> str:
    cid, rest = _which_channel(inv, args)
    if len(rest) < 2:
        raise UsageError("Say which setting and its value.")
    field, *values = rest
    if field.lower() == "ai":
        # An AI agent posting as a legacy integration (`bot_message`) is named in events by its bot id only.
        bots = [await inv.bot_id_of(uid) for token in values if (uid := user_id(token)) is not None]
        values = [*values, *(bot for bot in bots if bot)]
    if field.lower() == "owner" and values:  # the owner gets the account's cards
        await refuse_unusable(
            values[:1], lookup_channel=inv.lookup_channel, why_not_person=inv.why_not_person
        )

    def change(known: WatchedChannel | None) -> WatchedChannel:
        if known is None:
            raise UsageError(f"Baton doesn't know <#{cid}>: `/baton channel watch <#{cid}>` first.")
        return channel_set(known, field, values)

    _, after = await inv.admin.change_channel(
        cid, change, actor=inv.actor, action=f"channel.set.{field.lower()}"
    )
    return "Saved. " + views.channel_line(after)


# ---- admins and the audit log ----


def _user(token: str) -> str:
    found = user_id(token)
    if found is None:
        raise UsageError(f"`{token[:40]}` is not an @person mention or a user id (U…).")
    return found


async def _admins_list(inv: Invocation, args: tuple[str, ...]) -> str:
    return views.admins_lines(await inv.admin.admins())


async def _admins_add(inv: Invocation, args: tuple[str, ...]) -> str:
    user = _user(args[0])
    if await inv.why_not_person(user) == OUTSIDER:  # they could never act as one: admins are of our team
        raise UsageError(f"<@{user}> is of another organisation: Baton admins are people of our team.")
    await inv.admin.add_admin(user, actor=inv.actor)
    return f"<@{user}> is a Baton admin now."


async def _admins_remove(inv: Invocation, args: tuple[str, ...]) -> str:
    user = _user(args[0])
    await inv.admin.remove_admin(user, actor=inv.actor)
    return f"<@{user}> is no longer a named Baton admin."


async def _audit(inv: Invocation, args: tuple[str, ...]) -> str:
    limit = whole(args[0], "How many", low=1, high=AUDIT_MAX) if args else AUDIT_DEFAULT
    return views.audit_lines(await inv.admin.audit_entries(limit=limit))


HANDLERS: dict[str, Handler] = {
    "help": _help,
    "rules list": _rules_list,
    "rules show": _rules_show,
    "rules enable": _rules_enable,
    "rules disable": _rules_disable,
    "rules set": _rules_set,
    "rules add": _rules_add,
    "rules remove": _rules_remove,
    "types list": _types_list,
    "types set": _types_set,
    "route list": _route_list,
    "route add": _route_add,
    "route remove": _route_remove,
    "route reorder": _route_reorder,
    "route default": _route_default,
    "channel list": _channel_list,
    "channel show": _channel_show,
    "channel watch": _channel_watch,
    "channel unwatch": _channel_unwatch,
    "channel set": _channel_set,
    "admins list": _admins_list,
    "admins add": _admins_add,
    "admins remove": _admins_remove,
    "audit": _audit,
}
