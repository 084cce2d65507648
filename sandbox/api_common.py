"""What Web API method handlers share: the host they run against, argument parsing, content checks."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Protocol

from sandbox.errors import ApiError
from sandbox.ids import TriggerRegistry
from sandbox.models import Channel, JsonDict
from sandbox.workspace import Workspace

MAX_TEXT_LENGTH = 40_000
MAX_BLOCKS = 50


class ApiHost(Protocol):
    """The parts of the sandbox a Web API method may use."""

    @property
    def workspace(self) -> Workspace: ...

    @property
    def triggers(self) -> TriggerRegistry: ...

    @property
    def url(self) -> str: ...

    def emit_event(self, event: JsonDict, *, actor_team: str, channel: Channel | None) -> None:
        """Deliver an event to the app in the background (only if the app would get it)."""

    def socket_url(self) -> str:
        """Issue a Socket Mode URL with a fresh ticket."""
        ...


Handler = Callable[[ApiHost, JsonDict], JsonDict]


def opt_str(args: JsonDict, name: str) -> str | None:
    """A string argument, or None when absent or empty."""
    value = args.get(name)
    if value is None or value == "":
        return None
    return str(value)


def req_str(args: JsonDict, name: str, error: str = "invalid_arguments") -> str:
    """A required string argument."""
    value = opt_str(args, name)
    if value is None:
        raise ApiError(error, [f"[ERROR] missing required field: {name}"])
    return value


def opt_bool(args: JsonDict, name: str) -> bool:
    """A boolean argument as Slack reads it (true, "true", "1", 1)."""
    value = args.get(name)
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes"}
    return bool(value)


def opt_int(args: JsonDict, name: str, default: int) -> int:
    """An integer argument with a default."""
    value = args.get(name)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise ApiError(f"invalid_{name}") from exc


def opt_json(args: JsonDict, name: str, error: str) -> Any:
    """A structured argument sent as JSON (form bodies) or inline (JSON bodies)."""
    value = args.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError as exc:
            raise ApiError(error) from exc
    return value


def message_content(args: JsonDict) -> tuple[str, list[JsonDict] | None, list[JsonDict] | None]:
    """text, blocks, attachments of a chat.* call, validated like Slack does."""
    text = opt_str(args, "text") or ""
    blocks = opt_json(args, "blocks", "invalid_blocks_format")
    attachments = opt_json(args, "attachments", "invalid_attachments")
    if blocks is not None:
        if not isinstance(blocks, list) or not all(isinstance(b, dict) and b.get("type") for b in blocks):
            raise ApiError("invalid_blocks", ["[ERROR] each block needs a type"])
        if len(blocks) > MAX_BLOCKS:
            raise ApiError("invalid_blocks", [f"[ERROR] no more than {MAX_BLOCKS} items allowed"])
    if attachments is not None and (
        not isinstance(attachments, list) or not all(isinstance(a, dict) for a in attachments)
    ):
        raise ApiError("invalid_attachments")
    if not text and not blocks and not attachments:
        raise ApiError("no_text")
    if len(text) > MAX_TEXT_LENGTH:
        raise ApiError("msg_too_long")
    return text, blocks, attachments


def message_metadata(args: JsonDict) -> JsonDict | None:
    """The optional message metadata {event_type, event_payload}."""
    metadata = opt_json(args, "metadata", "invalid_metadata_format")
    if metadata is None:
        return None
    if (
        not isinstance(metadata, dict)
        or not isinstance(metadata.get("event_type"), str)
        or not isinstance(metadata.get("event_payload"), dict)
    ):
        raise ApiError("invalid_metadata_format")
    return {"event_type": metadata["event_type"], "event_payload": metadata["event_payload"]}
