"""The `/baton` grammar: the text of a slash command parsed strictly into a Command, or a UsageError.

Pure: no Slack, no storage. Every command has one usage line, a summary and who may run it; an error always
carries the usage lines that would have been right, so the person sees how to say it.
"""

from __future__ import annotations

import difflib
import re
import shlex
from dataclasses import dataclass
from enum import StrEnum

from routing.errors import BatonError

MAX_COMMAND_TEXT = 4000  # the dry run's limit too: a customer message worth testing is shorter
MAX_IMPORT_TEXT = 40_000  # a whole exported configuration
MAX_ARGUMENT = 1000  # one argument: a phrase, a regex, a message


class Access(StrEnum):
    """Who may run a command."""

    ANYONE = "anyone"  # customers in a shared channel too (help, which tells them it is not for them)
    MEMBER = "member"  # members of our workspace: read-only commands
    ADMIN = "admin"  # Baton admins: every change, the audit log, export and import


@dataclass(frozen=True, slots=True)
class Spec:
    """One command: its name ("rules set"), usage, summary, who may run it and how many arguments."""

    name: str
    usage: str
    summary: str
    access: Access
    min_args: int = 0
    max_args: int | None = 0  # None: any number
    raw: bool = False  # takes the rest of the text verbatim (a customer message, a YAML document)

    @property
    def group(self) -> str:
        return self.name.split(" ")[0]


@dataclass(frozen=True, slots=True)
class Command:
    """A parsed command: its spec and arguments (for a raw command, `text` is everything after its name)."""

    spec: Spec
    args: tuple[str, ...] = ()
    text: str = ""

    @property
    def name(self) -> str:
        return self.spec.name


class UsageError(BatonError):
    """A command that can't be run as written; says what is wrong and shows the right usage."""

    def __init__(self, problem: str, *, usage: tuple[str, ...] = ()) -> None:
        super().__init__(problem)
        self.problem = problem
        self.usage = usage

    def __str__(self) -> str:
        if not self.usage:
            return self.problem
        if len(self.usage) == 1:
            return f"{self.problem}\nUsage: `/baton {self.usage[0]}`"
        lines = "\n".join(f"• `/baton {u}`" for u in self.usage)
        return f"{self.problem}\nUsage:\n{lines}"


