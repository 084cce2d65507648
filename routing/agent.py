"""The AI agent's use cases: asking for a human over the HTTP API, learning whether a human took over, and
the API tokens it authenticates with.

Mixed into BatonService (like the sweep and delivery support). An escalation request takes the path a
customer's message takes: the conversation's last customer message is decided on again (now with the
agent's confidence), the agent's own request is one more trigger hit, and the handoff opens or merges.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from routing import notifications as notify
from routing.config import BatonConfig
from routing.decision import DEFAULT_APPROACH, Decision, TriggerHit, TriggerKind
from routing.errors import BatonError, Conflict, NotFound
from routing.handoffs import AGENT_RULE, Change
from routing.models import (
    Actor,
    AIAssessment,
    ApiToken,
    AuditEntry,
    AuthorKind,
    ChangeSource,
    EventSource,
    Handoff,
    MessageFacts,
    StoredMessage,
    WatchedChannel,
    ts_order,
)
from routing.ports import LiveHandoffExists, Store, UnitOfWork
from routing.rules import RuleSet
from routing.triggers.engine import decide

logger = logging.getLogger(__name__)
CLI_ACTOR = Actor(user_id="cli", source=ChangeSource.CLI)  # `baton tokens …` without --actor

DEFAULT_AGENT_TYPE = "uncertain_ai"
HISTORY = 20
ATTEMPTS = 3


class InvalidRequest(BatonError):
    """A request the domain refuses, naming the field at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class ChannelNotWatched(NotFound):
    """The channel is not one Baton watches."""


class UnknownConversation(NotFound):
    """Baton has stored no message of this conversation."""


@dataclass(frozen=True, slots=True)
class EscalationRequest:
    """The AI agent asks for a human in a conversation, with its own view of it."""

    channel_id: str
    thread_ts: str
    reason: str
    confidence: float | None = None
    summary: str = ""
    suggested_approach: str = ""
    intent: str = ""
    escalation_type: str | None = None  # None: what the triggers say, else the default for agents
    agent: str = ""  # who asked: the API token's name


class EscalationOutcome(StrEnum):
    OPENED = "opened"
    MERGED = "merged"  # added to the conversation's live handoff
    UNCHANGED = "unchanged"  # the live handoff knew all of it already


@dataclass(frozen=True, slots=True)
class EscalationResult:
    outcome: EscalationOutcome
    handoff: Handoff
    decision: Decision


@dataclass(frozen=True, slots=True)
class ConversationStatus:
    """Whether humans have a conversation: its live handoff, else its last closed one."""

    channel_id: str
    thread_ts: str
    known: bool  # Baton has stored messages of it
    handoff: Handoff | None

    @property
    def human_engaged(self) -> bool:
        """A rep claimed the live handoff: the AI agent should stay out of the thread."""
        return self.handoff is not None and self.handoff.human_engaged

    @property
    def handoff_live(self) -> bool:
        """Humans were asked to take over and have not closed the handoff yet."""
        return self.handoff is not None and self.handoff.state.is_live


def hash_token(token: str) -> str:
    """The stored form of an API token (tokens are long random strings: a plain SHA-256 is enough)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def agent_decision(request: EscalationRequest, triggered: Decision, rules: RuleSet) -> Decision:
    """The decision for an agent's request: the triggers' hits plus the agent's, always escalating."""
    if request.escalation_type is not None:
        chosen = rules.escalation_type(request.escalation_type)
        if chosen is None:
            known = ", ".join(t.name for t in rules.escalation_types)
            raise InvalidRequest(
                "type", f"unknown escalation type {request.escalation_type!r} (known: {known})"
            )
    elif triggered.escalate and triggered.escalation_type is not None:
        chosen = rules.escalation_type(triggered.escalation_type)
    else:
        chosen = rules.escalation_type(DEFAULT_AGENT_TYPE)
    if chosen is None:  # the default type was removed from the configuration: the last one in precedence
        chosen = rules.escalation_types[-1]
    evidence = [f"reason: {request.reason}"]
    if request.confidence is not None:
        evidence.append(f"confidence {request.confidence:.2f}")
    hit = TriggerHit(
        kind=TriggerKind.LOW_CONFIDENCE,
        rule_id=AGENT_RULE,
        score=1.0 if request.confidence is None else 1.0 - request.confidence,
        evidence=tuple(evidence),
        explanation=f"The AI agent{f' ({request.agent})' if request.agent else ''} asked for a human: "
        + request.reason[:200],
    )
    urgency = chosen.urgency
    if triggered.urgency is not None and triggered.urgency.rank > urgency.rank:
        urgency = triggered.urgency
    approach = request.suggested_approach.strip() or chosen.approach or DEFAULT_APPROACH
    return Decision(
        escalate=True,
        escalation_type=chosen.name,
        urgency=urgency,
        hits=(*triggered.hits, hit),
        suggested_approach=approach,
        score=max([hit.score, *(h.score for h in triggered.hits)]),
    )


