"""Reading the configuration file (BATON_CONFIG): YAML in, a validated BatonConfig out."""

from __future__ import annotations

from pathlib import Path

import yaml

from routing.config import BatonConfig, parse_config
from routing.rules import RulesError
from routing.yaml_text import load_yaml


class ConfigError(ValueError):
    """The configuration file can't be used; the message names the file and, where known, the field."""


def load_config(path: Path | None) -> BatonConfig:
    """The configuration in `path`, or the defaults when no file is configured."""
    if path is None:
        return BatonConfig()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"{path}: can't read the configuration file: {error.strerror or error}") from error
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: not UTF-8 text (byte {error.start}); save it as UTF-8") from error
    try:
        data = load_yaml(text)
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML: {error}") from error
    try:
        return parse_config(data, source=str(path))
    except RulesError as error:
        raise ConfigError(str(error)) from error
