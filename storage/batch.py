"""Batch statements over many rows in one round trip and one statement, whatever the batch size.

PostgreSQL takes one array parameter per column and `unnest`s them into rows (no limit on bind parameters,
one prepared plan). SQLite has no arrays: its batch UPDATE takes the rows as one JSON array of arrays, and
its batch INSERT is a plain executemany (SQLite runs in-process, so there is no round trip to save).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Dialect, Table, TextClause, text
from sqlalchemy.dialects import postgresql

_PG = postgresql.dialect()


def columns_of(
    table: Table, names: Sequence[str], rows: Sequence[dict[str, Any]], dialect: Dialect
) -> dict[str, list[Any]]:
    """Each column's values as the driver takes them (the column type's bind processing applied)."""
    columns: dict[str, list[Any]] = {}
    for name in names:
        process = table.c[name].type._cached_bind_processor(dialect)
        values = [row[name] for row in rows]
        columns[name] = values if process is None else [process(value) for value in values]
    return columns


def pg_unnest(table: Table, names: Sequence[str]) -> str:
    """`unnest(CAST(:name AS type[]), …)`: the array parameters named like the columns, as rows."""
    arrays = ", ".join(f"CAST(:{name} AS {table.c[name].type.compile(dialect=_PG)}[])" for name in names)
    return f"unnest({arrays})"


def pg_insert_many(table: Table, names: Sequence[str], *, conflict: str = "") -> TextClause:
    """INSERT of the unnested rows, in array order (so ids follow it); `conflict`: an ON CONFLICT clause."""
    columns = ", ".join(f'"{name}"' for name in names)
    return text(
        f'INSERT INTO "{table.name}" ({columns}) SELECT {columns} '
        f"FROM {pg_unnest(table, names)} WITH ORDINALITY AS v({columns}, row_number) "
        f"ORDER BY row_number {conflict}"
    )
