"""`baton replay`: run the trigger engine over past messages (JSONL or a Slack export) and summarise.

Input is JSONL (`{"id", "text"}` plus optional `channel`, `user`, `ts`, `thread_ts`, `metadata`, and the
Baton extras `author_kind` and `account`) or a Slack export folder (`channels.json`, `users.json`, one folder
per channel of per-day JSON files). Messages with the same channel and thread form one conversation, in ts
order (JSONL lines are replayed in ts order when every line has one, else as listed); JSONL lines without a
channel stand alone. Output: one decision line per message; summary on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import yaml

from routing.config import parse_config
from routing.decision import Decision
from routing.models import (
    Account,
    AIAssessment,
    AuthorKind,
    MessageFacts,
    StoredMessage,
    assessment_from_metadata,
    ts_order,
)
from routing.rules import RulesError, RuleSet, default_rules
from routing.stats import HEALTHY_BAND, Rate
from routing.triggers.engine import decide
from routing.yaml_text import load_yaml

_ENCODER = json.JSONEncoder(ensure_ascii=False)  # what json.dumps(..., ensure_ascii=False) builds per call
_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class ReplayMessage:
    """One message to replay, whatever the input format."""

    id: str
    text: str
    channel: str = ""
    ts: str = ""
    thread_ts: str = ""
    user: str = ""
    team: str = ""
    author_kind: AuthorKind = AuthorKind.CUSTOMER
    assessment: AIAssessment | None = None
    metadata: dict[str, Any] | None = None
    account: Account | None = None

    @property
    def conversation(self) -> tuple[str, str] | None:
        if not self.channel:
            return None
        return (self.channel, self.thread_ts or self.ts or self.id)


@dataclass
class Summary:
    """Counts for the stderr summary."""

    messages: int = 0
    customer_messages: int = 0
    escalations: int = 0  # messages that escalate
    handoffs: int = 0  # conversations with one: later escalating messages merge into it, as in Baton
    by_trigger: Counter[str] = field(default_factory=Counter)  # per handoff, the reasons it opened with
    by_type: Counter[str] = field(default_factory=Counter)
    _escalated: set[tuple[str, str] | None] = field(default_factory=set)

    def add(self, message: ReplayMessage, decision: Decision) -> None:
        self.messages += 1
        self.customer_messages += message.author_kind is AuthorKind.CUSTOMER
        if not decision.escalate:
            return
        self.escalations += 1
        key = message.conversation
        if key is not None and key in self._escalated:
            return
        self._escalated.add(key)
        self.handoffs += 1
        self.by_type[decision.escalation_type or "?"] += 1
        self.by_trigger.update(decision.reasons)

    def render(self) -> str:
        # The rate `/baton stats` shows: handoffs per customer message (one live handoff per conversation;
        # the replay does not model handoffs closing, so a conversation counts once).
        rate = Rate(handoffs=self.handoffs, messages=self.customer_messages)
        low, high = HEALTHY_BAND
        verdict = (
            "no customer messages to judge by"
            if rate.band is None
            else f"{rate.rate or 0.0:.1%}: {rate.band.value} the healthy {low:.0%}-{high:.0%} band"
        )
        lines = [
            f"replay: {self.messages} messages ({self.customer_messages} from customers), "
            f"{self.escalations} escalating, {self.handoffs} handoffs (one per conversation)",
            f"escalation rate {verdict}",
            "by trigger: " + (", ".join(f"{k} {v}" for k, v in self.by_trigger.most_common()) or "none"),
            "by type: " + (", ".join(f"{k} {v}" for k, v in self.by_type.most_common()) or "none"),
        ]
        return "\n".join(lines)


# ---- input ----


class ReplayInputError(ValueError):
    """Input that can't be replayed; says where and why."""


def _account(raw: Any) -> Account | None:
    if not isinstance(raw, dict):
        return None
    value = raw.get("value", 0)
    usable = isinstance(value, int | float) and not isinstance(value, bool) and abs(value) < 1e300
    return Account(
        name=str(raw.get("name") or ""),
        tier=str(raw.get("tier") or ""),
        value=float(value) if usable else 0.0,  # (an integer too large for a float: none)
        owner_user_id=raw.get("owner_user_id"),
    )


