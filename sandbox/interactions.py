"""What people do with the app's UI: click buttons, run slash commands, submit modals, open App Home."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sandbox.blockkit import build_action, build_state_values, find_element
from sandbox.delivery import Deliverer
from sandbox.errors import SandboxError
from sandbox.events import app_home_opened_event
from sandbox.ids import TriggerRegistry, new_id, new_view_hash
from sandbox.models import Channel, DeliveryOutcome, InteractionResult, JsonDict, User, View
from sandbox.responses import ResponseContext, ResponseUrls
from sandbox.wire import ACTION_KEYS, message_as, view_dict
from sandbox.workspace import Workspace, with_block_ids


@dataclass
class EventResult:
    """open_home's result: the event and its delivery (None if nothing was delivered)."""

    event: JsonDict
    outcome: DeliveryOutcome | None


class Interactions:
    """Mixin for Sandbox: interactions with the app's messages, commands, modals and home tab."""

    workspace: Workspace
    triggers: TriggerRegistry
    deliverer: Deliverer
    response_urls: ResponseUrls
    verification_token: str

    async def _deliver_event(
        self, event: JsonDict, *, actor_team: str, channel: Channel | None, force: bool = False
    ) -> DeliveryOutcome | None:
        raise NotImplementedError

    def _actor(self, user: User) -> JsonDict:
        team = self.workspace.teams[user.team_id]
        return {
            "user": {"id": user.id, "username": user.name, "name": user.name, "team_id": user.team_id},
            "team": {"id": team.id, "domain": team.domain},
            "api_app_id": self.workspace.app_id,
            "token": self.verification_token,
            "enterprise": None,
            "is_enterprise_install": False,
        }

    async def click_button(
        self,
        user_id: str,
        channel_id: str,
        message_ts: str,
        action_id: str,
        value: str | None = None,
        selected_user: str | None = None,
        selected_option: Any = None,
    ) -> InteractionResult:
        """Click (or pick in) the element with action_id in a stored or ephemeral message."""
        ws = self.workspace
        user = ws.require_user(user_id)
        channel = ws.require_channel(channel_id)
        message = ws.message(channel.id, message_ts)
        ephemeral = next((e for e in ws.ephemerals if e.user == user.id and e.ts == message_ts), None)
        if message is None and ephemeral is None:
            raise SandboxError("message_not_found", f"{channel.id}/{message_ts}")
        blocks = message.blocks if message is not None else ephemeral.blocks if ephemeral else []
        block, element = find_element(blocks, action_id)
        action = build_action(
            block, element, value=value, selected_user=selected_user, selected_option=selected_option
        )
        trigger_id = self.triggers.issue(user.id)
        context = ResponseContext(channel.id, user.id, message_ts, "block_actions", ephemeral=message is None)
        response_url = self.response_urls.issue(context)
        container: JsonDict = {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel.id,
            "is_ephemeral": message is None,
        }
        payload: JsonDict = {"type": "block_actions", **self._actor(user), "container": container}
        if message is not None:
            if message.is_reply and message.thread_ts:
                container["thread_ts"] = message.thread_ts
            payload["message"] = message_as(ws, message, ACTION_KEYS)
        payload.update(
            trigger_id=trigger_id,
            channel={"id": channel.id, "name": channel.name},
            state={"values": {}},
            response_url=response_url,
            actions=[action],
        )
        outcome = await self.deliverer.deliver_interactive(payload)
        return InteractionResult(payload, outcome, trigger_id, response_url)

    async def click_home_button(
        self,
        user_id: str,
        action_id: str,
        value: str | None = None,
        selected_user: str | None = None,
        selected_option: Any = None,
        block_id: str | None = None,
    ) -> InteractionResult:
        """Click an element in the App Home view published for user_id (in the block `block_id`, if given:
        a Home tab lists several handoffs with the same action ids)."""
        ws = self.workspace
        user = ws.require_user(user_id)
        view = ws.home_views.get(user.id)
        if view is None:
            raise SandboxError("view_not_found", f"no home view published for {user.id}")
        block, element = find_element(view.blocks, action_id, block_id)
        action = build_action(
            block, element, value=value, selected_user=selected_user, selected_option=selected_option
        )
        trigger_id = self.triggers.issue(user.id)
        payload: JsonDict = {
            "type": "block_actions",
            **self._actor(user),
            "container": {"type": "view", "view_id": view.id},
            "trigger_id": trigger_id,
            "view": view_dict(ws, view, blocks=False),
            "state": {"values": {}},
            "actions": [action],
        }
        outcome = await self.deliverer.deliver_interactive(payload)
        return InteractionResult(payload, outcome, trigger_id)

    async def run_command(
        self, user_id: str, channel_id: str, command: str, text: str = ""
    ) -> InteractionResult:
        """Run a slash command; `.response` is the app's immediate answer, later ones land in responses."""
        ws = self.workspace
        user = ws.require_user(user_id)
        channel = ws.require_channel(channel_id)
        command = command if command.startswith("/") else "/" + command
        trigger_id = self.triggers.issue(user.id)
        context = ResponseContext(channel.id, user.id, None, "slash_command")
        response_url = self.response_urls.issue(context)
        team = ws.teams[user.team_id]
        # The 2026 sample field set has enterprise_id/enterprise_name; outside Enterprise Grid they are empty.
        fields: JsonDict = {
            "token": self.verification_token,
            "team_id": team.id,
            "team_domain": team.domain,
            "enterprise_id": "",
            "enterprise_name": "",
            "channel_id": channel.id,
            "channel_name": "directmessage" if channel.is_im else channel.name,
            "user_id": user.id,
            "user_name": user.name,
            "command": command,
            "text": escaped_command_text(ws, text),
            "response_url": response_url,
            "trigger_id": trigger_id,
            "api_app_id": ws.app_id,
            "is_enterprise_install": False,
        }
        outcome = await self.deliverer.deliver_command(fields)
        answer = outcome.response if outcome.ok else None
        if isinstance(answer, str) and answer.strip():
            answer = {"text": answer}
        if isinstance(answer, dict) and (answer.get("text") or answer.get("blocks")):
            self.response_urls.apply(context, answer)
        return InteractionResult(fields, outcome, trigger_id, response_url)

    async def open_home(self, user_id: str) -> EventResult:
        """The user opens the app's Home tab: `app_home_opened` (with the published view, if any)."""
        ws = self.workspace
        user = ws.require_user(user_id)
        dm = ws.open_dm(user.id)
        event = app_home_opened_event(ws, user, dm, ws.home_views.get(user.id))
        outcome = await self._deliver_event(event, actor_team=user.team_id, channel=dm, force=True)
        return EventResult(event, outcome)

    async def submit_view(
        self, user_id: str, view_id: str, values: JsonDict | None = None
    ) -> InteractionResult:
        """Submit an open modal with input values; applies the app's response_action (errors keep it open)."""
        ws = self.workspace
        user = ws.require_user(user_id)
        view = ws.views.get(view_id)
        if view is None or view.type != "modal" or view.user != user.id:
            raise SandboxError("view_not_found", f"no modal {view_id} open for {user.id}")
        if not view.is_open:
            raise SandboxError("view_closed", f"modal {view_id} was already closed")
        view.state = {"values": build_state_values(view.blocks, values or {})}
        trigger_id = self.triggers.issue(user.id)
        payload: JsonDict = {
            "type": "view_submission",
            **self._actor(user),
            "trigger_id": trigger_id,
            "view": view_dict(ws, view, blocks=False),
        }
        outcome = await self.deliverer.deliver_interactive(payload)
        answer = outcome.response if outcome.ok else None
        action = answer.get("response_action") if isinstance(answer, dict) else None
        if outcome.ok and action in (None, "clear"):
            view.is_open = False
        elif action == "update" and isinstance(answer, dict) and isinstance(answer.get("view"), dict):
            view.blocks = with_block_ids(answer["view"].get("blocks") or [])
            view.title = answer["view"].get("title", view.title)
            view.hash = new_view_hash()
        elif action == "push" and isinstance(answer, dict) and isinstance(answer.get("view"), dict):
            pushed = answer["view"]
            child = View(
                id=new_id("V"),
                type="modal",
                user=user.id,
                team_id=view.team_id,
                blocks=with_block_ids(pushed.get("blocks") or []),
                title=pushed.get("title"),
                callback_id=str(pushed.get("callback_id") or ""),
                root_view_id=view.root_view_id or view.id,
                previous_view_id=view.id,
            )
            ws.views[child.id] = child
        return InteractionResult(payload, outcome, trigger_id)


_MENTION = re.compile(r"(?<![<\w|^])([#@])([a-z0-9][a-z0-9._-]*)", re.IGNORECASE)


def escaped_command_text(ws: Workspace, text: str) -> str:
    """A slash command's text as Slack sends it when the command escapes (`should_escape: true`, as in
    Baton's manifest): a `#channel`, `@user` or `@group` people typed becomes `<#C…|name>`, `<@U…|name>` or
    `<!subteam^S…|@handle>`; other text is left alone."""

    def escape(match: re.Match[str]) -> str:
        sign, name = match.group(1), match.group(2)
        if sign == "#":
            channel = next((c for c in ws.channels.values() if c.name == name and not c.is_im), None)
            return f"<#{channel.id}|{name}>" if channel is not None else match.group(0)
        user = next((u for u in ws.users.values() if u.name == name), None)
        if user is not None:
            return f"<@{user.id}|{name}>"
        group = next((g for g in ws.usergroups.values() if g.handle == name), None)
        return f"<!subteam^{group.id}|@{name}>" if group is not None else match.group(0)

    return _MENTION.sub(escape, text)
