"""`baton replay` on JSONL and on a Slack export folder, with rules files and the summary."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from bot.replay import add_replay_parser, read_slack_export, run_replay


def _args(tmp_path: Path, input: Path, **extra: object) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_replay_parser(parser.add_subparsers())
    argv = ["replay", str(input), "--output", str(tmp_path / "out.jsonl")]
    for key, value in extra.items():
        argv += [f"--{key.replace('_', '-')}", str(value)]
    return parser.parse_args(argv)


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


async def test_jsonl_replay_writes_one_line_per_message_and_a_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _jsonl(
        tmp_path / "in.jsonl",
        [
            {"id": "a", "text": "How do I reset my password?"},
            {"id": "b", "text": "let me talk to a real person"},
            {"id": "c", "text": "what's the limit?", "metadata": {"event_type": "ai_assessment",
                                                               "event_payload": {"confidence": 0.3}}},
            {"id": "d", "text": "I want to file a complaint against your company"},
        ],
    )  # fmt: skip
    args = _args(tmp_path, source)
    assert args.handler is run_replay
    assert await run_replay(None, args) == 0
    lines = _lines(tmp_path / "out.jsonl")
    assert [line["id"] for line in lines] == ["a", "b", "c", "d"]
    for line in lines:
        assert {"id", "escalate", "type", "urgency", "reasons", "score"} <= set(line)
    by_id = {line["id"]: line for line in lines}
    assert by_id["a"]["escalate"] is False and by_id["a"]["reasons"] == []
    assert by_id["b"]["reasons"] == ["explicit_request"] and by_id["b"]["type"] == "human_request"
    assert by_id["c"]["reasons"] == ["low_confidence"]
    assert by_id["d"]["type"] == "upset_customer" and by_id["d"]["urgency"] == "urgent"
    err = capsys.readouterr().err
    assert "4 messages" in err and "3 escalating, 3 handoffs (one per conversation)" in err
    assert "above the healthy 5%-15% band" in err
    assert "by trigger:" in err and "by type:" in err


async def test_jsonl_threads_form_conversations(tmp_path: Path) -> None:
    thread = {"channel": "C1", "thread_ts": "100.0"}
    source = _jsonl(
        tmp_path / "in.jsonl",
        [
            {"id": "1", "text": "How do I export invoices?", "ts": "100.0", **thread},
            {"id": "2", "text": "hello?", "ts": "200.0", **thread},
            {"id": "3", "text": "any update?", "ts": "300.0", **thread},
            {"id": "4", "text": "any update?", "ts": "300.0"},  # no channel: stands alone
        ],
    )
    assert await run_replay(None, _args(tmp_path, source)) == 0
    by_id = {line["id"]: line for line in _lines(tmp_path / "out.jsonl")}
    assert by_id["3"]["reasons"] == ["frustration"]
    assert by_id["4"]["escalate"] is False


BOARD_RULE = (
    "triggers:\n  - id: board\n    kind: custom\n    phrases: [board meeting]\n"
    "    escalation_type: complex_question\n"
)


# A rules file; BATON_CONFIG (routes, SLAs and all, as `baton rules export` writes it), the default --rules.
@pytest.mark.parametrize(
    "yaml_text",
    [
        BOARD_RULE,
        "routing:\n  default: {kind: channel, id: C0TRIAGE}\nhandoffs: {cooldown_minutes: 10}\n" + BOARD_RULE,
    ],
)
async def test_rules_file_changes_the_outcome(tmp_path: Path, yaml_text: str) -> None:
    source = _jsonl(tmp_path / "in.jsonl", [{"id": "1", "text": "we need this before the board meeting"}])
    rules = tmp_path / "rules.yaml"
    rules.write_text(yaml_text)
    assert await run_replay(None, _args(tmp_path, source, rules=rules)) == 0
    assert _lines(tmp_path / "out.jsonl")[0]["reasons"] == ["custom"]


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        (
            "triggers:\n  - id: frustration\n    threshold: 3\n",
            "triggers[0].threshold: must be between 0 and 1",
        ),
        ("triggers: [\n", "not valid YAML"),
        ("- just\n- a list\n", "expected a mapping"),
    ],
)
async def test_bad_rules_file_is_reported_with_file_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], yaml_text: str, expected: str
) -> None:
    source = _jsonl(tmp_path / "in.jsonl", [{"id": "1", "text": "hi"}])
    rules = tmp_path / "bad.yaml"
    rules.write_text(yaml_text)
    assert await run_replay(None, _args(tmp_path, source, rules=rules)) == 2
    err = capsys.readouterr().err
    assert str(rules) in err and expected in err


async def test_input_it_cannot_read_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes('{"id": "1", "text": "Désolé"}\n'.encode("cp1252"))
    assert await run_replay(None, _args(tmp_path, latin)) == 2
    assert "latin.jsonl: not UTF-8 text" in capsys.readouterr().err
    fine = _jsonl(tmp_path / "in.jsonl", [{"id": "1", "text": "hi"}])
    nowhere = _args(tmp_path, fine)
    nowhere.output = str(tmp_path / "no" / "such" / "dir" / "out.jsonl")
    assert await run_replay(None, nowhere) == 2
    assert "out.jsonl: No such file or directory" in capsys.readouterr().err
    export = _export(tmp_path)
    (export / "acme-support" / "2026-11-29.json").write_text(json.dumps({"not": "a list"}))
    assert await run_replay(None, _args(tmp_path, export)) == 2
    assert "expected a list of messages" in capsys.readouterr().err


async def test_bad_jsonl_line_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": "1", "text": "hi"}\nnot json\n')
    assert await run_replay(None, _args(tmp_path, source)) == 2
    assert "in.jsonl:2" in capsys.readouterr().err


def _export(tmp_path: Path) -> Path:
    root = tmp_path / "export"
    (root / "acme-support").mkdir(parents=True)
    (root / "channels.json").write_text(json.dumps([{"id": "C1", "name": "acme-support"}]))
    users = [
        {"id": "UREP", "team_id": "TOURS", "name": "rep"},
        {"id": "UREP2", "team_id": "TOURS", "name": "rep2"},
        {"id": "UCUST", "team_id": "TACME", "name": "customer"},
        {"id": "UBOT", "team_id": "TOURS", "name": "helper", "is_bot": True},
    ]
    (root / "users.json").write_text(json.dumps(users))
    day1 = [
        {"type": "message", "user": "UCUST", "text": "How do I export invoices?", "ts": "1000.000100"},
        {"type": "message", "subtype": "channel_join", "user": "UREP", "text": "joined", "ts": "1000.000050"},
        {"type": "message", "bot_id": "BAI", "text": "Go to Billing > Export.", "ts": "1001.000000",
         "thread_ts": "1000.000100"},
        {"type": "message", "user": "UCUST", "text": "it doesn't work", "ts": "1002.000000",
         "thread_ts": "1000.000100"},
    ]  # fmt: skip
    day2 = [
        {"type": "message", "user": "UCUST", "text": "hello??", "ts": "90000.000000",
         "thread_ts": "1000.000100"},
        {"type": "message", "user": "UCUST", "text": "any update??", "ts": "90001.000000",
         "thread_ts": "1000.000100"},
        {"type": "message", "user": "UREP", "text": "let me talk to a human, this is ridiculous",
         "ts": "90002.000000"},
        {"type": "message", "user": "UBOT", "text": "I want to file a complaint", "ts": "90003.000000"},
    ]  # fmt: skip
    (root / "acme-support" / "2025-01-01.json").write_text(json.dumps(day1))
    (root / "acme-support" / "2025-01-02.json").write_text(json.dumps(day2))
    return root


def test_slack_export_tells_authors_apart(tmp_path: Path) -> None:
    messages = read_slack_export(_export(tmp_path), ai_bots=("BAI",))
    kinds = {m.text: m.author_kind.value for m in messages}
    assert kinds == {
        "How do I export invoices?": "customer",
        "Go to Billing > Export.": "ai",
        "it doesn't work": "customer",
        "hello??": "customer",
        "any update??": "customer",
        "let me talk to a human, this is ridiculous": "internal",
        "I want to file a complaint": "other_bot",
    }
    assert [m.ts for m in messages] == sorted((m.ts for m in messages), key=float)


async def test_slack_export_replay_groups_threads(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = _args(tmp_path, _export(tmp_path))
    args.ai_bot = ["BAI"]
    assert await run_replay(None, args) == 0
    by_id = {line["id"]: line for line in _lines(tmp_path / "out.jsonl")}
    assert by_id["acme-support/90001.000000"]["reasons"] == ["frustration"]  # third ask in the thread
    assert by_id["acme-support/90002.000000"]["escalate"] is False  # our rep, not a customer
    assert by_id["acme-support/90003.000000"]["escalate"] is False  # a bot
    assert "(4 from customers)" in capsys.readouterr().err
