"""The earlier turns' preparation and tone are cached by text, bounded in entries and in text length."""

from __future__ import annotations

from routing.triggers import context
from routing.triggers.sentiment import score
from routing.triggers.text import prepare


def test_short_texts_are_cached_and_give_what_preparing_them_gives() -> None:
    text = "This is the third time I ask, can someone help? (short)"
    prepared = context._prepared(text)
    hits = context._prepare_cached.cache_info().hits
    assert context._prepared(text) is prepared
    assert context._prepare_cached.cache_info().hits == hits + 1
    assert prepared == prepare(text)
    assert context._scored(prepared) == score(prepared)
    assert context._prepare_cached.cache_info().maxsize == context._score_cached.cache_info().maxsize == 2048


def test_long_texts_are_worked_out_each_time_not_kept() -> None:
    text = "Our export keeps failing. " * (context.CACHED_CHARS // 20)
    assert len(text) > context.CACHED_CHARS
    prepared, scored = context._prepare_cached.cache_info(), context._score_cached.cache_info()
    first = context._prepared(text)
    assert context._prepared(text) == first == prepare(text)
    assert context._scored(first) == score(first)
    assert context._prepare_cached.cache_info() == prepared
    assert context._score_cached.cache_info() == scored
