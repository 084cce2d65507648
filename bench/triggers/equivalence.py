"""Dump every field of `decide` on a generated corpus, to compare the engine before and after a change.

usage: python bench/triggers/equivalence.py OUT.txt [--data ../shared/data/escalation-dev.jsonl] [--n 60000]
       PYTHONPATH=/tmp/old-checkout python bench/triggers/equivalence.py OLD.txt ... ; cmp OLD.txt OUT.txt
       python bench/triggers/equivalence.py FULL.txt --full ; cmp FULL.txt OUT.txt   (fast path = full path)

The corpus is built in memory (seeded, deterministic) from the developer split's texts when present (only
read, never stored in the project) plus built-in phrases: texts are mutated (Slack markup, shouting, "!!",
two texts joined, typos, negations, long pastes) and put in conversations with customer, AI and member
turns, some with an account, an AI assessment or admin rules. Each line is the full repr of the Decision
(hits, evidence, notes), stricter than the replay line. With --full every decision is made without the
engine's shortcuts (no fast check, no precomputed prefilter bits or tone bounds: every enabled detector
runs), so comparing the two files checks that the fast path decides exactly like the full one.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.append(str(REPO))  # appended: PYTHONPATH (an older checkout) wins

from routing.models import Account, AIAssessment, AuthorKind, MessageFacts, StoredMessage  # noqa: E402
from routing.rules import (  # noqa: E402
    default_rules,
    parse_rules,
)
from routing.triggers.engine import decide, decide_in_full  # noqa: E402

PHRASES = [
    "Can someone from your team call me?",
    "I already tried that twice. This is really frustrating, we can't close the month without these exports!",
    "This is the third time I'm asking. Smaller ranges fail too and nobody has actually looked at it!!",
    "Can someone from your team send me the invoice?",
    "I tried that twice and it worked, thanks!",
    "This is the third time I'm ordering from you and I love it!!",
    "How do I reset my password?",
    "Can I talk to a real person please, this is going nowhere",
    "I've been waiting for THREE WEEKS and still no refund!!! This is ridiculous.",
    "We're evaluating alternatives ahead of our contract renewal next month.",
    "thanks, that worked! :tada:",
    "<@U123> any update on <#C42|support>? see <https://example.com|the ticket>",
    "no need to talk to a person, thanks",
    "our production api is down, 503 errors everywhere",
    "we want 40 more seats for the sales team",
    "I will contact my lawyer about this chargeback",
    "you are useless. worst service ever",
    "any update?",
    "hello??",
    "I want to file a complaint",
    "somrbody help me pls",
    "We can't close the month until the invoices are in",
    "it's blocking our release and we're losing customers",
    "",
    "```code block``` `inline` &amp; &lt;tag&gt; :rage: :+1:",
    "Café – naïve “quotes” ’apostrophes’ ＦＵＬＬＷＩＤＴＨ",
]
MARKUP = ["<@U0BATON> ", "<#C42|general> ", "<https://x.io/a|link> ", ":rage: ", ":pray: ", "`x` ", "> "]
NEGATIONS = ["no need to ", "I don't want to ", "without having to ", "never mind, "]
ADMIN_RULES = {
    "version": 1,
    "triggers": [
        {"id": "explicit_request", "phrases": ["talk to my CSM"], "patterns": [r"\bcallback\b"]},
        {"id": "frustration", "threshold": 0.6, "phrases": ["not again"]},
        {"id": "legal-words", "kind": "custom", "keywords": ["subpoena"], "patterns": [r"\bcourt order\b"]},
        {"id": "deal_moment", "require_account": True},
    ],
}


def _mutate(rng: random.Random, text: str, pool: list[str]) -> str:
    roll = rng.random()
    if roll < 0.35:
        return text
    if roll < 0.45:
        return rng.choice(MARKUP) + text
    if roll < 0.55:
        return text.upper()
    if roll < 0.62:
        return text + rng.choice(["!!", "!!!", "?!?", " ???", " :(", " :rage:"])
    if roll < 0.72:
        return text + " " + rng.choice(pool)
    if roll < 0.78:
        return rng.choice(NEGATIONS) + text[:1].lower() + text[1:]
    if roll < 0.84 and len(text) > 6:
        i = rng.randrange(1, len(text) - 1)
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]  # swap two letters
    if roll < 0.86:
        return (text + " ") * rng.randint(20, 400)  # long pastes, over the analysed limit
    words = text.split()
    rng.shuffle(words)
    return " ".join(words)


def corpus(
    pool: list[str], n: int, seed: int = 7
) -> list[tuple[MessageFacts, list[StoredMessage], Account | None]]:
    rng = random.Random(seed)
    now = datetime(2025, 1, 1, tzinfo=UTC)
    out = []
    for i in range(n):
        history: list[StoredMessage] = []
        for j in range(rng.choice((0, 0, 0, 1, 2, 4))):
            kind = rng.choice((AuthorKind.CUSTOMER, AuthorKind.CUSTOMER, AuthorKind.AI, AuthorKind.INTERNAL))
            history.append(
                StoredMessage(
                    channel_id="C",
                    ts=f"{i}.{j}",
                    thread_ts=f"{i}",
                    author_id="U",
                    author_team="T",
                    author_kind=kind,
                    text=_mutate(rng, rng.choice(pool), pool),
                    received_at=now - timedelta(minutes=60 - j),
                    deleted=rng.random() < 0.05,
                )  # fmt: skip
            )
        confidence = rng.choice((None, None, None, 0.2, 0.7, 1.5))
        author = AuthorKind.CUSTOMER if rng.random() < 0.95 else AuthorKind.AI
        facts = MessageFacts(
            channel_id="C", ts=f"{i}.9", thread_ts=f"{i}", author_id="U", author_team="T", author_kind=author,
            text=_mutate(rng, rng.choice(pool), pool), received_at=now,
            assessment=AIAssessment(confidence=confidence, intent="x") if confidence is not None else None,
        )  # fmt: skip
        account = rng.choice((None, None, None, Account(name="Acme", tier="enterprise"), Account(value=1e5)))
        out.append((facts, history, account))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("output", type=Path)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "escalation-dev.jsonl")
    parser.add_argument("--n", type=int, default=60000)
    parser.add_argument("--full", action="store_true", help="decide without the engine's shortcuts")
    args = parser.parse_args()
    run = decide_in_full if args.full else decide
    pool = list(PHRASES)
    if args.data.exists():
        pool += [json.loads(line)["text"] for line in args.data.open() if line.strip()]
    now = datetime(2025, 1, 1, tzinfo=UTC)
    rulesets = (default_rules(), parse_rules(ADMIN_RULES, source="equivalence"))
    with args.output.open("w") as out:
        for k, (facts, history, account) in enumerate(corpus(pool, args.n)):
            rules = rulesets[k % 7 == 0]
            decision = run(facts, history=history, rules=rules, account=account, now=now)
            out.write(repr(decision) + "\n")
        for text in PHRASES:  # each phrase alone, then every dev text alone, with the default rules
            f = MessageFacts("C", "1", "1", "U", "T", AuthorKind.CUSTOMER, text, now)
            out.write(repr(run(f, history=[], rules=rulesets[0], account=None, now=now)) + "\n")


if __name__ == "__main__":
    main()
