"""The AI-agent HTTP API against a running Baton and the sandbox: tokens, escalations, status, validation."""

from __future__ import annotations

import argparse
import asyncio
import functools
from typing import Any

import aiohttp
import hypothesis
import pytest
import schemathesis
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from bot.api_schema import openapi_document
from bot.runtime import Runtime
from bot.tokens_cli import new_token, run_create, run_list, run_revoke
from handlers.cards import render_text
from routing.agent import hash_token
from routing.handoffs import Action
from routing.models import EventSource, HandoffState
from sandbox import Sandbox, SeedInfo
from storage import SqlStore
from tests.bot.conftest import settle
from tests.bot.test_handoffs import card_of, handoffs_of, thread_texts


@pytest.fixture
async def token(baton: Runtime) -> str:
    """An active API token for an agent named "support-ai"."""
    value = new_token()
    await baton.service.create_api_token(name="support-ai", token_hash=hash_token(value))
    return value


async def call(
    runtime: Runtime,
    method: str,
    path: str,
    *,
    token: str | None = None,
    body: Any = None,
    raw: bytes | None = None,
) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    async with aiohttp.ClientSession() as http:
        kwargs: dict[str, Any] = {"json": body} if raw is None else {"data": raw}
        async with http.request(method, f"{runtime.url}api/v1/{path}", headers=headers, **kwargs) as response:
            assert response.content_type == "application/json", await response.text()
            return response.status, await response.json()


async def customer_thread(
    sandbox: Sandbox, seed: SeedInfo, text: str = "How do I export our data to CSV?"
) -> str:
    posted = await sandbox.post_message(seed.customer_id, seed.shared_channel_id, text)
    return posted.message.ts


def escalation(seed: SeedInfo, thread_ts: str, **extra: Any) -> dict[str, Any]:
    return {
        "channel": seed.shared_channel_id,
        "thread_ts": thread_ts,
        "reason": "Export limits are account-specific",
        **extra,
    }


async def test_an_agent_hands_a_conversation_over_and_learns_a_human_took_it(
    baton: Runtime, sandbox: Sandbox, seed: SeedInfo, token: str
):
    thread_ts = await customer_thread(sandbox, seed)
    await settle(baton, sandbox)
    assert await handoffs_of(baton) == []  # no trigger fired on the message itself

    status, answer = await call(
        baton,
        "POST",
        "escalations",
        token=token,
        body=escalation(
            seed,
            thread_ts,
            confidence=0.3,
            summary="Customer wants a CSV export beyond the plan's row limit",
            suggested_approach="Check their plan's export limit and offer a one-off export",
            intent="data_export",
        ),
    )
    assert status == 201, answer
    assert answer["outcome"] == "opened"
    assert answer["handoff"]["state"] == "open" and answer["handoff"]["human_engaged"] is False
    assert answer["decision"]["type"] == "uncertain_ai" and "low_confidence" in answer["decision"]["reasons"]
    handoff_id = answer["handoff"]["id"]
    await settle(baton, sandbox)

    card = card_of(sandbox, seed.triage_channel_id)
    text = render_text(card.text, card.blocks)
    assert "beyond the plan's row limit" in text and "offer a one-off export" in text and "30%" in text
    assert "support-ai" in text  # the agent's request is among the card's reasons
    warm = [
        m for m in sandbox.messages(seed.shared_channel_id, thread_ts=thread_ts) if m.user == seed.bot_user_id
    ]
    assert [m.metadata["event_type"] for m in warm] == ["baton_handoff"]
    assert warm[0].metadata["event_payload"]["state"] == "open"

    events = await baton.service.events(handoff_id)
    assert [(e.kind, e.source) for e in events[:2]] == [
        ("opened", EventSource.API),
        ("agent_request", EventSource.API),
    ]
    assert (
        events[1].actor == "support-ai" and events[1].data["reason"] == "Export limits are account-specific"
    )

    status, conversation = await call(
        baton, "GET", f"conversations/{seed.shared_channel_id}/{thread_ts}", token=token
    )
    assert status == 200
    assert (conversation["handoff_live"], conversation["human_engaged"], conversation["state"]) == (
        True,
        False,
        "open",
    )

    await sandbox.click_button(seed.rep_id, seed.triage_channel_id, card.ts, "baton_claim")
    await settle(baton, sandbox)
    status, conversation = await call(
        baton, "GET", f"conversations/{seed.shared_channel_id}/{thread_ts}", token=token
    )
    assert status == 200
    assert (conversation["human_engaged"], conversation["state"], conversation["assignee"]) == (
        True,
        "claimed",
        seed.rep_id,
    )
    status, handoff = await call(baton, "GET", f"handoffs/{handoff_id}", token=token)
    assert status == 200 and handoff["state"] == "claimed" and handoff["assignee"] == seed.rep_id

    # Snoozed by the rep who claimed it: still theirs (it wakes claimed), the agent stays quiet.
    await baton.service.act(
        handoff_id=handoff_id,
        action=Action.SNOOZE,
        actor=seed.rep_id,
        source=EventSource.COMMAND,
        snooze_minutes=30,
    )
    status, conversation = await call(
        baton, "GET", f"conversations/{seed.shared_channel_id}/{thread_ts}", token=token
    )
    assert (conversation["human_engaged"], conversation["state"]) == (True, "snoozed")
    status, handoff = await call(baton, "GET", f"handoffs/{handoff_id}", token=token)
    assert handoff["human_engaged"] is True