A, M, ANY = Access.ADMIN, Access.MEMBER, Access.ANYONE
SPECS: tuple[Spec, ...] = (
    Spec("help", "help [rules|types|route|channel|admins]", "this help, or one group's commands", ANY, 0, 1),
    Spec("test", "test <a customer message>", "which triggers would fire and where the card would go "
         "(stores and posts nothing)", M, raw=True),
    Spec("stats", "stats [24h|7d|30d|<n>h|<n>d|<n>w]", "escalation rate against the healthy 5-15% band, "
         "time to claim and resolve, SLA, not-needed shares, and threshold advice replayed on the period "
         "(default 7d)", M, 0, 1),
    Spec("rules list", "rules list", "every trigger rule: on or off, threshold, escalation type", M),
    Spec("rules show", "rules show <rule>", "one rule in full", M, 1, 1),
    Spec("rules enable", "rules enable <rule>", "turn a rule on", A, 1, 1),
    Spec("rules disable", "rules disable <rule>", "turn a rule off", A, 1, 1),
    Spec("rules set", "rules set <rule> threshold|type|urgency|after_minutes|min_value <value>",
         "change one setting of a rule (threshold: 0 to 1)", A, 3, 3),
    Spec("rules add", "rules add <rule> keyword|phrase|regex \"<text>\" [type <escalation type>]",
         "add a word, phrase or regex to a rule; a new rule id makes a custom rule", A, 3, 5),
    Spec("rules remove", "rules remove <rule> [keyword|phrase|regex \"<text>\"]",
         "remove a custom rule, or one word, phrase or regex from a rule", A, 1, 3),
    Spec("types list", "types list", "escalation types: urgency, SLA, route and customer message", M),
    Spec("types edit", "types edit <type>", "a form: urgency, SLAs and customer message of a type", A, 1, 1),
    Spec("types set", "types set <type> sla|resolve|urgency|route|message <value>",
         "claim SLA in minutes, resolve SLA in minutes (or none), urgency, route target "
         "(e.g. `route #triage`), customer message (or off)", A, 3, None),
    Spec("route list", "route list", "routes in order (first match wins) and the default", M),
    Spec("route add", "route add <id> <target> [fallback <target>] [types <a,b>] [tiers <a,b>] "
         "[channels <#c,#d>] [via <#channel>] [strategy round_robin|least_loaded] [position <n>]",
         "add a route (a target: #channel, @user, @group, or owner with a fallback)", A, 2, None),
    Spec("route remove", "route remove <id>", "remove a route", A, 1, 1),
    Spec("route reorder", "route reorder <id> [<id> …]", "put these routes first, in this order", A, 1, None),
    Spec("route default", "route default <target>|none [fallback <target>]",
         "where a handoff goes when no route matches", A, 1, 3),
    Spec("channel list", "channel list", "watched channels and their accounts", M),
    Spec("channel show", "channel show [#channel]", "one channel's account and AI agent bots", M, 0, 1),
    Spec("channel watch", "channel watch [#channel]", "watch a channel (default: this one)", A, 0, 1),
    Spec("channel unwatch", "channel unwatch [#channel]", "stop watching a channel", A, 0, 1),
    Spec("channel set", "channel set [#channel] account|tier|value|owner|ai|timezone|unanswered <value>",
         "the account's name, tier, value, owner (@user or none), the AI agent bots (@bot … or none), "
         "time zone, minutes a customer may wait (or default)", A, 2, None),
    Spec("admins list", "admins list", "Baton admins (workspace admins and owners are admins too)", M),
    Spec("admins add", "admins add <@user>", "make someone a Baton admin", A, 1, 1),
    Spec("admins remove", "admins remove <@user>", "remove a Baton admin", A, 1, 1),
    Spec("audit", "audit [<how many>]", "the latest configuration changes: who, what, before and after",
         A, 0, 1),
    Spec("export", "export", "the whole configuration as YAML (the BATON_CONFIG format)", A),
    Spec("import", "import <YAML>", "replace the whole configuration with an exported one", A, raw=True),
)  # fmt: skip
BY_NAME: dict[str, Spec] = {spec.name: spec for spec in SPECS}
GROUPS: tuple[str, ...] = ("rules", "types", "route", "channel", "admins")
TOP_LEVEL: tuple[str, ...] = tuple(dict.fromkeys(spec.group for spec in SPECS))


def parse_command(text: str) -> Command:
    """Parse the text after `/baton`; raise UsageError with the right usage when it can't be run."""
    text = text.strip()
    word, rest = (text.split(None, 1) + ["", ""])[:2]  # the YAML of `import` may start on the next line
    word = word.lower()
    if not word:
        return Command(BY_NAME["help"])
    if word not in TOP_LEVEL:
        raise UsageError(f"I don't know `/baton {word[:50]}`.{_did_you_mean(word, TOP_LEVEL)}", usage=_top())
    if word in BY_NAME and BY_NAME[word].raw:
        return _raw(BY_NAME[word], rest.strip())
    if len(text) > MAX_COMMAND_TEXT:
        raise UsageError(f"That command is over {MAX_COMMAND_TEXT} characters.")
    tokens = _tokens(rest)
    if word in GROUPS:
        if not tokens or tokens[0].lower() == "help":
            return Command(BY_NAME["help"], (word,))
        verb = tokens.pop(0).lower()
        spec = BY_NAME.get(f"{word} {verb}")
        if spec is None:
            verbs = tuple(s.name.split(" ")[1] for s in SPECS if s.group == word)
            raise UsageError(
                f"I don't know `/baton {word} {verb[:50]}`.{_did_you_mean(verb, verbs)}", usage=usages(word)
            )
    else:
        spec = BY_NAME[word]
    _check_arity(spec, tokens)
    if spec.name == "types set" and len(tokens) > 2 and tokens[1].lower() == "message":
        tokens = [tokens[0], tokens[1], _verbatim_message(rest)]
    if spec.name == "help" and tokens and tokens[0].lower() not in GROUPS:
        raise UsageError(f"There is no help on `{tokens[0][:50]}`.", usage=(spec.usage,))
    return Command(spec, tuple(t.lower() if spec.name == "help" else t for t in tokens))


