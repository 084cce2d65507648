"""The AI-agent API's OpenAPI 3 document, served at GET /api/v1/openapi.json.

The request checks in bot/api.py enforce exactly these constraints; the schemathesis test holds the two
together.
"""

from __future__ import annotations

from typing import Any

CHANNEL_PATTERN = r"^[A-Z0-9]{1,32}$"
TS_PATTERN = r"^[0-9]{1,12}\.[0-9]{1,9}$"
# Free text: no NUL characters (PostgreSQL can't store them), and at least one that is not a space.
TEXT_PATTERN = r"^[^\x00]*$"
REQUIRED_TEXT_PATTERN = r"^[^\x00]*[^\s\x00][^\x00]*$"
MAX_HANDOFF_ID = 2**63 - 1

TEXT_LIMITS = {"reason": 500, "summary": 3000, "suggested_approach": 3000, "intent": 200, "type": 100}


def _text(field: str, description: str, *, required: bool = False) -> dict[str, Any]:
    return {
        "type": "string",
        "minLength": 1 if required else 0,
        "maxLength": TEXT_LIMITS[field],
        "pattern": REQUIRED_TEXT_PATTERN if required else TEXT_PATTERN,
        "description": description,
    }


ESCALATION_REQUEST: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["channel", "thread_ts", "reason"],
    "properties": {
        "channel": {"type": "string", "pattern": CHANNEL_PATTERN, "description": "A channel Baton watches"},
        "thread_ts": {
            "type": "string",
            "pattern": TS_PATTERN,
            "description": "The conversation: its thread's root message ts (a top-level message's own ts)",
        },
        "reason": _text("reason", "Why a human is needed, in one line a rep can read", required=True),
        "confidence": {
            "type": ["number", "null"],
            "minimum": 0,
            "maximum": 1,
            "description": "The agent's confidence in its own answer (under the rule's threshold also fires "
            "low_confidence)",
        },
        "summary": _text("summary", "The agent's summary of the conversation, shown on the card"),
        "suggested_approach": _text(
            "suggested_approach", "How the rep should pick it up (replaces the type's)"
        ),
        "intent": _text("intent", "What the customer wants, as the agent understood it"),
        "type": {
            **_text("type", "An escalation type to use (default: what the triggers say, else uncertain_ai)"),
            "minLength": 1,
        },
    },
}

HANDOFF: dict[str, Any] = {
    "type": "object",
    "required": ["id", "channel", "thread_ts", "state", "type", "urgency", "assignee", "human_engaged"],
    "properties": {
        "id": {"type": "integer"},
        "channel": {"type": "string"},
        "thread_ts": {"type": "string"},
        "state": {"type": "string", "enum": ["open", "claimed", "snoozed", "resolved", "dismissed"]},
        "type": {"type": "string", "description": "The escalation type"},
        "urgency": {"type": "string", "enum": ["low", "normal", "high", "urgent"]},
        "assignee": {"type": ["string", "null"], "description": "The rep who claimed it (Slack user id)"},
        "human_engaged": {
            "type": "boolean",
            "description": "A rep has claimed it (snoozed after a claim too): the agent should stay quiet",
        },
        "reasons": {"type": "array", "items": {"type": "string"}},
        "target": {"type": "string"},
        "level": {"type": "integer"},
        "breached": {"type": "boolean"},
        "opened_at": {"type": "string", "format": "date-time"},
        "closed_at": {"type": ["string", "null"], "format": "date-time"},
        "claim_due_at": {"type": ["string", "null"], "format": "date-time"},
        "resolve_due_at": {"type": ["string", "null"], "format": "date-time"},
    },
}

