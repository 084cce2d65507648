"""Slack's answers to a write, as typed errors: what the outbox worker should do next."""

from __future__ import annotations

import re
from collections.abc import Awaitable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from routing.models import OutboxItem

# ok:false codes that mean "try again later". As of 2026 Slack documents internal_error and fatal_error as
# "the server could not complete your operation(s) without encountering an error": the write may have landed.
TRANSIENT_CODES = frozenset(
    {
        "internal_error",
        "fatal_error",
        "service_unavailable",
        "request_timeout",
        "ratelimited",
        "team_not_ready",
    }
)
# ok:false codes about the token or the app, not the row: every write fails alike until an admin reinstalls
# the app or the incident ends; giving rows up would lose every card and customer message queued meanwhile.
# (Not missing_scope: it names one method's scope, and the look-ups that may lack one have fallbacks.)
WORKSPACE_CODES = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
        "account_inactive",
        "team_added_to_org",
        "org_login_required",
        "ekm_access_denied",
    }
)


class DeliveryError(Exception):
    """A Slack write that did not (knowingly) succeed."""


class RateLimited(DeliveryError):
    """Slack answered 429: wait `retry_after` seconds before writing to this channel again."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited for {retry_after:g}s")
        self.retry_after = retry_after


class Transient(DeliveryError):
    """A 5xx, a dropped connection or a timeout. `ambiguous`: Slack may have done the write anyway."""

    def __init__(self, reason: str, *, ambiguous: bool) -> None:
        super().__init__(reason)
        self.ambiguous = ambiguous


class WorkspaceRefused(Transient):
    """Slack refused the token or the app itself (revoked, inactive, a missing scope…): the row waits, with
    backoff, until the workspace takes writes again."""

    def __init__(self, code: str) -> None:
        super().__init__(code, ambiguous=False)
        self.code = code


class Permanent(DeliveryError):
    """Slack refused for good (channel_not_found, invalid_blocks…): retrying can't help."""


class InternalPostRefused(Permanent):
    """Baton refused to post something internal into a shared (Slack Connect) channel."""


async def slack_call(call: Awaitable[AsyncSlackResponse]) -> AsyncSlackResponse:
    """Await a Web API call, translating failures into DeliveryError subclasses."""
    try:
        return await call
    except SlackApiError as error:
        response: Any = error.response
        status = int(getattr(response, "status_code", 200) or 200)
        code = str(response.get("error") or "") if response is not None else ""
        if status == 429:
            headers = getattr(response, "headers", {}) or {}
            retry_after = headers.get("Retry-After") or headers.get("retry-after") or 1
            raise RateLimited(float(retry_after)) from error
        if status >= 500:
            raise Transient(f"HTTP {status} {code}".strip(), ambiguous=True) from error
        if code in WORKSPACE_CODES:
            raise WorkspaceRefused(code) from error
        if code in TRANSIENT_CODES:
            raise Transient(code, ambiguous=code in ("internal_error", "fatal_error")) from error
        raise Permanent(code or f"HTTP {status}") from error
    except (TimeoutError, aiohttp.ClientError) as error:
        raise Transient(f"{type(error).__name__}: {error}", ambiguous=True) from error


# How an outbox row's failed try is recorded (`last_error`): "[attempt N] <kind>: <what Slack said>", or
# "[attempt N, maybe posted] …" once any try of the row may have posted (the mark stays: every later try
# looks for that post first).
_ATTEMPT = re.compile(r"^\[attempt (\d+)\] (ratelimited|transient|workspace): ")


def attempt_note(item: OutboxItem) -> str:
    """The prefix of the error recorded for the row's current, failed try (`item.attempts`)."""
    earlier_maybe_posted = item.attempts > 1 and not surely_not_sent(item)
    return f"[attempt {item.attempts}{', maybe posted' if earlier_maybe_posted else ''}] "


def surely_not_sent(item: OutboxItem) -> bool:
    """Whether no earlier try of the row can have reached Slack: each ended known not to have posted (a 429,
    a transient refusal Slack did not act on, the token refused), so the next try needs no look-up for an
    earlier post. Any other end of any try (a dropped connection, a 5xx, a timeout, a crash mid-call, a
    look-up that was itself refused) may have posted."""
    match = _ATTEMPT.match(item.last_error or "")
    return match is not None and int(match.group(1)) == item.attempts - 1
