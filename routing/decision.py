"""What the trigger engine answers: trigger hits, the decision, and the default escalation types."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from routing.models import Urgency


class TriggerKind(StrEnum):
    """Why a conversation may need a human."""

    EXPLICIT_REQUEST = "explicit_request"
    FRUSTRATION = "frustration"
    LOW_CONFIDENCE = "low_confidence"
    HIGH_VALUE = "high_value"
    DEAL_MOMENT = "deal_moment"
    SENSITIVE_TOPIC = "sensitive_topic"
    UNANSWERED = "unanswered"
    CUSTOM = "custom"


@dataclass(frozen=True, slots=True)
class TriggerHit:
    """One trigger that fired: which rule, how strongly, on what evidence, in one line a rep can read."""

    kind: TriggerKind
    rule_id: str
    score: float  # in [0, 1]
    evidence: tuple[str, ...]
    explanation: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "score", round(min(1.0, max(0.0, float(self.score))), 4))


@dataclass(frozen=True, slots=True)
class EscalationType:
    """A kind of handover: how urgent by default, and how a rep should approach it."""

    name: str
    urgency: Urgency
    approach: str
    description: str = ""


# Precedence when several triggers fire: the first type in this order wins. An upset customer who also asks
# for a person is handled as upset; someone asking for a person *about pricing* goes to the account owner as
# a sales opportunity; a sales moment outranks a merely complex question.
DEFAULT_ESCALATION_TYPES: tuple[EscalationType, ...] = (
    EscalationType(
        "upset_customer",
        Urgency.URGENT,
        "Reply now, personally. Acknowledge the frustration in your first line, own the problem, say what "
        "you will do next and by when. Don't repeat what the AI already tried.",
        "the customer is frustrated or angry: immediate",
    ),
    EscalationType(
        "sales_opportunity",
        Urgency.HIGH,
        "Route to the account owner. Answer the commercial question directly, propose a call, and bring the "
        "numbers (seats, plan, renewal date) with you.",
        "pricing, contract, renewal, churn risk or buying signals: the account owner",
    ),
    EscalationType(
        "human_request",
        Urgency.HIGH,
        "Introduce yourself by name, confirm you have read the thread, and pick up from the customer's last "
        "question; don't make them repeat themselves.",
        "the customer asked for a person",
    ),
    EscalationType(
        "complex_question",
        Urgency.NORMAL,
        "Take ownership, give a same-day answer or a clear time for one, and loop in a specialist (legal, "
        "security, billing) when the topic needs one.",
        "needs a specialist: same business day",
    ),
    EscalationType(
        "uncertain_ai",
        Urgency.NORMAL,
        "Check the AI's answer before the customer relies on it; correct it in the thread if it is wrong.",
        "the AI was not confident in its answer",
    ),
    EscalationType(
        "routine_review",
        Urgency.LOW,
        "Review when you can (within 24 h) and reply if the customer is still waiting.",
        "worth a look: within 24 h",
    ),
)
DEFAULT_APPROACH = "Read the thread, reply in it personally, and tell the customer what happens next."


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether a human is needed, as which escalation type, how urgently, and every hit behind it."""

    escalate: bool
    escalation_type: str | None = None
    urgency: Urgency | None = None
    hits: tuple[TriggerHit, ...] = ()
    suggested_approach: str = ""
    score: float = 0.0  # the highest hit score
    notes: tuple[str, ...] = field(default=())  # why nothing fired, e.g. "not a customer message"

    @property
    def reasons(self) -> tuple[str, ...]:
        """The kinds of the hits, in order, without repeats."""
        return tuple(dict.fromkeys(hit.kind.value for hit in self.hits))

    def explain(self) -> str:
        """One line per hit, for a card or a log."""
        if not self.hits:
            return "no trigger fired" + (f" ({'; '.join(self.notes)})" if self.notes else "")
        return "\n".join(f"{hit.kind.value} ({hit.score:.2f}): {hit.explanation}" for hit in self.hits)

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready form (the replay output line, without the id)."""
        return {
            "escalate": self.escalate,
            "type": self.escalation_type,
            "urgency": self.urgency.value if self.urgency else None,
            "reasons": list(self.reasons),
            "score": self.score,
            "explanations": [f"{h.rule_id}: {h.explanation}" for h in self.hits],
        }


NO_ESCALATION = Decision(escalate=False)
