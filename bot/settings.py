"""Baton's one Settings object, read from the environment and passed down from the composition root."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from storage.engine import normalize_database_url

SLACK_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./baton.db"
# The sandbox's own file unless BATON_DATABASE_URL is set: its demo routes, channels and handoffs must not
# become the configuration of a real workspace connected later with the default database.
SANDBOX_DATABASE_URL = "sqlite+aiosqlite:///./baton-sandbox.db"


class Mode(StrEnum):
    """How Baton talks to Slack."""

    SANDBOX = "sandbox"  # no Slack credentials: a local emulated workspace
    HTTP = "http"  # Events API over signed HTTP requests
    SOCKET = "socket"  # Socket Mode over a WebSocket


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*names)


_LEVEL_ALIASES = {"WARN": "WARNING", "FATAL": "CRITICAL", "10": "DEBUG", "20": "INFO", "30": "WARNING",
                  "40": "ERROR", "50": "CRITICAL"}  # fmt: skip


class Settings(BaseSettings):
    """Everything configurable, from environment variables (see the README's configuration table)."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    slack_bot_token: SecretStr | None = Field(default=None, validation_alias=_env("SLACK_BOT_TOKEN"))
    slack_signing_secret: SecretStr | None = Field(
        default=None, validation_alias=_env("SLACK_SIGNING_SECRET")
    )
    slack_app_token: SecretStr | None = Field(default=None, validation_alias=_env("SLACK_APP_TOKEN"))
    database_url: str = Field(default=DEFAULT_DATABASE_URL, validation_alias=_env("BATON_DATABASE_URL"))
    slack_api_url: str = Field(default=SLACK_API_URL, validation_alias=_env("BATON_SLACK_API_URL"))
    host: str = Field(default="0.0.0.0", validation_alias=_env("BATON_HOST"))
    port: int = Field(default=3000, ge=0, le=65535, validation_alias=_env("BATON_PORT"))
    sandbox_port: int = Field(default=3001, ge=0, le=65535, validation_alias=_env("BATON_SANDBOX_PORT"))
    config_path: Path | None = Field(default=None, validation_alias=_env("BATON_CONFIG"))
    auto_migrate: bool = Field(default=True, validation_alias=_env("BATON_AUTO_MIGRATE"))
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        default="INFO", validation_alias=_env("BATON_LOG_LEVEL")
    )
    sweep_seconds: float = Field(default=15.0, gt=0, le=3600, validation_alias=_env("BATON_SWEEP_SECONDS"))

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_in_any_case(cls, value: object) -> object:
        """Any case, and the other names and numbers Python's logging takes (WARN, FATAL, 10 to 50)."""
        if not isinstance(value, str):
            return value
        level = value.strip().upper()
        return _LEVEL_ALIASES.get(level, level)

    @field_validator("database_url")
    @classmethod
    def _usable_database_url(cls, value: str) -> str:
        """A URL of a database Baton supports, well formed (its errors never repeat a password)."""
        normalized = normalize_database_url(value)  # ValueError naming only the scheme
        try:
            make_url(normalized)
        except (ArgumentError, ValueError):  # (a port that is not a number: int()'s error)
            raise ValueError("is not a well-formed database URL (check its host, port and name)") from None
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"must be an http(s) URL such as {SLACK_API_URL}")  # (never the value: a token?)
        return value

    @field_validator("slack_bot_token", "slack_signing_secret", "slack_app_token", mode="before")
    @classmethod
    def _not_blank(cls, value: object) -> object:
        """A credential set to nothing (an env-file line left blank, a secret that rendered empty) is a
        mistake, not an absent one: it would serve with checks that fail every request, or change the mode."""
        if isinstance(value, str) and not value.strip():
            raise ValueError("is set but empty: give its value, or unset it")
        return value

    @model_validator(mode="after")
    def _credentials_are_complete(self) -> Settings:
        if self.mode is Mode.HTTP and self.slack_signing_secret is None:
            raise ValueError("SLACK_BOT_TOKEN is set but SLACK_SIGNING_SECRET is not (needed for HTTP mode)")
        if self.mode is Mode.SANDBOX and (self.slack_signing_secret or self.slack_app_token):
            raise ValueError("SLACK_SIGNING_SECRET or SLACK_APP_TOKEN is set but SLACK_BOT_TOKEN is not")
        if not self.slack_api_url.endswith("/"):
            self.slack_api_url += "/"
        return self

    @property
    def mode(self) -> Mode:
        """Socket Mode with an app token, HTTP with a bot token, the sandbox with neither."""
        if self.slack_bot_token is None:
            return Mode.SANDBOX
        return Mode.SOCKET if self.slack_app_token is not None else Mode.HTTP

    def secret(self, name: str) -> str:
        """The plain value of a secret setting, or an empty string."""
        value = getattr(self, name)
        return value.get_secret_value() if isinstance(value, SecretStr) else ""
