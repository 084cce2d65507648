"""The rule set as data: per trigger enabled, threshold, lists, escalation type, urgency; defaults shipped.

`parse_rules(data, source=...)` validates a mapping (from YAML or the database) and names the source, the
field path and the problem in every error; `rules_to_data(ruleset)` exports it so that parsing the export
gives an equal rule set. A rules mapping extends the defaults unless it says `extends: none`: a trigger with
the id of a default rule overrides the fields it gives, a new id adds a rule.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from routing.decision import DEFAULT_ESCALATION_TYPES, EscalationType, TriggerKind
from routing.models import Urgency
from routing.triggers.patterns import (
    MAX_PATTERNS_PER_RULE,
    MAX_PHRASES_PER_RULE,
    TextMatcher,
    UnsafePattern,
    check_pattern,
)

RULES_VERSION = 1


class RulesError(ValueError):
    """A rule set that can't be used; says which source, which field and what is wrong."""

    def __init__(self, source: str, path: str, problem: str) -> None:
        super().__init__(f"{source}: {path}: {problem}" if path else f"{source}: {problem}")
        self.source = source
        self.path = path
        self.problem = problem


@dataclass(frozen=True, slots=True)
class TriggerRule:
    """One trigger rule. Unused fields for a kind are ignored (e.g. `after_minutes` outside `unanswered`)."""

    id: str
    kind: TriggerKind
    escalation_type: str
    enabled: bool = True
    threshold: float = 0.5  # the score a hit needs; for low_confidence, the confidence under which it fires
    urgency: Urgency | None = None  # None: the escalation type's urgency
    phrases: tuple[str, ...] = ()  # extra phrases, matched as whole words, case-insensitive
    keywords: tuple[str, ...] = ()  # extra single words
    patterns: tuple[str, ...] = ()  # extra regexes (checked for size and shape, run with a time bound)
    builtin: bool = True  # use the built-in lexicon of the kind; false: only the lists above
    require_account: bool = False  # fire only for a known account (tier or value set)
    min_account_value: float = 0.0  # high_value: account value from which it fires
    account_tiers: tuple[str, ...] = ()  # high_value: tiers that qualify whatever the value
    after_minutes: int = 0  # unanswered: minutes a customer may wait
    description: str = ""


def _r(id: str, kind: TriggerKind, etype: str, **kw: Any) -> TriggerRule:
    return TriggerRule(id=id, kind=kind, escalation_type=etype, **kw)


K = TriggerKind
DEFAULT_RULES: tuple[TriggerRule, ...] = (
    _r("explicit_request", K.EXPLICIT_REQUEST, "human_request", threshold=0.5,
       description="the customer asks for a person, a call or a number, or turns the bot down"),
    _r("frustration", K.FRUSTRATION, "upset_customer", threshold=0.5,
       description="complaints, insults, angry tone, repeated asks, worsening sentiment"),
    _r("low_confidence", K.LOW_CONFIDENCE, "uncertain_ai", threshold=0.5,
       description="the AI agent reported a confidence under the threshold"),
    _r("high_value", K.HIGH_VALUE, "sales_opportunity", threshold=0.5, require_account=True,
       min_account_value=50000.0, account_tiers=("enterprise", "strategic"),
       description="a buying signal (seats, budget, upgrade, enterprise plan) from a qualifying account"),
    _r("deal_moment", K.DEAL_MOMENT, "sales_opportunity", threshold=0.5,
       description="contract, renewal, negotiation, procurement, competitor; churn talk for known accounts"),
    _r("sensitive_topic", K.SENSITIVE_TOPIC, "complex_question", threshold=0.5, urgency=Urgency.HIGH,
       description="legal threat, security incident, compliance request, outage, billing dispute"),
    _r("unanswered", K.UNANSWERED, "routine_review", urgency=Urgency.NORMAL, after_minutes=30,
       description="a customer message nobody answered for `after_minutes` (fired by the scheduler)"),
)  # fmt: skip


@dataclass(frozen=True)
class RuleSet:
    """Trigger rules in evaluation order and the escalation types in precedence order (first wins)."""

    rules: tuple[TriggerRule, ...] = DEFAULT_RULES
    escalation_types: tuple[EscalationType, ...] = DEFAULT_ESCALATION_TYPES
    _matchers: dict[str, TextMatcher] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        _validate(self, source="<rules>")
        for rule in self.rules:
            self._matchers[rule.id] = TextMatcher.build(
                phrases=rule.phrases, keywords=rule.keywords, patterns=rule.patterns
            )

    def matcher(self, rule_id: str) -> TextMatcher:
        """The compiled admin lists of a rule."""
        return self._matchers[rule_id]

    def escalation_type(self, name: str) -> EscalationType | None:
        return next((t for t in self.escalation_types if t.name == name), None)

    def precedence(self, name: str) -> int:
        """Position of a type in the precedence order (lower wins)."""
        for i, etype in enumerate(self.escalation_types):
            if etype.name == name:
                return i
        return len(self.escalation_types)

    def rule(self, rule_id: str) -> TriggerRule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    def enabled(self, kind: TriggerKind) -> tuple[TriggerRule, ...]:
        return tuple(r for r in self.rules if r.enabled and r.kind is kind)


