"""Slack text normalisation and robustness: markup, any language, garbage, huge input."""

from __future__ import annotations

import pytest

from routing.triggers.text import prepare
from tests.routing.triggers_helpers import run


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<@U123ABC> can you help", "can you help"),
        ("see <#C024BE7LR|general> now", "see general now"),
        ("read <https://example.com/x?a=1|the docs> please", "read the docs please"),
        ("link <https://example.com/x> here", "link here"),
        ("oops ```talk to a human``` done", "oops done"),
        ("inline `agent` code", "inline code"),
        ("a &amp; b &lt;3", "a & b <3"),
        ("<!here> hello", "hello"),
        ("> quoted line", "quoted line"),
    ],
)
def test_slack_markup_is_removed(raw: str, expected: str) -> None:
    assert prepare(raw).plain == expected


def test_emoji_codes_are_collected() -> None:
    text = prepare("great :tada: but now :rage::skin-tone-2:")
    assert text.emoji == ("tada", "rage")
    assert ":" not in text.plain


def test_typos_on_key_words_are_corrected_with_evidence() -> None:
    text = prepare("I have to chat with somrbody")
    assert "somebody" in text.tokens
    assert ("somrbody", "somebody") in text.corrected


def test_mention_of_a_human_word_in_a_code_block_does_not_escalate() -> None:
    assert not run("here is the log ```ERROR: talk to a human agent failed```").escalate


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        None,
        12345,
        "\x00\x01\x02\ufffd" * 100,
        "这个怎么用？",
        "Где мой заказ?",
        "ما هو رقم الطلب",
        "🔥" * 5000,
        "a" * 200_000,
        "talk to a human " * 20_000,
        "<@" * 10_000,
        "```" * 5_000,
        ":" * 50_000,
        "!" * 10_000,
        "<https://" + "x" * 100_000 + ">",
    ],
)
def test_any_input_returns_a_decision(raw: object) -> None:
    decision = run(raw)  # type: ignore[arg-type]
    assert decision.escalate in (True, False)
    assert 0.0 <= decision.score <= 1.0


def test_huge_input_is_analysed_on_head_and_tail() -> None:
    text = prepare("x " * 100_000 + "let me talk to a human")
    assert text.raw_length == 200_000 + len("let me talk to a human")
    assert run("x " * 100_000 + "let me talk to a human").escalate
