"""Slack text normalisation: mrkdwn markup, mentions, links, emoji and code become plain analysable text."""

from __future__ import annotations

import html
import re
import unicodedata
from typing import NamedTuple

from routing.triggers.typos import typo_map

MAX_ANALYSED_CHARS = 4000  # longer messages are analysed on their head and tail; nobody rants for 4,000 chars

_CODE_BLOCK = re.compile(r"```.*?```", re.S)  # closed blocks; Slack shows a lone fence as text
_FENCE = re.compile(r"```")
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
# ASCII that is not [a-z0-9] -> space: without apostrophes, _WORD's tokens are the runs of the rest
_NOT_TOKEN = str.maketrans({c: " " for c in map(chr, range(128)) if not ("a" <= c <= "z" or "0" <= c <= "9")})
_EXCLAIM_RUN = re.compile(r"!{2,}|[!?]{3,}")
_NOT_ASCII_LETTER = bytes(b for b in range(256) if not (65 <= b <= 90 or 97 <= b <= 122))
_UPPER_WORD = re.compile(r"\b[A-Z]{3,}\b")
_CAPS_RUN = re.compile(r"[A-Z]{3}")  # every shouted word contains one
_DIGIT_OR_APOSTROPHE = re.compile(r"[0-9']")
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


class Text(NamedTuple):
    """A message prepared for the triggers: its plain lower-cased text, tokens and tone markers.

    Immutable; a named tuple because it is built for every message and that costs a fifth of a dataclass.
    """

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


def _head_and_tail(text: str, half: int) -> str:
    """A long message's first and last `half` characters, without the parts of a code block cut in two.
    Fences pair up from the start, as the code-block pattern takes them; a last one left alone is text."""
    head_end, tail_start = half, len(text) - half
    fences = [match.start() for match in _FENCE.finditer(text)]
    for opening, closing in zip(fences[0::2], fences[1::2], strict=False):
        if opening < head_end < closing + 3:
            head_end = opening
        if opening < tail_start < closing + 3:
            tail_start = closing + 3
    return text[:head_end] + "\n" + text[tail_start:]


def prepare(text: object) -> Text:
    """Normalise any input (Slack mrkdwn, any language, garbage, None) into a Text; never raises."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    raw_length = len(text)
    if raw_length > MAX_ANALYSED_CHARS:
        text = _head_and_tail(text, MAX_ANALYSED_CHARS // 2)
    # each step is skipped when the characters it needs are absent (same result, most messages are plain)
    if "\x00" in text:
        text = text.replace("\x00", " ")
    if "`" in text:
        text = _CODE_BLOCK.sub(" ", text).replace("```", " ")
        text = _INLINE_CODE.sub(" ", text)
    if not text.isascii():  # ASCII is its own NFKC form and has no curly apostrophes
        text = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES)
    if "<" in text:
        text = _USER_MENTION.sub(" ", text)
        text = _CHANNEL_MENTION.sub(lambda m: f" {m.group(1) or ''} ", text)
        text = _SPECIAL_MENTION.sub(" ", text)
        text = _LABELLED_LINK.sub(lambda m: f" {m.group(1)} ", text)
    if "<" in text or "http" in text:
        text = _BARE_LINK.sub(" ", text)
    emoji: tuple[str, ...] = ()
    if ":" in text:
        emoji = tuple(m.group(1) for m in _EMOJI.finditer(text))
        text = _EMOJI.sub(" ", text)
    text = html.unescape(text)  # Slack escapes &, < and > as entities
    if ">" in text:
        text = _QUOTE_PREFIX.sub("", text)
    plain = " ".join(text.split())  # same as collapsing \s+ runs and stripping: both use str.isspace
    folded = plain.lower()
    if "'" not in folded and folded.isascii():
        tokens = folded.translate(_NOT_TOKEN).split()  # what _WORD finds in ASCII without apostrophes
    else:
        tokens = _WORD.findall(folded)
    if _may_have_typo(folded, tokens):
        lower, corrected = _correct(folded)
        if corrected:
            tokens = _WORD.findall(lower)
    else:
        lower, corrected = folded, ()
    if folded == plain or _CAPS_RUN.search(plain) is None:
        # no capitals, or no run of three: no shouting (caps_ratio 0.0 whatever the letter count)
        caps_ratio = 0.0
        shouted_count = 0
    else:
        # ASCII letters, counted in C: UTF-8 bytes of other characters are never A-Z or a-z
        letters = len(plain.encode("utf-8", "surrogatepass").translate(None, _NOT_ASCII_LETTER))
        shouted = _UPPER_WORD.findall(plain)
        shouted_count = len(shouted)
        caps_ratio = sum(len(w) for w in shouted) / letters if letters >= 12 else 0.0
    exclaim = "!!" in plain or "??" in plain or "!?" in plain or "?!" in plain  # every run has one of these
    return _new_text(
        Text,
        (
            raw_length,
            plain,
            lower,
            tuple(tokens),
            emoji,
            caps_ratio,
            shouted_count,
            len(_EXCLAIM_RUN.findall(plain)) if exclaim else 0,
            corrected,
        ),
    )


_new_text = tuple.__new__


_ALPHA_WORD = re.compile(r"[a-z]{4,}")


def as_analysed(phrase: str) -> str:
    """An admin's phrase or keyword in the form prepare() gives a message (`Text.lower`): Unicode-normalised,
    curly apostrophes straight, lower case, the same slips "corrected" (the typo map turns "refunds" into
    "refund" in a message, so it must in the phrase too, or the two never meet)."""
    text = unicodedata.normalize("NFKC", phrase).translate(_APOSTROPHES)
    return _correct(" ".join(text.split()).lower())[0]


def _may_have_typo(folded: str, tokens: list[str]) -> bool:
    """Whether a word of `folded` is a key of the typo map (False: `_correct` would change nothing).

    The map's keys are ASCII letters only, and `_correct` looks at every maximal run of 4+ of them. A
    run that is neither preceded nor followed by a digit or an apostrophe is a whole token, so without
    digits and apostrophes the tokens are enough; otherwise the runs are searched as `_correct` does.
    """
    keys = typo_map().keys()
    if not keys.isdisjoint(tokens):
        return True
    if _DIGIT_OR_APOSTROPHE.search(folded) is None:
        return False
    return not keys.isdisjoint(_ALPHA_WORD.findall(folded))


def _correct(lower: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    mapping = typo_map()
    if mapping.keys().isdisjoint(_ALPHA_WORD.findall(lower)):
        return lower, ()  # no slip: the substitution below would change nothing
    fixed: list[tuple[str, str]] = []

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        meant = mapping.get(word)
        if meant is None:
            return word
        fixed.append((word, meant))
        return meant

    return _ALPHA_WORD.sub(fix, lower), tuple(fixed)
