"""Calibration advice by replay: threshold changes proven on stored conversations, counts in the text."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from routing.calibration import band_advice, needs, trigger_advice
from routing.models import AuthorKind, HandoffState, StoredMessage
from routing.rules import default_rules, parse_rules
from routing.stats import Band, HandoffFacts, summarize

T = datetime(2026, 11, 30, tzinfo=UTC)
STRONG = "This is ridiculous, nothing works and I'm fed up"  # frustration 0.98
WEAK = "this is the third time I ask, still broken"  # frustration 0.64
QUIET = "how do I export a csv?"


def msg(
    i: int, text: str, *, kind: AuthorKind = AuthorKind.CUSTOMER, thread: int | None = None
) -> StoredMessage:
    ts = f"{1800000000 + i}.000100"
    return StoredMessage(
        channel_id="C1", ts=ts, thread_ts=f"{1800000000 + (thread if thread is not None else i)}.000100",
        author_id="U1", author_team="T1", author_kind=kind, text=text, received_at=T + timedelta(minutes=i),
    )  # fmt: skip


def handoff(i: int, message: StoredMessage, state: HandoffState, *, reasons=("frustration",)) -> HandoffFacts:
    claimed = T + timedelta(minutes=i + 1) if state is not HandoffState.DISMISSED else None
    return HandoffFacts(
        id=i, channel_id="C1", thread_ts=message.thread_ts, escalation_type="upset_customer", reasons=reasons,
        state=state, opened_at=message.received_at, trigger_ts=message.ts, claimed_at=claimed,
    )  # fmt: skip


def case(needed: list[str], not_needed: list[str], *, extra: list[HandoffFacts] = ()):
    messages = [msg(i, text) for i, text in enumerate(needed + not_needed)]
    states = [HandoffState.RESOLVED] * len(needed) + [HandoffState.DISMISSED] * len(not_needed)
    handoffs = [handoff(i, m, s) for i, (m, s) in enumerate(zip(messages, states, strict=True))] + list(extra)
    threads = {(m.channel_id, m.thread_ts): [m] for m in messages}
    stats = summarize(
        since=T, until=T + timedelta(days=1), messages_by_channel={"C1": 100}, handoffs=handoffs
    )
    return stats, handoffs, threads


def test_raising_the_threshold_drops_the_dismissed_and_keeps_the_needed():
    stats, handoffs, threads = case([STRONG] * 6, [WEAK] * 4)
    rules = default_rules()
    plan = needs(stats, handoffs, rules)
    assert [r.id for r in plan.rules] == ["frustration"] and len(plan.handoffs) == 10 and plan.band is None
    advice = trigger_advice(
        plan.rules[0], stats=stats, handoffs=plan.handoffs, threads=threads, accounts={}, rules=rules
    )
    assert advice is not None and advice.change == {"rule": "frustration", "threshold": 0.65}
    assert advice.text == (
        "frustration fired 10 times in the period and 40% were marked not needed: raising `frustration`'s "
        "threshold from 0.5 to 0.65 would have avoided 4 of the 4 not needed and kept 6 of the 6 that were "
        "needed (replayed 10 handoffs). `/baton rules set frustration threshold 0.65`"
    )


def test_no_advice_when_it_would_lose_more_than_a_tenth_of_the_needed():
    # two of the needed handoffs look like the dismissed ones: any threshold dropping those loses 2 of 6
    stats, handoffs, threads = case([STRONG] * 4 + [WEAK] * 2, [WEAK] * 4)
    rules = default_rules()
    rule = rules.rule("frustration")
    assert (
        trigger_advice(rule, stats=stats, handoffs=handoffs, threads=threads, accounts={}, rules=rules)
        is None
    )


def test_handoffs_the_current_rules_do_not_reproduce_are_left_out_and_unanswered_stands():
    # a raised threshold since: the 0.64 handoffs are not reproduced by today's rules, so nothing is credited
    rules = parse_rules({"triggers": [{"id": "frustration", "threshold": 0.7}]}, source="test")
    stats, handoffs, threads = case([STRONG] * 6, [WEAK] * 4)
    assert trigger_advice(rules.rule("frustration"), stats=stats, handoffs=handoffs, threads=threads,
                          accounts={}, rules=rules) is None  # fmt: skip
    # a handoff that `unanswered` also opened would have opened anyway
    weak = msg(50, WEAK)
    also = handoff(50, weak, HandoffState.DISMISSED, reasons=("frustration", "unanswered"))
    stats, handoffs, threads = case([STRONG] * 6, [WEAK] * 4, extra=[also])
    threads[(weak.channel_id, weak.thread_ts)] = [weak]
    rules = default_rules()
    advice = trigger_advice(rules.rule("frustration"), stats=stats, handoffs=handoffs, threads=threads,
                            accounts={}, rules=rules)  # fmt: skip
    assert advice is not None and "avoided 4 of the 5 not needed and kept 6 of the 6" in advice.text


def test_the_history_before_the_message_is_replayed_too():
    # the same weak message after an unanswered customer ask scores differently than alone: the replay
    # gives decide() the conversation before the message, as the intake did
    first, second = msg(0, "Can you fix my export?"), msg(1, WEAK, thread=0)
    threads = {("C1", first.thread_ts): [first, second]}
    h = handoff(1, second, HandoffState.DISMISSED)
    stats = summarize(since=T, until=T + timedelta(days=1), messages_by_channel={"C1": 2}, handoffs=[h] * 5)
    rules = default_rules()
    advice = trigger_advice(rules.rule("frustration"), stats=stats, handoffs=[h] * 5, threads=threads,
                            accounts={}, rules=rules)  # fmt: skip
    assert advice is not None and "replayed 5 handoffs" in advice.text


def test_below_the_band_replays_the_messages_with_a_lower_threshold():
    texts = [STRONG, "ugh, annoying", "ugh, annoying", "I'm a bit disappointed"] + [QUIET] * 36
    sample = [msg(i, text) for i, text in enumerate(texts)]
    threads = {(m.channel_id, m.thread_ts): [m] for m in sample}
    opened = handoff(0, sample[0], HandoffState.RESOLVED)
    stats = summarize(since=T, until=T + timedelta(days=1), messages_by_channel={"C1": 40}, handoffs=[opened])
    assert stats.overall.band is Band.BELOW and needs(stats, [opened], default_rules()).band is Band.BELOW
    (advice,) = band_advice(
        stats=stats, sample=sample, threads=threads, accounts={}, rules=default_rules(), capped=False
    )
    assert advice.change == {"rule": "frustration", "threshold": 0.4}
    assert advice.text == (
        "The escalation rate was 2.5%, below the healthy 5%–15% band. Replaying the period's 40 customer "
        "messages, lowering `frustration`'s threshold from 0.5 to 0.4 would have escalated 4 conversations "
        "(10.0% of the messages), against 1 (2.5%) with the current rules. "
        "`/baton rules set frustration threshold 0.4`"
    )
    (capped,) = band_advice(
        stats=stats, sample=sample, threads=threads, accounts={}, rules=default_rules(), capped=True
    )
    assert "Replaying the first 40 customer messages" in capped.text


def test_above_the_band_replays_with_a_higher_threshold():
    texts = [STRONG, WEAK, WEAK, WEAK] + [QUIET] * 16
    sample = [msg(i, text) for i, text in enumerate(texts)]
    threads = {(m.channel_id, m.thread_ts): [m] for m in sample}
    opened = [handoff(i, sample[i], HandoffState.RESOLVED) for i in range(4)]
    stats = summarize(since=T, until=T + timedelta(days=1), messages_by_channel={"C1": 20}, handoffs=opened)
    assert stats.overall.band is Band.ABOVE
    (advice,) = band_advice(
        stats=stats, sample=sample, threads=threads, accounts={}, rules=default_rules(), capped=False
    )
    assert advice.change == {"rule": "frustration", "threshold": 0.7}
    assert "would have escalated 1 conversation (5.0% of the messages), against 4 (20.0%)" in advice.text


def test_handoffs_an_ai_agent_asked_for_count_as_kept_whatever_the_threshold():
    """An agent's request over the API opens a handoff whatever a rule's threshold says: its low confidence
    (stored as a low_confidence reason) must not be credited to a threshold change."""
    messages = [msg(i, QUIET) for i in range(5)]
    requested = [
        replace(
            handoff(i, m, HandoffState.DISMISSED, reasons=("low_confidence",)),
            escalation_type="uncertain_ai",
            assessment={"confidence": 0.3, "summary": "", "intent": ""},
            agent_requested=True,
        )
        for i, m in enumerate(messages)
    ]
    threads = {(m.channel_id, m.thread_ts): [m] for m in messages}
    stats = summarize(
        since=T, until=T + timedelta(days=1), messages_by_channel={"C1": 50}, handoffs=requested
    )
    rules = default_rules()
    plan = needs(stats, requested, rules)
    advise = {"stats": stats, "handoffs": plan.handoffs, "threads": threads, "accounts": {}, "rules": rules}
    assert all(trigger_advice(rule, **advise) is None for rule in plan.rules)
    # The same handoffs opened by the AI's answer in the thread (no request): a lower threshold avoids them.
    answered = [replace(h, agent_requested=False) for h in requested]
    plan = needs(stats, answered, rules)
    advice = trigger_advice(plan.rules[0], **{**advise, "handoffs": plan.handoffs})
    assert advice is not None and advice.change["rule"] == "low_confidence"
