"""Card buttons: claim, reassign, snooze, resolve, not needed. Only our own workspace's members may act."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from handlers.context import PERMISSIONS, installation_of, service_of
from handlers.home import refresh_home
from handlers.permissions import Permissions
from routing.errors import BatonError
from routing.handoffs import Action
from routing.models import EventSource

logger = logging.getLogger(__name__)

ACTIONS = {
    "baton_claim": Action.CLAIM,
    "baton_reassign": Action.REASSIGN,
    "baton_snooze": Action.SNOOZE,
    "baton_resolve": Action.RESOLVE,
    "baton_dismiss": Action.DISMISS,
}
# baton_handoff:<id>, and since it says so, :<state>:<assignee> the view was drawn with
BLOCK_ID = re.compile(r"^baton_handoff:(\d+)(?::([a-z]+):([A-Z0-9]*))?$")


async def on_card_action(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    context: AsyncBoltContext,
    respond: AsyncRespond,
    client: AsyncWebClient,
) -> None:
    """Apply a rep's click; tell them privately when someone was faster or the click no longer applies.

    A click in the App Home has no message to answer under (no response_url): the Home tab is republished
    instead, saying what went wrong if anything did.
    """
    await ack()
    user = body.get("user") or {}
    from_home = (body.get("container") or {}).get("type") == "view"

    async def tell(text: str | None) -> None:
        if from_home:
            user_id, team_id = str(user.get("id") or ""), str(user.get("team_id") or "")
            await refresh_home(context, client, user_id=user_id, team_id=team_id, notice=text)
        elif text:
            await respond(text=text, replace_original=False, response_type="ephemeral")

    if user.get("team_id") and user.get("team_id") != installation_of(context).team_id:
        await tell("Only members of our team can act on handoffs.")
        return
    handoff_id = handoff_id_of(action)
    if handoff_id is None:
        await tell("This button does not belong to a handoff card.")
        return
    selected = (action.get("selected_option") or {}).get("value")
    assignee = action.get("selected_user")
    snooze = int(selected) if selected and str(selected).isdigit() and len(str(selected)) < 7 else None
    offered = service_of(context).config.handoffs.snooze_minutes
    if ACTIONS[action["action_id"]] is Action.SNOOZE and snooze not in offered:
        # A card or Home drawn under an earlier configuration: only what is offered now counts.
        choices = ", ".join(f"{m} min" for m in offered)
        await tell(f"That snooze is no longer offered (now: {choices}); pick one from the refreshed card.")
        return
    if ACTIONS[action["action_id"]] is Action.REASSIGN and assignee:
        permissions: Permissions = context[PERMISSIONS]
        our_team = installation_of(context).team_id
        why = await permissions.not_an_assignee(client=client, user_id=str(assignee), our_team=our_team)
        if why:
            await tell(f"<@{assignee}> can't take this handoff: {why}.")
            return
    try:
        await service_of(context).act(
            handoff_id=handoff_id,
            action=ACTIONS[action["action_id"]],
            actor=str(user.get("id") or ""),
            source=EventSource.SLACK_ACTION,
            assignee=assignee,
            snooze_minutes=snooze,
            seen=_seen(action),
        )
    except BatonError as error:
        await tell(str(error))
        return
    await tell(None)


def _seen(action: dict[str, Any]) -> tuple[str, str] | None:
    """The state and assignee the clicked view was drawn with, if its block id says (cards drawn before
    views said so don't)."""
    match = BLOCK_ID.match(str(action.get("block_id") or ""))
    return None if match is None or match.group(2) is None else (match.group(2), match.group(3))


def handoff_id_of(action: dict[str, Any]) -> int | None:
    """The handoff a card element belongs to: its block id, else a button's value."""
    match = BLOCK_ID.match(str(action.get("block_id") or ""))
    if match:
        return int(match.group(1))
    value = str(action.get("value") or "")
    return int(value) if value.isdigit() else None


def register(app: AsyncApp) -> None:
    """Listen to the card's buttons and menus."""
    app.action(re.compile(r"^baton_(claim|reassign|snooze|resolve|dismiss)$"))(on_card_action)
    # The card's "Open thread" link button still sends block_actions; unanswered, Slack shows a warning.
    app.action("baton_open_thread")(_acknowledge)


async def _acknowledge(ack: AsyncAck) -> None:
    """A link button: the browser opens the link, nothing to do here."""
    await ack()
