"""views.open (trigger ids), views.publish (App Home, hashes), views.update (view_id, external_id, hashes)."""

from __future__ import annotations

import asyncio

from slack_sdk.web.async_client import AsyncWebClient

from sandbox import Sandbox, SeedInfo
from tests.sandbox.receiver import AppReceiver
from tests.sandbox.test_webapi_chat import api_error

MODAL = {
    "type": "modal",
    "callback_id": "reassign",
    "title": {"type": "plain_text", "text": "Reassign"},
    "submit": {"type": "plain_text", "text": "Save"},
    "private_metadata": "handoff:7",
    "blocks": [
        {
            "type": "input",
            "block_id": "who",
            "label": {"type": "plain_text", "text": "To"},
            "element": {"type": "users_select", "action_id": "user"},
        }
    ],
}
HOME = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Your handoffs"}}]}


async def test_views_open_with_a_trigger_from_a_command(
    sandbox: Sandbox, client: AsyncWebClient, app: AppReceiver, seed: SeedInfo
) -> None:
    command = await sandbox.run_command(seed.admin_id, seed.triage_channel_id, "/baton", "rules")

    opened = await client.views_open(trigger_id=command.trigger_id, view=MODAL)

    view = opened["view"]
    assert view["id"].startswith("V") and view["type"] == "modal"
    assert (view["callback_id"], view["private_metadata"]) == ("reassign", "handoff:7")
    assert view["hash"] and view["state"] == {"values": {}}
    assert sandbox.views[view["id"]].user == seed.admin_id


async def test_views_open_trigger_errors(sandbox: Sandbox, client: AsyncWebClient, seed: SeedInfo) -> None:
    assert await api_error(client.views_open(trigger_id="123.456.abc", view=MODAL)) == "invalid_trigger_id"

    trigger = sandbox.triggers.issue(seed.rep_id)
    await client.views_open(trigger_id=trigger, view=MODAL)
    assert await api_error(client.views_open(trigger_id=trigger, view=MODAL)) == "trigger_exchanged"

    sandbox.triggers.ttl = 0.01
    stale = sandbox.triggers.issue(seed.rep_id)
    await asyncio.sleep(0.05)
    assert await api_error(client.views_open(trigger_id=stale, view=MODAL)) == "expired_trigger_id"


async def test_views_open_rejects_a_bad_view(
    sandbox: Sandbox, client: AsyncWebClient, seed: SeedInfo
) -> None:
    no_title = {k: v for k, v in MODAL.items() if k != "title"}
    trigger = sandbox.triggers.issue(seed.rep_id)

    assert await api_error(client.views_open(trigger_id=trigger, view=no_title)) == "invalid_arguments"
    # Slack's limits: private_metadata 3000 characters, callback_id 255, title/submit/close 24.
    for too_long in (
        {"private_metadata": "x" * 3001},
        {"callback_id": "x" * 256},
        {"title": {"type": "plain_text", "text": "x" * 25}},
        {"submit": {"type": "plain_text", "text": "x" * 25}},
    ):
        trigger = sandbox.triggers.issue(seed.rep_id)
        error = await api_error(client.views_open(trigger_id=trigger, view={**MODAL, **too_long}))
        assert error == "invalid_arguments", too_long
    trigger = sandbox.triggers.issue(seed.rep_id)
    at_the_limits = {"private_metadata": "x" * 3000, "title": {"type": "plain_text", "text": "x" * 24}}
    assert (await client.views_open(trigger_id=trigger, view={**MODAL, **at_the_limits}))["ok"]


async def test_views_publish_home_and_hash_conflict(
    sandbox: Sandbox, client: AsyncWebClient, seed: SeedInfo
) -> None:
    first = (await client.views_publish(user_id=seed.rep_id, view=HOME))["view"]

    assert sandbox.home_views[seed.rep_id].id == first["id"]
    assert first["type"] == "home"
    second = (await client.views_publish(user_id=seed.rep_id, view=HOME, hash=first["hash"]))["view"]
    assert second["id"] == first["id"] and second["hash"] != first["hash"]
    stale = client.views_publish(user_id=seed.rep_id, view=HOME, hash=first["hash"])
    assert await api_error(stale) == "hash_conflict"
    assert await api_error(client.views_publish(user_id="U0NOBODY", view=HOME)) == "user_not_found"


async def test_views_update_by_id_and_external_id(
    sandbox: Sandbox, client: AsyncWebClient, seed: SeedInfo
) -> None:
    trigger = sandbox.triggers.issue(seed.rep_id)
    opened = (await client.views_open(trigger_id=trigger, view={**MODAL, "external_id": "handoff-7"}))["view"]
    changed = {**MODAL, "title": {"type": "plain_text", "text": "Reassign #7"}}

    by_id = (await client.views_update(view_id=opened["id"], view=changed, hash=opened["hash"]))["view"]
    by_external = (await client.views_update(external_id="handoff-7", view=MODAL))["view"]

    assert by_id["id"] == by_external["id"] == opened["id"]
    assert by_id["title"]["text"] == "Reassign #7"
    assert sandbox.views[opened["id"]].title == MODAL["title"]
    stale = client.views_update(view_id=opened["id"], view=MODAL, hash=opened["hash"])
    assert await api_error(stale) == "hash_conflict"
    assert await api_error(client.views_update(view_id="V0MISSING", view=MODAL)) == "not_found"


async def test_views_update_home_view(sandbox: Sandbox, client: AsyncWebClient, seed: SeedInfo) -> None:
    home = (await client.views_publish(user_id=seed.rep_id, view=HOME))["view"]
    new_home = {"type": "home", "blocks": [{"type": "divider"}]}

    await client.views_update(view_id=home["id"], view=new_home)

    assert [b["type"] for b in sandbox.home_views[seed.rep_id].blocks] == ["divider"]
