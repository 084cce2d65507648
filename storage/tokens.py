"""Repositories for the AI-agent API's tokens and for the gauges read when metrics are scraped."""

from __future__ import annotations

import builtins
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from routing.models import ApiToken
from storage.dialect import insert
from storage.tables import ACTIVE_TOKEN_SQL, API_TOKENS, HANDOFFS


class SqlApiTokens:
    """Bearer tokens of the AI-agent HTTP API, stored as hashes."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(self, token: ApiToken) -> ApiToken | None:
        """Store a token; None if an active token has that name already."""
        statement = (
            insert(self._connection, API_TOKENS)
            .values(
                name=token.name,
                token_hash=token.token_hash,
                created_at=token.created_at,
                revoked_at=token.revoked_at,
            )
            .on_conflict_do_nothing()
            .returning(API_TOKENS.c.id)
        )
        token_id = (await self._connection.execute(statement)).scalar()
        return None if token_id is None else replace(token, id=token_id)

    async def by_hash(self, *, token_hash: str) -> ApiToken | None:
        """The token with this hash, active or revoked."""
        statement = select(API_TOKENS).where(API_TOKENS.c.token_hash == token_hash)
        row = (await self._connection.execute(statement)).first()
        return None if row is None else _token(row)

    async def list(self) -> builtins.list[ApiToken]:
        """Every token, active and revoked, oldest first."""
        statement = select(API_TOKENS).order_by(API_TOKENS.c.id)
        return [_token(row) for row in await self._connection.execute(statement)]

    async def revoke(
        self, *, token_id: int | None = None, name: str | None = None, at: datetime
    ) -> ApiToken | None:
        """Revoke the active token with this id or name; the revoked token, or None if there is none."""
        statement = update(API_TOKENS).where(text(ACTIVE_TOKEN_SQL)).values(revoked_at=at)
        if token_id is not None:
            statement = statement.where(API_TOKENS.c.id == token_id)
        elif name is not None:
            statement = statement.where(API_TOKENS.c.name == name)
        else:
            return None
        row = (await self._connection.execute(statement.returning(*API_TOKENS.c))).first()
        return None if row is None else _token(row)


class SqlGauges:
    """Counts read when metrics are scraped."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def handoffs_by_state(self) -> dict[tuple[str, str], int]:
        """How many handoffs there are per (state, escalation type)."""
        statement = select(HANDOFFS.c.state, HANDOFFS.c.escalation_type, func.count()).group_by(
            HANDOFFS.c.state, HANDOFFS.c.escalation_type
        )
        return {(state, kind): int(count) for state, kind, count in await self._connection.execute(statement)}


def _token(row: Row[Any]) -> ApiToken:
    m = row._mapping
    return ApiToken(
        id=m["id"],
        name=m["name"],
        token_hash=m["token_hash"],
        created_at=m["created_at"],
        revoked_at=m["revoked_at"],
    )
