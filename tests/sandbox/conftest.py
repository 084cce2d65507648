"""Fixtures: a started, seeded sandbox; a signature-checking app receiver; Web API clients."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from sandbox import Sandbox, SeedInfo, seed_demo_workspace
from tests.sandbox.receiver import AppReceiver


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    """A seeded sandbox on a free port, with fast retries (ack 0.5 s, delays scaled by 0.01)."""
    sb = Sandbox(ack_timeout=0.5, retry_delay_scale=0.01)
    seed_demo_workspace(sb)
    await sb.start()
    yield sb
    await sb.stop()


@pytest.fixture
def seed(sandbox: Sandbox) -> SeedInfo:
    """The seeded ids."""
    return SeedInfo()


@pytest.fixture
async def app(sandbox: Sandbox) -> AsyncIterator[AppReceiver]:
    """An app receiver registered as the sandbox's request URL."""
    receiver = AppReceiver(sandbox.signing_secret)
    await receiver.start()
    sandbox.set_request_url(receiver.url)
    yield receiver
    await receiver.stop()


@pytest.fixture
def client(sandbox: Sandbox) -> AsyncWebClient:
    """slack_sdk's AsyncWebClient with the bot token, pointed at the sandbox."""
    return AsyncWebClient(token=sandbox.bot_token, base_url=sandbox.api_url)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """A raw HTTP session, for status codes and headers slack_sdk hides."""
    async with aiohttp.ClientSession() as session:
        yield session
