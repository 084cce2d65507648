"""The Sandbox: one emulated Slack workspace with our app installed, served over HTTP and WebSocket."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from types import TracebackType

from aiohttp import web

from sandbox.actions import MessageActions
from sandbox.console import Console, console_errors
from sandbox.delivery import Deliverer, DeliverySettings
from sandbox.events import envelope as build_envelope
from sandbox.faults import Faults
from sandbox.ids import TriggerRegistry
from sandbox.interactions import Interactions
from sandbox.models import (
    ApiCall,
    Channel,
    Delivery,
    DeliveryOutcome,
    Ephemeral,
    JsonDict,
    Message,
    Reaction,
    ResponsePost,
    Team,
    User,
    UserGroup,
    View,
)
from sandbox.ratelimit import RateLimit, RateLimiter
from sandbox.responses import ResponseUrls
from sandbox.socket_mode import SocketHub
from sandbox.webapi import WebApi
from sandbox.workspace import Workspace

logger = logging.getLogger(__name__)


class Sandbox(MessageActions, Interactions):
    """A local Slack workspace: Web API at `api_url`, events to the app, Socket Mode, inspection."""

    def __init__(
        self,
        *,
        signing_secret: str = "sandbox-signing-secret",
        bot_token: str = "xoxb-sandbox-bot-token",
        app_token: str = "xapp-1-sandbox-app-token",
        verification_token: str = "sandbox-verification-token",
        app_name: str = "Baton",
        team_id: str = "T0OURS",
        team_name: str = "Baton Sandbox",
        team_domain: str = "baton-sandbox",
        bot_user_id: str = "U0BATON",
        bot_user_name: str = "baton",
        bot_id: str = "B0BATON",
        app_id: str = "A0BATON",
        request_url: str | None = None,
        ack_timeout: float = 3.0,
        retry_delays: tuple[float, ...] = (0.0, 1.0, 5.0),
        retry_delay_scale: float = 1.0,
        rate_limit: RateLimit | None = None,
        trigger_ttl: float = 3.0,
    ) -> None:
        bot_user = User(
            id=bot_user_id,
            team_id=team_id,
            name=bot_user_name,
            real_name=app_name,
            is_bot=True,
            bot_id=bot_id,
            app_id=app_id,
        )
        self.workspace = Workspace(
            team=Team(team_id, team_name, team_domain), bot_user=bot_user, app_name=app_name
        )
        self.signing_secret = signing_secret
        self.bot_token = bot_token
        self.app_token = app_token
        self.verification_token = verification_token
        self.triggers = TriggerRegistry(ttl=trigger_ttl)
        self.faults = Faults()
        self.limiter = RateLimiter(rate_limit)
        self.calls: list[ApiCall] = []
        self.deliveries: list[Delivery] = []
        self.responses: list[ResponsePost] = []
        self.envelopes: list[JsonDict] = []
        self.sockets = SocketHub(app_id)
        self.delivery_settings = DeliverySettings(ack_timeout, tuple(retry_delays), retry_delay_scale)
        self.deliverer = Deliverer(
            signing_secret=signing_secret,
            verification_token=verification_token,
            settings=self.delivery_settings,
            sockets=self.sockets,
            records=self.deliveries,
        )
        self.deliverer.request_url = request_url
        self.response_urls = ResponseUrls(self, self.responses)
        self._web_api = WebApi(
            self,
            bot_token=bot_token,
            app_token=app_token,
            faults=self.faults,
            limiter=self.limiter,
            calls=self.calls,
        )
        self._runner: web.AppRunner | None = None
        self._base: str | None = None
        self._tasks: set[asyncio.Task[DeliveryOutcome]] = set()

    # -- lifecycle -------------------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Serve on host:port (port 0 picks a free one); then `url` and `api_url` are set."""
        app = web.Application(middlewares=[console_errors])
        app.router.add_route("GET", "/api/{method}", self._web_api.handle)
        app.router.add_route("POST", "/api/{method}", self._web_api.handle)
        app.router.add_get("/socket", self.sockets.handle)
        app.router.add_post("/response/{id}", self.response_urls.handle)
        app.router.add_get("/archives/{channel}/{link}", self._permalink)
        Console(self).add_routes(app)
        runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
        bound_port = runner.addresses[0][1]
        shown_host = "127.0.0.1" if host in {"", "0.0.0.0"} else host
        self._runner = runner
        self._base = f"{shown_host}:{bound_port}"
        await self.deliverer.start()
        logger.info("Slack sandbox listening on %s", self.url)

    async def stop(self) -> None:
        """Cancel pending deliveries, close Socket Mode connections and stop serving."""
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.sockets.close()
        await self.deliverer.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Sandbox:
        if self._runner is None:
            await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """The server's base URL, e.g. "http://127.0.0.1:43210/"."""
        if self._base is None:
            raise RuntimeError("the sandbox is not started; await sandbox.start() first")
        return f"http://{self._base}/"

    @property
    def api_url(self) -> str:
        """The Web API base URL, for slack_sdk's base_url."""
        return self.url + "api/"

    # -- configuration ---------------------------------------------------------------------------------

    @property
    def request_url(self) -> str | None:
        """Where events, interactions and commands go over HTTP."""
        return self.deliverer.request_url

    def set_request_url(self, url: str | None) -> None:
        """Set the app's request URL (e.g. "http://127.0.0.1:3000/slack/events")."""
        self.deliverer.request_url = url

    def set_rate_limit(self, limit: RateLimit | None) -> None:
        """Rate-limit chat.postMessage/update/postEphemeral per channel (None: unlimited)."""
        self.limiter.limit = limit

    def add_team(self, team_id: str, name: str, domain: str | None = None) -> Team:
        """Add a team (e.g. a customer org)."""
        return self.workspace.add_team(team_id, name, domain)

    def add_user(
        self,
        user_id: str,
        name: str,
        *,
        team_id: str | None = None,
        real_name: str = "",
        is_bot: bool = False,
        bot_id: str | None = None,
        app_id: str | None = None,
        is_admin: bool = False,
        is_owner: bool = False,
        is_primary_owner: bool = False,
        tz: str = "America/Los_Angeles",
        email: str = "",
    ) -> User:
        """Add a person or a bot user (bots get bot_id/app_id and post with bot_profile)."""
        user = User(
            id=user_id,
            team_id=team_id or self.workspace.our_team_id,
            name=name,
            real_name=real_name or name,
            is_bot=is_bot or bot_id is not None,
            bot_id=bot_id,
            app_id=app_id or (f"A{bot_id[1:]}" if bot_id else None),
            is_admin=is_admin,
            is_owner=is_owner,
            is_primary_owner=is_primary_owner,
            tz=tz,
            email=email,
        )
        return self.workspace.add_user(user)

    def add_channel(
        self,
        channel_id: str,
        name: str,
        *,
        is_private: bool = False,
        is_ext_shared: bool = False,
        members: Iterable[str] = (),
        connected_team_ids: Iterable[str] | None = None,
        host_team_id: str | None = None,
    ) -> Channel:
        """Add a channel; a Slack Connect one (is_ext_shared) connects its members' teams by default."""
        members = list(members)
        ws = self.workspace
        connected = list(connected_team_ids) if connected_team_ids is not None else []
        if not connected:
            teams = [ws.require_user(m).team_id for m in members]
            connected = list(dict.fromkeys([host_team_id or ws.our_team_id, *teams])) if is_ext_shared else []
        channel = Channel(
            id=channel_id,
            name=name,
            is_private=is_private,
            is_ext_shared=is_ext_shared,
            members=members,
            connected_team_ids=connected,
            conversation_host_id=host_team_id or ws.our_team_id,
        )
        return ws.add_channel(channel)

    def add_usergroup(
        self,
        usergroup_id: str,
        handle: str,
        users: Iterable[str] = (),
        name: str | None = None,
        team_id: str | None = None,
    ) -> UserGroup:
        """Add a user group ("S…")."""
        group = UserGroup(
            usergroup_id, team_id or self.workspace.our_team_id, handle, name or handle, list(users)
        )
        return self.workspace.add_usergroup(group)

    def open_dm(self, user_id: str) -> Channel:
        """The app's DM channel with a user (created on first use), e.g. to post as that user to the bot."""
        return self.workspace.open_dm(user_id)

    # -- delivery --------------------------------------------------------------------------------------

    def _wanted(self, channel: Channel | None, force: bool) -> bool:
        return force or channel is None or self.workspace.bot_is_member(channel)

    def _envelope(self, event: JsonDict, actor_team: str, channel: Channel | None) -> JsonDict:
        body = build_envelope(
            self.workspace, event, actor_team=actor_team, channel=channel, token=self.verification_token
        )
        self.envelopes.append(body)
        return body

    def emit_event(self, event: JsonDict, *, actor_team: str, channel: Channel | None) -> None:
        """Deliver an event in the background (used for echoes of the app's own Web API writes)."""
        if not self._wanted(channel, False) or self._runner is None:
            return
        task = asyncio.get_running_loop().create_task(
            self.deliverer.deliver_event(self._envelope(event, actor_team, channel))
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver_event(
        self, event: JsonDict, *, actor_team: str, channel: Channel | None, force: bool = False
    ) -> DeliveryOutcome | None:
        if not self._wanted(channel, force):
            return None
        return await self.deliverer.deliver_event(self._envelope(event, actor_team, channel))

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait for background deliveries (echo events of the app's own writes) to finish."""
        async with asyncio.timeout(timeout):
            while self._tasks:
                await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def redeliver(self, event_id: str) -> DeliveryOutcome:
        """Deliver an already delivered event again, marked as a retry (for dedupe tests)."""
        return await self.deliverer.redeliver(event_id)

    async def verify_url(self) -> bool:
        """Send url_verification to the request URL; True if the app echoed the challenge."""
        return await self.deliverer.verify_url()

    def socket_url(self) -> str:
        """A Socket Mode WebSocket URL with a fresh ticket (what apps.connections.open returns)."""
        if self._base is None:
            raise RuntimeError("the sandbox is not started")
        return f"ws://{self._base}/socket?ticket={self.sockets.issue_ticket()}"

    async def disconnect_socket_clients(self, reason: str = "refresh_requested") -> int:
        """Ask every Socket Mode client to reconnect; returns how many were told."""
        return await self.sockets.disconnect_all(reason)

    # -- inspection ------------------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[ApiCall]:
        """Recorded Web API calls of one method."""
        return [c for c in self.calls if c.method == method]

    def messages(
        self, channel_id: str, thread_ts: str | None = None, include_replies: bool = False
    ) -> list[Message]:
        """Channel history (top level), everything (include_replies), or a thread (root first)."""
        return self.workspace.messages(channel_id, thread_ts, include_replies)

    def message(self, channel_id: str, ts: str) -> Message | None:
        """One stored message."""
        return self.workspace.message(channel_id, ts)

    @property
    def ephemerals(self) -> list[Ephemeral]:
        """Ephemeral messages (chat.postEphemeral, command answers, response_url answers)."""
        return self.workspace.ephemerals

    @property
    def home_views(self) -> dict[str, View]:
        """Published App Home views by user id."""
        return self.workspace.home_views

    @property
    def views(self) -> dict[str, View]:
        """Every view (modals and home tabs) by view id."""
        return self.workspace.views

    @property
    def reactions(self) -> list[Reaction]:
        """Reactions added through reactions.add."""
        return self.workspace.reactions

    async def _permalink(self, request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(f"/#{request.match_info['channel']}")
