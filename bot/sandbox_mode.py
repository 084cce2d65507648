"""`baton run` without Slack credentials: a seeded local workspace, and Baton connected to it over HTTP."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

from pydantic import SecretStr

from bot.runtime import Runtime, running
from bot.settings import SANDBOX_DATABASE_URL, Settings
from routing.config import BatonConfig
from routing.models import Account
from routing.routes import Route, RoutingTable, Target, TargetKind
from sandbox import Sandbox, SeedInfo, seed_demo_workspace

logger = logging.getLogger(__name__)


async def run_with_sandbox(settings: Settings, *, until: asyncio.Future[None]) -> int:
    """Start the sandbox, seed it, run Baton against it, print how to play, and wait for `until`."""
    sandbox = Sandbox()
    await sandbox.start(host="127.0.0.1", port=settings.sandbox_port)
    try:
        seed = seed_demo_workspace(sandbox, bot_in_shared_channel=False)
        app_settings = sandbox_settings(settings, sandbox)
        # BATON_CONFIG if it is set (a bad file is logged and leaves the last good configuration in force,
        # as in production), else the demo's; the demo's too on a first run with a bad file.
        demo = sandbox_config(seed)
        config = None if settings.config_path is not None else demo
        async with running(app_settings, config=config, first_run=demo) as runtime:
            sandbox.set_request_url(runtime.events_url)
            # Invite the bot the way an admin would: Baton starts watching the shared channel on the event.
            await sandbox.join_channel(seed.bot_user_id, seed.shared_channel_id, inviter=seed.admin_id)
            await describe_acme(runtime, seed)
            print(
                _instructions(
                    sandbox.url,
                    runtime.url,
                    app_settings.database_url,
                    seed.customer_id,
                    seed.shared_channel_id,
                ),
                flush=True,
            )
            await until
    finally:
        await sandbox.stop()
    return 0


def sandbox_settings(settings: Settings, sandbox: Sandbox) -> Settings:
    """Settings that point Baton at the sandbox instead of Slack (and at the sandbox's own database file,
    unless BATON_DATABASE_URL says which)."""
    database = {} if "database_url" in settings.model_fields_set else {"database_url": SANDBOX_DATABASE_URL}
    return settings.model_copy(
        update={
            **database,
            "slack_bot_token": SecretStr(sandbox.bot_token),
            "slack_signing_secret": SecretStr(sandbox.signing_secret),
            "slack_app_token": None,
            "slack_api_url": sandbox.api_url,
            "host": "127.0.0.1",
        }
    )


def sandbox_config(seed: SeedInfo) -> BatonConfig:
    """The demo workspace's routes: sales moments to the account owner, everything else to #baton-triage."""
    triage = Target(TargetKind.CHANNEL, seed.triage_channel_id)
    routes = (
        Route(
            id="sales-to-owner",
            escalation_types=("sales_opportunity",),
            target=Target(TargetKind.ACCOUNT_OWNER, fallback=triage),
        ),
    )
    return BatonConfig(routing=RoutingTable(routes=routes, default=triage))


async def describe_acme(runtime: Runtime, seed: SeedInfo) -> None:
    """Tell Baton who Acme is and which bot is the AI agent, as an admin would with /baton channel."""
    channel = await runtime.service.watched_channel(seed.shared_channel_id)
    if channel is None:
        raise RuntimeError("the sandbox's shared channel is not watched: the join event was not handled")
    await runtime.service.save_channel(
        replace(
            channel,
            account=Account(name="Acme", tier="enterprise", value=120_000, owner_user_id=seed.rep_id),
            ai_bot_ids=(seed.ai_bot_id,),
            unanswered_minutes=None,  # every setting of `/baton channel set`: each start seeds it afresh
        )
    )


def _instructions(sandbox_url: str, baton_url: str, database_url: str, customer: str, channel: str) -> str:
    post = (
        f"curl -s -X POST {sandbox_url}sandbox/post -H 'content-type: application/json' \\\n"
        f'      -d \'{{"user": "{customer}", "channel": "{channel}", '
        f'"text": "Can I talk to a person about our contract?"}}\''
    )
    return f"""
Baton is running against a local sandbox workspace (no Slack credentials were set).

  Workspace:  {sandbox_url}   (channels and messages; a form to post as anyone)
  Health:     {baton_url}healthz
  Database:   {database_url}

Post as the customer, Casey Customer of Acme, in the shared channel #acme-support:

    {post}

Every message is stored once in the database, even when the sandbox delivers it twice. Ctrl-C stops.
"""
