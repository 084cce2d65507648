"""The `/baton` slash command. Today: `help` and `test <text>` (a dry run anyone may use)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from handlers.context import service_of
from routing.dry_run import dry_run

MAX_TEST_TEXT = 4000
USAGE = (
    "*`/baton`* decides when a customer conversation needs a person.\n"
    "• `/baton test <a customer message>`: which triggers would fire, the escalation type and where the card "
    "would go. Nothing is stored or posted; the channel's account is taken into account.\n"
    "• `/baton help`: this message."
)


async def on_baton(ack: AsyncAck, command: dict[str, Any], context: AsyncBoltContext) -> None:
    """Answer privately: usage, a dry run, or what was wrong with the command."""
    subcommand, _, rest = str(command.get("text") or "").strip().partition(" ")
    rest = rest.strip()
    if subcommand in ("", "help"):
        await ack(response_type="ephemeral", text=USAGE)
    elif subcommand != "test":
        await ack(response_type="ephemeral", text=f"I don't know `/baton {subcommand[:50]}`.\n{USAGE}")
    elif not rest:
        await ack(response_type="ephemeral", text="Usage: `/baton test <a customer message>`")
    elif len(rest) > MAX_TEST_TEXT:
        await ack(
            response_type="ephemeral",
            text=f"That message is over {MAX_TEST_TEXT} characters; try a shorter one.",
        )
    else:
        service = service_of(context)
        channel = await service.watched_channel(str(command.get("channel_id") or ""))
        result = dry_run(rest, config=service.config, channel=channel, now=service.now())
        await ack(response_type="ephemeral", text=result.describe())


def register(app: AsyncApp) -> None:
    """Listen to /baton."""
    app.command("/baton")(on_baton)
