"""Typing slips on the words that matter ("somrbody", "reclamaion", "complian"): one edit away, mapped back.

Only words of five letters or more are corrected, and never into a real word: REAL_WORDS lists the English
words one edit away from a target (found once with a word-frequency list, then
checked by hand: common misspellings such as "agaisnt" stay correctable), which stay as typed.
"""

from __future__ import annotations

from functools import lru_cache

TYPO_TARGETS: tuple[str, ...] = (
    "someone", "somebody", "person", "operator", "assistant", "representative", "talking", "speaking",
    "chatting", "contact", "contacting", "complaint", "complain", "reclamation", "supervisor", "customer",
    "consumer", "against", "business", "company", "organization", "human", "agent", "claim", "speak",
    "frustrated", "frustrating", "ridiculous", "unacceptable", "terrible", "horrible", "useless", "refund",
    "manager", "unhappy", "disappointed", "service", "waiting", "please",
)  # fmt: skip

REAL_WORDS = frozenset(
    """
agen agena agente ament anent arent argent avent awaiting baiting balking busyness catting chaim
chanting charting clair clam clim compliant consume consumed consumes contract contracting
declamation defund duman ebusiness gent gerson hatting heman homebody huan humana humane humano
hunan hyman lease manage managed manages manger parson peak peaking pearson perron persona pierson
pleas pleased pleaser pleases serviced servicer servile servite shuman simeone sneak sneaking spean
spear spearing speck stalking steak suman tacking taking tanager tanking tasking uman wafting
wailing waiving walking wanting wasting whiting writing
""".split()
)

_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _edits(word: str) -> set[str]:
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    out = {a + b[1:] for a, b in splits if b}
    out |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    out |= {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
    out |= {a + c + b for a, b in splits for c in _LETTERS}
    out.discard(word)
    return out


@lru_cache(maxsize=1)
def typo_map() -> dict[str, str]:
    """Misspelling -> intended word, for the targets above; built once (about 15k entries)."""
    mapping: dict[str, str] = {}
    for target in TYPO_TARGETS:
        if len(target) < 5:
            continue
        for variant in _edits(target):
            if variant in REAL_WORDS or variant in TYPO_TARGETS or variant in mapping:
                continue
            mapping[variant] = target
    return mapping