async def test_a_second_request_merges_into_the_live_handoff(
    baton: Runtime, sandbox: Sandbox, seed: SeedInfo, token: str
):
    thread_ts = await customer_thread(sandbox, seed, "Can I talk to a person about our invoice?")
    await settle(baton, sandbox)
    (opened,) = await handoffs_of(baton)

    status, answer = await call(baton, "POST", "escalations", token=token, body=escalation(seed, thread_ts))
    assert status == 200 and answer["outcome"] == "merged" and answer["handoff"]["id"] == opened.id
    status, again = await call(baton, "POST", "escalations", token=token, body=escalation(seed, thread_ts))
    assert status == 200 and again["outcome"] == "unchanged"
    newer = {**escalation(seed, thread_ts), "reason": "The customer now says their data was exposed"}
    status, third = await call(baton, "POST", "escalations", token=token, body=newer)
    assert status == 200 and third["outcome"] == "unchanged"
    await settle(baton, sandbox)
    (handoff,) = await handoffs_of(baton)
    assert handoff.id == opened.id and "low_confidence" in handoff.reasons
    events = await baton.service.events(handoff.id)
    assert ("merged", EventSource.API) in [(e.kind, e.source) for e in events]
    requests = [e.data["reason"] for e in events if e.kind == "agent_request"]
    assert requests == [escalation(seed, thread_ts)["reason"]] * 2 + [newer["reason"]]  # each on the record
    notes = thread_texts(sandbox, seed.triage_channel_id, handoff.card_ts)
    assert sum("asked again" in n for n in notes) == 2 and any("data was exposed" in n for n in notes)


