"""Where a handoff goes: ordered routes, first match wins, an explicit default; targets and group picking."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from routing.models import Account


class TargetKind(StrEnum):
    USER = "user"  # a named user: the card is a DM
    ACCOUNT_OWNER = "account_owner"  # the account's owner, else the route's fallback
    CHANNEL = "channel"  # a triage channel
    GROUP = "group"  # a Slack user group: one member is picked; the card goes to `channel` or a DM


class Strategy(StrEnum):
    ROUND_ROBIN = "round_robin"
    LEAST_LOADED = "least_loaded"  # the member with the fewest live handoffs


@dataclass(frozen=True, slots=True)
class Target:
    """Who gets a handoff card."""

    kind: TargetKind
    id: str = ""  # user, channel or group id; empty for account_owner
    channel: str = ""  # group: post in this channel mentioning the member (empty: DM the member)
    strategy: Strategy = Strategy.ROUND_ROBIN
    fallback: Target | None = (
        None  # account_owner without an owner, or a destination that can't take the card
    )

    def describe(self) -> str:
        """A short human form, e.g. 'channel C0TRIAGE'."""
        if self.kind is TargetKind.ACCOUNT_OWNER:
            return "the account owner"
        return f"{self.kind.value} {self.id}"


@dataclass(frozen=True, slots=True)
class Route:
    """A rule for choosing a target; empty match lists match anything."""

    id: str
    target: Target
    escalation_types: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()

    def matches(self, *, escalation_type: str, account: Account, channel_id: str) -> bool:
        """Whether a handoff of this type, account and channel takes this route."""
        return (
            (not self.escalation_types or escalation_type in self.escalation_types)
            and (not self.tiers or (account.tier or "").lower() in self.tiers)
            and (not self.channels or channel_id in self.channels)
        )


@dataclass(frozen=True, slots=True)
class RoutingTable:
    """Ordered routes and the default target when none matches."""

    routes: tuple[Route, ...] = ()
    default: Target | None = None  # None: handoffs still open (stats, the API) but no card is posted

    def choose(self, *, escalation_type: str, account: Account, channel_id: str) -> tuple[str, Target | None]:
        """The first matching route's id and target, or ("default", the default target)."""
        for route in self.routes:
            if route.matches(escalation_type=escalation_type, account=account, channel_id=channel_id):
                return route.id, route.target
        return "default", self.default


def destinations(table: RoutingTable) -> list[Target]:
    """Every target a card can be sent to by this table: routes', the default, and their fallbacks."""
    found: list[Target] = []
    pending = [route.target for route in table.routes] + ([table.default] if table.default else [])
    while pending:
        target = pending.pop(0)
        found.append(target)
        if target.fallback is not None:
            pending.append(target.fallback)
    return found


@dataclass(frozen=True, slots=True)
class Destination:
    """A resolved target: where the card goes and who is expected to pick it up.

    For a group, the member is picked when the card is delivered (that needs Slack's member list), so the
    destination names the group, and the channel to post in if the route gave one.
    """

    label: str  # stored on the handoff as its target, e.g. "channel:C0TRIAGE", "group:S0SUPPORT"
    key: str  # the outbox ordering key of the card and its thread: a channel, user or group id
    channel: str = ""  # where to post; a user id means a DM; empty for a group without a channel
    user: str | None = None  # the rep the card is meant for, if known now
    group: str | None = None
    strategy: Strategy = Strategy.ROUND_ROBIN
    # Where the card goes if its destination can't take it (a group without members, a person who left or is a
    # bot, a channel or DM Slack refuses for good): the channel, or the user to DM, of the target's fallback.
    fallback: str = ""
    fallback_group: str = ""  # a fallback group with no channel: its members are picked from, by DM
    fallback_strategy: Strategy = Strategy.ROUND_ROBIN


def resolve(target: Target, *, account: Account) -> Destination:
    """Where a target sends the card; an account without an owner takes the target's fallback. The fallback
    is also where the card goes when its destination can't take it."""
    if target.kind is TargetKind.ACCOUNT_OWNER and not account.owner_user_id:
        if target.fallback is None:
            raise ValueError("an account_owner target needs a fallback for accounts without an owner")
        return resolve(target.fallback, account=account)
    destination = _destination(target, account=account)
    if target.fallback is None:
        return destination
    fallback = resolve(target.fallback, account=account)
    if fallback.group and not fallback.channel:  # a group that DMs its members: one is picked at delivery
        return replace(destination, fallback_group=fallback.group, fallback_strategy=fallback.strategy)
    return replace(destination, fallback=fallback.channel)


def _destination(target: Target, *, account: Account) -> Destination:
    if target.kind is TargetKind.USER:
        return Destination(label=f"user:{target.id}", key=target.id, channel=target.id, user=target.id)
    if target.kind is TargetKind.CHANNEL:
        return Destination(label=f"channel:{target.id}", key=target.id, channel=target.id)
    if target.kind is TargetKind.GROUP:
        return Destination(
            label=f"group:{target.id}",
            key=target.channel or target.id,
            channel=target.channel,
            group=target.id,
            strategy=target.strategy,
        )
    owner = account.owner_user_id or ""
    return Destination(label=f"owner:{owner}", key=owner, channel=owner, user=owner)


def pick_member(
    members: Sequence[str], *, strategy: Strategy, recent: Sequence[str], load: Mapping[str, int]
) -> str | None:
    """A group member: round robin, the one picked least recently (`recent`: the latest picks, newest first;
    never picked comes first), so members joining or leaving skip nobody's turn; or the least loaded.
    Ties go by list order."""
    if not members:
        return None
    if strategy is Strategy.LEAST_LOADED:
        return min(members, key=lambda member: (load.get(member, 0), members.index(member)))
    last_turn: dict[str, int] = {}
    for age, member in enumerate(recent):
        last_turn.setdefault(member, age)  # how many picks ago it last had a turn
    return max(members, key=lambda member: (last_turn.get(member, len(recent)), -members.index(member)))


def target_to_data(target: Target) -> dict[str, Any]:
    """A target as plain data (YAML/JSON), omitting defaults."""
    data: dict[str, Any] = {"kind": target.kind.value}
    if target.id:
        data["id"] = target.id
    if target.channel:
        data["channel"] = target.channel
    if target.kind is TargetKind.GROUP:
        data["strategy"] = target.strategy.value
    if target.fallback is not None:
        data["fallback"] = target_to_data(target.fallback)
    return data