def default_rules() -> RuleSet:
    """The shipped rule set."""
    return RuleSet()


# ---- parsing ----

_RULE_FIELDS = {f.name: f for f in fields(TriggerRule)}
_TYPE_FIELDS = ("name", "urgency", "approach", "description")
_TOP_FIELDS = ("version", "extends", "escalation_types", "triggers")


def parse_rules(data: Any, *, source: str) -> RuleSet:
    """Validate a rules mapping (YAML or database) into a RuleSet; RulesError names source, field, problem."""
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise RulesError(source, "", f"expected a mapping at the top level, got {_kind(data)}")
    _unknown(data, _TOP_FIELDS, source, "")
    version = data.get("version", RULES_VERSION)
    if version != RULES_VERSION:
        raise RulesError(
            source, "version", f"unsupported version {version!r}; this Baton reads {RULES_VERSION}"
        )
    extends = data.get("extends", "defaults")
    if extends not in ("defaults", "none"):
        raise RulesError(source, "extends", f"must be 'defaults' or 'none', got {extends!r}")
    base_rules = DEFAULT_RULES if extends == "defaults" else ()
    base_types = DEFAULT_ESCALATION_TYPES if extends == "defaults" else ()
    types = _parse_types(data.get("escalation_types"), base_types, source)
    rules = _parse_triggers(data.get("triggers"), base_rules, source, tuple(t.name for t in types))
    try:
        return RuleSet(rules=rules, escalation_types=types)
    except RulesError as error:
        raise RulesError(source, error.path, error.problem) from None


def _parse_types(raw: Any, base: tuple[EscalationType, ...], source: str) -> tuple[EscalationType, ...]:
    if raw is None:
        return base
    if not isinstance(raw, list):
        raise RulesError(source, "escalation_types", f"expected a list, got {_kind(raw)}")
    by_name = {t.name: t for t in base}
    order = [t.name for t in base]
    for i, item in enumerate(raw):
        path = f"escalation_types[{i}]"
        if not isinstance(item, Mapping):
            raise RulesError(source, path, f"expected a mapping, got {_kind(item)}")
        _unknown(item, _TYPE_FIELDS, source, path)
        name = _string(item.get("name"), source, f"{path}.name", required=True)
        known = by_name.get(name)
        urgency = (
            _urgency(item["urgency"], source, f"{path}.urgency")
            if "urgency" in item
            else (known.urgency if known else Urgency.NORMAL)
        )
        approach = _string(item.get("approach", known.approach if known else ""), source, f"{path}.approach")
        description = _string(
            item.get("description", known.description if known else ""), source, f"{path}.description"
        )
        by_name[name] = EscalationType(name=name, urgency=urgency, approach=approach, description=description)
        if name not in order:
            order.append(name)
    return tuple(by_name[n] for n in order)


def _parse_triggers(
    raw: Any, base: tuple[TriggerRule, ...], source: str, type_names: tuple[str, ...]
) -> tuple[TriggerRule, ...]:
    if raw is None:
        return base
    if not isinstance(raw, list):
        raise RulesError(source, "triggers", f"expected a list, got {_kind(raw)}")
    by_id = {r.id: r for r in base}
    order = [r.id for r in base]
    seen: set[str] = set()
    for i, item in enumerate(raw):
        path = f"triggers[{i}]"
        if not isinstance(item, Mapping):
            raise RulesError(source, path, f"expected a mapping, got {_kind(item)}")
        _unknown(item, tuple(_RULE_FIELDS), source, path)
        rule_id = _string(item.get("id"), source, f"{path}.id", required=True)
        if rule_id in seen:
            raise RulesError(source, f"{path}.id", f"duplicate trigger id {rule_id!r}")
        seen.add(rule_id)
        known = by_id.get(rule_id)
        if known is None and "kind" not in item:
            raise RulesError(source, f"{path}.kind", f"required for a new trigger {rule_id!r}")
        values: dict[str, Any] = {}
        for name, value in item.items():
            if name == "id":
                continue
            values[name] = _field(name, value, source, f"{path}.{name}")
        if known is None:
            values.setdefault("escalation_type", "complex_question")
            rule = TriggerRule(id=rule_id, **values)
        else:
            rule = replace(known, **values)
        if rule.escalation_type not in type_names:
            raise RulesError(
                source,
                f"{path}.escalation_type",
                f"unknown escalation type {rule.escalation_type!r}; known: {', '.join(type_names)}",
            )
        if rule.kind is TriggerKind.CUSTOM and not (rule.phrases or rule.keywords or rule.patterns):
            raise RulesError(source, path, "a custom trigger needs phrases, keywords or patterns")
        by_id[rule_id] = rule
        if rule_id not in order:
            order.append(rule_id)
    return tuple(by_id[r] for r in order)


