"""The few statements whose SQL differs between SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

T = TypeVar("T")
DialectInsert = Callable[[Table], postgresql.Insert | sqlite.Insert]

_INSERTS: dict[str, DialectInsert] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def insert(connection: AsyncConnection, table: Table) -> postgresql.Insert | sqlite.Insert:
    """The dialect's INSERT, which supports ON CONFLICT DO NOTHING / DO UPDATE."""
    return _INSERTS["postgresql" if is_postgresql(connection) else "sqlite"](table)


def per_dialect(build: Callable[[DialectInsert], T]) -> dict[str, T]:
    """`build(dialect_insert)` once per dialect, by dialect name: statements built at import time and reused.

    A statement built once and executed with a parameter dict skips SQLAlchemy's per-call coercion of
    literal values and cache-key generation, and its compiled form comes from the compiled cache.
    """
    return {name: build(dialect_insert) for name, dialect_insert in _INSERTS.items()}


def is_postgresql(connection: AsyncConnection) -> bool:
    """Whether the connection talks to PostgreSQL (else SQLite)."""
    return connection.dialect.name == "postgresql"
