"""Settings: modes from the credentials present, clear errors for incomplete ones, secrets kept secret."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.sandbox_mode import sandbox_settings
from bot.settings import DEFAULT_DATABASE_URL, SANDBOX_DATABASE_URL, Mode, Settings
from sandbox import Sandbox


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in (
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_APP_TOKEN",
        "BATON_DATABASE_URL",
        "BATON_PORT",
    ):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_no_credentials_means_the_sandbox_with_sqlite():
    settings = Settings()
    assert (settings.mode, settings.database_url, settings.port) == (Mode.SANDBOX, DEFAULT_DATABASE_URL, 3000)


async def test_the_sandbox_keeps_its_own_database_unless_told_which(clean_env, sandbox: Sandbox):
    """A sandbox trial's demo routes (into the sandbox's C0TRIAGE), channels and handoffs stay out of the
    database a real workspace then starts with by default (every card failed with channel_not_found)."""
    trial = sandbox_settings(Settings(), sandbox)
    assert trial.database_url == SANDBOX_DATABASE_URL != DEFAULT_DATABASE_URL
    clean_env.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    clean_env.setenv("SLACK_SIGNING_SECRET", "s")
    assert Settings().database_url == DEFAULT_DATABASE_URL
    clean_env.delenv("SLACK_BOT_TOKEN")
    clean_env.delenv("SLACK_SIGNING_SECRET")
    clean_env.setenv("BATON_DATABASE_URL", "sqlite:///chosen.db")
    assert sandbox_settings(Settings(), sandbox).database_url == "sqlite:///chosen.db"


def test_bot_token_and_secret_mean_http_and_an_app_token_socket_mode(clean_env):
    clean_env.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    clean_env.setenv("SLACK_SIGNING_SECRET", "s3cret")
    assert Settings().mode is Mode.HTTP
    clean_env.setenv("SLACK_APP_TOKEN", "xapp-1")
    assert Settings().mode is Mode.SOCKET


def test_secrets_do_not_show_in_repr(clean_env):
    clean_env.setenv("SLACK_BOT_TOKEN", "xoxb-very-secret")
    clean_env.setenv("SLACK_SIGNING_SECRET", "s3cret")
    settings = Settings()
    assert "xoxb-very-secret" not in repr(settings)
    assert settings.secret("slack_bot_token") == "xoxb-very-secret"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
        ({"SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN"),
        ({"BATON_PORT": "99999"}, "BATON_PORT"),
        ({"BATON_LOG_LEVEL": "verbose"}, "BATON_LOG_LEVEL"),
    ],
)
def test_incomplete_or_invalid_settings_name_the_variable(clean_env, env, message):
    for name, value in env.items():
        clean_env.setenv(name, value)
    with pytest.raises(ValidationError, match=message):
        Settings()


@pytest.mark.parametrize(
    ("given", "level"),
    [(" warning ", "WARNING"), ("warn", "WARNING"), ("FATAL", "CRITICAL"), ("10", "DEBUG")],
)
def test_the_log_level_is_taken_as_python_s_logging_takes_it(clean_env, given, level):
    clean_env.setenv("BATON_LOG_LEVEL", given)
    assert Settings().log_level == level
