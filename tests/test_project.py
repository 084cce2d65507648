"""Project-level checks: the Slack app manifest and the architecture's import contracts."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT.parent / "shared" / "slack" / "manifest-schema" / "manifest.schema.1.0.0.json"


@pytest.fixture(scope="module")
def manifest() -> dict:
    return yaml.safe_load((ROOT / "manifest.yml").read_text())


@pytest.mark.skipif(
    not SCHEMA.exists(), reason="../shared/slack/manifest-schema is not beside the repository"
)
def test_manifest_validates_against_slacks_schema(manifest):
    jsonschema.validate(manifest, json.loads(SCHEMA.read_text()))


def test_manifest_declares_what_baton_needs(manifest):
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {
        "channels:history",
        "groups:history",
        "channels:read",
        "groups:read",
        "chat:write",
        "users:read",
        "usergroups:read",
        "commands",
        "im:write",
        "im:history",
    } <= scopes
    assert not {"channels:join", "reactions:write"} & scopes  # asked of an admin, never used
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert {"message.channels", "message.groups", "member_joined_channel", "app_home_opened"} <= events
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/baton"]
    assert manifest["settings"]["interactivity"]["is_enabled"]
    assert manifest["settings"]["socket_mode_enabled"]
    assert manifest["features"]["app_home"]["home_tab_enabled"]


def test_import_contracts_hold():
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint_imports, "import-linter is not installed"
    result = subprocess.run([lint_imports], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("routing/errors.py", "import sqlalchemy", "routing is pure"),
        ("handlers/errors.py", "import storage", "handlers never import storage"),
        ("storage/errors.py", "import slack_sdk", "storage never imports Slack"),
        ("sandbox/errors.py", "import routing", "sandbox depends on aiohttp only"),
    ],
)
def test_import_contracts_catch_a_crossed_arrow(tmp_path, module, line, contract):
    for package in ("bot", "handlers", "routing", "storage", "sandbox"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    with (tmp_path / module).open("a") as source:
        source.write(f"\n{line}  # noqa\n")
    lint_imports = str(Path(sys.executable).parent / "lint-imports")
    result = subprocess.run(
        [lint_imports],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(tmp_path)},
    )
    assert result.returncode != 0
    assert f"{contract}" in result.stdout and "BROKEN" in result.stdout