class AgentRequests:
    """What the AI agent asks of Baton over the HTTP API, and the tokens it does so with."""

    config: BatonConfig
    _store: Store
    _clock: Callable[[], datetime]

    async def watched_channel(self, channel_id: str) -> WatchedChannel | None:
        raise NotImplementedError

    async def _open(
        self,
        tx: UnitOfWork,
        decision: Decision,
        facts: MessageFacts,
        channel: WatchedChannel,
        now: datetime,
        *,
        source: EventSource = EventSource.MESSAGE,
    ) -> Handoff:
        raise NotImplementedError

    async def _commit_change(
        self, tx: UnitOfWork, before: Handoff, change: Change, source: EventSource, actor: str, now: datetime
    ) -> Handoff:
        raise NotImplementedError

    def _merged(
        self, live: Handoff, decision: Decision, facts: MessageFacts, channel: WatchedChannel, now: datetime
    ) -> Change | None:
        raise NotImplementedError

    async def _event(
        self, tx: UnitOfWork, handoff: Handoff, kind: str, source: EventSource, actor: str, **data: object
    ) -> None:
        raise NotImplementedError

    def _outbox_written(self) -> None:
        raise NotImplementedError

    # ---- escalation requests ----

    async def escalate(self, request: EscalationRequest) -> EscalationResult:
        """Open the conversation's handoff, or add the request to its live one; events carry source `api`.

        An explicit request is honoured even in the cooldown after a handoff closed: the agent asked.
        """
        channel = await self.watched_channel(request.channel_id)
        if channel is None:
            raise ChannelNotWatched(f"Baton does not watch channel {request.channel_id}")
        now = self._clock()
        for _ in range(ATTEMPTS):
            try:
                async with self._store.transaction() as tx:
                    result = await self._escalate(tx, request, channel, now)
            except (Conflict, LiveHandoffExists):
                # a rep or a message changed the handoff meanwhile, or another request (or a message on
                # another replica) opened it first: decide again on fresh state, merging into it
                continue
            if result.outcome is not EscalationOutcome.UNCHANGED:
                self._outbox_written()
            return result
        raise Conflict("the conversation's handoff kept changing; try again")

    async def _escalate(
        self, tx: UnitOfWork, request: EscalationRequest, channel: WatchedChannel, now: datetime
    ) -> EscalationResult:
        history = await tx.conversations.messages(
            channel_id=request.channel_id, thread_ts=request.thread_ts, limit=HISTORY
        )
        subject = _subject(history, request, at=now)
        if subject is None:
            raise UnknownConversation(
                f"Baton has no message of conversation {request.channel_id}/{request.thread_ts}"
            )
        earlier = [m for m in history if ts_order(m.ts) < ts_order(subject.ts)]
        triggered = decide(
            subject, history=earlier, rules=self.config.rules, account=channel.account, now=now
        )
        decision = agent_decision(request, triggered, self.config.rules)
        note = {"reason": request.reason, "confidence": request.confidence, "intent": request.intent}
        live = await tx.handoffs.live_for(channel_id=request.channel_id, thread_ts=request.thread_ts)
        if live is None:
            handoff = await self._open(tx, decision, subject, channel, now, source=EventSource.API)
            await self._event(tx, handoff, "agent_request", EventSource.API, request.agent, **note)
            return EscalationResult(EscalationOutcome.OPENED, handoff, decision)
        change = self._merged(live, decision, subject, channel, now)
        if change is None:
            # Nothing new for the card, but the request is on the record, and a new reason reaches the rep.
            await self._event(tx, live, "agent_request", EventSource.API, request.agent, **note)
            digest = hashlib.sha256(request.reason.encode("utf-8")).hexdigest()[:16]
            text = ":robot_face: The AI agent asked again: "
            await tx.outbox.enqueue(
                notify.thread_note(
                    live, text=text, quoted=request.reason, now=now, dedupe=f"agent:{live.id}:{digest}"
                )
            )
            self._outbox_written()
            return EscalationResult(EscalationOutcome.UNCHANGED, live, decision)
        merged = await self._commit_change(tx, live, change, EventSource.API, request.agent, now)
        await self._event(tx, merged, "agent_request", EventSource.API, request.agent, **note)
        return EscalationResult(EscalationOutcome.MERGED, merged, decision)

    async def conversation_status(self, *, channel_id: str, thread_ts: str) -> ConversationStatus:
        """Whether humans have the conversation now (its live handoff, else the last closed one)."""
        if await self.watched_channel(channel_id) is None:
            raise ChannelNotWatched(f"Baton does not watch channel {channel_id}")
        async with self._store.transaction(readonly=True) as tx:
            known = await tx.conversations.get(channel_id=channel_id, thread_ts=thread_ts) is not None
            handoff = await tx.handoffs.live_for(channel_id=channel_id, thread_ts=thread_ts)
            if handoff is None:
                handoff = await tx.handoffs.last_closed_for(channel_id=channel_id, thread_ts=thread_ts)
        return ConversationStatus(channel_id=channel_id, thread_ts=thread_ts, known=known, handoff=handoff)

    # ---- API tokens ----

    async def create_api_token(self, *, name: str, token_hash: str, actor: Actor = CLI_ACTOR) -> ApiToken:
        """Store a new token's hash under a name no active token has, with an audit entry."""
        name = name.strip()
        if not name or len(name) > 100:
            raise InvalidRequest("name", "a token needs a name of 1 to 100 characters")
        async with self._store.transaction() as tx:
            token = await tx.api_tokens.add(
                ApiToken(name=name, token_hash=token_hash, created_at=self._clock())
            )
            if token is not None:
                await tx.audit_log.append(self._token_entry(actor, "token.create", None, token))
        if token is None:
            raise Conflict(f"an active token is named {name!r} already; revoke it first or pick another name")
        return token

    async def revoke_api_token(self, name_or_id: str, *, actor: Actor = CLI_ACTOR) -> ApiToken:
        """Revoke an active token named so (or, for digits, with that id), with an audit entry."""
        async with self._store.transaction() as tx:
            token = await tx.api_tokens.revoke(name=name_or_id, at=self._clock())
            if token is None and name_or_id.isascii() and name_or_id.isdigit() and int(name_or_id) < 2**63:
                token = await tx.api_tokens.revoke(token_id=int(name_or_id), at=self._clock())
            if token is not None:
                before = replace(token, revoked_at=None)
                await tx.audit_log.append(self._token_entry(actor, "token.revoke", before, token))
        if token is None:
            raise NotFound(f"no active token is named {name_or_id!r} or has that id")
        return token

    def _token_entry(self, actor: Actor, action: str, before: ApiToken | None, after: ApiToken) -> AuditEntry:
        """An audit entry of a token made or revoked (its id, name and times; never its hash)."""

        def seen(token: ApiToken | None) -> dict[str, Any] | None:
            if token is None:
                return None
            revoked = token.revoked_at.isoformat() if token.revoked_at else None
            return {"id": token.id, "name": token.name, "created_at": token.created_at.isoformat(),
                    "revoked_at": revoked}  # fmt: skip

        return AuditEntry(
            at=self._clock(), actor_id=actor.user_id, actor_team=actor.team_id, source=actor.source,
            action=action, target=after.name, before=seen(before), after=seen(after),
        )  # fmt: skip

    async def api_tokens(self) -> list[ApiToken]:
        """Every token, active and revoked, oldest first."""
        async with self._store.transaction(readonly=True) as tx:
            return await tx.api_tokens.list()

    async def authenticate(self, token: str) -> ApiToken | None:
        """The active token a bearer value is, or None."""
        async with self._store.transaction(readonly=True) as tx:
            found = await tx.api_tokens.by_hash(token_hash=hash_token(token))
        return found if found is not None and found.active else None


def _subject(
    history: list[StoredMessage], request: EscalationRequest, *, at: datetime
) -> MessageFacts | None:
    """The message the request is about: the conversation's last customer message (else its last message),
    carrying the agent's assessment."""
    kept = [m for m in history if not m.deleted] or history
    if not kept:
        return None
    customer = [m for m in kept if m.author_kind is AuthorKind.CUSTOMER]
    message = (customer or kept)[-1]
    assessment = AIAssessment(confidence=request.confidence, summary=request.summary, intent=request.intent)
    return message.as_facts(received_at=at, assessment=assessment)
