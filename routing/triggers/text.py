"""Slack text normalisation: mrkdwn markup, mentions, links, emoji and code become plain analysable text."""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

from routing.triggers.typos import typo_map

MAX_ANALYSED_CHARS = 4000  # longer messages are analysed on their head and tail; nobody rants for 4,000 chars

_CODE_BLOCK = re.compile(r"```.*?(?:```|$)", re.S)
_INLINE_CODE = re.compile(r"`[^`\n]{0,400}`")
_USER_MENTION = re.compile(r"<@[UWB][A-Z0-9]{1,20}(?:\|[^>]{0,80})?>")
_CHANNEL_MENTION = re.compile(r"<#[CGD][A-Z0-9]{1,20}(?:\|([^>]{0,80}))?>")
_SPECIAL_MENTION = re.compile(r"<!(?:here|channel|everyone|subteam\^[A-Z0-9]+)(?:\|[^>]{0,80})?>")
_LABELLED_LINK = re.compile(r"<(?:https?|mailto|tel):[^|>\s]{0,2000}\|([^>]{0,200})>")
_BARE_LINK = re.compile(r"<(?:https?|mailto|tel):[^>\s]{0,2000}>|\bhttps?://\S{1,2000}")
_EMOJI = re.compile(r":([a-z0-9_+\-']{1,60}):(?::skin-tone-\d:)?")
_QUOTE_PREFIX = re.compile(r"(?m)^>\s?")
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_EXCLAIM_RUN = re.compile(r"!{2,}|[!?]{3,}")
_LETTERS = re.compile(r"[A-Za-z]")
_UPPER_WORD = re.compile(r"\b[A-Z]{3,}\b")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u00b4": "'"})

NEGATIVE_EMOJI = frozenset(
    {
        "rage", "angry", "triumph", "face_with_symbols_on_mouth", "unamused", "disappointed", "-1",
        "thumbsdown", "confounded", "persevere", "tired_face", "weary", "sob", "cry", "expressionless",
        "face_with_rolling_eyes", "roll_eyes", "facepalm", "face_palm", "man-facepalming",
        "woman-facepalming",
        "exploding_head", "pouting_cat", "skull", "neutral_face", "hourglass", "hourglass_flowing_sand",
    }
)  # fmt: skip
POSITIVE_EMOJI = frozenset(
    {
        "pray", "+1", "thumbsup", "smile", "slightly_smiling_face", "blush", "tada", "heart", "raised_hands",
        "clap", "grinning", "smiley", "white_check_mark", "heavy_check_mark", "ok_hand", "muscle", "joy",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Text:
    """A message prepared for the triggers: its plain lower-cased text, tokens and tone markers."""

    raw_length: int
    plain: str  # markup removed, original case
    lower: str  # plain, lower-cased, apostrophes normalised
    tokens: tuple[str, ...]
    emoji: tuple[str, ...]
    caps_ratio: float  # share of letters in shouting words (3+ capitals), over all letters
    shouted_words: int
    exclaim_runs: int  # "!!", "?!?", "???" runs
    corrected: tuple[tuple[str, str], ...] = ()  # (typed, meant) slips fixed in `lower`

    @property
    def is_empty(self) -> bool:
        return not self.tokens


def prepare(text: object) -> Text:
    """Normalise any input (Slack mrkdwn, any language, garbage, None) into a Text; never raises."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    raw_length = len(text)
    if raw_length > MAX_ANALYSED_CHARS:
        half = MAX_ANALYSED_CHARS // 2
        text = text[:half] + "\n" + text[-half:]
    text = _CODE_BLOCK.sub(" ", text.replace("\x00", " "))
    text = _INLINE_CODE.sub(" ", text)
    text = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES)
    text = _USER_MENTION.sub(" ", text)
    text = _CHANNEL_MENTION.sub(lambda m: f" {m.group(1) or ''} ", text)
    text = _SPECIAL_MENTION.sub(" ", text)
    text = _LABELLED_LINK.sub(lambda m: f" {m.group(1)} ", text)
    text = _BARE_LINK.sub(" ", text)
    emoji = tuple(m.group(1) for m in _EMOJI.finditer(text))
    text = _EMOJI.sub(" ", text)
    text = html.unescape(text)  # Slack escapes &, < and > as entities
    text = _QUOTE_PREFIX.sub("", text)
    plain = _SPACES.sub(" ", text).strip()
    lower, corrected = _correct(plain.lower())
    letters = len(_LETTERS.findall(plain))
    shouted = _UPPER_WORD.findall(plain)
    shouted_letters = sum(len(w) for w in shouted)
    return Text(
        raw_length=raw_length,
        plain=plain,
        lower=lower,
        tokens=tuple(_WORD.findall(lower)),
        emoji=emoji,
        caps_ratio=shouted_letters / letters if letters >= 12 else 0.0,
        shouted_words=len(shouted),
        exclaim_runs=len(_EXCLAIM_RUN.findall(plain)),
        corrected=corrected,
    )


_ALPHA_WORD = re.compile(r"[a-z]{4,}")


def _correct(lower: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    mapping = typo_map()
    fixed: list[tuple[str, str]] = []

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        meant = mapping.get(word)
        if meant is None:
            return word
        fixed.append((word, meant))
        return meant

    return _ALPHA_WORD.sub(fix, lower), tuple(fixed)
