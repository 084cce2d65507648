"""The escalation type form: opened by `/baton types edit <type>` or from the admins' App Home, checked
field by field (errors shown in the modal, nothing changed), applied with a configuration version and an
audit entry."""

from __future__ import annotations

import json

from bot.runtime import Runtime
from sandbox import Sandbox, SeedInfo, View
from tests.bot.test_commands_admin import slash, state
from tests.bot.test_home import open_home


async def edit_command(
    sandbox: Sandbox, seed: SeedInfo, text: str, *, user: str = ""
) -> tuple[str, View | None]:
    """Run `/baton types edit …`: the private answer, and the modal it opened, if any."""
    user = user or seed.admin_id
    before = set(sandbox.views)
    result = await sandbox.run_command(user, seed.shared_channel_id, "/baton", text)
    assert result.outcome.ok, result.outcome
    opened = [v for key, v in sandbox.views.items() if key not in before and v.type == "modal"]
    return str((result.response or {}).get("text") or ""), (opened[0] if opened else None)


def initial(view: View) -> dict[str, object]:
    values: dict[str, object] = {}
    for block in view.blocks:
        if block["type"] == "input":
            element = block["element"]
            values[block["block_id"]] = (element.get("initial_option") or {}).get("value") or element.get(
                "initial_value"
            )
    return values


async def test_an_admin_edits_a_type_in_the_form(baton: Runtime, sandbox: Sandbox, seed: SeedInfo):
    answer, modal = await edit_command(sandbox, seed, "types edit upset_customer")
    assert answer == "" and modal is not None
    assert (
        modal.callback_id == "baton_type_edit"
        and json.loads(modal.private_metadata)["type"] == "upset_customer"
    )
    policy = baton.service.config.policy("upset_customer")
    assert initial(modal) == {
        "urgency": "urgent",
        "claim_minutes": str(policy.claim_within_minutes),
        "resolve_minutes": str(policy.resolve_within_minutes) if policy.resolve_within_minutes else None,
        "message": baton.service.config.handoffs.warm_messages["upset_customer"],
    }

    # Wrong values: each error under its field, the modal stays open, nothing changes.
    before = await state(baton)
    bad = {"claim_minutes": "soon", "resolve_minutes": "0", "message": "x" * 1001}
    result = await sandbox.submit_view(seed.admin_id, modal.id, bad)
    assert result.response["response_action"] == "errors"
    errors = result.response["errors"]
    assert set(errors) == {"claim_minutes", "resolve_minutes", "message"}
    assert (
        "positive whole number" in errors["claim_minutes"]
        and "positive whole number" in errors["resolve_minutes"]
    )
    assert "At most 1000 characters" in errors["message"]
    assert sandbox.views[modal.id].is_open
    for minutes in (
        "1²",
        "0000000060",
    ):  # a digit Python's isdigit() takes; more digits than `types set` takes
        result = await sandbox.submit_view(seed.admin_id, modal.id, {"claim_minutes": minutes})
        assert result.outcome.ok and result.response["response_action"] == "errors", minutes
        assert list(result.response["errors"]) == ["claim_minutes"]
    assert await state(baton) == before

    # Right values: one configuration version, one audit entry, the change in force at once.
    good = {
        "urgency": "high",
        "claim_minutes": "10",
        "resolve_minutes": "120",
        "message": "A specialist is on it.",
    }
    result = await sandbox.submit_view(seed.admin_id, modal.id, good)
    assert result.response["response_action"] == "update"
    done = json.dumps(result.response["view"])
    assert "within 10 minutes" in done and "configuration version 2" in done
    config = baton.service.config
    assert config.rules.escalation_type("upset_customer").urgency.value == "high"
    assert (
        config.policy("upset_customer").claim_within_minutes,
        config.policy("upset_customer").resolve_within_minutes,
    ) == (10, 120)
    assert config.handoffs.warm_messages["upset_customer"] == "A specialist is on it."
    (entry, *_) = await baton.service.audit_entries(limit=5)
    assert (entry.action, entry.target, entry.actor_id) == ("types.edit", "upset_customer", seed.admin_id)
    assert (entry.before["urgency"], entry.after["urgency"]) == ("urgent", "high")
    assert entry.after["sla"]["claim_within_minutes"] == 10
    assert "`types.edit` `upset_customer`" in await slash(sandbox, seed, "audit 1")


