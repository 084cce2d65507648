"""Batch statements over many rows in one round trip and one statement, whatever the batch size.

PostgreSQL takes one array parameter per column and `unnest`s them into rows (no limit on bind parameters,
one prepared plan). SQLite has no arrays: its batch UPDATE takes the rows as one JSON array of arrays, and
its batch INSERT is a plain executemany (SQLite runs in-process, so there is no round trip to save).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Dialect, Table, TextClause, text
from sqlalchemy.dialects import postgresql

_PG = postgresql.dialect()


def bind_columns(
    table: Table,
    columns: Mapping[str, list[Any]],
    dialect: Dialect,
    *,
    types: Mapping[str, str] | None = None,
) -> dict[str, list[Any]]:
    """Each column's values as the driver takes them (the column type's bind processing applied).

    `types` names, for a parameter that is not a column, the column whose type it has. None stays None (SQL
    NULL: so do all of Baton's column types), and a value that is the very object before it is processed
    once (a batch's rows often share one timestamp).
    """
    bound: dict[str, list[Any]] = {}
    for name, values in columns.items():
        process = table.c[(types or {}).get(name, name)].type._cached_bind_processor(dialect)
        bound[name] = values if process is None else _processed(process, values)
    return bound


def _processed(process: Callable[[Any], Any], values: list[Any]) -> list[Any]:
    result: list[Any] = []
    last: Any = None
    done: Any = None
    for value in values:
        if value is not last:
            last, done = value, None if value is None else process(value)
        result.append(done)
    return result


def pg_unnest(table: Table, names: Sequence[str], *, types: Mapping[str, str] | None = None) -> str:
    """`unnest(CAST(:name AS type[]), …)`: the array parameters named like the columns, as rows (`types`: as
    in `bind_columns`)."""
    arrays = ", ".join(
        f"CAST(:{name} AS {table.c[(types or {}).get(name, name)].type.compile(dialect=_PG)}[])"
        for name in names
    )
    return f"unnest({arrays})"


def pg_insert_many(table: Table, names: Sequence[str], *, conflict: str = "") -> TextClause:
    """INSERT of the unnested rows, in array order (so ids follow it); `conflict`: an ON CONFLICT clause."""
    columns = ", ".join(f'"{name}"' for name in names)
    return text(
        f'INSERT INTO "{table.name}" ({columns}) SELECT {columns} '
        f"FROM {pg_unnest(table, names)} WITH ORDINALITY AS v({columns}, row_number) "
        f"ORDER BY row_number {conflict}"
    )
