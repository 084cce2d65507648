"""The Bolt app Baton assembles."""

from __future__ import annotations

import logging

from bot.app import build_bolt_app
from bot.settings import Settings
from routing.service import BatonService


def test_building_the_app_logs_no_warning_about_the_token(settings: Settings, caplog, monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", settings.secret("slack_bot_token") or "xoxb-test")
    service = BatonService(store=None, clock=lambda: None)  # type: ignore[arg-type]  # never called here
    with caplog.at_level(logging.WARNING):
        build_bolt_app(settings, service=service)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
