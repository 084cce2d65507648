"""The `/baton` slash command: parse strictly, authorise, run, answer privately.

`help` and `test <text>` (a dry run) are open to anyone; list/show commands to members of our workspace;
everything that changes Baton, `audit`, `export` and `import` to admins (see handlers/admin.py).
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from handlers.admin import FOR_THE_TEAM, refusal, run_admin_command, start_stats
from handlers.context import PERMISSIONS, ROLE, attach_command_role, service_of
from handlers.permissions import Role
from routing.admin_grammar import UsageError, parse_command, spec_of
from routing.dry_run import dry_run


async def on_baton(
    ack: AsyncAck,
    command: dict[str, Any],
    context: AsyncBoltContext,
    client: AsyncWebClient,
    respond: AsyncRespond,
) -> None:
    """Answer privately: the result, a refusal, or what was wrong with the command (nothing changed)."""
    if context[ROLE] is Role.EXTERNAL:  # whatever they type: no command list, no usage, for customers
        await ack(response_type="ephemeral", text=FOR_THE_TEAM)
        return
    # Slack escapes &, < and > in what people type (as of 2026; mentions keep their <@U…> form).
    text = _unescape(str(command.get("text") or ""))
    # Refused before its usage is explained, when the words name a command at once; and always checked
    # again on what parsing says will run (quotes can make the two readings differ: `rules "disable"`).
    spec = spec_of(text)
    denied = refusal(spec, context[ROLE]) if spec is not None else None
    if denied:
        await ack(response_type="ephemeral", text=denied)
        return
    try:
        parsed = parse_command(text)
    except UsageError as error:
        await ack(response_type="ephemeral", text=str(error))
        return
    if denied := refusal(parsed.spec, context[ROLE]):
        await ack(response_type="ephemeral", text=denied)
        return
    service = service_of(context)
    if parsed.name == "stats":
        try:
            answer = start_stats(parsed, service=service, respond=respond)
        except UsageError as error:
            answer = str(error)
        await ack(response_type="ephemeral", text=answer)
        return
    if parsed.name == "test":
        channel = await service.watched_channel(str(command.get("channel_id") or ""))
        result = dry_run(parsed.text, config=service.config, channel=channel, now=service.now())
        answer = result.describe()
    else:
        answer = await run_admin_command(
            parsed, service=service, client=client, permissions=context[PERMISSIONS], payload=command
        )
    await ack(response_type="ephemeral", text=answer)


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&") if "&" in text else text


def register(app: AsyncApp) -> None:
    """Listen to /baton (the user's role is looked up first, by a listener middleware)."""
    app.command("/baton", middleware=[attach_command_role])(on_baton)