async def test_an_unchanged_form_changes_nothing(baton: Runtime, sandbox: Sandbox, seed: SeedInfo):
    _, modal = await edit_command(sandbox, seed, "types edit human_request")
    before = await state(baton)
    result = await sandbox.submit_view(seed.admin_id, modal.id, {})
    assert result.response["response_action"] == "update" and "Nothing changed" in json.dumps(result.response)
    assert await state(baton) == before


async def test_the_form_opens_from_the_admins_home(baton: Runtime, sandbox: Sandbox, seed: SeedInfo):
    await open_home(sandbox, seed.admin_id)
    before = set(sandbox.views)
    await sandbox.click_home_button(seed.admin_id, "baton_edit_type", selected_option="complex_question")
    (modal,) = [v for key, v in sandbox.views.items() if key not in before and v.type == "modal"]
    assert json.loads(modal.private_metadata)["type"] == "complex_question"


async def test_members_and_unknown_types_are_refused(baton: Runtime, sandbox: Sandbox, seed: SeedInfo):
    before = await state(baton)
    answer, modal = await edit_command(sandbox, seed, "types edit upset_customer", user=seed.rep_id)
    assert "is for Baton admins" in answer and modal is None
    answer, modal = await edit_command(sandbox, seed, "types edit nope")
    assert "There is no escalation type `nope`" in answer and modal is None
    assert await state(baton) == before


async def test_an_admin_removed_while_the_form_is_open_is_refused(
    baton: Runtime, sandbox: Sandbox, seed: SeedInfo
):
    await slash(sandbox, seed, f"admins add <@{seed.rep_id}>")
    _, modal = await edit_command(sandbox, seed, "types edit upset_customer", user=seed.rep_id)
    assert modal is not None
    await slash(sandbox, seed, f"admins remove <@{seed.rep_id}>")
    before = await state(baton)
    result = await sandbox.submit_view(seed.rep_id, modal.id, {"claim_minutes": "5"})
    assert result.response["response_action"] == "errors"
    assert "Only Baton admins" in result.response["errors"]["urgency"]
    assert await state(baton) == before


async def test_a_form_slack_would_not_open_gets_an_answer(baton: Runtime, sandbox: Sandbox, seed: SeedInfo):
    sandbox.faults.inject("views.open", kind="error", error="expired_trigger_id")
    answer, modal = await edit_command(sandbox, seed, "types edit upset_customer")
    assert "couldn't open the form (expired_trigger_id)" in answer and modal is None


async def test_a_long_message_in_another_script_opens_and_is_kept(
    baton: Runtime, sandbox: Sandbox, seed: SeedInfo
):
    # Slack caps private_metadata at 3000 characters: as JSON, 999 Cyrillic characters are ~6000.
    message = ("Спасибо, специалист уже подключается к разговору. " * 20)[:999].strip()
    await slash(sandbox, seed, f'types set upset_customer message "{message}"')
    assert baton.service.config.handoffs.warm_messages["upset_customer"] == message
    _, modal = await edit_command(sandbox, seed, "types edit upset_customer")
    assert modal is not None and initial(modal)["message"] == message
    result = await sandbox.submit_view(seed.admin_id, modal.id, {"urgency": "high"})  # the message as shown
    assert "Nothing changed" not in json.dumps(result.response)
    config = baton.service.config
    assert config.rules.escalation_type("upset_customer").urgency.value == "high"
    assert config.handoffs.warm_messages["upset_customer"] == message

    _, modal = await edit_command(sandbox, seed, "types edit upset_customer")
    result = await sandbox.submit_view(seed.admin_id, modal.id, {"message": ""})  # cleared: no message
    assert result.response["response_action"] == "update"
    assert not baton.service.config.handoffs.warm_messages.get("upset_customer")
