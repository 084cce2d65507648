from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import json_codec
from storage.tables import OUTBOX

AWKWARD: list[Any] = [
    {"text": "naïve café ☕ 👋", "nested": {"list": [1, 2.5, None, True, "x"]}},
    {"lone surrogate": "\ud800 from a hostile payload"},  # orjson refuses it; the standard library does not
    {"big": 2**70, "negative": -(2**65)},  # beyond 64 bits: orjson refuses, the standard library writes it
    {"empty": {}, "list": []},
    "just a string",
    12,
    None,
]


@pytest.mark.parametrize("value", AWKWARD)
def test_values_round_trip(value: Any) -> None:
    assert json_codec.loads(json_codec.dumps(value)) == value


def test_non_string_keys_are_written_as_strings_like_the_standard_library() -> None:
    assert json_codec.loads(json_codec.dumps({1: "a", 2: "b"})) == {"1": "a", "2": "b"}


def test_text_the_standard_library_wrote_is_read() -> None:
    assert json_codec.loads('{"a": [1, 2], "b": "\\ud83d\\ude00 \\u00e9"}') == {"a": [1, 2], "b": "😀 é"}
    assert json_codec.loads(b'{"a": 1}') == {"a": 1}


def test_invalid_json_still_fails() -> None:
    with pytest.raises(ValueError):
        json_codec.loads("{not json")


# Not the lone surrogate: PostgreSQL's jsonb refuses it whatever writes it.
@pytest.mark.parametrize("payload", [v for v in AWKWARD if isinstance(v, dict) and "lone surrogate" not in v])
async def test_json_columns_store_and_read_awkward_values(
    engine: AsyncEngine, payload: dict[str, Any]
) -> None:
    now = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
    row = {
        "channel_key": "C1",
        "method": "thread_note",
        "payload": payload,
        "created_at": now,
        "available_at": now,
    }
    async with engine.begin() as connection:
        await connection.execute(insert(OUTBOX), row)
    async with engine.connect() as connection:
        stored = (await connection.execute(select(OUTBOX.c.payload))).scalar_one()
    assert stored == payload
