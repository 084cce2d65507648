"""Realistic requests and complaints that used to stay with the bot, their variants, and look-alikes.

The cues behind them are patterns of speech (a person qualified by where they work, the same effort
repeated, "nobody has looked at it", the problem stopping the customer's own work), so each positive has
variants in other words, and each cue has near-negatives that must stay quiet.
"""

from __future__ import annotations

import pytest

from routing.decision import TriggerKind
from tests.routing.triggers_helpers import run


@pytest.mark.parametrize(
    "text",
    [
        "Can someone from your team call me?",
        "could somebody in support please call me back",
        "Can someone on your end take a look at this?",
        "would someone from the billing team contact me",
        "Could one of your engineers check this?",
        "can anybody at the company help me with this",
    ],
)
def test_someone_from_your_team_asked_to_act_escalates(text: str) -> None:
    decision = run(text)
    assert "explicit_request" in decision.reasons, text
    assert decision.escalation_type == "human_request"


@pytest.mark.parametrize(
    "text",
    [
        "Can someone from your team send me the invoice?",
        "Someone from your team called me yesterday, thanks",
        "Can I get the invoice from your team?",
        "my colleague from the sales team will join us",
        "can someone from your team update my address to 5 Main St",
    ],
)
def test_someone_from_your_team_without_a_contact_ask_stays_quiet(text: str) -> None:
    assert "explicit_request" not in run(text).reasons, text


@pytest.mark.parametrize(
    "text",
    [
        "I already tried that twice. This is really frustrating, we can't close the month without these "
        "exports!",
        "This is the third time I'm asking. Smaller ranges fail too and nobody has actually looked at it!!",
        # variants: the same cues in other words
        "I've asked you three times now and nobody has even looked into it. So annoying!",
        "Tried it several times already, still broken, and it's blocking our release. Really disappointing.",
        "fourth time I am writing about this!! we cannot run payroll and no one has bothered to reply",
    ],
)
def test_repeated_effort_and_business_impact_escalate_as_upset(text: str) -> None:
    decision = run(text)
    assert "frustration" in decision.reasons, text
    hit = next(h for h in decision.hits if h.kind is TriggerKind.FRUSTRATION)
    assert hit.evidence and "tone" in hit.explanation


@pytest.mark.parametrize(
    "text",
    [
        "I tried that twice and it worked, thanks!",
        "This is the third time I'm ordering from you and I love it!!",
        "I asked twice because I wasn't sure, all good now",
        "Nobody has looked at the new dashboard yet, can you show me where it is?",
        "We have a deadline on Friday, can I export the report as CSV?",
        "We can't close the month until the invoices are in - where do I download them?",
        "this is the second time I'm using the app, how do I add a user?",
        "I can't believe how fast that was, thank you!",
    ],
)
def test_look_alikes_stay_quiet(text: str) -> None:
    assert not run(text).escalate, text


def test_the_new_cues_are_named_in_the_evidence() -> None:
    text = "I already tried that twice. This is really frustrating, we can't close the month!"
    hit = next(h for h in run(text).hits if h.kind is TriggerKind.FRUSTRATION)
    joined = " ".join(hit.evidence)
    assert '"tried that twice"' in joined and "impact+" in joined
