from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from handlers.unicode import _ESCAPED, scrub_in_place, scrubbed


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain text, é, 😀", "plain text, é, 😀"),
        ("a\ud800b", "a\ufffdb"),
        ("\udfff at the start", "\ufffd at the start"),
        ("two \ud800\ud800 highs", "two \ufffd\ufffd highs"),
        ("\ud83d\ude00", "😀"),  # a pair left as two code units becomes the character it encodes
        ("", ""),
    ],
)
def test_lone_surrogates_become_the_replacement_character(text: str, expected: str) -> None:
    assert scrubbed(text) == expected
    scrubbed(text).encode("utf-8")  # storable


def test_payloads_are_scrubbed_in_place_at_any_depth() -> None:
    payload = {"event": {"text": "hi \ud800", "blocks": [{"text": {"text": "\udc00"}}], "n": 3, "ok": True}}
    inner = payload["event"]
    assert scrub_in_place(payload) is payload
    assert inner == {"text": "hi \ufffd", "blocks": [{"text": {"text": "\ufffd"}}], "n": 3, "ok": True}


@pytest.mark.parametrize(
    ("raw", "found"),
    [
        (json.dumps({"text": "x\ud800"}), True),  # a JSON body (the Events API)
        (urlencode({"payload": json.dumps({"text": "x\ud800"})}), True),  # JSON in a form field (actions)
        (json.dumps({"text": "😀"}), True),  # an escaped pair: scrubbed harmlessly
        (json.dumps({"text": "plain \\u00e9"}), False),
        (json.dumps({"text": "plain"}, ensure_ascii=False), False),
    ],
)
def test_the_raw_body_says_when_a_payload_may_hold_surrogates(raw: str, found: bool) -> None:
    assert bool(_ESCAPED.search(raw)) is found
