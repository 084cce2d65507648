"""A local Slack workspace emulator: Web API subset, signed Events API delivery, Socket Mode, inspection."""

from sandbox.actions import JoinResult
from sandbox.core import Sandbox
from sandbox.delivery import DeliverySettings
from sandbox.errors import ApiError, SandboxError
from sandbox.faults import Fault, FaultKind, Faults
from sandbox.interactions import EventResult
from sandbox.models import (
    ApiCall,
    Channel,
    Delivery,
    DeliveryOutcome,
    Ephemeral,
    InteractionResult,
    Message,
    PostResult,
    Reaction,
    ResponsePost,
    Team,
    User,
    UserGroup,
    View,
)
from sandbox.ratelimit import RateLimit
from sandbox.seed import SeedInfo, seed_demo_workspace
from sandbox.signing import signature

__all__ = [
    "ApiCall",
    "ApiError",
    "Channel",
    "Delivery",
    "DeliveryOutcome",
    "DeliverySettings",
    "Ephemeral",
    "EventResult",
    "Fault",
    "FaultKind",
    "Faults",
    "InteractionResult",
    "JoinResult",
    "Message",
    "PostResult",
    "RateLimit",
    "Reaction",
    "ResponsePost",
    "Sandbox",
    "SandboxError",
    "SeedInfo",
    "Team",
    "User",
    "UserGroup",
    "View",
    "seed_demo_workspace",
    "signature",
]