async def test_missing_wrong_or_revoked_tokens_are_refused_and_change_nothing(
    baton: Runtime, sandbox: Sandbox, seed: SeedInfo, token: str
):
    thread_ts = await customer_thread(sandbox, seed)
    await settle(baton, sandbox)
    body = escalation(seed, thread_ts)
    await baton.service.revoke_api_token("support-ai")
    for bearer in (None, "", "baton_not-a-real-token", token):
        status, answer = await call(baton, "POST", "escalations", token=bearer, body=body)
        assert status == 401, (bearer, answer)
        assert answer["ok"] is False and answer["error"] == "unauthorized"
        status, answer = await call(baton, "GET", "handoffs/1", token=bearer)
        assert status == 401
    assert await handoffs_of(baton) == []
    status, document = await call(baton, "GET", "openapi.json")  # the document needs no token
    assert status == 200 and document["openapi"].startswith("3.")


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"reason": None}, 422, "reason"),
        ({"reason": "   "}, 422, "reason"),
        ({"confidence": 1.5}, 422, "confidence"),
        ({"confidence": "high"}, 422, "confidence"),
        ({"confidence": True}, 422, "confidence"),
        ({"thread_ts": "yesterday"}, 422, "thread_ts"),
        ({"channel": "#acme"}, 422, "channel"),
        ({"mood": "grumpy"}, 422, "mood"),
        ({"type": "no_such_type"}, 422, "type"),
        ({"summary": "x" * 3001}, 422, "summary"),
    ],
)
async def test_bad_fields_are_named(
    baton: Runtime, sandbox: Sandbox, seed: SeedInfo, token: str, change: dict, status: int, field: str
):
    thread_ts = await customer_thread(sandbox, seed)
    await settle(baton, sandbox)
    body = {k: v for k, v in {**escalation(seed, thread_ts), **change}.items() if v is not None}
    got, answer = await call(baton, "POST", "escalations", token=token, body=body)
    assert (got, answer.get("field")) == (status, field), answer
    assert answer["ok"] is False and answer["message"]
    assert await handoffs_of(baton) == []


async def test_bodies_channels_and_conversations_baton_does_not_know(
    baton: Runtime, sandbox: Sandbox, seed: SeedInfo, token: str
):
    status, answer = await call(baton, "POST", "escalations", token=token, raw=b"{not json")
    assert (status, answer["error"]) == (400, "invalid_json")
    status, answer = await call(baton, "POST", "escalations", token=token, body=["a", "list"])
    assert (status, answer["error"]) == (400, "invalid_json")
    status, answer = await call(
        baton,
        "POST",
        "escalations",
        token=token,
        body=escalation(seed, "1712345678.000100") | {"channel": "C0NOPE"},
    )
    assert (status, answer["error"]) == (404, "channel_not_watched")
    status, answer = await call(
        baton, "POST", "escalations", token=token, body=escalation(seed, "1712345678.000100")
    )
    assert (status, answer["error"]) == (404, "conversation_unknown")
    status, answer = await call(baton, "GET", "conversations/C0NOPE/1712345678.000100", token=token)
    assert (status, answer["error"]) == (404, "channel_not_watched")
    status, answer = await call(
        baton, "GET", f"conversations/{seed.shared_channel_id}/1712345678.000100", token=token
    )
    assert status == 200 and (answer["known"], answer["handoff"], answer["human_engaged"]) == (
        False,
        None,
        False,
    )
    status, answer = await call(baton, "GET", "handoffs/999", token=token)
    assert (status, answer["error"]) == (404, "handoff_not_found")
    status, answer = await call(baton, "GET", "handoffs/abc", token=token)
    assert (status, answer["field"]) == (422, "handoff_id")
    status, answer = await call(baton, "GET", "nothing/here", token=token)
    assert status == 404 and answer["ok"] is False
    assert await handoffs_of(baton) == []