def spec_of(text: str) -> Spec | None:
    """The command a text names, before its arguments are checked (to refuse it before explaining usage)."""
    words = text.strip().lower().split(maxsplit=2)
    if not words:
        return BY_NAME["help"]
    if words[0] in GROUPS:
        if len(words) == 1 or words[1] == "help":
            return BY_NAME["help"]
        return BY_NAME.get(f"{words[0]} {words[1]}")
    return BY_NAME.get(words[0])


def usages(group: str | None = None) -> tuple[str, ...]:
    """The usage lines of a group's commands (or of every command)."""
    return tuple(s.usage for s in SPECS if group is None or s.group == group)


def help_text(group: str | None = None) -> str:
    """Slack mrkdwn: the commands (of one group), what they do and who may run them."""
    specs = [s for s in SPECS if group is None or s.group == group]
    lines = [
        "*`/baton`* decides when a customer conversation needs a person."
        if group is None
        else f"*`/baton {group}`*"
    ]
    for spec in specs:
        lock = " _(admins)_" if spec.access is Access.ADMIN else ""
        lines.append(f"• `/baton {spec.usage}`: {spec.summary}{lock}")
    if group is None:
        lines.append(
            "Anyone in our workspace can use `help`, `test`, `stats` and the `list`/`show` commands; "
            "changes, `audit`, `export` and `import` are for admins (workspace admins and owners, and people "
            "added with `/baton admins add`). `/baton help <group>` shows one group."
        )
    return "\n".join(lines)


def _verbatim_message(rest: str) -> str:
    """The customer message of `types set <type> message <text>` as typed (its quotes kept), or the inside
    of one quoted phrase."""
    text = re.split(r"\s+", rest.strip(), maxsplit=3)[3].strip()
    text = text.replace("\u201c", '"').replace("\u201d", '"')
    if len(text) >= 2 and text[0] == text[-1] == '"' and '"' not in text[1:-1]:
        return text[1:-1]
    return text


def _raw(spec: Spec, rest: str) -> Command:
    limit = MAX_IMPORT_TEXT if spec.name == "import" else MAX_COMMAND_TEXT
    if not rest:
        raise UsageError(f"`/baton {spec.name}` needs something after it.", usage=(spec.usage,))
    if len(rest) > limit:
        raise UsageError(f"That is over {limit} characters; try a shorter one.", usage=(spec.usage,))
    return Command(spec, text=rest)


def _tokens(rest: str) -> list[str]:
    """Words and "quoted phrases". Only double quotes group (an apostrophe is a letter in "I'll"), and a
    backslash is literal (regexes are typed here). Slack clients turn typed quotes into curly ones."""
    lexer = shlex.shlex(rest.replace("\u201c", '"').replace("\u201d", '"'), posix=True)
    lexer.whitespace_split = True
    lexer.quotes = '"'
    lexer.escape = ""
    lexer.commenters = ""
    try:
        tokens = list(lexer)
    except ValueError:
        raise UsageError('A quote is not closed: put "quotes" around a phrase with spaces.') from None
    for token in tokens:
        if len(token) > MAX_ARGUMENT:
            raise UsageError(f"`{token[:30]}…` is over {MAX_ARGUMENT} characters.")
    return tokens


def _check_arity(spec: Spec, tokens: list[str]) -> None:
    if len(tokens) < spec.min_args:
        raise UsageError(f"`/baton {spec.name}` needs more than that.", usage=(spec.usage,))
    if spec.max_args is not None and len(tokens) > spec.max_args:
        extra = " ".join(tokens[spec.max_args :])[:60]
        raise UsageError(
            f"`/baton {spec.name}` takes no more than that; I don't know what to do with `{extra}`. "
            'Put "quotes" around a phrase with spaces.',
            usage=(spec.usage,),
        )


def _did_you_mean(word: str, choices: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f" Did you mean `{close[0]}`?" if close else ""


def _top() -> tuple[str, ...]:
    return tuple(f"{g} …" if g in GROUPS else BY_NAME[g].usage for g in TOP_LEVEL)
