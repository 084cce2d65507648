"""`/baton` admin commands on the Slack side: who may run what, YAML export and import, channel lookups."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable
from typing import Any

import yaml
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from handlers.background import Background
from handlers.delivery_errors import Permanent, RateLimited, Transient, WorkspaceRefused, slack_call
from handlers.membership import is_shared_channel
from handlers.modals import open_type_editor
from handlers.permissions import Permissions, Role
from routing.admin_commands import (
    ChannelLookup,
    Invocation,
    PersonCheck,
    SeenChannel,
    execute,
    refuse_unusable,
)
from routing.admin_grammar import Access, Command, Spec, UsageError
from routing.administration import REFUSED
from routing.config import parse_config
from routing.models import Actor, WatchedChannel
from routing.routes import destinations
from routing.rules import RulesError
from routing.service import BatonService
from routing.stats_views import period_label, stats_mrkdwn, stats_period
from routing.yaml_text import dump_yaml, load_yaml

logger = logging.getLogger(__name__)

# Stats answers being computed: a strong reference, so a running task is not garbage-collected.
_STATS_ANSWERS = Background()
_FENCE = re.compile(r"^\s*```(?:[a-z]*[ \t]*\n)?(.*?)\n?```\s*$", re.S)  # ```yaml on its own line


# What a person of another organisation (a customer in a Slack Connect channel) is told for any /baton.
FOR_THE_TEAM = (
    "`/baton` is for the team that runs this channel, to look after your conversations with them. "
    "Nothing was changed."
)


def refusal(spec: Spec, role: Role) -> str | None:
    """Why `role` may not run the command, or None if it may."""
    if spec.access is Access.ANYONE or (spec.access is Access.MEMBER and role is not Role.EXTERNAL):
        return None
    if role is Role.ADMIN:
        return None
    if role is Role.EXTERNAL:
        return FOR_THE_TEAM
    return (
        f"`/baton {spec.name}` is for Baton admins: workspace admins and owners, and people an admin added "
        "with `/baton admins add`. Nothing was changed; `/baton admins list` shows who can help."
    )


async def run_admin_command(
    command: Command,
    *,
    service: BatonService,
    client: AsyncWebClient,
    permissions: Permissions,
    payload: dict[str, Any],
) -> str:
    """Run an authorised admin or read-only command; the answer, or what was wrong (nothing changed)."""
    actor = Actor(user_id=str(payload.get("user_id") or ""), team_id=str(payload.get("team_id") or ""))

    def lookup_channel(channel_id: str) -> Awaitable[SeenChannel | None]:
        return _lookup_channel(client, channel_id)

    def why_not_person(user_id: str) -> Awaitable[str | None]:
        return permissions.not_an_assignee(client=client, user_id=user_id, our_team=actor.team_id)

    def bot_id_of(user_id: str) -> Awaitable[str | None]:
        return permissions.bot_id_of(client=client, user_id=user_id)

    try:
        if command.name == "export":
            return export_text(service.config_data())
        if command.name == "import":
            return await _import(
                command.text,
                service=service,
                actor=actor,
                lookup_channel=lookup_channel,
                why_not_person=why_not_person,
            )
        if command.name == "types edit":
            trigger_id = str(payload.get("trigger_id") or "")
            try:
                await open_type_editor(
                    client, trigger_id=trigger_id, config=service.config, name=command.args[0]
                )
            except SlackApiError as error:  # e.g. expired_trigger_id: Slack allows 3 s to open a modal
                problem = error.response.get("error")
                return f"I couldn't open the form ({problem}); try again, or use `/baton types set`."
            return ""  # the form is the answer
        invocation = Invocation(
            admin=service,
            actor=actor,
            channel_id=str(payload.get("channel_id") or ""),
            lookup_channel=lookup_channel,
            why_not_person=why_not_person,
            bot_id_of=bot_id_of,
        )
        return await execute(command, invocation)
    except UsageError as error:
        return str(error)


def export_text(data: dict[str, Any]) -> str:
    """The configuration as a YAML code block, ready to keep in git or paste into `/baton import`."""
    return "```\n" + config_yaml(data) + "```"


def config_yaml(data: dict[str, Any]) -> str:
    """The configuration as YAML (the BATON_CONFIG format)."""
    return dump_yaml(data)


async def _import(
    text: str,
    *,
    service: BatonService,
    actor: Actor,
    lookup_channel: ChannelLookup,
    why_not_person: PersonCheck,
) -> str:
    fenced = _FENCE.match(text)
    document = fenced.group(1) if fenced else text
    try:
        data = load_yaml(document)
    except yaml.YAMLError as error:
        return f"That is not valid YAML, nothing changed: {error}"
    try:
        config = parse_config(data, source="import")
        ids = [i for t in destinations(config.routing) for i in (t.id, t.channel)]
        # The escalation tiers' channels and people too: a breach posted there would be refused, unseen.
        ids += [tier.target for policy in config.sla.values() for tier in policy.chain]
        await refuse_unusable(
            [i for i in ids if i], lookup_channel=lookup_channel, why_not_person=why_not_person
        )
        change = await service.import_config(data, actor=actor, source_name="import")
    except RulesError as error:
        where = f"`{error.path}`: " if error.path else ""
        return f"That configuration was refused, nothing changed: {where}{error.problem}."
    except UsageError as error:
        return f"That configuration was refused, nothing changed: {error.problem.removeprefix(REFUSED)}"
    if change.version is None:
        return "Imported: it is the configuration in force already, nothing changed."
    return f"Imported: the whole configuration is replaced (configuration version {change.version})."


CANT_SEE = frozenset({"channel_not_found", "not_in_channel"})  # conversations.info: Baton can't see it


async def _lookup_channel(client: AsyncWebClient, channel_id: str) -> SeenChannel | None:
    """The channel's name, whether it is a Slack Connect channel (an invitation pending counts) and whether
    Baton is in it, if Baton can see it (a private channel it is not in: Slack says channel_not_found)."""
    try:
        response = await slack_call(client.conversations_info(channel=channel_id))
    except (RateLimited, Transient) as error:
        if isinstance(error, WorkspaceRefused):
            raise _refused(channel_id, error.code) from None
        # Slack could not say now (rate limited, a blip): not a reason to call the channel invisible.
        raise UsageError(
            f"Slack didn't say what <#{channel_id}> is just now ({error}); try again shortly."
        ) from None
    except Permanent as error:
        if str(error) in CANT_SEE:
            return None
        raise _refused(channel_id, str(error)) from None
    channel = response.get("channel") or {}
    seen = WatchedChannel(
        channel_id=channel_id,
        name=str(channel.get("name") or ""),
        is_shared=is_shared_channel(channel),
    )
    return SeenChannel(seen, is_member=bool(channel.get("is_member")))


def _refused(channel_id: str, code: str) -> UsageError:
    """A refusal a retry won't change (a scope the app lacks, its token…)."""
    return UsageError(
        f"Slack refuses to tell me what <#{channel_id}> is ({code}): check Baton's installation (its"
        " token and scopes, as in manifest.yml), then try again."
    )


def start_stats(command: Command, *, service: BatonService, respond: AsyncRespond) -> str:
    """Check the period and start counting in the background (the replays take longer than Slack's 3 s
    acknowledgement allows); the immediate answer. UsageError if the period is not one."""
    period = stats_period(command.args)
    until = service.now()
    since = until - period
    _STATS_ANSWERS.start(
        _answer_stats(service, since=since, until=until, respond=respond), name="baton-stats"
    )
    return f"Counting {period_label(since, until)}… the stats follow here in a moment."


async def stats_idle() -> None:
    """Wait for the stats answers in flight (tests, shutdown)."""
    await _STATS_ANSWERS.idle()


async def _answer_stats(service: BatonService, *, since: Any, until: Any, respond: AsyncRespond) -> None:
    try:
        text = stats_mrkdwn(await service.stats(since=since, until=until))
    except Exception:  # the person is told; the traceback goes to the log
        logger.exception("/baton stats %s - %s failed", since, until)
        text = "Sorry, the stats could not be computed; the error is in Baton's log."
    await respond(text=text, response_type="ephemeral", replace_original=False)
