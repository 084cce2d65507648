"""The App Home queue query on SQLite and PostgreSQL: whose handoffs are in it, in which order, how many."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from routing.models import Handoff, HandoffState, Urgency
from storage import SqlStore

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def handoff(n: int, **changes: object) -> Handoff:
    fields: dict[str, object] = {
        "channel_id": "C0ACME",
        "thread_ts": f"1700000000.{n:06d}",
        "escalation_type": "complex_question",
        "urgency": Urgency.NORMAL,
        "opened_at": NOW - timedelta(minutes=100 - n),
        **changes,
    }
    return Handoff(**fields)  # type: ignore[arg-type]


async def test_mine_is_claimed_by_me_or_unclaimed_and_routed_to_me_or_my_groups(store: SqlStore):
    rows = [
        handoff(1, routed_to="U0ME", target="user:U0ME"),  # routed to me
        handoff(2, state=HandoffState.CLAIMED, assignee_id="U0ME", target="channel:C0T"),  # claimed by me
        handoff(3, target="group:S0MINE", routed_to="U0OTHER"),  # my group's, nobody claimed it yet
        handoff(
            4, target="group:S0MINE", state=HandoffState.CLAIMED, assignee_id="U0OTHER"
        ),  # someone has it
        handoff(5, routed_to="U0ME", state=HandoffState.RESOLVED, closed_at=NOW),  # closed
        handoff(6, target="group:S0ELSE", routed_to="U0OTHER"),  # not my group
        handoff(7, routed_to="U0ME", urgency=Urgency.URGENT),  # urgent: first
        handoff(8, routed_to="U0ME", state=HandoffState.SNOOZED, snoozed_until=NOW),  # snoozed: still mine
    ]
    async with store.transaction() as tx:
        ids = {h.thread_ts[-1]: (await tx.handoffs.add(h)).id for h in rows}
    async with store.transaction(readonly=True) as tx:
        page, total = await tx.queue.mine(user_id="U0ME", group_ids=["S0MINE"], limit=3)
        everything, _ = await tx.queue.mine(user_id="U0ME", group_ids=["S0MINE"], limit=50)
        no_groups, _ = await tx.queue.mine(user_id="U0ME", group_ids=[], limit=50)
    assert total == 5
    assert [h.id for h in page] == [ids["7"], ids["8"], ids["3"]]  # urgent, then newest first
    assert [h.id for h in everything] == [ids[n] for n in "78321"]
    assert ids["3"] not in [h.id for h in no_groups]
