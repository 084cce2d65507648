"""Slack request signing (v0)."""

from __future__ import annotations

import hashlib
import hmac
import time


def signature(signing_secret: str, timestamp: str, body: bytes) -> str:
    """The X-Slack-Signature value: "v0=" + hex HMAC-SHA256 of "v0:{timestamp}:{body}"."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(signing_secret: str, body: bytes, content_type: str) -> dict[str, str]:
    """Headers for a request to the app, signed now."""
    timestamp = str(int(time.time()))
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature(signing_secret, timestamp, body),
        "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
    }
