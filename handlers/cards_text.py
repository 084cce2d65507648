"""Slack mrkdwn helpers for handoff cards: neutralise pings, clip safely, format dates, render as text."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

# "@" then a zero-width space: reads as "@here" but never parses as a mention, with or without `link_names`.
NO_PING = "@\u200b"
ELLIPSIS = "…"

# Control characters and bidi overrides: an unterminated U+202E in a customer message would flip the card.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
_SPECIAL = re.compile(r"<!([^<>|]*)(?:\|([^<>]*))?>")  # <!here>, <!subteam^S1|@team>, <!date^…|fallback>
_USER = re.compile(r"<@([^<>|]*)(?:\|([^<>]*))?>")  # <@U123>, <@U123|riley>
_BARE_BROADCAST = re.compile(r"(?<![\w@])@(channel|here|everyone)\b", re.IGNORECASE)
_BARE_AMP = re.compile(r"&(?!(?:amp|lt|gt);)")
_FENCE = "```"
_BROADCASTS = frozenset({"channel", "here", "everyone"})


def neutralise(text: str) -> str:
    """Mrkdwn that can't ping anyone: broadcasts, group and user mentions become plain words.

    Until nothing changes: a mention turned into its label can close a new one around it
    (`<<!x|!channel>>` would become `<!channel>`). Each pass shortens the text, so this ends."""
    text = _CONTROL.sub("", text)
    while True:
        before = text
        text = _SPECIAL.sub(_special, text)
        text = _USER.sub(lambda m: NO_PING + (m.group(2) or m.group(1)).lstrip("@"), text)
        if text == before:
            return _BARE_BROADCAST.sub(lambda m: NO_PING + m.group(1), text)


def _special(match: re.Match[str]) -> str:
    name, label = match.group(1), match.group(2)
    if name.startswith("date^"):
        return label or "a date"
    if name.lower() in _BROADCASTS or name.startswith("subteam^"):
        return NO_PING + (label or name.rpartition("^")[2]).lstrip("@")
    return label or name


def escape(text: str) -> str:
    """Text from outside Slack (names, explanations, evidence) made safe as mrkdwn."""
    text = _BARE_AMP.sub("&amp;", neutralise(text))
    return text.replace("<", "&lt;").replace(">", "&gt;")


def one_line(text: str) -> str:
    """Whitespace, newlines included, collapsed to single spaces."""
    return " ".join(text.split())


def units(text: str) -> int:
    """Length as Slack may count it: UTF-16 code units, so an emoji outside the BMP counts twice."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def clip(text: str, limit: int, *, mrkdwn: bool = True) -> str:
    """`text` cut to `limit` units with an ellipsis, never inside a <link>, an &entity; or a code block."""
    if units(text) <= limit:
        return text
    budget = max(0, limit - len(ELLIPSIS) - (len(_FENCE) + 1 if mrkdwn else 0))
    cut = used = 0
    for ch in text:
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > budget:
            break
        cut += 1
    head = text[:cut]
    if mrkdwn:
        if head.rfind("<") > head.rfind(">"):
            head = head[: head.rfind("<")]
        amp = head.rfind("&")
        if amp > head.rfind(";") and len(head) - amp < 5:
            head = head[:amp]
    head = head.rstrip() + ELLIPSIS
    return balance_fences(head) if mrkdwn else head


def balance_fences(text: str) -> str:
    """Close an unterminated ``` block so it can't swallow the rest of the card."""
    return text + "\n" + _FENCE if text.count(_FENCE) % 2 else text


def slack_date(moment: datetime, template: str = "{date_short_pretty} {time}") -> str:
    """A date each reader sees in their own timezone, with a UTC fallback for notifications."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    fallback = aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(aware.timestamp())}^{template}|{fallback}>"


def snooze_label(minutes: int) -> str:
    """30 -> "30 minutes", 60 -> "1 hour", 90 -> "1 h 30 min", 1440 -> "1 day"."""
    if minutes % 1440 == 0:
        return plural(minutes // 1440, "day")
    if minutes % 60 == 0:
        return plural(minutes // 60, "hour")
    if minutes > 60:
        return f"{minutes // 60} h {minutes % 60} min"
    return plural(minutes, "minute")


def plural(count: int, noun: str) -> str:
    """The count and the noun: 1 day, 2 days."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def percent(value: Any) -> str | None:
    """A fraction in [0, 1] as "42%"; None when it is not a finite number."""
    try:
        fraction = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(fraction):
        return None
    return f"{round(min(1.0, max(0.0, fraction)) * 100)}%"


# --- the card as plain text, for a terminal (`baton demo`) and tests -------------------------------------

_LINK = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")
_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])")


def plain(mrkdwn: str) -> str:
    """Mrkdwn as a terminal shows it: mentions as @id, links as "label (url)", no emphasis markers."""
    text = _LINK.sub(_plain_link, mrkdwn)
    text = _ITALIC.sub(r"\1", _BOLD.sub(r"\1", text))
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _plain_link(match: re.Match[str]) -> str:
    target, label = match.group(1), match.group(2)
    if target[:1] in ("@", "#"):
        return target[0] + (label or target[1:]).lstrip("@#")
    if target.startswith("!"):
        name = target[1:]
        if name.lower() in _BROADCASTS:
            return "@" + name
        return label or "@" + name.rpartition("^")[2]
    return f"{label} ({target})" if label and label != target else target


def render_text(text: str, blocks: Iterable[Mapping[str, Any]]) -> str:
    """The message as readable plain text; unknown block types are skipped, no blocks shows `text`."""
    lines: list[str] = []
    for block in blocks:
        renderer = _RENDERERS.get(str(block.get("type")))
        if renderer is not None:
            lines.extend(line for line in renderer(block) if line)
    return "\n".join(lines) if lines else plain(text)


def _text(obj: Any) -> str:
    if isinstance(obj, str):
        return plain(obj)
    if not isinstance(obj, Mapping):
        return ""
    if obj.get("type") == "plain_text":
        return str(obj.get("text") or "")
    if obj.get("type") == "image":
        return str(obj.get("alt_text") or "")
    return plain(str(obj.get("text") or ""))


def _field(obj: Any) -> str:
    label, _, value = _text(obj).partition("\n")
    return f"{label}: {one_line(value)}" if value else label


def _element(obj: Any) -> str:
    if not isinstance(obj, Mapping):
        return ""
    if obj.get("type") == "button":
        url = obj.get("url")
        return f"[{_text(obj.get('text'))}]" + (f" ({url})" if url else "")
    placeholder = _text(obj.get("placeholder"))
    return f"[{placeholder}]" if placeholder else ""


def _header(block: Mapping[str, Any]) -> list[str]:
    return [_text(block.get("text"))]


def _section(block: Mapping[str, Any]) -> list[str]:
    lines = [_text(block.get("text"))]
    lines.extend(_field(field) for field in block.get("fields") or ())
    lines.append(_element(block.get("accessory")))
    return lines


def _context(block: Mapping[str, Any]) -> list[str]:
    return [" · ".join(part for part in map(_text, block.get("elements") or ()) if part)]


def _divider(block: Mapping[str, Any]) -> list[str]:
    return ["─" * 40]


def _actions(block: Mapping[str, Any]) -> list[str]:
    return [" ".join(part for part in map(_element, block.get("elements") or ()) if part)]


_RENDERERS: dict[str, Callable[[Mapping[str, Any]], list[str]]] = {
    "header": _header,
    "section": _section,
    "context": _context,
    "divider": _divider,
    "actions": _actions,
}
