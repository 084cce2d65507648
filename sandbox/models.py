"""Dataclasses for the sandbox workspace state and for what it records."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

JsonDict = dict[str, Any]


@dataclass
class Team:
    """A Slack workspace (ours or a connected customer org)."""

    id: str
    name: str
    domain: str


@dataclass
class User:
    """A person or a bot user; bot users carry bot_id and app_id."""

    id: str
    team_id: str
    name: str
    real_name: str = ""
    is_bot: bool = False
    bot_id: str | None = None
    app_id: str | None = None
    is_admin: bool = False
    is_owner: bool = False
    is_primary_owner: bool = False
    tz: str = "America/Los_Angeles"
    deleted: bool = False
    email: str = ""


@dataclass
class Channel:
    """A conversation: public or private channel, Slack Connect channel, or DM."""

    id: str
    name: str
    is_private: bool = False
    is_im: bool = False
    is_ext_shared: bool = False
    is_pending_ext_shared: bool = False  # a Slack Connect invitation sent, not yet accepted
    members: list[str] = field(default_factory=list)
    connected_team_ids: list[str] = field(default_factory=list)
    conversation_host_id: str = ""
    created: int = 0
    creator: str = ""
    im_user: str | None = None
    topic: str = ""
    purpose: str = ""


@dataclass
class Message:
    """A stored message; thread roots carry reply_count, reply_users and latest_reply."""

    ts: str
    channel: str
    text: str = ""
    user: str | None = None
    bot_id: str | None = None
    app_id: str | None = None
    team: str | None = None
    user_team: str | None = None
    source_team: str | None = None
    blocks: list[JsonDict] = field(default_factory=list)
    attachments: list[JsonDict] = field(default_factory=list)
    files: list[JsonDict] = field(default_factory=list)
    thread_ts: str | None = None
    subtype: str | None = None
    reply_count: int = 0
    reply_users: list[str] = field(default_factory=list)
    latest_reply: str | None = None
    metadata: JsonDict | None = None
    edited: JsonDict | None = None
    reactions: dict[str, list[str]] = field(default_factory=dict)
    client_msg_id: str | None = None
    inviter: str | None = None

    @property
    def is_reply(self) -> bool:
        """True for a message inside a thread (not the root)."""
        return self.thread_ts is not None and self.thread_ts != self.ts


@dataclass
class Ephemeral:
    """A message only one user sees; never part of channel history."""

    channel: str
    user: str
    ts: str
    text: str = ""
    blocks: list[JsonDict] = field(default_factory=list)
    attachments: list[JsonDict] = field(default_factory=list)
    thread_ts: str | None = None
    source: str = "api"


@dataclass
class UserGroup:
    """A Slack user group (subteam), e.g. @support."""

    id: str
    team_id: str
    handle: str
    name: str
    users: list[str] = field(default_factory=list)


@dataclass
class View:
    """A modal or an App Home view."""

    id: str
    type: str
    user: str
    team_id: str
    blocks: list[JsonDict] = field(default_factory=list)
    callback_id: str = ""
    private_metadata: str = ""
    title: JsonDict | None = None
    submit: JsonDict | None = None
    close: JsonDict | None = None
    hash: str = ""
    external_id: str = ""
    state: JsonDict = field(default_factory=lambda: {"values": {}})
    root_view_id: str | None = None
    previous_view_id: str | None = None
    clear_on_close: bool = False
    notify_on_close: bool = False
    is_open: bool = True


@dataclass(frozen=True)
class Reaction:
    """One reactions.add call that stuck."""

    channel: str
    ts: str
    name: str
    user: str


@dataclass
class ApiCall:
    """One Web API request as the sandbox saw and answered it (status 0: connection dropped)."""

    method: str
    args: JsonDict
    response: JsonDict
    status: int
    at: float = field(default_factory=time.monotonic)  # when the sandbox answered (benchmarks)


@dataclass
class Delivery:
    """One attempt to deliver a body to the app, over HTTP or Socket Mode."""

    id: str
    kind: str
    attempt: int
    transport: str
    ok: bool
    status: int | None = None
    error: str | None = None
    elapsed: float = 0.0
    retry_reason: str | None = None
    envelope_id: str | None = None


@dataclass
class DeliveryOutcome:
    """All attempts for one body, and the app's final answer."""

    id: str
    kind: str
    attempts: list[Delivery] = field(default_factory=list)
    body: str = ""
    ack_payload: Any = None

    @property
    def ok(self) -> bool:
        """Whether the last attempt was acknowledged."""
        return bool(self.attempts) and self.attempts[-1].ok

    @property
    def response(self) -> Any:
        """The app's answer: the Socket Mode ack payload, else the HTTP body parsed as JSON, else text."""
        if self.ack_payload is not None:
            return self.ack_payload
        if not self.body.strip():
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return self.body


@dataclass
class ResponsePost:
    """A POST the app made to a response_url the sandbox issued."""

    url_id: str
    channel: str | None
    user: str
    body: JsonDict
    message_ts: str | None = None
    source: str = ""


@dataclass
class PostResult:
    """What post_message and friends return: the stored message and the delivery (None: bot not a member)."""

    message: Message
    outcome: DeliveryOutcome | None = None
    event: JsonDict | None = None
    extra_outcomes: list[DeliveryOutcome] = field(default_factory=list)


@dataclass
class InteractionResult:
    """What a click, command, view submission or home open returns."""

    payload: JsonDict
    outcome: DeliveryOutcome
    trigger_id: str | None = None
    response_url: str | None = None

    @property
    def response(self) -> Any:
        """The app's immediate answer, parsed."""
        return self.outcome.response
