"""Starting and stopping Baton: database, service, Bolt app, HTTP server and Socket Mode."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.adapter.socket_mode.async_internals import run_async_bolt_app, send_async_response
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.api import add_api, api_middleware
from bot.app import build_bolt_app
from bot.client import build_web_client
from bot.config import ConfigError, load_config
from bot.metrics import Metrics
from bot.outbox import OutboxWorker
from bot.scheduler import build_scheduler
from bot.server import build_web_app
from bot.settings import Mode, Settings
from handlers.notifier import Notifier
from routing.admin_grammar import UsageError
from routing.config import BatonConfig
from routing.models import Actor, ChangeSource
from routing.service import BatonService
from routing.triggers.engine import warm_up
from storage import SqlStore, create_engine, migrate, require_head

logger = logging.getLogger(__name__)


def utc_now() -> datetime:
    """The real clock, handed to the domain (which never reads the time itself)."""
    return datetime.now(UTC)


@dataclass
class Runtime:
    """A running Baton: what tests and the CLI need to reach."""

    settings: Settings
    engine: AsyncEngine
    service: BatonService
    bolt: AsyncApp
    worker: OutboxWorker
    notifier: Notifier
    port: int
    metrics: Metrics | None = None
    socket: AsyncSocketModeHandler | None = None  # in Socket Mode

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def events_url(self) -> str:
        return f"{self.url}slack/events"

    async def outbox_idle(self, *, timeout: float = 20.0) -> None:
        """Wait until every queued Slack write has been delivered (or failed for good)."""
        store = SqlStore(self.engine)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            self.worker.wake()
            async with store.transaction(readonly=True) as tx:
                pending, _ = await tx.outbox.pending()
            if pending == 0:
                return
            if loop.time() > deadline:
                raise TimeoutError(f"{pending} Slack writes still pending after {timeout:g}s")
            await asyncio.sleep(0.05)


@asynccontextmanager
async def running(
    settings: Settings, *, config: BatonConfig | None = None, first_run: BatonConfig | None = None
) -> AsyncIterator[Runtime]:
    """Run Baton until the block exits: migrate, serve HTTP, deliver the outbox, connect Socket Mode.

    `config` (else the BATON_CONFIG file) is stored as a new configuration version if it changed since it
    was last read; the newest stored version is then in force. A bad file is logged and changes nothing.
    `first_run`: the configuration to store when none is stored yet and none was given (the sandbox's demo).
    """
    given, origin = (config, "startup") if config is not None else _read_config_file(settings)
    engine = create_engine(settings.database_url)
    metrics = Metrics()
    session = aiohttp.ClientSession(trace_configs=[metrics.slack_trace(settings.slack_api_url)])
    try:
        if settings.auto_migrate:
            await migrate(engine)
        else:
            await require_head(engine)
        store = SqlStore(engine)
        service = BatonService(store=store, clock=utc_now)
        warm_up()
        try:
            await service.start_config(given, actor=Actor(user_id=origin, source=ChangeSource.CONFIG_FILE))
        except UsageError as error:  # valid alone, refused as a whole: logged, the last good one stays
            logger.error("the configuration file was not put in force: %s", error.problem)
            await service.refresh_config()
        if service.config_version == 0 and first_run is not None:
            await service.start_config(
                first_run, actor=Actor(user_id="first run", source=ChangeSource.CONFIG_FILE)
            )
        bolt = build_bolt_app(settings, service=service)
        bolt.middleware(metrics.bolt_middleware())
        # The listeners' client shares the runtime's session: connections are reused and its calls counted.
        bolt.client.session = session
        # The outbox's client retries nothing itself: the worker owns retries, so that it can tell whether an
        # ambiguous failure already posted before it tries again.
        client = build_web_client(
            token=settings.secret("slack_bot_token"),
            base_url=settings.slack_api_url,
            retries=False,
            session=session,
        )
        notifier = Notifier(client=client, service=service)
        worker = OutboxWorker(
            store=store, notifier=notifier, delivered=service.delivered, clock=utc_now, metrics=metrics
        )
        service.on_outbox(worker.wake)
        sockets: list[AsyncSocketModeHandler] = []  # the Socket Mode connection, once opened (for /healthz)
        web_app = build_web_app(
            bolt=bolt,
            health=_health_check(engine, settings, sockets),
            metrics=metrics,
            metrics_page=lambda: metrics.scrape(store, now=utc_now()),
            api=lambda app: add_api(app, service=service, metrics=metrics),
            middlewares=[api_middleware(service=service, metrics=metrics)],
            slack_events_route=settings.mode is not Mode.SOCKET,
        )
        runner = web.AppRunner(web_app)
        await runner.setup()
        await web.TCPSite(runner, settings.host, settings.port).start()
        delivery = asyncio.create_task(worker.run(), name="baton-outbox")
        scheduler = build_scheduler(
            metrics.timed_sweep(service.sweep),
            every=timedelta(seconds=settings.sweep_seconds),
            refresh_config=service.refresh_config,
        )
        scheduler.start()
        socket = None
        try:
            await _check_bot_token(client)
            if settings.mode is Mode.SOCKET:
                await _check_app_token(settings)
                socket = CountedSocketModeHandler(bolt, settings.secret("slack_app_token"), metrics=metrics)
                sockets.append(socket)
                await socket.connect_async()
            yield Runtime(
                settings=settings,
                engine=engine,
                service=service,
                bolt=bolt,
                worker=worker,
                notifier=notifier,
                port=runner.addresses[0][1],
                metrics=metrics,
                socket=socket,
            )
        finally:
            if socket is not None:
                await socket.close_async()
            scheduler.shutdown(wait=False)
            await runner.cleanup()
            delivery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await delivery
    finally:
        await session.close()
        await engine.dispose()


def _read_config_file(settings: Settings) -> tuple[BatonConfig | None, str]:
    """The BATON_CONFIG file's configuration; None without a file or with a bad one (logged)."""
    path = settings.config_path
    if path is None:
        return None, ""
    try:
        return load_config(path), str(path)
    except ConfigError as error:
        logger.error("%s; the last good configuration stays in force", error)
        return None, str(path)


class CountedSocketModeHandler(AsyncSocketModeHandler):
    """Bolt's Socket Mode handler, counting what the HTTP handler counts: a request that failed (no ack
    then: Slack redelivers it) is one `baton_errors_total{where="slack_events"}`, as over HTTP."""

    def __init__(self, app: AsyncApp, app_token: str | None, *, metrics: Metrics) -> None:
        super().__init__(app, app_token)
        self._metrics = metrics

    async def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        started = time.perf_counter()
        try:
            response = await run_async_bolt_app(self.app, req)
        except Exception:
            self._metrics.errors.labels("slack_events").inc()
            raise
        if response.status >= 500:
            self._metrics.errors.labels("slack_events").inc()
        self._metrics.ack_seconds.observe(time.perf_counter() - started)
        await send_async_response(client, req, response, started)


class StartupRefused(RuntimeError):
    """Baton can't start as configured (a token Slack refuses); the message says what to change."""


# Slack's answers to a token it will never take: retrying (Socket Mode's client does, for ever) can't help.
_REFUSED_TOKEN = frozenset(
    {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"}
)


async def _check_bot_token(client: AsyncWebClient) -> None:
    """StartupRefused if Slack refuses the bot token: Bolt would ack every event with "installation no
    longer available" (so Slack never redelivers it) while /healthz said ok. Slack unreachable is no reason
    not to start: the outbox and Slack's redeliveries catch up."""
    try:
        await _check_token(
            client.auth_test(),
            refused="Slack refused SLACK_BOT_TOKEN ({code}): give the bot token (xoxb-…) of the app as"
            " installed in your workspace (OAuth & Permissions)",
            otherwise="auth.test failed ({code}); starting anyway",
        )
    except (TimeoutError, aiohttp.ClientError) as error:
        logger.warning("Slack unreachable at start (%s); starting anyway", error)


async def _check_app_token(settings: Settings) -> None:
    """StartupRefused if Slack refuses the app-level token (else the Socket Mode client retries for ever)."""
    token = settings.secret("slack_app_token")
    client = build_web_client(token=token, base_url=settings.slack_api_url, retries=False)
    await _check_token(
        client.apps_connections_open(app_token=token),
        refused="Slack refused SLACK_APP_TOKEN ({code}): give an app-level token (xapp-…) with the"
        " connections:write scope",
        otherwise="apps.connections.open failed ({code}); Socket Mode keeps trying",
    )


async def _check_token(call: Awaitable[Any], *, refused: str, otherwise: str) -> None:
    """Await a call made with a token: StartupRefused (`refused`) if Slack will never take the token, else
    only a warning (`otherwise`) for any other refusal."""
    try:
        await call
    except SlackApiError as error:
        code = str(error.response.get("error") or "")
        if code in _REFUSED_TOKEN or code == "not_allowed_token_type":
            raise StartupRefused(refused.format(code=code)) from error
        logger.warning(otherwise.format(code=code))


def _health_check(engine: AsyncEngine, settings: Settings, sockets: list[AsyncSocketModeHandler]) -> Any:
    async def check() -> dict[str, Any]:
        try:
            # Read-only: on SQLite a plain BEGIN, not the writers' BEGIN IMMEDIATE, so another process
            # holding the write lock (a migration, an import, a backup) does not make Baton look down.
            async with engine.connect() as connection:
                connection = await connection.execution_options(baton_readonly=True)
                await connection.execute(text("SELECT 1"))
            database = "ok"
        except Exception as error:  # health reports the failure instead of raising it
            logger.warning("health check: database unreachable: %s", error)
            database = f"error: {type(error).__name__}"
        report: dict[str, Any] = {"ok": database == "ok", "mode": settings.mode.value, "database": database}
        if settings.mode is Mode.SOCKET:  # no events come in while the socket is down
            connected = bool(sockets) and await sockets[0].client.is_connected()
            report["socket"] = "connected" if connected else "disconnected"
            report["ok"] = report["ok"] and connected
        return report

    return check
