"""Payload text every database and Slack accepts: a lone UTF-16 surrogate becomes U+FFFD (�).

JSON may carry a lone surrogate as an escape (`"\\ud800"`); Python decodes it into a string that UTF-8
cannot encode, so storing the message (SQLite or PostgreSQL) would fail on every redelivery and the
customer's message would be lost. This middleware replaces lone surrogates before any listener sees the
payload, in place.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

# In the raw body: a surrogate escape, JSON (`\ud800`) or JSON inside a form field (`%5Cud800`). Paired ones
# (an escaped emoji) match too; scrubbing leaves them as they decoded.
_ESCAPED = re.compile(r"(?:\\|%5[cC])u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def install_unicode_scrub(app: AsyncApp) -> None:
    """Scrub lone surrogates from every request's parsed body (before the other middleware)."""
    app.middleware(UnicodeScrub())


class UnicodeScrub(AsyncMiddleware):
    """The scrubbing middleware (an object, so Bolt calls it without building a function's arguments)."""

    async def async_process(
        self, *, req: AsyncBoltRequest, resp: BoltResponse, next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse:
        # Socket Mode requests come parsed (no raw body to look at): scrub them always, it is cheap.
        if not req.raw_body or _ESCAPED.search(req.raw_body):
            scrub_in_place(req.body)
        return await next()


def scrub_in_place(value: Any) -> Any:
    """`value` with each lone surrogate in its strings replaced by U+FFFD (dicts and lists: in place)."""
    if isinstance(value, str):
        return scrubbed(value)
    if isinstance(value, dict):
        for key, item in value.items():
            value[key] = scrub_in_place(item)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            value[index] = scrub_in_place(item)
    return value


def scrubbed(text: str) -> str:
    """`text` with lone surrogates replaced by U+FFFD (a surrogate pair becomes the character it encodes)."""
    if not _SURROGATE.search(text):
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