def _field(name: str, value: Any, source: str, path: str) -> Any:
    if name == "kind":
        try:
            return TriggerKind(value)
        except ValueError:
            choices = ", ".join(k.value for k in TriggerKind)
            raise RulesError(source, path, f"unknown trigger kind {value!r}; one of: {choices}") from None
    if name == "urgency":
        return None if value is None else _urgency(value, source, path)
    if name in ("enabled", "builtin", "require_account"):
        if not isinstance(value, bool):
            raise RulesError(source, path, f"expected true or false, got {_kind(value)} {value!r}")
        return value
    if name in ("threshold", "min_account_value"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise RulesError(source, path, f"expected a number, got {_kind(value)} {value!r}")
        if not math.isfinite(value):
            raise RulesError(source, path, f"expected a finite number, got {value}")
        if name == "threshold" and not 0.0 <= value <= 1.0:
            raise RulesError(source, path, f"must be between 0 and 1, got {value}")
        if value < 0:
            raise RulesError(source, path, f"must not be negative, got {value}")
        return float(value)
    if name == "after_minutes":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise RulesError(source, path, f"expected a whole number of minutes >= 0, got {value!r}")
        return value
    if name in ("phrases", "keywords", "patterns", "account_tiers"):
        return _strings(value, source, path, patterns=name == "patterns")
    return _string(value, source, path)


def _validate(ruleset: RuleSet, *, source: str) -> None:
    names = [t.name for t in ruleset.escalation_types]
    if len(set(names)) != len(names):
        raise RulesError(source, "escalation_types", "duplicate escalation type names")
    ids: set[str] = set()
    for i, rule in enumerate(ruleset.rules):
        path = f"triggers[{i}]"
        if not rule.id.strip():
            raise RulesError(source, f"{path}.id", "must not be empty")
        if rule.id in ids:
            raise RulesError(source, f"{path}.id", f"duplicate trigger id {rule.id!r}")
        ids.add(rule.id)
        if rule.escalation_type not in names:
            raise RulesError(
                source,
                f"{path}.escalation_type",
                f"unknown escalation type {rule.escalation_type!r}; known: {', '.join(names)}",
            )
        if rule.kind is TriggerKind.CUSTOM and not (rule.phrases or rule.keywords or rule.patterns):
            raise RulesError(source, path, "a custom trigger needs phrases, keywords or patterns")
        if len(rule.phrases) + len(rule.keywords) > MAX_PHRASES_PER_RULE:
            raise RulesError(
                source, f"{path}.phrases", f"more than {MAX_PHRASES_PER_RULE} phrases and keywords"
            )
        if len(rule.patterns) > MAX_PATTERNS_PER_RULE:
            raise RulesError(source, f"{path}.patterns", f"more than {MAX_PATTERNS_PER_RULE} patterns")
        for j, pattern in enumerate(rule.patterns):
            try:
                check_pattern(pattern)
            except UnsafePattern as error:
                raise RulesError(source, f"{path}.patterns[{j}]", f"regex {pattern[:60]!r} {error}") from None


def _unknown(item: Mapping[str, Any], allowed: tuple[str, ...], source: str, path: str) -> None:
    for key in item:
        if key not in allowed:
            hint = difflib.get_close_matches(str(key), allowed, n=1)
            where = f"{path}.{key}" if path else str(key)
            raise RulesError(
                source, where, "unknown field" + (f" (did you mean {hint[0]!r}?)" if hint else "")
            )


def _string(value: Any, source: str, path: str, *, required: bool = False) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise RulesError(source, path, f"expected a non-empty string, got {_kind(value)} {value!r}")
    return value


def _strings(value: Any, source: str, path: str, *, patterns: bool) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise RulesError(source, path, f"expected a list of strings, got {_kind(value)}")
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise RulesError(
                source, f"{path}[{i}]", f"expected a non-empty string, got {_kind(item)} {item!r}"
            )
        if patterns:
            try:
                check_pattern(item)
            except UnsafePattern as error:
                raise RulesError(source, f"{path}[{i}]", f"regex {item[:60]!r} {error}") from None
        out.append(item)
    return tuple(out)


def _urgency(value: Any, source: str, path: str) -> Urgency:
    try:
        return Urgency(value)
    except ValueError:
        choices = ", ".join(u.value for u in Urgency)
        raise RulesError(source, path, f"unknown urgency {value!r}; one of: {choices}") from None


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean", type(None): "nothing"}.get(
        type(value), type(value).__name__
    )


# ---- export ----


def rules_to_data(ruleset: RuleSet) -> dict[str, Any]:
    """The whole rule set as plain data (`extends: none`), so parse_rules(rules_to_data(r)) == r."""
    triggers = []
    for rule in ruleset.rules:
        item: dict[str, Any] = {"id": rule.id}
        for f in fields(TriggerRule):
            if f.name == "id":
                continue
            value = getattr(rule, f.name)
            if isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, TriggerKind | Urgency):
                value = value.value
            item[f.name] = value
        triggers.append(item)
    types = [
        {"name": t.name, "urgency": t.urgency.value, "approach": t.approach, "description": t.description}
        for t in ruleset.escalation_types
    ]
    return {"version": RULES_VERSION, "extends": "none", "escalation_types": types, "triggers": triggers}
