"""The Slack Web API client factory: base URL from settings, retries for connection errors, 429 and 5xx."""

from __future__ import annotations

import aiohttp
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient


def retry_handlers(*, attempts: int = 2) -> list[AsyncRetryHandler]:
    """Retry connection errors, 429 (waiting the Retry-After Slack sends) and 5xx answers."""
    return [
        AsyncConnectionErrorRetryHandler(max_retry_count=attempts),
        AsyncRateLimitErrorRetryHandler(max_retry_count=attempts),
        AsyncServerErrorRetryHandler(max_retry_count=attempts),
    ]


SLACK_TIMEOUT = 30  # seconds a Slack call may take before the client gives up on it


def build_web_client(
    *,
    token: str,
    base_url: str,
    retries: bool = True,
    timeout: int = SLACK_TIMEOUT,
    session: aiohttp.ClientSession | None = None,
) -> AsyncWebClient:
    """An AsyncWebClient for one token against `base_url` (Slack's, or the sandbox's).

    Pass a long-lived `session` to reuse connections: without one, every call opens its own (and, on real
    Slack, pays for a TLS handshake).
    """
    return AsyncWebClient(
        token=token,
        base_url=base_url,
        timeout=timeout,
        session=session,
        retry_handlers=retry_handlers() if retries else [],
    )
