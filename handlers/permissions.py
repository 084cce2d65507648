"""Who someone is to Baton: a person of another organisation, a member of our workspace, or an admin.

Admins are our workspace's admins and owners (Slack's `users.info` says so) and the people named with
`/baton admins add`. Someone of another organisation (Slack Connect) is never an admin, whatever their own
workspace makes them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from routing.admin_commands import OUTSIDER

logger = logging.getLogger(__name__)


class SlackUnsure(Exception):
    """users.info could not say who a user is this time (slow, rate limited, down)."""


USERS_INFO_WAIT = 1.5  # seconds a click's users.info may take (Slack wants the click answered within 3 s)


class Role(StrEnum):
    EXTERNAL = "external"  # another organisation's user (Slack Connect), or someone Slack does not know
    MEMBER = "member"  # a member of our workspace
    ADMIN = "admin"  # may change Baton


class Permissions:
    """Looks users up in Slack (`users.info`) and remembers the answer briefly: a role change in Slack
    counts within `ttl_seconds`; a named admin added or removed counts at once (that is Baton's own table)."""

    def __init__(
        self, *, ttl_seconds: float = 60.0, clock: Callable[[], float] = time.monotonic, max_size: int = 5000
    ) -> None:
        self._ttl = ttl_seconds
        self._clock = clock
        self._max_size = max_size
        self._users: dict[str, tuple[dict[str, Any] | None, float]] = {}

    async def role(
        self,
        *,
        client: AsyncWebClient,
        user_id: str,
        team_id: str,
        our_team: str,
        is_named_admin: Callable[[str], Awaitable[bool]],
    ) -> Role:
        """The user's role; `team_id` is the team the payload says the user is from."""
        if not user_id or (team_id and our_team and team_id != our_team):
            return Role.EXTERNAL
        try:
            user = await self._user(client, user_id)
        except SlackUnsure:
            user = None  # the payload's team says who is a member; only Baton's own list makes an admin
        if user is not None:
            if (user.get("team_id") and user.get("team_id") != our_team) or user.get("deleted"):
                return Role.EXTERNAL
            guest = user.get("is_restricted") or user.get("is_ultra_restricted")
            if not guest and (user.get("is_admin") or user.get("is_owner")):
                return Role.ADMIN
            if guest:
                return Role.MEMBER
        return Role.ADMIN if await is_named_admin(user_id) else Role.MEMBER

    async def of_another_organisation(self, *, client: AsyncWebClient, user_id: str, our_team: str) -> bool:
        """Whether Slack says the user belongs to another organisation; False when it can't say now (the
        notifier checks again before anything internal is sent to anyone)."""
        try:
            user = await self._user(client, user_id)
        except SlackUnsure:
            return False
        team = (user or {}).get("team_id")
        return bool(team and our_team and team != our_team)

    async def not_an_assignee(self, *, client: AsyncWebClient, user_id: str, our_team: str) -> str | None:
        """Why `user_id` can't be handed a handoff (a customer of another organisation, a bot, someone who
        left), or None. Slack's user picker offers everyone in the channel."""
        try:
            user = await self._user(client, user_id)
        except SlackUnsure:
            return "Slack didn't say who they are in time; try again in a moment"
        if user is None:
            return None  # unknown to users.info: the picker only offers real users; let the click through
        if user.get("team_id") and our_team and user.get("team_id") != our_team:
            return OUTSIDER
        return unavailable(user, user_id)

    async def bot_id_of(self, *, client: AsyncWebClient, user_id: str) -> str | None:
        """The bot id (B…) of a bot user, which is all a legacy integration's `bot_message` names; None for a
        person, or when Slack can't say now."""
        try:
            user = await self._user(client, user_id)
        except SlackUnsure:
            return None
        bot_id = ((user or {}).get("profile") or {}).get("bot_id")
        return str(bot_id) if (user or {}).get("is_bot") and bot_id else None

    async def _user(self, client: AsyncWebClient, user_id: str) -> dict[str, Any] | None:
        now = self._clock()
        cached = self._users.get(user_id)
        if cached is not None and cached[1] > now:
            return cached[0]
        try:
            # A click must be answered within Slack's 3 s: a slow or rate-limited users.info isn't waited out.
            async with asyncio.timeout(USERS_INFO_WAIT):
                response = await client.users_info(user=user_id)
            user: dict[str, Any] | None = response.get("user") or None
        except TimeoutError:
            logger.warning("users.info %s took over %ss: not known this time", user_id, USERS_INFO_WAIT)
            raise SlackUnsure(user_id) from None  # (not remembered: asked again next time)
        except SlackApiError as error:
            logger.warning("users.info %s failed: %s", user_id, error.response.get("error"))
            if error.response.get("error") not in ("user_not_found", "user_not_visible"):
                raise SlackUnsure(user_id) from None  # rate limited, down: asked again next time
            user = None
        if len(self._users) >= self._max_size:
            self._users.clear()
        self._users[user_id] = (user, now + self._ttl)
        return user


def unavailable(user: dict[str, Any], user_id: str) -> str | None:
    """Why a member of our team (users.info's `user`) can't take a handoff (a bot, deactivated), or None."""
    if user.get("is_bot") or user_id == "USLACKBOT":
        return "bots don't take handoffs"
    if user.get("deleted"):
        return "their account is deactivated"
    return None