def _fuzz(base_url: str, token: str, *, channel: str, thread_ts: str) -> None:
    """schemathesis against the live server: valid and invalid requests; never a 5xx, always as documented.

    Valid requests are pointed at a real conversation half of the time, so successes are checked too.
    """
    schema = schemathesis.openapi.from_dict(openapi_document())
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]

    def at_the_conversation(case: Any) -> Any:
        if case.path_parameters and "thread_ts" in case.path_parameters:
            case.path_parameters = {"channel": channel, "thread_ts": thread_ts}
        if isinstance(case.body, dict) and "reason" in case.body:
            case.body = {**case.body, "channel": channel, "thread_ts": thread_ts}
            case.body.pop("type", None)  # a random type name is (rightly) refused
        return case

    positive = schema.as_strategy(generation_mode=GenerationMode.POSITIVE)
    strategies = (
        positive,
        positive.map(at_the_conversation),
        schema.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )
    for strategy in strategies:

        @hypothesis.settings(
            max_examples=25,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(hypothesis.HealthCheck),
            phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        )
        @hypothesis.given(case=strategy)
        def run(case: Any) -> None:
            response = case.call(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
            case.validate_response(response, checks=checks)

        run()


async def test_the_api_matches_its_openapi_document(
    baton: Runtime, sandbox: Sandbox, seed: SeedInfo, token: str
):
    thread_ts = await customer_thread(sandbox, seed)
    await settle(baton, sandbox)
    fuzz = functools.partial(_fuzz, channel=seed.shared_channel_id, thread_ts=thread_ts)
    await asyncio.to_thread(fuzz, baton.url.rstrip("/"), token)
    assert baton.metrics is not None
    statuses: dict[str, float] = {}
    for family in baton.metrics.registry.collect():
        for sample in family.samples:
            if sample.name == "baton_api_requests_total":
                statuses[sample.labels["status"]] = statuses.get(sample.labels["status"], 0) + sample.value
    assert statuses.get("422", 0) > 0 and statuses.get("200", 0) > 0 and sum(statuses.values()) >= 75
    assert not any(status.startswith("5") for status in statuses)


async def test_tokens_from_the_command_line(baton: Runtime, capsys: pytest.CaptureFixture[str]):
    settings = baton.settings
    assert await run_create(settings, argparse.Namespace(name="helper-bot", actor="ops")) == 0
    made = capsys.readouterr()
    value = made.out.strip()
    assert value.startswith("baton_") and "shown only now" in made.err
    assert await baton.service.authenticate(value) is not None
    async with SqlStore(baton.engine).transaction(readonly=True) as tx:
        (stored,) = await tx.api_tokens.list()
    assert stored.token_hash == hash_token(value) and value not in stored.token_hash  # only the hash is kept

    assert (
        await run_create(settings, argparse.Namespace(name="helper-bot", actor="ops")) == 2
    )  # the name is taken
    assert "already" in capsys.readouterr().err

    assert await run_list(settings, argparse.Namespace()) == 0
    listing = capsys.readouterr().out
    assert "helper-bot" in listing and value not in listing

    assert await run_revoke(settings, argparse.Namespace(token=str(stored.id), actor="ops")) == 0
    assert await baton.service.authenticate(value) is None
    assert (
        await run_revoke(settings, argparse.Namespace(token="helper-bot", actor="ops")) == 2
    )  # nothing active left
    assert (
        await run_create(settings, argparse.Namespace(name="helper-bot", actor="ops")) == 0
    )  # the name is free again
    capsys.readouterr()

    # Each token made or revoked is in the audit log (its id, name and times, never its hash).
    entries = [e for e in await baton.service.audit_entries(limit=10) if e.action.startswith("token.")]
    assert [(e.action, e.target, e.actor_id, e.source) for e in reversed(entries)] == [
        ("token.create", "helper-bot", "ops", "cli"),
        ("token.revoke", "helper-bot", "ops", "cli"),
        ("token.create", "helper-bot", "ops", "cli"),
    ]
    revoked = entries[1]
    assert revoked.before is not None and revoked.before["revoked_at"] is None
    assert revoked.after is not None and revoked.after["revoked_at"] and revoked.after["id"] == stored.id
    assert stored.token_hash not in repr(entries)


async def test_handoff_state_is_readable_by_api_after_resolve(
    baton: Runtime, sandbox: Sandbox, seed: SeedInfo, token: str
):
    thread_ts = await customer_thread(sandbox, seed, "Can I talk to a person?")
    await settle(baton, sandbox)
    (handoff,) = await handoffs_of(baton)
    await baton.service.act(
        handoff_id=handoff.id,
        action=Action.RESOLVE,
        actor=seed.rep_id,
        source=EventSource.SLACK_ACTION,
    )
    status, conversation = await call(
        baton, "GET", f"conversations/{seed.shared_channel_id}/{thread_ts}", token=token
    )
    assert status == 200
    assert conversation["state"] == HandoffState.RESOLVED.value
    assert (conversation["handoff_live"], conversation["human_engaged"]) == (False, False)
