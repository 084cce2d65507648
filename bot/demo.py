"""`baton demo`: three customer stories against a local sandbox workspace, printed as each side sees them."""

from __future__ import annotations

import argparse
import logging
import re
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from bot.runtime import Runtime, running
from bot.sandbox_mode import describe_acme, sandbox_config, sandbox_settings
from bot.settings import Settings
from handlers.cards import render_text
from handlers.cards_text import plain
from sandbox import Sandbox, SeedInfo, seed_demo_workspace
from sandbox.models import Message

RULE = "━" * 100


@dataclass(frozen=True)
class Story:
    title: str
    play: Callable[[Sandbox, SeedInfo], Awaitable[str]]  # returns the customer's thread ts


async def run_demo(settings: Settings, args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Play the stories; a throwaway SQLite database, nothing left behind."""
    out = out or sys.stdout
    logging.getLogger().setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="baton-demo-") as folder:
        database = f"sqlite+aiosqlite:///{Path(folder) / 'demo.db'}"
        async with Sandbox(ack_timeout=3.0) as sandbox:
            seed = seed_demo_workspace(sandbox, bot_in_shared_channel=False)
            app_settings = sandbox_settings(
                settings.model_copy(update={"database_url": database, "port": 0, "config_path": None}),
                sandbox,
            )
            async with running(app_settings, config=sandbox_config(seed)) as runtime:
                sandbox.set_request_url(runtime.events_url)
                await sandbox.join_channel(seed.bot_user_id, seed.shared_channel_id, inviter=seed.admin_id)
                await describe_acme(runtime, seed)
                for number, story in enumerate(STORIES, start=1):
                    await _play(number, story, runtime, sandbox, seed, out)
    return 0


async def _play(
    number: int, story: Story, runtime: Runtime, sandbox: Sandbox, seed: SeedInfo, out: TextIO
) -> None:
    out.write(f"\n{RULE}\nStory {number}: {story.title}\n{RULE}\n")
    thread_ts = await story.play(sandbox, seed)
    await _settled(runtime, sandbox)
    _customer_view(sandbox, seed, thread_ts, out)
    card = _card_for(sandbox, seed, thread_ts)
    if card is None:
        out.write("\n(no handoff: the AI keeps the conversation)\n")
        return
    _rep_view(sandbox, card, out)
    if number == 2:  # the pricing story is claimed and resolved on screen
        for action, who in (("baton_claim", seed.rep_id), ("baton_resolve", seed.rep_id)):
            await sandbox.click_button(who, card.channel, card.ts, action)
            await _settled(runtime, sandbox)
            out.write(f"\n… {_names(sandbox, f'<@{who}>')} clicks {action.removeprefix('baton_').title()}:\n")
            _rep_view(sandbox, _card_for(sandbox, seed, thread_ts) or card, out)
        _customer_view(sandbox, seed, thread_ts, out)


async def _settled(runtime: Runtime, sandbox: Sandbox) -> None:
    await runtime.outbox_idle(timeout=20)
    await sandbox.drain()


def _customer_view(sandbox: Sandbox, seed: SeedInfo, thread_ts: str, out: TextIO) -> None:
    out.write(f"\nIn #acme-support, as {_user_name(sandbox, seed.customer_id)} of Acme sees it:\n")
    for message in sandbox.messages(seed.shared_channel_id, thread_ts=thread_ts):
        author = _user_name(sandbox, message.user or "")
        out.write(f"  {author:>16}: {_names(sandbox, message.text)}\n")


def _rep_view(sandbox: Sandbox, card: Message, out: TextIO) -> None:
    where = (
        "a DM to " + _user_name(sandbox, _dm_user(sandbox, card.channel))
        if card.channel.startswith("D")
        else ("#" + sandbox.workspace.channels[card.channel].name)
    )
    out.write(f"\nThe handoff card in {where}, as the team sees it:\n")
    for line in _names(sandbox, render_text(card.text, card.blocks or [])).splitlines():
        out.write(f"  │ {line}\n")
    for reply in sandbox.messages(card.channel, thread_ts=card.ts)[1:]:
        out.write(f"  └─ {plain(_names(sandbox, reply.text))}\n")


def _card_for(sandbox: Sandbox, seed: SeedInfo, thread_ts: str) -> Message | None:
    for channel in list(sandbox.workspace.channels):
        for message in sandbox.messages(channel):
            meta = message.metadata or {}
            if meta.get("event_type") == "baton_card" and _card_thread(sandbox, message) == thread_ts:
                return message
    return None


def _card_thread(sandbox: Sandbox, card: Message) -> str | None:
    # Cards link to the customer's thread; the permalink ends with p<ts without the dot>.
    for block in card.blocks or []:
        for element in block.get("elements") or []:
            url = str(element.get("url") or "")
            match = re.search(r"/p(\d{10})(\d{6})", url)
            if match:
                return f"{match.group(1)}.{match.group(2)}"
    return None


def _dm_user(sandbox: Sandbox, channel: str) -> str:
    return str(sandbox.workspace.channels[channel].im_user or "")


def _user_name(sandbox: Sandbox, user_id: str) -> str:
    user = sandbox.workspace.users.get(user_id)
    if user is None:
        return user_id
    return "Baton" if user_id == sandbox.workspace.bot_user_id else user.real_name or user.name


def _names(sandbox: Sandbox, text: str) -> str:
    """Slack mentions and ids as the names people would see."""
    text = re.sub(r"<@(\w+)>", lambda m: "@" + _user_name(sandbox, m.group(1)), text)
    channels = sandbox.workspace.channels
    text = re.sub(
        r"#([CG][A-Z0-9]+)\b", lambda m: "#" + (channels[m[1]].name if m[1] in channels else m[1]), text
    )
    return re.sub(r"@\u200b?([UW][A-Z0-9]+)\b", lambda m: "@" + _user_name(sandbox, m.group(1)), text)


def _assessment(confidence: float, summary: str, intent: str) -> dict[str, Any]:
    return {
        "event_type": "ai_assessment",
        "event_payload": {"confidence": confidence, "summary": summary, "intent": intent},
    }


async def _qualification(sandbox: Sandbox, seed: SeedInfo) -> str:
    shared, customer, ai = seed.shared_channel_id, seed.customer_id, seed.ai_bot_user_id
    root = await sandbox.post_message(
        customer,
        shared,
        "Hi! Does your platform integrate with Zendesk?",
    )
    ts = root.message.ts
    await sandbox.post_message(
        ai,
        shared,
        "Yes: there's a native Zendesk integration that syncs tickets both ways.",
        thread_ts=ts,
        metadata=_assessment(0.92, "Zendesk integration question", "qualification"),
    )
    await sandbox.post_message(
        customer, shared, "Great. Does the Business plan include SSO with Okta and audit logs?", thread_ts=ts
    )
    await sandbox.post_message(
        ai,
        shared,
        "I believe SSO is available, but I'm not certain audit logs are part of the Business plan.",
        thread_ts=ts,
        metadata=_assessment(
            0.45, "Unsure whether audit logs are in the Business plan", "plan_qualification"
        ),
    )
    return ts


async def _custom_pricing(sandbox: Sandbox, seed: SeedInfo) -> str:
    posted = await sandbox.post_message(
        seed.customer_id, seed.shared_channel_id, "I need to speak to someone about custom pricing"
    )
    return posted.message.ts


async def _frustrated(sandbox: Sandbox, seed: SeedInfo) -> str:
    shared, customer = seed.shared_channel_id, seed.customer_id
    root = await sandbox.post_message(customer, shared, "Our CSV export has been failing since Monday.")
    ts = root.message.ts
    await sandbox.post_message(
        seed.ai_bot_user_id,
        shared,
        "Sorry about that! Could you try exporting a smaller date range?",
        thread_ts=ts,
    )
    await sandbox.post_message(
        customer,
        shared,
        "This is ridiculous. Third time I'm asking and the export is still broken. Nobody has looked at it!!",
        thread_ts=ts,
    )
    return ts


STORIES = (
    Story("the AI's confidence drops to 45% during qualification", _qualification),
    Story('"I need to speak to someone about custom pricing"', _custom_pricing),
    Story("a frustrated customer", _frustrated),
)
