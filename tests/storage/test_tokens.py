"""The API token repository and the scrape-time gauges, on SQLite and PostgreSQL."""

from __future__ import annotations

from routing.models import ApiToken, HandoffState
from storage import SqlStore

from .builders import T0, at, handoff


def token(name: str, token_hash: str) -> ApiToken:
    return ApiToken(name=name, token_hash=token_hash, created_at=T0)


async def test_tokens_are_added_found_by_hash_and_revoked(store: SqlStore):
    async with store.transaction() as tx:
        first = await tx.api_tokens.add(token("agent", "h1"))
        assert first is not None and first.id is not None and first.active
        assert await tx.api_tokens.add(token("agent", "h2")) is None  # an active token has the name
        second = await tx.api_tokens.add(token("other", "h2"))
        assert second is not None
    async with store.transaction(readonly=True) as tx:
        assert await tx.api_tokens.by_hash(token_hash="h1") == first
        assert await tx.api_tokens.by_hash(token_hash="nope") is None
    async with store.transaction() as tx:
        revoked = await tx.api_tokens.revoke(name="agent", at=at(5))
        assert revoked is not None and revoked.revoked_at == at(5) and not revoked.active
        assert await tx.api_tokens.revoke(name="agent", at=at(6)) is None  # already revoked
        assert await tx.api_tokens.revoke(token_id=second.id, at=at(7)) is not None
        assert await tx.api_tokens.revoke(at=at(8)) is None
        again = await tx.api_tokens.add(token("agent", "h3"))  # a revoked token's name is free again
        assert again is not None
    async with store.transaction(readonly=True) as tx:
        listed = await tx.api_tokens.list()
    assert [(t.name, t.token_hash, t.active) for t in listed] == [
        ("agent", "h1", False),
        ("other", "h2", False),
        ("agent", "h3", True),
    ]


async def test_handoffs_are_counted_by_state_and_type(store: SqlStore):
    async with store.transaction() as tx:
        assert await tx.gauges.handoffs_by_state() == {}
        await tx.handoffs.add(handoff(thread_ts="1.1"))
        await tx.handoffs.add(handoff(thread_ts="1.2"))
        await tx.handoffs.add(handoff(thread_ts="1.3", escalation_type="human_request"))
        await tx.handoffs.add(handoff(thread_ts="1.4", state=HandoffState.RESOLVED, closed_at=at(1)))
    async with store.transaction(readonly=True) as tx:
        counts = await tx.gauges.handoffs_by_state()
    assert counts == {
        ("open", "upset_customer"): 2,
        ("open", "human_request"): 1,
        ("resolved", "upset_customer"): 1,
    }
