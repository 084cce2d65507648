"""The floor: a bare slack-bolt AsyncApp with one no-op `message` listener, served like Baton.

usage: SLACK_SIGNING_SECRET=… python bench/intake/floor_app.py --port PORT

Same framework, same settings Baton gives Bolt (`process_before_response=True`, signature verification on),
same aiohttp server (bot/server.py's `build_web_app`). Authorization is a function that answers without a
network call, so the floor pays no `auth.test`. Whatever Baton costs above this is Baton's own work.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import Any

from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bot.server import build_web_app  # noqa: E402


def build_floor(signing_secret: str) -> AsyncApp:
    """The AsyncApp with nothing but a no-op message listener."""

    async def authorize(**_: Any) -> AuthorizeResult:
        return AuthorizeResult(
            enterprise_id=None,
            team_id="T0OURS",
            bot_user_id="U0BATON",
            bot_id="B0BATON",
            bot_token="xoxb-floor",
        )

    app = AsyncApp(signing_secret=signing_secret, authorize=authorize, process_before_response=True)

    @app.event("message")
    async def noop() -> None:
        return None

    return app


async def health() -> dict[str, Any]:
    return {"ok": True}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    bolt = build_floor(os.environ["SLACK_SIGNING_SECRET"])
    web.run_app(build_web_app(bolt=bolt, health=health), host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