CONVERSATION: dict[str, Any] = {
    "type": "object",
    "required": [
        "channel",
        "thread_ts",
        "known",
        "handoff_live",
        "human_engaged",
        "state",
        "assignee",
        "handoff",
    ],
    "properties": {
        "channel": {"type": "string"},
        "thread_ts": {"type": "string"},
        "known": {"type": "boolean", "description": "Baton has stored messages of this conversation"},
        "handoff_live": {"type": "boolean", "description": "Humans were asked to take over and are not done"},
        "human_engaged": {
            "type": "boolean",
            "description": "A rep has claimed it (snoozed after a claim too): the agent should stay quiet",
        },
        "state": {"type": ["string", "null"], "description": "The handoff's state; null without a handoff"},
        "assignee": {"type": ["string", "null"]},
        "handoff": {"oneOf": [{"$ref": "#/components/schemas/Handoff"}, {"type": "null"}]},
    },
}

ESCALATION_RESULT: dict[str, Any] = {
    "type": "object",
    "required": ["outcome", "handoff", "decision"],
    "properties": {
        "outcome": {"type": "string", "enum": ["opened", "merged", "unchanged"]},
        "handoff": {"$ref": "#/components/schemas/Handoff"},
        "decision": {
            "type": "object",
            "properties": {
                "type": {"type": "string"},
                "urgency": {"type": "string"},
                "reasons": {"type": "array", "items": {"type": "string"}},
                "score": {"type": "number"},
            },
        },
    },
}

ERROR: dict[str, Any] = {
    "type": "object",
    "required": ["ok", "error", "message"],
    "properties": {
        "ok": {"type": "boolean", "enum": [False]},
        "error": {
            "type": "string",
            "description": "A stable code, e.g. invalid_field or channel_not_watched",
        },
        "message": {"type": "string"},
        "field": {"type": "string", "description": "The field at fault (validation errors)"},
    },
}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _ok(description: str, schema: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


UNAUTHORIZED = _error("Missing, unknown or revoked bearer token")
INVALID = _error("A field is missing, of the wrong type or out of range (`field` names it)")


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 description of /api/v1."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Baton AI agent API",
            "version": "1.0.0",
            "description": "Ask for a human in a customer conversation, and learn whether a human took over. "
            "Authenticate with a bearer token made by `baton tokens create NAME`.",
        },
        "security": [{"bearer": []}],
        "paths": {
            "/api/v1/escalations": {
                "post": {
                    "operationId": "createEscalation",
                    "summary": "Hand a conversation to a human (opens its handoff, or adds to the live one)",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/EscalationRequest"}}
                        },
                    },
                    "responses": {
                        "201": _ok("A handoff opened", "EscalationResult"),
                        "200": _ok(
                            "Added to the conversation's live handoff (or it knew all of it)",
                            "EscalationResult",
                        ),
                        "400": _error("The body is not a JSON object"),
                        "401": UNAUTHORIZED,
                        "404": _error(
                            "Baton does not watch the channel, or has no message of the conversation"
                        ),
                        "409": _error("The handoff kept changing; try again"),
                        "422": INVALID,
                    },
                }
            },
            "/api/v1/handoffs/{handoff_id}": {
                "get": {
                    "operationId": "getHandoff",
                    "summary": "One handoff",
                    "parameters": [
                        {
                            "name": "handoff_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_HANDOFF_ID},
                        }
                    ],
                    "responses": {
                        "200": _ok("The handoff", "Handoff"),
                        "401": UNAUTHORIZED,
                        "404": _error("No such handoff"),
                        "422": INVALID,
                    },
                }
            },
            "/api/v1/conversations/{channel}/{thread_ts}": {
                "get": {
                    "operationId": "getConversation",
                    "summary": "Whether a human has taken the conversation over",
                    "parameters": [
                        {
                            "name": "channel",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "pattern": CHANNEL_PATTERN},
                        },
                        {
                            "name": "thread_ts",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "pattern": TS_PATTERN},
                        },
                    ],
                    "responses": {
                        "200": _ok("The conversation's handoff status", "Conversation"),
                        "401": UNAUTHORIZED,
                        "404": _error("Baton does not watch the channel"),
                        "422": INVALID,
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "EscalationRequest": ESCALATION_REQUEST,
                "EscalationResult": ESCALATION_RESULT,
                "Handoff": HANDOFF,
                "Conversation": CONVERSATION,
                "Error": ERROR,
            },
        },
    }
