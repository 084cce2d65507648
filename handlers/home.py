"""The App Home tab: published when someone opens it, and again after they act from it.

Publishing a Home view is a read-only render, not a state change, so it is not an outbox write: it runs in a
task after the request is answered (Slack wants its answer within 3 s), and a failure is logged, never raised.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from handlers.background import Background
from handlers.context import ContextValues, role_of, service_of
from handlers.home_blocks import MAX_QUEUE, HomeView, render_home
from handlers.permissions import Role
from routing.service import BatonService
from routing.stats import EscalationStats

logger = logging.getLogger(__name__)

HOME = "baton_home"
DASHBOARD_PERIOD = timedelta(days=7)


class HomeTab:
    """Renders and publishes people's Home tabs; remembers user groups' members for a few minutes
    (`usergroups.users.list`), and publishes only the newest render when two race for the same person."""

    def __init__(
        self,
        *,
        group_ttl_seconds: float = 300.0,
        stats_ttl_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 10_000,
    ) -> None:
        self._group_ttl = group_ttl_seconds
        self._clock = clock
        self._max_entries = max_entries
        self._groups: dict[str, tuple[frozenset[str], float]] = {}
        self._renders: dict[str, int] = {}  # user → number of their newest render
        self._published: dict[str, int] = {}  # user → number of the newest render Slack has taken
        self._background = Background()
        self._stats: tuple[EscalationStats | None, float] = (None, 0.0)  # the dashboard's, until a time
        self._stats_ttl = stats_ttl_seconds

    def refresh(
        self,
        *,
        client: AsyncWebClient,
        service: BatonService,
        user_id: str,
        role: Role | Callable[[], Awaitable[Role]],
        notice: str | None = None,
    ) -> None:
        """Publish the user's Home tab in the background (after the current request is answered); `role`
        may be looked up there."""
        number = self._renders.pop(user_id, 0) + 1
        self._renders[user_id] = number  # (the most recently refreshed last)
        while len(self._renders) > self._max_entries:
            forgotten = next(iter(self._renders))  # the person refreshed longest ago (not everyone in flight)
            del self._renders[forgotten]
            self._published.pop(forgotten, None)  # (both forget them: counted afresh if they come back)

        async def publishing() -> bool:
            try:
                known = role if isinstance(role, Role) else await role()
            except Exception:
                logger.exception("looking up the role of %s for their App Home failed", user_id)
                return False
            return await self.publish(
                client=client, service=service, user_id=user_id, role=known, notice=notice, number=number
            )

        self._background.start(publishing(), name=f"baton-home-{user_id}")

    async def idle(self) -> None:
        """Wait for the publishes in flight (tests, shutdown)."""
        await self._background.idle()

    async def publish(
        self,
        *,
        client: AsyncWebClient,
        service: BatonService,
        user_id: str,
        role: Role,
        notice: str | None = None,
        number: int | None = None,
    ) -> bool:
        """Render and publish the user's Home tab now; False (logged) if that failed."""
        try:
            home = await self.view(client=client, service=service, user_id=user_id, role=role, notice=notice)
            if number is not None and self._renders.get(user_id) != number:
                return False  # a newer render of this person's home is on its way
            await client.views_publish(user_id=user_id, view=render_home(home))
            if number is not None:
                if self._published.get(user_id, 0) > number:
                    # Ours was sent again after a 429 and landed over a newer one: publish what is current.
                    self.refresh(client=client, service=service, user_id=user_id, role=role)
                else:
                    self._published[user_id] = number
            return True
        except Exception:  # a read-only render: its failure must never fail the request or the loop
            logger.exception("publishing the App Home of %s failed", user_id)
            return False

    async def view(
        self,
        *,
        client: AsyncWebClient,
        service: BatonService,
        user_id: str,
        role: Role,
        notice: str | None = None,
    ) -> HomeView:
        """What the user's Home tab shows."""
        config = service.config
        if role is Role.EXTERNAL:
            return HomeView(user_id=user_id, role=role, notice=notice)
        groups = await self.groups_of(client, user_id, service.routed_groups())
        queue = await service.my_queue(user_id=user_id, group_ids=groups, limit=MAX_QUEUE)
        names = {c.channel_id: c.account.name or c.name for c in await service.channels()}
        admin = role is Role.ADMIN
        return HomeView(
            user_id=user_id,
            role=role,
            queue=queue,
            snooze_minutes=config.handoffs.snooze_minutes,
            channel_names=names,
            stats=await self._weekly_stats(service) if admin else None,
            escalation_types=[t.name for t in config.rules.escalation_types] if admin else (),
            notice=notice,
        )

    async def groups_of(self, client: AsyncWebClient, user_id: str, group_ids: Sequence[str]) -> list[str]:
        """Those of the groups the user is a member of (a group Slack can't list counts as not theirs)."""
        return [group for group in group_ids if user_id in await self._members(client, group)]

    async def _weekly_stats(self, service: BatonService) -> EscalationStats | None:
        """The last 7 days' escalation health, shared by every admin's Home for a minute (it reads a week of
        handoff events); None when it can't be had (the queue is still published)."""
        cached, until = self._stats
        if cached is not None and until > self._clock():
            return cached
        now = service.now()
        try:
            stats = await service.stats(since=now - DASHBOARD_PERIOD, until=now, advise=False)
        except Exception:  # the dashboard is secondary: the rep's queue must still be published
            logger.exception("the App Home dashboard's stats failed")
            return None
        self._stats = (stats, self._clock() + self._stats_ttl)
        return stats

    async def _members(self, client: AsyncWebClient, group: str) -> frozenset[str]:
        now = self._clock()
        cached = self._groups.get(group)
        if cached is not None and cached[1] > now:
            return cached[0]
        try:
            response = await client.usergroups_users_list(usergroup=group)
            members = frozenset(str(user) for user in response.get("users") or [])
        except SlackApiError as error:
            logger.warning("usergroups.users.list %s failed: %s", group, error.response.get("error"))
            members = frozenset()
        if len(self._groups) >= self._max_entries:
            self._groups.clear()
        self._groups[group] = (members, now + self._group_ttl)
        return members


def home_of(context: AsyncBoltContext) -> HomeTab:
    """The HomeTab the middleware injected."""
    home: HomeTab = context[HOME]
    return home


async def refresh_home(
    context: AsyncBoltContext,
    client: AsyncWebClient,
    *,
    user_id: str,
    team_id: str,
    notice: str | None = None,
) -> None:
    """Republish someone's Home tab after they acted from it (in the background, their role looked up there
    too: users.info may be slow, and the click or event must be answered within Slack's 3 s)."""
    home_of(context).refresh(
        client=client,
        service=service_of(context),
        user_id=user_id,
        role=lambda: role_of(context, client, user_id=user_id, team_id=team_id),
        notice=notice,
    )


async def on_home_opened(
    event: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
) -> None:
    """Someone opened the Home tab: publish their queue (and, for admins, the dashboard)."""
    if event.get("tab") != "home":
        return  # the Messages tab
    await refresh_home(
        context, client, user_id=str(event.get("user") or ""), team_id=str(body.get("team_id") or "")
    )


def register(app: AsyncApp, *, home: HomeTab | None = None) -> None:
    """Put the HomeTab into every request's context and listen to `app_home_opened`."""
    app.middleware(ContextValues({HOME: home or HomeTab()}))
    app.event("app_home_opened")(on_home_opened)
