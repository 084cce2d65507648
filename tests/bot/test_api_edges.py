"""The AI-agent API and `baton replay` at their edges: concurrent requests, a reason that would ping, huge
numbers, private channels in an export, token ids that are no ids."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

import pytest

from bot.replay import run_replay
from bot.runtime import Runtime
from sandbox import Sandbox, SeedInfo
from tests.bot.conftest import settle
from tests.bot.test_api import call, customer_thread, escalation, token  # noqa: F401  (fixture)
from tests.bot.test_handoffs import handoffs_of


async def test_concurrent_escalations_of_one_conversation_do_not_fail_with_500(
    baton: Runtime,
    sandbox: Sandbox,
    seed: SeedInfo,
    token: str,  # noqa: F811
):
    """An agent retrying (or two agent workers asking) at the same moment: one opens the handoff, the others
    must merge/answer 'unchanged' (or 409 as the document says), never a 500 internal_error."""
    thread_ts = await customer_thread(sandbox, seed)
    await settle(baton, sandbox)
    assert await handoffs_of(baton) == []
    answers = await asyncio.gather(
        *(call(baton, "POST", "escalations", token=token, body=escalation(seed, thread_ts)) for _ in range(4))
    )
    statuses = sorted(status for status, _ in answers)
    assert 500 not in statuses, answers
    assert statuses.count(201) == 1, answers


# ---- baton replay ----


def _replay_args(tmp_path: Path, source: Path, *extra: str) -> argparse.Namespace:
    from bot.replay import add_replay_parser

    parser = argparse.ArgumentParser()
    add_replay_parser(parser.add_subparsers())
    return parser.parse_args(["replay", str(source), "--output", str(tmp_path / "out.jsonl"), *extra])


@pytest.mark.parametrize(
    "row",
    [
        {"id": "1", "text": "hi", "account": {"tier": "enterprise", "value": 10**400}},
        {"id": "1", "text": "hi",
         "metadata": {"event_type": "ai_assessment", "event_payload": {"confidence": 10**400}}},
    ],
    ids=["account-value", "metadata-confidence"],
)  # fmt: skip
async def test_a_jsonl_line_with_a_huge_integer_is_a_clear_error_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], row: dict
) -> None:
    """JSON integers have no size limit: a huge one in `account.value` or the metadata's confidence crashes
    `baton replay` with an OverflowError traceback (float(int) overflows) instead of exit 2 naming the line
    (or treating it like other bad values: account value 0 / no confidence)."""
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps(row) + "\n")
    code = await run_replay(None, _replay_args(tmp_path, source))  # raises OverflowError today
    assert code in (0, 2)


def _private_channel_export(tmp_path: Path) -> Path:
    """A Slack export with a public channel (channels.json) and a private shared one (groups.json), as a
    workspace export with private channels has them."""
    root = tmp_path / "export"
    for name in ("general", "acme-private"):
        (root / name).mkdir(parents=True)
    (root / "channels.json").write_text(json.dumps([{"id": "C1", "name": "general"}]))
    (root / "groups.json").write_text(json.dumps([{"id": "G1", "name": "acme-private"}]))
    users = [
        {"id": "UREP", "team_id": "TOURS"},
        {"id": "UREP2", "team_id": "TOURS"},
        {"id": "UCUST", "team_id": "TACME"},
    ]
    (root / "users.json").write_text(json.dumps(users))
    (root / "general" / "2025-01-01.json").write_text(
        json.dumps([{"type": "message", "user": "UREP", "text": "lunch?", "ts": "1000.000100"}])
    )
    (root / "acme-private" / "2025-01-01.json").write_text(
        json.dumps([{"type": "message", "user": "UCUST", "text": "let me talk to a real person",
                     "ts": "1000.000200"}])
    )  # fmt: skip
    return root


async def test_slack_export_replays_private_channels_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With channels.json present, only the channels it lists are read: the folders of private channels
    (groups.json; customer Slack Connect channels are often private) are skipped silently, so their
    customer messages are missing from the output and the escalation rate."""
    export = _private_channel_export(tmp_path)
    assert await run_replay(None, _replay_args(tmp_path, export)) == 0
    ids = [json.loads(line)["id"] for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert "acme-private/1000.000200" in ids, ids


async def test_jsonl_conversations_are_replayed_in_ts_order(tmp_path: Path) -> None:
    """A conversation's messages are replayed in ts order, whatever order the JSONL lists them in: the same
    thread written newest-first gets the same histories and decisions."""
    root = "1000.000100"
    thread = [
        {"id": "a", "channel": "C1", "ts": root, "text": "How do I export invoices?"},
        {"id": "b", "channel": "C1", "ts": "1002.000000", "thread_ts": root, "text": "it doesn't work"},
        {"id": "c", "channel": "C1", "ts": "90000.000000", "thread_ts": root, "text": "hello??"},
        {"id": "d", "channel": "C1", "ts": "90001.000000", "thread_ts": root, "text": "any update??"},
    ]
    results = []
    for order, rows in (("forward", thread), ("reversed", thread[::-1])):
        source = tmp_path / f"{order}.jsonl"
        source.write_text("".join(json.dumps(r) + "\n" for r in rows))
        out = tmp_path / f"{order}.out.jsonl"
        args = _replay_args(tmp_path, source)
        args.output = str(out)
        assert await run_replay(None, args) == 0
        results.append(
            {line["id"]: line["reasons"] for line in map(json.loads, out.read_text().splitlines())}
        )
    assert results[0] == results[1]


@pytest.mark.parametrize("given", ["9" * 20, "\u00b2"], ids=["beyond-bigint", "superscript-two"])
async def test_revoking_a_token_by_an_out_of_range_id_is_a_clear_error(
    baton: Runtime, capsys: pytest.CaptureFixture[str], given: str
) -> None:
    """`baton tokens revoke 99999999999999999999` (a mistyped id, or a name made of digits that no token has):
    the digits are sent to the database as a BIGINT id and the command dies with a driver traceback instead
    of exit 2 'no active token is named … or has that id'. A str.isdigit() digit int() refuses ('²') dies with
    a ValueError traceback."""
    from bot.tokens_cli import run_revoke

    code = await run_revoke(baton.settings, argparse.Namespace(token=given, actor="ops"))
    assert code == 2
    assert "no active token" in capsys.readouterr().err


async def test_an_agents_reason_cannot_ping_the_triage_channel(
    baton: Runtime,
    sandbox: Sandbox,
    seed: SeedInfo,
    token: str,  # noqa: F811
):
    """The card shows an agent's reason escaped (broadcasts neutralised), but the ':robot_face: The AI agent
    asked again: …' note posts it raw as mrkdwn: a reason carrying <!channel> (an agent quoting a customer,
    or a prompt-injected one) @-mentions the whole triage channel; <@U…> and <https://…|label> pass too."""
    from tests.bot.test_handoffs import thread_texts

    thread_ts = await customer_thread(sandbox, seed, "Can I talk to a person about our invoice?")
    await settle(baton, sandbox)
    (opened,) = await handoffs_of(baton)
    status, _ = await call(baton, "POST", "escalations", token=token, body=escalation(seed, thread_ts))
    assert status == 200
    body = {**escalation(seed, thread_ts), "reason": "Customer wrote: <!channel> refund me NOW"}
    status, answer = await call(baton, "POST", "escalations", token=token, body=body)
    assert status == 200 and answer["outcome"] == "unchanged"
    await settle(baton, sandbox)
    (handoff,) = await handoffs_of(baton)
    notes = [n for n in thread_texts(sandbox, seed.triage_channel_id, handoff.card_ts) if "asked again" in n]
    assert notes, "the note was not posted"
    assert not any("<!channel>" in n for n in notes), notes


def test_an_export_without_channels_json_still_replays_every_folder(tmp_path: Path) -> None:
    import json

    from bot.replay import read_slack_export

    (tmp_path / "users.json").write_text(json.dumps([{"id": "U1", "team_id": "T1"}]))
    (tmp_path / "dms.json").write_text(json.dumps([{"id": "D1", "members": ["U1"]}]))
    for name in ("general", "D1"):
        (tmp_path / name).mkdir()
        day = [{"type": "message", "user": "U1", "ts": "1.0", "text": f"hi in {name}"}]
        (tmp_path / name / "2025-01-01.json").write_text(json.dumps(day))
    channels = sorted(m.channel for m in read_slack_export(tmp_path))
    assert channels == ["D1", "general"], channels
