"""`baton tokens create|list|revoke`: the AI-agent API's bearer tokens.

A token is printed once, when it is made; only its SHA-256 is stored. The commands work on the database
(BATON_DATABASE_URL), so a running Baton accepts a new token, and refuses a revoked one, at once.
"""

from __future__ import annotations

import argparse
import secrets
import sys
from typing import Any

from bot.offline import offline_service

TOKEN_PREFIX = "baton_"


def add_tokens_parser(commands: Any) -> None:
    """Register `baton tokens create|list|revoke` on the CLI's subcommands."""
    tokens = commands.add_parser("tokens", help="manage the AI agent API's bearer tokens")
    actions = tokens.add_subparsers(dest="tokens_command", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="make a token (printed once) for an AI agent")
    create.add_argument("name", help="who the token is for, e.g. the agent's name")
    create.add_argument("--actor", default="cli", help="who to name in the audit log (default: cli)")
    create.set_defaults(handler=run_create)
    listing = actions.add_parser("list", help="list tokens (never their values)")
    listing.set_defaults(handler=run_list)
    revoke = actions.add_parser("revoke", help="revoke an active token by name or id")
    revoke.add_argument("token", metavar="NAME|ID", help="the token's name or id")
    revoke.add_argument("--actor", default="cli", help="who to name in the audit log (default: cli)")
    revoke.set_defaults(handler=run_revoke)


def _actor(args: argparse.Namespace) -> Any:
    from routing.models import Actor, ChangeSource

    return Actor(user_id=args.actor, source=ChangeSource.CLI)


def new_token() -> str:
    """A fresh random bearer token."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


async def run_create(settings: Any, args: argparse.Namespace) -> int:
    """Make a token and print it once; 2 if the name is taken by an active token."""
    from routing.agent import InvalidRequest, hash_token
    from routing.errors import Conflict

    token = new_token()
    async with offline_service(settings) as service:
        try:
            stored = await service.create_api_token(
                name=args.name, token_hash=hash_token(token), actor=_actor(args)
            )
        except (Conflict, InvalidRequest) as error:
            sys.stderr.write(f"baton tokens create: {error}\n")
            return 2
    sys.stdout.write(token + "\n")
    sys.stderr.write(
        f"baton tokens create: token {stored.id} ({stored.name}) made; it is shown only now, keep it safe\n"
    )
    return 0


async def run_list(settings: Any, args: argparse.Namespace) -> int:
    """Print id, name, created and revoked times of every token."""
    async with offline_service(settings) as service:
        tokens = await service.api_tokens()
    sys.stdout.write(f"{'ID':>4}  {'NAME':<30}  {'CREATED':<20}  REVOKED\n")
    for token in tokens:
        revoked = f"{token.revoked_at:%Y-%m-%d %H:%M:%S}" if token.revoked_at else "-"
        sys.stdout.write(
            f"{token.id:>4}  {token.name:<30}  {token.created_at:%Y-%m-%d %H:%M:%S}  {revoked}\n"
        )
    return 0


async def run_revoke(settings: Any, args: argparse.Namespace) -> int:
    """Revoke a token by name (or id); 2 if no active token matches."""
    from routing.errors import NotFound

    async with offline_service(settings) as service:
        try:
            token = await service.revoke_api_token(args.token, actor=_actor(args))
        except NotFound as error:
            sys.stderr.write(f"baton tokens revoke: {error}\n")
            return 2
    sys.stderr.write(f"baton tokens revoke: token {token.id} ({token.name}) revoked\n")
    return 0
