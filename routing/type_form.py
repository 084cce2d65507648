"""The escalation type form (the App Home / `/baton types edit` modal): its values, checked field by field,
and the one configuration edit that applies them, through the same edits as `/baton types set`.

Pure: the Slack side shows the form and its errors; administration stores the edit with a version and an
audit entry.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass

from routing.admin_grammar import UsageError
from routing.config import BatonConfig
from routing.config_edits import ConfigEdit, Data, Edit, type_set
from routing.models import Urgency

MESSAGE_LIMIT = 1000  # the configuration's own limit on a customer message
MAX_CLAIM_MINUTES = 30 * 24 * 60
MAX_RESOLVE_MINUTES = 90 * 24 * 60


@dataclass(frozen=True, slots=True)
class TypeForm:
    """An escalation type's editable settings as the form shows them (text, as typed)."""

    name: str
    urgency: str
    claim_minutes: str
    resolve_minutes: str  # "" = no resolve SLA
    message: str  # "" = no customer message


def type_form(config: BatonConfig, name: str) -> TypeForm:
    """The form's initial values for an escalation type; UsageError if there is no such type."""
    etype = next((t for t in config.rules.escalation_types if t.name == name), None)
    if etype is None:
        known = ", ".join(f"`{t.name}`" for t in config.rules.escalation_types)
        raise UsageError(f"There is no escalation type `{name[:60]}`. Types: {known}.")
    policy = config.policy(name)
    return TypeForm(
        name=name,
        urgency=etype.urgency.value,
        claim_minutes=str(policy.claim_within_minutes),
        resolve_minutes="" if policy.resolve_within_minutes is None else str(policy.resolve_within_minutes),
        message=config.handoffs.warm_messages.get(name, ""),
    )


def check_form(form: TypeForm) -> dict[str, str]:
    """What is wrong with each field (field name → problem); empty when the form can be applied."""
    errors: dict[str, str] = {}
    if form.urgency not in {u.value for u in Urgency}:
        errors["urgency"] = "Pick an urgency."
    claim = _minutes(form.claim_minutes, high=MAX_CLAIM_MINUTES, required=True)
    if claim:
        errors["claim_minutes"] = claim
    resolve = _minutes(form.resolve_minutes, high=MAX_RESOLVE_MINUTES, required=False)
    if resolve:
        errors["resolve_minutes"] = resolve
    if len(form.message.strip()) > MESSAGE_LIMIT:
        errors["message"] = f"At most {MESSAGE_LIMIT} characters (this is {len(form.message.strip())})."
    return errors


class FieldProblem(UsageError):
    """The form's change refused because of one of its fields (`field`: its name in FIELDS)."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(problem)
        self.field = field


def form_edit(before: TypeForm, after: TypeForm) -> ConfigEdit | None:
    """One edit applying what changed between two forms (None: nothing did), made of `types set` edits;
    FieldProblem names the field a refused value came from."""
    changes: list[tuple[str, str, str]] = []  # (form field, `types set` setting, value)
    if after.urgency != before.urgency:
        changes.append(("urgency", "urgency", after.urgency))
    if after.claim_minutes.strip() != before.claim_minutes:
        changes.append(("claim_minutes", "sla", after.claim_minutes.strip()))
    if after.resolve_minutes.strip() != before.resolve_minutes:
        changes.append(("resolve_minutes", "resolve", after.resolve_minutes.strip() or "none"))
    if after.message.strip() != before.message:
        changes.append(("message", "message", after.message.strip() or "off"))
    if not changes:
        return None
    steps: list[tuple[str, ConfigEdit]] = []
    for field, setting, value in changes:
        try:
            steps.append((field, type_set(after.name, setting, [value])))
        except UsageError as error:
            raise FieldProblem(field, error.problem) from None

    def edit(data: Data) -> Edit:
        done = []
        for field, step in steps:
            try:
                done.append(step(data))
            except UsageError as error:
                raise FieldProblem(field, error.problem) from None
        summary = " ".join(d.summary for d in done)
        return Edit(after.name, copy.deepcopy(done[0].before), copy.deepcopy(done[-1].after), summary)

    return edit


def _minutes(text: str, *, high: int, required: bool) -> str | None:
    value = text.strip()
    if not value:
        return "Enter a number of minutes." if required else None
    if not re.fullmatch(r"\d{1,9}", value) or int(value) < 1:  # what `types set` takes
        return "Minutes must be a positive whole number, e.g. 30."
    if int(value) > high:
        return f"At most {high} minutes ({high // (24 * 60)} days)."
    return None
