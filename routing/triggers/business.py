"""deal_moment, sensitive_topic and high_value: business signals that need a person, not the bot.

Routine consumer questions ("I want a refund", "cancel my order", "how do I close my account", "what are your
fees") must stay with the bot, so each family needs a real signal: contract and renewal talk, procurement,
competitors, legal threats, security incidents, compliance requests, outages. Churn talk ("cancel our
subscription") and buying signals ("50 more seats") fire only for a known account, which replay lacks.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from routing.decision import TriggerHit, TriggerKind
from routing.rules import RuleSet, TriggerRule
from routing.triggers.context import Context
from routing.triggers.prefilter import Guarded, guard

Family = tuple[str, Guarded, float, bool]  # label, pattern, score, needs an account

DEAL: tuple[Family, ...] = (
    ("contract or renewal", guard(re.compile(
        r"\b(?:our|the|my|this|a) (?:contract|msa|master services agreement|order form|sow|renewal|"
        r"subscription "
        r"renewal|license renewal)\b(?:.{0,40}\b(?:renew|renewal|terms|negotiat|discount|price|pricing|"
        r"expire|"
        r"expiring|extend|sign|review|redline|end|ending|up for))|\b(?:renewal|renew) (?:quote|pricing|price|"
        r"terms|discount|negotiation|call|date|is coming|coming up)\b|\bup for renewal\b|\bredlines?\b|"
        r"\bmulti.?year (?:deal|contract|agreement|commitment)\b|\bnegotiat\w+ (?:the |our )?(?:price|"
        r"pricing|"
        r"contract|terms|discount|renewal)\b")), 0.8, False),
    ("procurement or security review", guard(re.compile(
        r"\b(?:procurement|purchase order|vendor (?:onboarding|assessment|review|questionnaire)|security "
        r"(?:questionnaire|review|assessment)|soc ?2 (?:report|type)|pen(?:etration)? test report|"
        r"(?:sign|signed|need) (?:a |an |the )?(?:dpa|nda|baa)|"
        r"legal review of the contract)\b")), 0.75, False),
    ("competitor evaluation", guard(re.compile(
        r"\b(?:evaluating|comparing|considering|looking at|trialing|trialling|talking to) (?:other |a few )?"
        r"(?:competitors?|alternatives?|other (?:vendors|providers|solutions|tools))\b|\bcompetitor(?:'s)? "
        r"(?:offer|quote|pricing|price)\b|\b(?:match|beat) (?:their|a competitor's|the competitor's) "
        r"(?:price|offer|quote)\b")), 0.8, False),
    ("volume pricing", guard(re.compile(
        r"\b(?:volume|enterprise|annual|multi.?seat|team|bulk|custom) (?:discount|pricing|quote|plan|"
        r"agreement|license|licence)\b(?!.{0,20}\bfor (?:my|a) (?:personal|family))")), 0.6, True),
    ("churn risk", guard(re.compile(
        r"\b(?:cancel|terminate|end|not renew|won't renew|will not renew|downgrade)\w* (?:our|the|my) "
        r"(?:contract|subscription|account|plan|licen[cs]es?|seats|agreement)\b|\b(?:moving|switching|"
        r"migrating) (?:away|to (?:a )?(?:competitor|another vendor|another provider))\b")), 0.8, True),
)  # fmt: skip

SENSITIVE: tuple[Family, ...] = (
    ("legal threat", guard(re.compile(
        r"\b(?:lawyers?|attorneys?|solicitors?|legal (?:action|counsel|department|team|proceedings)|"
        r"lawsuit|sue|suing|litigation|court|small claims|cease and desist|class action|ombudsman|"
        r"regulator|trading standards|attorney general|better business bureau)\b")), 0.85, False),
    ("security incident", guard(re.compile(
        r"\b(?:data breach|security (?:breach|incident|issue|vulnerability|hole)|breached|been hacked|"
        r"got hacked|"
        r"was hacked|compromised|unauthori[sz]ed access|leaked|data leak|exposed (?:data|credentials|keys)|"
        r"vulnerability|cve-\d+|phishing|ransomware|malware)\b")), 0.9, False),
    ("compliance request", guard(re.compile(
        r"\b(?:gdpr|ccpa|hipaa|dsar|subject access request|right to (?:be forgotten|erasure)|data processing "
        r"agreement|data residency|personal data (?:request|deletion|export)|delete all (?:my|our) "
        r"(?:personal )?data|audit log export|compliance (?:team|requirement|audit))\b")), 0.8, False),
    ("outage", guard(re.compile(
        r"\b(?:outage|service (?:is )?down|(?:site|app|api|platform|system|production|prod|everything|"
        r"dashboard)"
        r" (?:is |seems |went |has gone )?(?:down|offline|unreachable)|all (?:of )?(?:our|my) users (?:are|"
        r"can't)|"
        r"nobody (?:on|in) (?:our|my) team can|5\d\d errors?|sev ?[12]|p[01] (?:incident|"
        r"issue))\b")), 0.85, False),
    ("billing dispute", guard(re.compile(
        r"\b(?:chargeback|dispute (?:the|this|a|my) (?:charge|invoice|payment)|disputing|fraudulent charge|"
        r"invoice is wrong|billed (?:twice|incorrectly|wrongly)|overbilled|"
        r"incorrect invoice)\b")), 0.7, False),
)  # fmt: skip

BUYING: tuple[Family, ...] = (
    ("buying signal", guard(re.compile(
        r"\b(?:\d+|more|additional|extra|another \d+) (?:seats|licen[cs]es|users|accounts) (?:for|to|on)\b|"
        r"\b(?:add|adding|buy|buying|purchase|purchasing|expand|expanding)\b.{0,25}\b(?:seats|licen[cs]es|"
        r"users|"
        r"team members)\b|\b(?:upgrade|upgrading|move|moving) (?:to|us to) (?:the )?(?:enterprise|business|"
        r"premium|pro|team) (?:plan|tier|edition)\b|\b(?:our|the) budget (?:for|is|this)\b|\broll(?:ing)? "
        r"(?:it |this )?out to (?:the whole|our|all)\b|\b(?:enterprise|company.?wide|org.?wide) "
        r"(?:plan|rollout|deployment|license)\b")), 0.75, True),
)  # fmt: skip


def _qualifies(ctx: Context, rule: TriggerRule) -> tuple[bool, str]:
    account = ctx.account
    if account is None or not ctx.account_known:
        return False, ""
    tiers = {t.lower() for t in rule.account_tiers}
    if account.tier and account.tier.lower() in tiers:
        return True, f"tier {account.tier}"
    if rule.min_account_value and account.value >= rule.min_account_value:
        return True, f"value {account.value:,.0f}"
    return False, ""


def _detect(
    kind: TriggerKind, families: tuple[Family, ...], who: str
) -> Callable[[Context, TriggerRule, RuleSet], TriggerHit | None]:
    family_bits = sum(pattern.bit for _, pattern, _, _ in families)

    def detect(ctx: Context, rule: TriggerRule, rules: RuleSet) -> TriggerHit | None:
        lower = ctx.text.lower
        found: list[tuple[str, str, float]] = []
        bits = ctx.bits if rule.builtin else 0
        if bits & family_bits:
            for label, pattern, score, needs_account in families:
                if not bits & pattern.bit or (needs_account and not ctx.account_known):
                    continue
                match = pattern.regex.search(lower)
                if match is not None:
                    found.append((label, match.group(0), score))
        extra, notes = rules.matcher(rule.id).find(lower)
        found.extend(("matches the rule's list", words, 0.8) for words in extra)
        if not found:
            return None
        account_note = ""
        if kind is TriggerKind.HIGH_VALUE or rule.require_account:
            ok, why = (
                _qualifies(ctx, rule) if kind is TriggerKind.HIGH_VALUE else (ctx.account_known, "known")
            )
            if not ok:
                return None
            account_note = f" from account {ctx.account.name or '?'} ({why})" if ctx.account else ""
        best = max(found, key=lambda f: f[2])
        if best[2] < rule.threshold:
            return None
        evidence = tuple(dict.fromkeys(f'"{w.strip()}"' for _, w, _ in found))[:5]
        return TriggerHit(
            kind=kind,
            rule_id=rule.id,
            score=best[2],
            evidence=evidence + notes,
            explanation=f"{who}{best[0]}{account_note}: {', '.join(evidence[:3])}",
        )

    return detect


DEAL_BITS = sum(pattern.bit for _, pattern, _, _ in DEAL)
SENSITIVE_BITS = sum(pattern.bit for _, pattern, _, _ in SENSITIVE)
BUYING_BITS = sum(pattern.bit for _, pattern, _, _ in BUYING)

detect_deal = _detect(TriggerKind.DEAL_MOMENT, DEAL, "Deal moment - ")
detect_sensitive = _detect(TriggerKind.SENSITIVE_TOPIC, SENSITIVE, "Sensitive topic - ")
detect_high_value = _detect(TriggerKind.HIGH_VALUE, BUYING, "High-value ")
