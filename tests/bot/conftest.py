"""Baton's real Bolt app, served over HTTP, with the sandbox as its Slack."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.runtime import Runtime, running
from bot.sandbox_mode import sandbox_settings
from bot.settings import Settings
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
async def baton(sandbox: Sandbox, seed: SeedInfo, settings: Settings) -> AsyncIterator[Runtime]:
    """Baton running over HTTP, watching the Acme channel."""
    async with running(settings) as runtime:
        sandbox.set_request_url(runtime.events_url)
        await runtime.service.watch_channel(
            channel_id=seed.shared_channel_id, name="acme-support", is_shared=True
        )
        yield runtime
