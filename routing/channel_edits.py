"""Channel settings from `/baton channel set`: the account behind a watched channel and its AI agent bots."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from routing.admin_grammar import UsageError
from routing.config_edits import number, user_id, whole
from routing.models import WatchedChannel

MAX_ACCOUNT_NAME = 100
MAX_TIER = 40
MAX_ACCOUNT_VALUE = 1e12
MAX_AI_BOTS = 10
_BOT = re.compile(r"^(?:<@([UWB][A-Z0-9]+)(?:\|[^>]*)?>|@?([UWB][A-Z0-9]{2,}))$")
FIELDS = ("account", "tier", "value", "owner", "ai", "timezone", "unanswered")


def channel_set(channel: WatchedChannel, field: str, values: Sequence[str]) -> WatchedChannel:
    """The channel with one setting changed; UsageError when the value can't be used."""
    field = field.lower()
    if field not in FIELDS:
        raise UsageError(f"A channel has no setting `{field[:40]}`; one of: {', '.join(FIELDS)}.")
    account = channel.account
    text = " ".join(values).strip()
    if field == "account":
        if not text or len(text) > MAX_ACCOUNT_NAME:
            raise UsageError(f"The account name must be 1 to {MAX_ACCOUNT_NAME} characters.")
        return replace(channel, account=replace(account, name=text))
    if field == "tier":
        tier = "" if text.lower() == "none" else text.lower()
        if len(values) != 1 or len(tier) > MAX_TIER:
            raise UsageError(f"The tier is one word of at most {MAX_TIER} characters (or none).")
        return replace(channel, account=replace(account, tier=tier))
    if field == "value":
        value = number(_one(values, "value"), "The account value")
        if not 0 <= value <= MAX_ACCOUNT_VALUE:
            raise UsageError(f"The account value must be from 0 to {MAX_ACCOUNT_VALUE:,.0f}.")
        return replace(channel, account=replace(account, value=value))
    if field == "owner":
        token = _one(values, "owner")
        owner = None if token.lower() == "none" else user_id(token)
        if owner is None and token.lower() != "none":
            raise UsageError(f"The owner is an @person (or none), not `{token[:40]}`.")
        return replace(channel, account=replace(account, owner_user_id=owner))
    if field == "ai":
        return replace(channel, ai_bot_ids=_bots(values))
    if field == "timezone":
        return replace(channel, account=replace(account, timezone=_timezone(_one(values, "timezone"))))
    token = _one(values, "unanswered")
    minutes = None if token.lower() == "default" else whole(token, "unanswered", low=1, high=7 * 24 * 60)
    return replace(channel, unanswered_minutes=minutes)


def channel_to_data(channel: WatchedChannel | None) -> dict[str, Any] | None:
    """A channel's settings as plain data, for the audit log."""
    if channel is None:
        return None
    account = channel.account
    return {
        "channel_id": channel.channel_id,
        "name": channel.name,
        "watched": channel.watched,
        "is_shared": channel.is_shared,
        "account": {
            "name": account.name,
            "tier": account.tier,
            "value": account.value,
            "owner_user_id": account.owner_user_id,
            "timezone": account.timezone,
        },
        "ai_bot_ids": list(channel.ai_bot_ids),
        "unanswered_minutes": channel.unanswered_minutes,
    }


def _one(values: Sequence[str], field: str) -> str:
    if len(values) != 1:
        raise UsageError(f"`{field}` takes one value.")
    return values[0]


def _bots(values: Sequence[str]) -> tuple[str, ...]:
    if len(values) == 1 and values[0].lower() == "none":
        return ()
    if len(values) > MAX_AI_BOTS:
        raise UsageError(f"At most {MAX_AI_BOTS} AI agent bots per channel.")
    ids = []
    for token in values:
        match = _BOT.match(token)
        if match is None:
            raise UsageError(f"`{token[:40]}` is not an @bot mention, a bot user id (U…) or a bot id (B…).")
        ids.append(match.group(1) or match.group(2))
    return tuple(dict.fromkeys(ids))


def _timezone(token: str) -> str | None:
    if token.lower() == "none":
        return None
    try:
        ZoneInfo(token)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"`{token[:40]}` is not a time zone; use a name such as Europe/Berlin.") from None
    return token
