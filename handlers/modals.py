"""The escalation type form: a modal opened by `/baton types edit <type>` or from the admins' App Home.

Submitting it runs the same administration use case as `/baton types set` (a configuration version and an
audit entry); what is wrong is shown under the field it concerns, and then nothing is changed.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.models.blocks import (
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from handlers.context import role_of, service_of
from handlers.home import refresh_home
from handlers.home_blocks import EDIT_TYPE_ACTION
from handlers.permissions import Role
from routing.admin_grammar import UsageError
from routing.config import BatonConfig
from routing.errors import BatonError
from routing.models import Actor, Urgency
from routing.service import BatonService
from routing.type_form import MESSAGE_LIMIT, FieldProblem, TypeForm, check_form, form_edit, type_form

logger = logging.getLogger(__name__)

CALLBACK_ID = "baton_type_edit"
FIELDS = ("urgency", "claim_minutes", "resolve_minutes", "message")  # block id = action id = form field
ADMINS_ONLY = (
    "Only Baton admins can change escalation types (workspace admins and owners, and people added with "
    "`/baton admins add`). Nothing was changed."
)


def type_modal(form: TypeForm) -> dict[str, Any]:
    """The form as a modal; `private_metadata` keeps the values it showed (to change only edited ones)."""
    urgencies = [Option(value=u.value, label=u.value.capitalize()) for u in Urgency]
    current = next((o for o in urgencies if o.value == form.urgency), None)
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=f"Escalation type `{form.name}`")),
        InputBlock(
            block_id="urgency",
            label="Urgency",
            element=StaticSelectElement(action_id="urgency", options=urgencies, initial_option=current),
        ),
        InputBlock(
            block_id="claim_minutes",
            label="Claim within (minutes)",
            hint="The claim SLA: someone must claim a handoff of this type within this many minutes.",
            element=PlainTextInputElement(action_id="claim_minutes", initial_value=form.claim_minutes),
        ),
        InputBlock(
            block_id="resolve_minutes",
            label="Resolve within (minutes)",
            hint="The resolve SLA; leave it empty for none.",
            optional=True,
            element=PlainTextInputElement(
                action_id="resolve_minutes", initial_value=form.resolve_minutes or None
            ),
        ),
        InputBlock(
            block_id="message",
            label="Customer message",
            hint="Posted in the customer's thread when a handoff of this type opens; empty: none.",
            optional=True,
            element=PlainTextInputElement(
                action_id="message",
                multiline=True,
                max_length=MESSAGE_LIMIT,
                initial_value=form.message or None,
            ),
        ),
    ]
    # The message shown is kept as a digest: Slack caps private_metadata at 3000 characters, and a
    # 1000-character message in another script is longer than that as JSON.
    metadata = {
        "type": form.name,
        "form": [form.urgency, form.claim_minutes, form.resolve_minutes, _digest(form.message)],
    }
    view = View(
        type="modal",
        callback_id=CALLBACK_ID,
        title=PlainTextObject(text="Edit escalation type"),
        submit=PlainTextObject(text="Save"),
        close=PlainTextObject(text="Cancel"),
        private_metadata=json.dumps(metadata),
        blocks=blocks,
    )
    return view.to_dict()


async def open_type_editor(
    client: AsyncWebClient, *, trigger_id: str, config: BatonConfig, name: str
) -> None:
    """Open the form for an escalation type; UsageError if there is no such type."""
    await client.views_open(trigger_id=trigger_id, view=type_modal(type_form(config, name)))


def _done(summary: str) -> dict[str, Any]:
    view = View(
        type="modal",
        callback_id=f"{CALLBACK_ID}_done",
        title=PlainTextObject(text="Edit escalation type"),
        close=PlainTextObject(text="Done"),
        blocks=[SectionBlock(text=MarkdownTextObject(text=summary[:3000]))],
    )
    return view.to_dict()


def _submitted(view: dict[str, Any]) -> tuple[TypeForm, TypeForm]:
    """The form as shown (from private_metadata) and as submitted (from the view's state)."""
    metadata = json.loads(view.get("private_metadata") or "{}")
    name = str(metadata.get("type") or "")
    urgency, claim, resolve, shown_digest = [str(v or "") for v in metadata.get("form") or ["", "", "", ""]]
    values = (view.get("state") or {}).get("values") or {}

    def value(field: str) -> str:
        state = (values.get(field) or {}).get(field) or {}
        if state.get("type") == "static_select":
            return str((state.get("selected_option") or {}).get("value") or "")
        return str(state.get("value") or "")

    after = TypeForm(name, *(value(field) for field in FIELDS))
    message = after.message.strip()
    # Only the shown message's digest is known: the same digest means the message was left as shown.
    shown_message = message if _digest(message) == shown_digest else _EDITED
    return TypeForm(name, urgency, claim, resolve, shown_message), after


_EDITED = "\x00edited"  # stands for a shown message that differs from the submitted one (never typed)


def _digest(message: str) -> str:
    return hashlib.sha256(message.encode()).hexdigest()[:32]


async def on_type_submit(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    context: AsyncBoltContext,
    client: AsyncWebClient,
) -> None:
    """Check the form; answer with the errors under their fields, or apply it and say what changed."""
    user = body.get("user") or {}
    actor = Actor(user_id=str(user.get("id") or ""), team_id=str(user.get("team_id") or ""))
    if await role_of(context, client, user_id=actor.user_id, team_id=actor.team_id) is not Role.ADMIN:
        await ack(response_action="errors", errors={"urgency": ADMINS_ONLY})
        return
    before, after = _submitted(view)
    errors = check_form(after)
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    answer = await _apply(service_of(context), before, after, actor)
    if isinstance(answer, dict):
        await ack(response_action="errors", errors=answer)
    else:
        await ack(response_action="update", view=_done(answer))


async def _apply(
    service: BatonService, before: TypeForm, after: TypeForm, actor: Actor
) -> str | dict[str, str]:
    """What was changed, or the errors to show (nothing changed)."""
    try:
        edit = form_edit(before, after)
        if edit is None:
            return "Nothing changed."
        change = await service.change_config(edit, actor=actor, action="types.edit")
    except (UsageError, BatonError) as error:
        problem = error.problem if isinstance(error, UsageError) else str(error)
        return {error.field if isinstance(error, FieldProblem) else "urgency": problem[:2000]}
    if change.version is None:
        return f"Nothing changed: {change.edit.summary}"
    return f"{change.edit.summary} (configuration version {change.version})"


async def on_edit_type_picked(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    context: AsyncBoltContext,
    client: AsyncWebClient,
) -> None:
    """An admin picked a type to edit in the App Home dashboard: open its form."""
    await ack()
    user = body.get("user") or {}
    user_id, team_id = str(user.get("id") or ""), str(user.get("team_id") or "")
    name = str((action.get("selected_option") or {}).get("value") or "")
    service = service_of(context)
    if await role_of(context, client, user_id=user_id, team_id=team_id) is not Role.ADMIN:
        await refresh_home(context, client, user_id=user_id, team_id=team_id, notice=ADMINS_ONLY)
        return
    try:
        await open_type_editor(
            client, trigger_id=str(body.get("trigger_id") or ""), config=service.config, name=name
        )
    except UsageError as error:
        await refresh_home(context, client, user_id=user_id, team_id=team_id, notice=error.problem)


def register(app: AsyncApp) -> None:
    """Listen to the type form's submissions and to the dashboard's type picker."""
    app.view(CALLBACK_ID)(on_type_submit)
    app.action(EDIT_TYPE_ACTION)(on_edit_type_picked)