def read_jsonl(lines: Iterable[str], *, source: str) -> Iterator[ReplayMessage]:
    """Messages from JSONL lines; a bad line raises ReplayInputError naming the line."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise ReplayInputError(f"{source}:{number}: not JSON ({error.msg})") from None
        if not isinstance(row, dict) or "id" not in row:
            raise ReplayInputError(f'{source}:{number}: expected an object with an "id"')
        try:
            kind = AuthorKind(row.get("author_kind") or "customer")
        except ValueError:
            raise ReplayInputError(
                f"{source}:{number}: unknown author_kind {row.get('author_kind')!r}"
            ) from None
        metadata = row.get("metadata") if isinstance(row.get("metadata"), dict) else None
        yield ReplayMessage(
            id=str(row["id"]),
            text=str(row["text"]) if isinstance(row.get("text"), str) else "",
            channel=str(row.get("channel") or ""),
            ts=str(row.get("ts") or ""),
            thread_ts=str(row.get("thread_ts") or ""),
            user=str(row.get("user") or ""),
            author_kind=kind,
            assessment=assessment_from_metadata(metadata),
            metadata=metadata,
            account=_account(row.get("account")),
        )


def read_slack_export(
    folder: Path, *, our_team: str | None = None, ai_bots: tuple[str, ...] = ()
) -> list[ReplayMessage]:
    """Messages of a Slack export folder, per channel in ts order, with authors told apart.

    Our members are users of `our_team` (default: the team most users belong to); bots (a `bot_id`, the
    `bot_message` subtype, or `is_bot` in users.json) are the AI agent when listed in `ai_bots`, else other
    bots; everyone else is a customer. In an export with a single team, every human counts as a customer.
    """
    # Public channels, private ones (customers' Slack Connect channels often are), group and direct messages.
    channels = [
        c
        for index in ("channels.json", "groups.json", "mpims.json", "dms.json")
        for c in _load_json(folder / index, default=[]) or []
        if isinstance(c, dict)
    ]
    users = {u.get("id"): u for u in _load_json(folder / "users.json", default=[]) if isinstance(u, dict)}
    teams = Counter(u.get("team_id") or u.get("team") for u in users.values() if not u.get("is_bot"))
    teams.pop(None, None)
    if our_team is None and len(teams) > 1:
        our_team = teams.most_common(1)[0][0]
    # The indexes' channels first, then any folder they don't list (an export without channels.json).
    listed = [c.get("name") or c.get("id") for c in channels]
    names = list(dict.fromkeys([*listed, *sorted(p.name for p in folder.iterdir() if p.is_dir())]))
    out: list[ReplayMessage] = []
    for name in names:
        channel_dir = folder / str(name)
        if not channel_dir.is_dir():
            continue
        rows: list[dict[str, Any]] = []
        for day in sorted(channel_dir.glob("*.json")):
            loaded = _load_json(day, default=[])
            if not isinstance(loaded, list):
                raise ReplayInputError(f"{day}: expected a list of messages, got {type(loaded).__name__}")
            rows.extend(m for m in loaded if isinstance(m, dict))
        rows.sort(key=lambda m: ts_order(str(m.get("ts") or "")))
        for m in rows:
            if m.get("type", "message") != "message" or m.get("subtype") in _SKIPPED_SUBTYPES:
                continue
            out.append(_export_message(str(name), m, users, our_team, ai_bots))
    return out


_SKIPPED_SUBTYPES = frozenset(
    {"channel_join", "channel_leave", "channel_topic", "channel_purpose", "channel_name", "pinned_item",
     "message_deleted", "message_changed", "bot_add", "bot_remove", "tombstone"}
)  # fmt: skip


def _export_message(
    channel: str, m: dict[str, Any], users: dict[Any, Any], our_team: str | None, ai_bots: tuple[str, ...]
) -> ReplayMessage:
    user = str(m.get("user") or "")
    profile = users.get(user) or {}
    team = str(m.get("user_team") or m.get("team") or profile.get("team_id") or "")
    bot_id = str(m.get("bot_id") or "")
    if bot_id or m.get("subtype") == "bot_message" or profile.get("is_bot"):
        kind = AuthorKind.AI if (bot_id in ai_bots or user in ai_bots) else AuthorKind.OTHER_BOT
    elif our_team is not None and team == our_team:
        kind = AuthorKind.INTERNAL
    else:
        kind = AuthorKind.CUSTOMER
    ts = str(m.get("ts") or "")
    metadata = m.get("metadata") if isinstance(m.get("metadata"), dict) else None
    return ReplayMessage(
        id=f"{channel}/{ts}",
        text=str(m.get("text") or ""),
        channel=channel,
        ts=ts,
        thread_ts=str(m.get("thread_ts") or ""),
        user=user or bot_id,
        team=team,
        author_kind=kind,
        assessment=assessment_from_metadata(metadata),
        metadata=metadata,
    )


def _load_json(path: Path, *, default: Any) -> Any:
    if not path.exists():
        return default
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ReplayInputError(f"{path}: not valid JSON ({error})") from None


def load_rules(path: Path | None) -> RuleSet:
    """The rule set of a configuration file (BATON_CONFIG's format, or a file of rules alone), or the
    defaults; RulesError names the file and field."""
    if path is None:
        return default_rules()
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise RulesError(str(path), "", f"cannot read: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise RulesError(str(path), "", f"not UTF-8 text (byte {error.start}); save it as UTF-8") from None
    except yaml.YAMLError as error:
        raise RulesError(str(path), "", f"not valid YAML: {error}") from None
    return parse_config(data, source=str(path)).rules


# ---- replay ----


def _time(ts: str, fallback_index: int) -> datetime:
    try:
        return datetime.fromtimestamp(float(ts), tz=UTC)
    except (ValueError, OverflowError, OSError):
        return _EPOCH.replace(microsecond=0) if fallback_index < 0 else _EPOCH


def replay(
    messages: Iterable[ReplayMessage], *, rules: RuleSet, account: Account | None = None
) -> Iterator[tuple[ReplayMessage, Decision]]:
    """Decide on each message in order, with its conversation's earlier messages as history."""
    histories: dict[tuple[str, str], list[StoredMessage]] = {}
    for index, message in enumerate(messages):
        at = _time(message.ts, index)
        key = message.conversation
        facts = MessageFacts(
            channel_id=message.channel or "replay",
            ts=message.ts or message.id,
            thread_ts=key[1] if key else message.id,
            author_id=message.user,
            author_team=message.team,
            author_kind=message.author_kind,
            text=message.text,
            received_at=at,
            assessment=message.assessment,
            metadata=message.metadata,
        )
        history = histories.setdefault(key, []) if key else []
        decision = decide(facts, history=history, rules=rules, account=message.account or account, now=at)
        if key:
            history.append(StoredMessage.from_facts(facts))
            del history[:-50]
        yield message, decision


def decision_line(message: ReplayMessage, decision: Decision) -> dict[str, Any]:
    """The output line: id, escalate, type, urgency, reasons, score, and the explanations."""
    return {"id": message.id, **decision.to_dict()}


def add_replay_parser(subparsers: Any) -> None:
    """Register `baton replay` on an argparse subparsers object."""
    parser = subparsers.add_parser("replay", help="backtest the trigger rules on past messages")
    parser.add_argument("input", type=Path, help="JSONL file, '-' for stdin, or a Slack export folder")
    parser.add_argument("--output", "-o", default="-", help="decisions JSONL (default: stdout)")
    parser.add_argument("--rules", type=Path, default=None, help="YAML rules file (default: BATON_CONFIG)")
    parser.add_argument("--our-team", default=None, help="Slack export: our team id (default: the largest)")
    parser.add_argument("--ai-bot", action="append", default=[], help="Slack export: bot id of the AI agent")
    parser.add_argument("--account-tier", default="", help="treat every conversation as this account tier")
    parser.add_argument("--account-value", type=float, default=0.0, help="... and this account value")
    parser.set_defaults(handler=run_replay)


async def run_replay(settings: Any, args: argparse.Namespace) -> int:
    """Run the replay command; 0 on success, 2 on bad rules or input."""
    rules_path = getattr(args, "rules", None) or getattr(settings, "config_path", None)
    try:
        rules = load_rules(Path(rules_path) if rules_path else None)
        messages = _read_input(args)
    except (RulesError, ReplayInputError) as error:
        sys.stderr.write(f"baton replay: {error}\n")
        return 2
    except OSError as error:
        sys.stderr.write(f"baton replay: {args.input}: {error.strerror}\n")
        return 2
    account = None
    if getattr(args, "account_tier", "") or getattr(args, "account_value", 0.0):
        account = Account(name="replay", tier=args.account_tier or "", value=args.account_value or 0.0)
    summary = Summary()
    output = str(getattr(args, "output", "-") or "-")
    try:
        sink: TextIO = sys.stdout if output == "-" else open(output, "w", encoding="utf-8")  # noqa: SIM115
    except OSError as error:
        sys.stderr.write(f"baton replay: {output}: {error.strerror}\n")
        return 2
    try:
        for message, decision in replay(messages, rules=rules, account=account):
            summary.add(message, decision)
            sink.write(_ENCODER.encode(decision_line(message, decision)) + "\n")
    except ReplayInputError as error:
        sys.stderr.write(f"baton replay: {error}\n")
        return 2
    finally:
        if sink is not sys.stdout:
            sink.close()
    sys.stderr.write(summary.render() + "\n")
    return 0


def _in_time_order(messages: list[ReplayMessage]) -> list[ReplayMessage]:
    """Lines in the order their messages were sent, when every line says when (`ts`): a conversation's
    history is what came before each message, whatever order the file lists them in. Else as listed."""
    if messages and all(m.ts for m in messages):
        return sorted(messages, key=lambda m: ts_order(m.ts or ""))
    return messages


def _read_input(args: argparse.Namespace) -> Iterable[ReplayMessage]:
    path = Path(args.input)
    if str(path) == "-":
        return _in_time_order(list(read_jsonl(sys.stdin, source="<stdin>")))
    if path.is_dir():
        return read_slack_export(
            path, our_team=getattr(args, "our_team", None), ai_bots=tuple(args.ai_bot or ())
        )
    try:
        with path.open(encoding="utf-8") as handle:
            return _in_time_order(list(read_jsonl(handle, source=str(path))))
    except UnicodeDecodeError as error:
        raise ReplayInputError(f"{path}: not UTF-8 text (byte {error.start}); save it as UTF-8") from None
