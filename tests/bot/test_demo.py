"""`baton demo` plays its three stories end to end and prints both sides."""

from __future__ import annotations

import argparse
import io

from bot.demo import run_demo
from bot.settings import Settings


async def test_demo_tells_the_three_stories(monkeypatch):
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "BATON_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    out = io.StringIO()
    assert await run_demo(Settings(), argparse.Namespace(), out=out) == 0
    text = out.getvalue()
    stories = text.split("Story ")[1:]
    assert len(stories) == 3
    qualification, pricing, frustrated = stories
    assert "Uncertain AI answer — Acme" in qualification and "Confidence: 45%" in qualification
    assert "double-check this for you" in qualification
    assert "Sales opportunity — Acme" in pricing and "a DM to Riley Rep" in pricing
    assert "pricing specialist who can help with custom arrangements" in pricing
    assert "State: Claimed by @Riley Rep" in pricing and "Resolved by @Riley Rep" in pricing
    assert "@Riley Rep from our team is taking it from here." in pricing
    assert "Upset customer — Acme" in frustrated and "Urgency: :rotating_light: Urgent" in frustrated
    assert "<@" not in text and "<!date" not in text
