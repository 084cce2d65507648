from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from storage import create_engine, normalize_database_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///baton.db", "sqlite+aiosqlite:///baton.db"),
        ("sqlite:////var/lib/baton/baton.db", "sqlite+aiosqlite:////var/lib/baton/baton.db"),
        ("sqlite://", "sqlite+aiosqlite://"),
        ("sqlite+aiosqlite:///baton.db", "sqlite+aiosqlite:///baton.db"),
        ("postgres://u:p@db:5432/baton", "postgresql+asyncpg://u:p@db:5432/baton"),
        ("postgresql://u:p@db/baton?sslmode=x", "postgresql+asyncpg://u:p@db/baton?sslmode=x"),
        ("postgresql+asyncpg://u@db/baton", "postgresql+asyncpg://u@db/baton"),
    ],
)
def test_normalize_database_url(url: str, expected: str) -> None:
    assert normalize_database_url(url) == expected


@pytest.mark.parametrize(
    "url",
    ["mysql://u:secret@db/baton", "postgresql+psycopg2://u:secret@db/baton", "baton.db", "", "http://x"],
)
def test_normalize_database_url_rejects_other_urls_without_echoing_them(url: str) -> None:
    with pytest.raises(ValueError, match="unsupported database URL") as raised:
        normalize_database_url(url)
    assert "secret" not in str(raised.value)


async def test_sqlite_connections_are_tuned_and_the_folder_is_created(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "deeper" / "baton.db"
    engine = create_engine(f"sqlite:///{path}")
    try:
        async with engine.connect() as connection:
            pragmas = {
                name: (await connection.exec_driver_sql(f"PRAGMA {name}")).scalar_one()
                for name in ("journal_mode", "busy_timeout", "foreign_keys", "synchronous")
            }
    finally:
        await engine.dispose()
    assert path.exists()
    # synchronous=1 is NORMAL.
    assert pragmas == {"journal_mode": "wal", "busy_timeout": 5000, "foreign_keys": 1, "synchronous": 1}


async def test_create_engine_uses_async_drivers(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            assert (await connection.execute(text("SELECT 1"))).scalar_one() == 1
    finally:
        await engine.dispose()
    assert engine.dialect.driver in {"aiosqlite", "asyncpg"}
    assert engine.dialect.is_async
