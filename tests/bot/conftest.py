"""Baton's real Bolt app, served over HTTP, with the sandbox as its Slack."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.runtime import Runtime, running
from bot.sandbox_mode import describe_acme, sandbox_config, sandbox_settings
from bot.settings import Settings
from routing.config import BatonConfig
from sandbox import Sandbox, SeedInfo, seed_demo_workspace


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    """A started sandbox; Slack's retry delays are shortened to keep the tests quick."""
    async with Sandbox(ack_timeout=3.0, retry_delays=(0.0, 0.05, 0.1)) as sb:
        yield sb


@pytest.fixture
def seed(sandbox: Sandbox) -> SeedInfo:
    """The demo workspace: our team, Acme in a shared channel, a triage channel."""
    return seed_demo_workspace(sandbox)


@pytest.fixture
def settings(sandbox: Sandbox, database_url: str) -> Settings:
    """Settings pointing Baton at the sandbox and the test database, on a free port."""
    return sandbox_settings(Settings(database_url=database_url, port=0), sandbox)


@pytest.fixture
def config(seed: SeedInfo) -> BatonConfig:
    """The demo routes: sales moments to Acme's owner (Riley), everything else to #baton-triage."""
    return sandbox_config(seed)


@pytest.fixture
async def baton(
    sandbox: Sandbox, seed: SeedInfo, settings: Settings, config: BatonConfig
) -> AsyncIterator[Runtime]:
    """Baton running over HTTP, watching the Acme channel (account Acme, owner Riley, AI agent known)."""
    async with running(settings, config=config) as runtime:
        sandbox.set_request_url(runtime.events_url)
        await runtime.service.watch_channel(
            channel_id=seed.shared_channel_id, name="acme-support", is_shared=True
        )
        await describe_acme(runtime, seed)
        yield runtime


async def settle(runtime: Runtime, sandbox: Sandbox, *, timeout: float = 20.0) -> None:
    """Wait until the outbox is empty and the sandbox has delivered what followed from it."""
    await runtime.outbox_idle(timeout=timeout)
    await sandbox.drain()
