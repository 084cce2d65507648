"""SLA clocks: deadlines of the default policies, every path of next_step/after, policy data, its errors."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
import yaml

from routing.models import HandoffState
from routing.rules import RulesError
from routing.sla import (
    CLAIM,
    DEFAULT_POLICIES,
    RESOLVE,
    BusinessHours,
    ChainTier,
    SlaPolicy,
    SlaState,
    Step,
    StepKind,
    TierAction,
    after,
    claimed,
    deadlines,
    next_check,
    next_step,
    policy_from_data,
    policy_to_data,
    step_due,
)
from routing.yaml_text import load_yaml

S = HandoffState
K = StepKind
A = TierAction


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def at(hh: int, mm: int = 0, ss: int = 0) -> datetime:
    """A time on Tuesday 2026-01-06 (UTC)."""
    return utc(2026, 1, 6, hh, mm, ss)


TUE_10 = at(10)

# ---- deadlines ----

DEADLINE_CASES = [
    ("upset_customer", TUE_10, None, at(10, 5), at(14)),
    ("upset_customer on a Saturday night", utc(2026, 1, 10, 23), None, utc(2026, 1, 10, 23, 5),
     utc(2026, 1, 11, 3)),
    ("human_request", TUE_10, None, at(10, 15), None),
    ("human_request late Friday", utc(2026, 1, 9, 16, 50), None, utc(2026, 1, 12, 9, 5), None),
    ("human_request on Saturday", utc(2026, 1, 10, 12), None, utc(2026, 1, 12, 9, 15), None),
    ("human_request in the account's timezone", TUE_10, "America/New_York", at(14, 15), None),
    ("sales_opportunity", TUE_10, None, at(11), None),
    ("complex_question in the morning", TUE_10, None, at(14), None),
    ("complex_question capped at the close", at(15), None, at(17), None),
    ("complex_question before opening", at(7), None, at(13), None),
    ("complex_question after hours", at(18), None, utc(2026, 1, 7, 13), None),
    ("complex_question a minute before close", at(16, 59), None, at(17), None),
    ("complex_question in New York", at(15), "America/New_York", at(19), None),
    ("uncertain_ai", TUE_10, None, at(11), None),
    ("routine_review", TUE_10, None, utc(2026, 1, 7, 10), None),
    ("routine_review over a weekend (24x7)", utc(2026, 1, 9, 10), None, utc(2026, 1, 10, 10), None),
]  # fmt: skip


@pytest.mark.parametrize(("name", "opened", "timezone", "claim_due", "resolve_due"), DEADLINE_CASES,
                         ids=[c[0] for c in DEADLINE_CASES])  # fmt: skip
def test_deadlines_of_default_policies(
    name: str, opened: datetime, timezone: str | None, claim_due: datetime, resolve_due: datetime | None
) -> None:
    policy = DEFAULT_POLICIES[name.split()[0]]
    assert deadlines(policy, opened, timezone=timezone) == (claim_due, resolve_due)


def test_default_policies_match_the_design() -> None:
    assert set(DEFAULT_POLICIES) == {
        "upset_customer", "human_request", "sales_opportunity", "complex_question", "uncertain_ai",
        "routine_review",
    }  # fmt: skip
    for name, policy in DEFAULT_POLICIES.items():
        assert policy.chain[0] == ChainTier(A.REMIND, 0)
        assert len(policy.chain) == (2 if name in ("upset_customer", "human_request") else 1)
        assert (policy.hours is None) == (name in ("upset_customer", "routine_review"))
    assert DEFAULT_POLICIES["upset_customer"].chain[1] == ChainTier(A.REMIND, 15)


# ---- next_step ----

# claim in 10 min (warn at 7.5), chain 0 / +5 / +10, then the last tier twice more every 10 min:
# warn 10:07:30, breach 10:10, tiers 10:10, 10:15, 10:25, repeats 10:35, 10:45.
CHAIN = (
    ChainTier(A.REMIND, 0),
    ChainTier(A.NOTIFY_CHANNEL, 5, target="C0TRIAGE", mention="S0LEADS"),
    ChainTier(A.DM_USER, 10, target="U0MANAGER"),
)
P = SlaPolicy(10, resolve_within_minutes=120, warn_at=0.75, chain=CHAIN, repeat=2)
OPEN = SlaState(S.OPEN, opened_at=TUE_10)
BREACHED = replace(OPEN, warned=True, breached_at=at(10, 10))
CLAIMED = SlaState(S.CLAIMED, opened_at=TUE_10, claimed_at=at(10, 3))
OFFICE = BusinessHours()
BIZ = SlaPolicy(15, hours=OFFICE, chain=(ChainTier(A.REMIND, 0), ChainTier(A.REMIND, 15)))
FRIDAY_LATE = SlaState(S.OPEN, opened_at=utc(2026, 1, 9, 16, 50))
# Remind and tell the team at the breach (no wait between them), the manager 30 minutes later.
TOGETHER = SlaPolicy(10, chain=(ChainTier(A.REMIND, 0), ChainTier(A.NOTIFY_CHANNEL, 0, target="C0T"),
                                ChainTier(A.DM_USER, 30, target="U0MANAGER")))  # fmt: skip


def esc(tier: int, due: datetime, clock: str = CLAIM, policy: SlaPolicy = P) -> Step:
    spec = policy.chain[min(tier, len(policy.chain) - 1)]
    return Step(K.ESCALATE, clock, due, tier=tier, action=spec.action, tier_spec=spec)


NEXT_CASES: list[tuple[str, SlaPolicy, SlaState, datetime, Step | None, datetime | None]] = [
    ("open, nothing due yet", P, OPEN, at(10, 5), None, at(10, 7, 30)),
    ("warn when due", P, OPEN, at(10, 7, 30), Step(K.WARN, CLAIM, at(10, 7, 30)), at(10, 10)),
    ("warned, waiting for the breach", P, replace(OPEN, warned=True), at(10, 9), None, at(10, 10)),
    ("breach when due", P, replace(OPEN, warned=True), at(10, 10), Step(K.BREACH, CLAIM, at(10, 10)),
     at(10, 10)),
    ("warn and breach overdue: breach", P, OPEN, at(10, 12), Step(K.BREACH, CLAIM, at(10, 10)), at(10, 10)),
    ("long downtime still breaches first", P, OPEN, at(12), Step(K.BREACH, CLAIM, at(10, 10)), at(10, 10)),
    ("tier 0 at the breach", P, BREACHED, at(10, 10), esc(0, at(10, 10)), at(10, 15)),
    ("tier 1 notifies the channel", P, replace(BREACHED, level=1), at(10, 15), esc(1, at(10, 15)),
     at(10, 25)),
    ("tier 1 not yet due", P, replace(BREACHED, level=1), at(10, 14), None, at(10, 15)),
    ("tiers 0..2 overdue: tier 2", P, BREACHED, at(10, 30), esc(2, at(10, 25)), at(10, 35)),
    ("tiers due together: the first", TOGETHER, BREACHED, at(10, 10, 15), esc(0, at(10, 10), policy=TOGETHER),
     at(10, 10)),
    ("then the next at once", TOGETHER, replace(BREACHED, level=1), at(10, 10, 30),
     esc(1, at(10, 10), policy=TOGETHER), at(10, 40)),
    ("downtime past them all: the last", TOGETHER, BREACHED, at(10, 41), esc(2, at(10, 40), policy=TOGETHER),
     None),
    ("first repeat", P, replace(BREACHED, level=3), at(10, 35), esc(3, at(10, 35)), at(10, 45)),
    ("last repeat", P, replace(BREACHED, level=4), at(11), esc(4, at(10, 45)), None),
    ("chain exhausted", P, replace(BREACHED, level=5), at(23), None, None),
    ("tiers count from the recorded breach", P, replace(BREACHED, breached_at=at(10, 20)), at(10, 20),
     esc(0, at(10, 20)), at(10, 25)),
    ("no chain: breach is the last step", SlaPolicy(10), replace(OPEN, warned=True), at(10, 10),
     Step(K.BREACH, CLAIM, at(10, 10)), None),
    ("no chain, breached", SlaPolicy(10), BREACHED, at(11), None, None),
    ("zero SLA: breach at once", SlaPolicy(0), OPEN, TUE_10, Step(K.BREACH, CLAIM, TUE_10), None),
    ("resolved", P, replace(BREACHED, state=S.RESOLVED), at(12), None, None),
    ("dismissed", P, replace(OPEN, state=S.DISMISSED), at(12), None, None),
    ("snoozed", P, replace(OPEN, state=S.SNOOZED, snoozed_until=at(11)), at(10, 30), None, at(11)),
    ("snoozed: no warning or breach", P, replace(OPEN, state=S.SNOOZED, snoozed_until=at(11)), at(10, 59),
     None, at(11)),
    ("snooze ends, never claimed", P, replace(OPEN, state=S.SNOOZED, snoozed_until=at(11)), at(11),
     Step(K.WAKE, CLAIM, at(11)), at(10, 7, 30)),
    ("snooze ends, claimed", P, replace(CLAIMED, state=S.SNOOZED, snoozed_until=at(11)), at(11, 5),
     Step(K.WAKE, RESOLVE, at(11)), at(11, 30)),
    ("snoozed until further notice", P, replace(OPEN, state=S.SNOOZED), at(23), None, None),
    ("claimed: resolve clock", P, CLAIMED, at(10, 30), None, at(11, 30)),
    ("claimed: resolve warning", P, CLAIMED, at(11, 30), Step(K.WARN, RESOLVE, at(11, 30)), at(12)),
    ("claimed: resolve breach", P, replace(CLAIMED, warned=True), at(12), Step(K.BREACH, RESOLVE, at(12)),
     at(12)),
    ("claimed: resolve chain", P, replace(CLAIMED, warned=True, breached_at=at(12), level=1), at(12, 5),
     esc(1, at(12, 5), RESOLVE), at(12, 15)),
    ("claimed, no resolve deadline", BIZ, replace(FRIDAY_LATE, state=S.CLAIMED), utc(2026, 2, 1), None, None),
    # business hours: 11.25 business minutes after Friday 16:50 is Monday 09:01:15
    ("business warn after the weekend", BIZ, FRIDAY_LATE, utc(2026, 1, 10, 12), None,
     utc(2026, 1, 12, 9, 1, 15)),
    ("business warn", BIZ, FRIDAY_LATE, utc(2026, 1, 12, 9, 2),
     Step(K.WARN, CLAIM, utc(2026, 1, 12, 9, 1, 15)), utc(2026, 1, 12, 9, 5)),
    ("business tier wait crosses the night", BIZ,
     replace(FRIDAY_LATE, warned=True, breached_at=at(16, 55), level=1), at(17, 30), None,
     utc(2026, 1, 7, 9, 10)),
    ("business tier after the night", BIZ,
     replace(FRIDAY_LATE, warned=True, breached_at=at(16, 55), level=1), utc(2026, 1, 7, 9, 10),
     esc(1, utc(2026, 1, 7, 9, 10), policy=BIZ), None),
    ("same business day: warn at 3/4 of what is left", DEFAULT_POLICIES["complex_question"],
     SlaState(S.OPEN, opened_at=at(16)), at(16, 30), None, at(16, 45)),
    ("same business day: breach at the close", DEFAULT_POLICIES["complex_question"],
     SlaState(S.OPEN, opened_at=at(16), warned=True), at(17), Step(K.BREACH, CLAIM, at(17)), at(17)),
    ("zero wait tier at a closing time fires then", DEFAULT_POLICIES["complex_question"],
     SlaState(S.OPEN, opened_at=at(16), warned=True, breached_at=at(17)), at(17),
     esc(0, at(17), policy=DEFAULT_POLICIES["complex_question"]), None),
]  # fmt: skip


@pytest.mark.parametrize(("policy", "sla", "now", "step", "next_at"), [c[1:] for c in NEXT_CASES],
                         ids=[c[0] for c in NEXT_CASES])  # fmt: skip
def test_next_step(
    policy: SlaPolicy, sla: SlaState, now: datetime, step: Step | None, next_at: datetime | None
) -> None:
    got = next_step(policy, sla, now)
    assert got == (step, next_at)
    assert next_step(policy, sla, now) == got  # pure: a duplicate call gives the same answer
    if got[0] is not None:
        assert got[0].due_at <= now  # never a step from the future
        done = after(got[0], sla)
        again, _ = next_step(policy, done, now)
        assert again != got[0]  # done means done: never the same step twice


@pytest.mark.parametrize(
    ("policy", "sla", "now"), [c[1:4] for c in NEXT_CASES], ids=[c[0] for c in NEXT_CASES]
)
def test_step_due_and_next_check_agree_with_next_step(
    policy: SlaPolicy, sla: SlaState, now: datetime
) -> None:
    step, next_at = next_step(policy, sla, now)
    assert step_due(policy, sla, now) == step
    if step is None:
        assert next_check(policy, sla, now) == next_at  # nothing due: the first step ahead
    else:
        assert next_check(policy, sla, now) == step.due_at  # something due: the next sweep fires it
        # Once done, the check after it is the most advanced step overdue by now, else the first ahead.
        done = after(step, sla)
        again, _ = next_step(policy, done, now)
        assert next_check(policy, done, now) == (again.due_at if again else next_step(policy, done, now)[1])


def test_timezone_override_applies_to_next_step() -> None:
    sla = SlaState(S.OPEN, opened_at=TUE_10)
    policy = DEFAULT_POLICIES["human_request"]
    assert next_step(policy, sla, TUE_10) == (None, at(10, 11, 15))  # the warning
    assert next_step(policy, sla, TUE_10, timezone="America/New_York") == (None, at(14, 11, 15))
    # 09:00–17:00 in Tokyo is 00:00–08:00 UTC: opened after its close, counting starts at the next opening
    assert next_step(policy, sla, TUE_10, timezone="Asia/Tokyo") == (None, utc(2026, 1, 7, 0, 11, 15))


def run(policy: SlaPolicy, sla: SlaState, checks: list[datetime]) -> tuple[list[Step], SlaState]:
    """What a scheduler does: at each check, perform steps until none is due."""
    fired = []
    for now in checks:
        while True:
            step, _ = next_step(policy, sla, now)
            if step is None:
                break
            fired.append(step)
            sla = after(step, sla)
            assert len(fired) < 100
    return fired, sla


def test_a_timely_scheduler_performs_every_step_once_in_order() -> None:
    fired, final = run(P, OPEN, [TUE_10 + timedelta(seconds=30 * i) for i in range(200)])
    assert [(s.kind, s.tier, s.due_at) for s in fired] == [
        (K.WARN, None, at(10, 7, 30)),
        (K.BREACH, None, at(10, 10)),
        (K.ESCALATE, 0, at(10, 10)),
        (K.ESCALATE, 1, at(10, 15)),
        (K.ESCALATE, 2, at(10, 25)),
        (K.ESCALATE, 3, at(10, 35)),
        (K.ESCALATE, 4, at(10, 45)),
    ]
    assert [s.action for s in fired[2:]] == [A.REMIND, A.NOTIFY_CHANNEL, A.DM_USER, A.DM_USER, A.DM_USER]
    assert final == replace(OPEN, warned=True, breached_at=at(10, 10), level=5)
    assert next_step(P, final, at(23)) == (None, None)


def test_after_downtime_each_overdue_step_fires_once() -> None:
    fired, final = run(P, OPEN, [at(12)])
    assert [(s.kind, s.tier) for s in fired] == [(K.BREACH, None), (K.ESCALATE, 4)]
    assert final == replace(OPEN, warned=True, breached_at=at(10, 10), level=5)


def test_snoozed_overdue_handoff_wakes_then_breaches() -> None:
    snoozed = replace(OPEN, state=S.SNOOZED, snoozed_until=at(11))
    assert run(P, snoozed, [at(10, 8), at(10, 30)])[0] == []
    fired, final = run(P, snoozed, [at(11)])
    assert [(s.kind, s.tier) for s in fired] == [(K.WAKE, None), (K.BREACH, None), (K.ESCALATE, 4)]
    assert final.state is S.OPEN and final.snoozed_until is None and final.level == 5


def test_repeat_waits_at_least_a_minute() -> None:
    policy = SlaPolicy(5, chain=(ChainTier(A.REMIND, 0),), repeat=2)
    fired, _ = run(policy, replace(OPEN, warned=True, breached_at=at(10, 5)), [at(11)])
    assert [(s.tier, s.due_at) for s in fired] == [(2, at(10, 7))]
    fired, _ = run(
        policy, replace(OPEN, warned=True, breached_at=at(10, 5)), [at(10, 5), at(10, 6), at(10, 7)]
    )
    assert [(s.tier, s.due_at) for s in fired] == [(0, at(10, 5)), (1, at(10, 6)), (2, at(10, 7))]


AFTER_CASES = [
    ("wake, never claimed", Step(K.WAKE, CLAIM, at(11)), replace(OPEN, state=S.SNOOZED, snoozed_until=at(11)),
     OPEN),
    ("wake, claimed", Step(K.WAKE, RESOLVE, at(11)), replace(CLAIMED, state=S.SNOOZED, snoozed_until=at(11)),
     CLAIMED),
    ("warn", Step(K.WARN, CLAIM, at(10, 7)), OPEN, replace(OPEN, warned=True)),
    ("breach marks the warning done", Step(K.BREACH, CLAIM, at(10, 10)), OPEN, BREACHED),
    ("escalate", esc(2, at(10, 25)), BREACHED, replace(BREACHED, level=3)),
    ("escalate never lowers the level", esc(1, at(10, 15)), replace(BREACHED, level=4),
     replace(BREACHED, level=4)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("step", "sla", "expected"), [c[1:] for c in AFTER_CASES], ids=[c[0] for c in AFTER_CASES]
)
def test_after(step: Step, sla: SlaState, expected: SlaState) -> None:
    assert after(step, sla) == expected


def test_claimed_starts_the_resolve_clock_afresh() -> None:
    state = claimed(replace(BREACHED, level=2), at(10, 40))
    assert state == SlaState(S.CLAIMED, opened_at=TUE_10, claimed_at=at(10, 40))
    assert next_step(P, state, at(10, 40)) == (None, at(11, 30))


def test_naive_now_is_rejected() -> None:
    with pytest.raises(ValueError, match="aware"):
        next_step(P, OPEN, datetime(2026, 1, 6, 10))


# ---- policy data ----

FULL = SlaPolicy(
    claim_within_minutes=30,
    resolve_within_minutes=480,
    hours=BusinessHours("America/New_York", (0, 1, 2, 3), time(8, 30), time(18), ("US", "GB", "US-CA")),
    same_business_day=True,
    warn_at=0.5,
    chain=CHAIN,
    repeat=3,
)


@pytest.mark.parametrize(
    "policy", [*DEFAULT_POLICIES.values(), FULL, P], ids=[*DEFAULT_POLICIES, "full", "chain"]
)
def test_policy_data_round_trip(policy: SlaPolicy) -> None:
    data = policy_to_data(policy)
    assert policy_from_data(json.loads(json.dumps(data)), source="t", path="p") == policy
    assert policy_from_data(yaml.safe_load(yaml.safe_dump(data)), source="t", path="p") == policy
    assert policy_to_data(policy_from_data(data, source="t", path="p")) == data


def test_policy_data_shape() -> None:
    data = policy_to_data(FULL)
    assert data["hours"] == {
        "timezone": "America/New_York",
        "weekdays": ["mon", "tue", "wed", "thu"],
        "opens": "08:30",
        "closes": "18:00",
        "holidays": ["US", "GB", "US-CA"],
    }
    assert data["chain"][1] == {"action": "notify_channel", "wait_minutes": 5, "target": "C0TRIAGE",
                                "mention": "S0LEADS"}  # fmt: skip
    assert policy_to_data(DEFAULT_POLICIES["upset_customer"])["hours"] is None


def test_policy_from_yaml_with_unquoted_times_and_defaults() -> None:
    text = """
    claim_within_minutes: 15
    hours: {timezone: Europe/Berlin, weekdays: [Mon, tue, WED], opens: 08:00, closes: 17:30,
            holidays: [de-by]}
    chain: [{action: remind}]
    """
    policy = policy_from_data(load_yaml(text), source="rules.yaml", path="sla.human_request")
    assert policy == SlaPolicy(
        15, hours=BusinessHours("Europe/Berlin", (0, 1, 2), time(8), time(17, 30), ("DE-BY",)),
        chain=(ChainTier(A.REMIND, 0),),
    )  # fmt: skip


def edit(**changes: Any) -> dict[str, Any]:
    data = policy_to_data(FULL)
    for key, value in changes.items():
        *parents, leaf = key.split("__")
        node: Any = data
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if value is DROP:
            del node[leaf]
        elif isinstance(node, list):
            node[int(leaf)] = value
        else:
            node[leaf] = value
    return data


DROP = object()

ERROR_CASES: list[tuple[Any, str, str]] = [
    ([1, 2], "p", "expected a mapping"),
    (edit(claim_within_minutes=DROP), "p.claim_within_minutes", "required"),
    (edit(claim_within_minutes=-1), "p.claim_within_minutes", "between 0 and"),
    (edit(claim_within_minutes="5"), "p.claim_within_minutes", "whole number"),
    (edit(claim_within_minutes=True), "p.claim_within_minutes", "whole number"),
    (edit(claim_within_minutes=1.5), "p.claim_within_minutes", "whole number"),
    (edit(claim_within_minutes=10**9), "p.claim_within_minutes", "between 0 and"),
    (edit(resolve_within_minutes=-5), "p.resolve_within_minutes", "between 0 and"),
    (edit(claim_within=5), "p.claim_within", "did you mean 'claim_within_minutes'"),
    (edit(hours="office"), "p.hours", "expected a mapping"),
    (edit(hours__timezone="Mars/Olympus_Mons"), "p.hours.timezone", "unknown timezone"),
    (edit(hours__timezone=""), "p.hours.timezone", "IANA"),
    (edit(hours__timezone="../../etc/passwd"), "p.hours.timezone", "unknown timezone"),
    (edit(hours__weekdays=[]), "p.hours.weekdays", "non-empty list"),
    (edit(hours__weekdays=["mon", "funday"]), "p.hours.weekdays[1]", "unknown weekday"),
    (edit(hours__weekdays=["mon", 7]), "p.hours.weekdays[1]", "unknown weekday"),
    (edit(hours__opens="9am"), "p.hours.opens", "HH:MM"),
    (edit(hours__closes="24:00"), "p.hours.closes", "HH:MM"),
    (edit(hours__closes=1440), "p.hours.closes", "HH:MM"),
    (edit(hours__holidays=["XX"]), "p.hours.holidays[0]", "unknown holiday country"),
    (edit(hours__holidays=["US", "US-ZZ"]), "p.hours.holidays[1]", "unknown subdivision"),
    (edit(hours__holidays=[""]), "p.hours.holidays[0]", "country code"),
    (edit(hours__holidays=7), "p.hours.holidays", "list of country codes"),
    (edit(hours__days=["mon"]), "p.hours.days", "unknown field"),
    (edit(same_business_day="yes"), "p.same_business_day", "true or false"),
    (edit(hours=None), "p.same_business_day", "needs business hours"),
    (edit(warn_at=0), "p.warn_at", "between 0 and 1"),
    (edit(warn_at=1), "p.warn_at", "between 0 and 1"),
    (edit(warn_at=1.5), "p.warn_at", "between 0 and 1"),
    (edit(warn_at="late"), "p.warn_at", "expected a number"),
    (edit(chain={"action": "remind"}), "p.chain", "list of tiers"),
    (edit(chain=[{"action": "remind"}] * 11), "p.chain", "at most 10"),
    (edit(chain__0="remind"), "p.chain[0]", "expected a mapping"),
    (edit(chain__0__action="page"), "p.chain[0].action", "unknown action 'page'"),
    (edit(chain__0__action=DROP), "p.chain[0].action", "unknown action None"),
    (edit(chain__0__target="C0TRIAGE"), "p.chain[0].target", "takes no target"),
    (edit(chain__0__wait_minutes=-5), "p.chain[0].wait_minutes", "between 0 and"),
    (edit(chain__0__wait_minute=5), "p.chain[0].wait_minute", "did you mean 'wait_minutes'"),
    (edit(chain__1__target=DROP), "p.chain[1].target", "needs a channel id"),
    (edit(chain__1__target="U0MANAGER"), "p.chain[1].target", "needs a channel id"),
    (edit(chain__1__target="#triage"), "p.chain[1].target", "needs a channel id"),
    (edit(chain__1__mention="U0LEAD"), "p.chain[1].mention", "user group id"),
    (edit(chain__1__mention=5), "p.chain[1].mention", "expected a string"),
    (edit(chain__2__target="C0TRIAGE"), "p.chain[2].target", "needs a user id"),
    (edit(chain__2__target=""), "p.chain[2].target", "needs a user id"),
    (edit(repeat=101), "p.repeat", "between 0 and 100"),
    (edit(repeat=2, chain=[]), "p.repeat", "chain is empty"),
]


@pytest.mark.parametrize(
    ("data", "path", "problem"), ERROR_CASES, ids=[c[1] + ": " + c[2] for c in ERROR_CASES]
)
def test_policy_errors_name_the_field(data: Any, path: str, problem: str) -> None:
    with pytest.raises(RulesError) as caught:
        policy_from_data(data, source="rules.yaml", path="p")
    assert (caught.value.source, caught.value.path) == ("rules.yaml", path)
    assert problem in caught.value.problem


def test_policy_error_without_a_path_names_the_field_alone() -> None:
    with pytest.raises(RulesError) as caught:
        policy_from_data({"claim_within_minutes": -1}, source="api", path="")
    assert caught.value.path == "claim_within_minutes"
