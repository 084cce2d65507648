"""Which team a Slack user belongs to, when a payload does not say."""

from __future__ import annotations

import logging
from collections import OrderedDict

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

logger = logging.getLogger(__name__)


NO_SUCH_USER = frozenset({"user_not_found", "user_not_visible", "users_not_found"})


class TeamDirectory:
    """Asks Slack (`users.info`) once per user and remembers the answer, least recently used first out."""

    def __init__(self, *, max_size: int = 10_000) -> None:
        self._teams: OrderedDict[str, str] = OrderedDict()
        self._max_size = max_size

    def learn(self, user_id: str, team: str) -> None:
        """Remember a user's team that a payload stated (a message with `user_team`), sparing users.info."""
        if user_id and team and self._teams.get(user_id) != team:
            self._remember(user_id, team)

    def _remember(self, user_id: str, team: str) -> None:
        self._teams[user_id] = team
        self._teams.move_to_end(user_id)
        if len(self._teams) > self._max_size:
            self._teams.popitem(last=False)

    async def team_of(self, client: AsyncWebClient, user_id: str) -> str | None:
        """The user's team id, or None when Slack does not know the user; SlackApiError when Slack could not
        answer."""
        if user_id in self._teams:
            self._teams.move_to_end(user_id)
            return self._teams[user_id]
        try:
            response = await client.users_info(user=user_id)
        except SlackApiError as error:
            if error.response.get("error") not in NO_SUCH_USER:
                # Slack can't say now (rate limited, down): guessing would file a customer's message as
                # ours, unjudged. The event fails instead, and Slack delivers it again.
                raise
            logger.warning("users.info %s: %s", user_id, error.response.get("error"))
            return None
        user = response.get("user") or {}
        team = user.get("team_id") or (user.get("profile") or {}).get("team")
        if not team:
            return None
        self._remember(user_id, str(team))
        return str(team)
