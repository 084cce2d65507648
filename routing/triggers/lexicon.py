"""Built-in phrase patterns: how people ask for a human, reject a bot, or turn a request down.

These are patterns of speech, not memorised sentences: a contact verb near a human noun, a strong noun phrase
("live agent", "real person"), a rejection of the bot, a request for a phone number or a call. Each pattern is
a plain `re` built from word lists, bounded (no nested quantifiers) and run on at most a few thousand chars.
"""

from __future__ import annotations

import re

from routing.triggers.prefilter import Guarded, guard


def _alt(words: str) -> str:
    """A non-capturing alternation from a space/pipe separated word list, longest first."""
    items = sorted({w.strip() for w in words.split("|") if w.strip()}, key=len, reverse=True)
    return "(?:" + "|".join(items) + ")"


ARTICLE = r"(?:(?:a|an|the|your|ur|one of your|some|someone from your|another|other|one|any)\s+)?"
ADJ = _alt(
    "real|live|actual|human|physical|proper|non-robotic|non robotic|flesh and blood|breathing|"
    "customer service|"
    "customer support|customer care|support|sales|account|technical|tech|senior|dedicated|qualified|bank|"
    "other|different|competent|knowledgeable|specialist"
)
NOUN = _alt(
    "human|humans|human being|human agent|person|persons|someone|somebody|some one|some body|anyone|"
    "anybody|agent|agents|operator|operators|representative|representatives|rep|reps|manager|supervisor|"
    "specialist|advisor|adviser|staff|staff member|employee|worker|executive|assistant|team member|engineer|"
    "consultant|associate|csm|account manager|account executive|customer service|customer support|"
    "customer care|support team|support staff|support person|help desk|helpdesk|service desk|reception|"
    "receptionist|call center|call centre|your team|the team|someone else|somebody else|anyone else|"
    "individual|member of staff|team lead|account owner"
)
SWEAR = r"(?:(?:fucking|bloody|damn|goddamn|freaking|effing|stupid)\s+)?"
HUMAN = rf"{ARTICLE}{SWEAR}(?:{ADJ}\s+)?{NOUN}\b"
VERB = _alt(
    "speak|speaking|talk|talking|chat|chatting|contact|contacting|reach|reaching|connect|connecting|"
    "transfer|transferring|put me through|put me thru|pass me|passing me|get me|give me|hand me|"
    "escalate|escalating|get in touch|get a hold of|get ahold of|get hold of|get through|communicate|"
    "communicating|consult|hand this|hand it|pass this|pass it|route me|forward me|forward this|switch me|"
    "redirect me|take me"
)

# a contact verb, up to three short words, then a human noun: "talk to a live agent", "contact somebody"
CONTACT = re.compile(
    rf"\b{VERB}\b(?:\s+(?:to|with|through to|thru to|over to|me to|me with|me through to))?"
    rf"(?:\s+[a-z']+){{0,3}}?\s+{HUMAN}"
)
# nouns that ask for a person on their own: "live agent", "a real person", "the manager"
STRONG_NOUN = re.compile(
    r"\b(?:live|real|actual|human|proper|physical) (?:agent|person|human|rep|representative|operator|being|"
    r"people|support|help|staff|individual)s?\b|\bhuman (?:please|pls|plz|now|asap)\b|"
    r"\bcall (?:a|an|the|your) (?:live |real )?(?:agent|operator|representative|human|manager|supervisor)\b|"
    r"\b(?:the|a|your|ur) (?:manager|supervisor)\b|\bnon.?robotic\b|\bhuman (?:agent|operator|support|"
    r"help)\b|"
    r"\bflesh and blood\b|\bsomeone (?:else )?(?:on the (?:line|phone))\b"
)
# where a person works, qualifying "someone": "from your team", "in support", "at the company", "on your end"
_WORKPLACE = (
    r"(?:from|in|on|at|of|with) (?:your|ur|the|you guys'?|the company's|your company's) (?:[a-z]+ )?"
    r"(?:team|teams|support|side|end|staff|office|company|department|dept|desk|crew|people)"
)
# "one of your engineers", "one of your staff"
_ONE_OF_YOUR = (
    r"one of (?:your|ur|the) (?:team|staff|people|agents|reps|representatives|engineers|specialists|"
    r"experts|colleagues|advisors|advisers|managers|support (?:staff|agents|people|engineers))"
)
# "get someone to help", "can somebody take a look", "is anyone there", "need a person to"
SOMEONE = re.compile(
    r"\b(?:get|need|want|send|bring|assign|give me|put)\s+(?:me\s+)?(?:someone|somebody|some one|a person|"
    r"a human|an agent|a rep|an expert|a specialist|an engineer|someone else|somebody else|a manager|"
    r"a supervisor|a representative)\b|"
    r"\b(?:can|could|would|will|may|please|pls|plz|should|must) (?:(?:someone|somebody|anyone|anybody|"
    r"a person|a human|an agent|someone else|somebody else|a real person|a rep|an engineer)"
    # a person qualified by where they work: "someone from your team", "somebody in support"
    rf"(?: {_WORKPLACE})?|your team|{_ONE_OF_YOUR})\s+"
    r"(?:please\s+)?(?:help|look|take|check|call|get back|contact|reach|assist|review|sort|fix|"
    r"handle|explain|respond|reply|answer|confirm|ring|phone|email|message|dm|jump|hop)\b|"
    r"\bis (?:there )?(?:anyone|anybody|someone|somebody|a human|a person|an agent)"
    r" (?:there|here|available|around|awake|online|who|that|i can|to (?:help|talk|speak|assist))\b|"
    r"\b(?:anyone|anybody|someone|somebody) (?:there|available|home|around|awake|alive)\s*\?|"
    r"\b(?:need|want|like|prefer|rather|wish|request|require|demand|insist on)\s+(?:to\s+)?(?:have\s+)?"
    r"(?:a|an|some)\s+(?:real |live |actual |human )?(?:person|human|agent|operator|representative|rep|"
    r"specialist|manager|supervisor)\b"
)
# asking for a call, a phone number, a contact channel
CALL = re.compile(
    r"\bcall me back\b|^(?:please )?call ?back\b|"
    r"\b(?:can|could|would|please|pls|someone|somebody) (?:you |someone |somebody )?(?:please )?call me"
    r"(?= back| asap| now| today| tomorrow| at | on | when| please| pls| about| regarding|\s*[?.!,]|\s*$)|"
    r"\bgive (?:me|us) a (?:call|ring|phone call)\b|"
    r"\b(?:schedule|book|set up|setup|arrange|hop on|jump on|get on|organi[sz]e) (?:a |an )?(?:quick )?"
    r"(?:call|phone call|video call|zoom call|huddle)\b|"
    r"\b(?:give|send|share|provide|need|want|get|tell|what is|what's|whats|is there|where is|where's|find)"
    r" (?:me |us )?(?:a |an |the |your |ur )?(?:phone|telephone|contact|customer care|customer service|"
    r"consumer care|support|toll.?free|helpline|help line|hotline|call cent(?:er|re)) (?:number|no|#|line)\b|"
    r"^(?:(?:your|ur|the|a|my|need|want)\s+)?(?:customer care|customer service|consumer care|support|"
    r"toll.?free|"
    r"helpline|hotline|call cent(?:er|re)) (?:number|no|#|line)\b|"
    r"\b(?:how|where) (?:do|can|could|should) (?:i|we) (?:reach|contact|call|phone|email) (?:you|your|ur|the|"
    r"someone|somebody|support|customer)\b|"
    r"\b(?:want|wanna|need|like|how) to (?:get in touch|reach you|contact you|call you)\b|"
    r"\breach you guys\b|\bwhere do i call\b|\bi want your (?:phone |contact )?number\b|"
    r"\b(?:your|ur) (?:[a-z]+ )?(?:phone|contact|telephone) (?:number|no)\b|\bcontact (?:details|info|"
    r"information) (?:of|for) "
    r"(?:your|ur|the) (?:support|company|team|office)\b"
)
# turning the bot down is a request for a human: "you're not helping", "stop, I don't want to talk to a bot"
BOT_REJECTION = re.compile(
    r"\b(?:you|u|ur|you're|youre|this bot|the bot|this chat|this assistant|the assistant|this|it)"
    r"(?: are| r| is|'re|'s)? (?:not|n't|no) (?:helping|helpful|of (?:any )?help|understanding|listening)\b|"
    r"\b(?:you|u)(?: are|'re| r)? (?:useless|unhelpful|not a (?:real )?(?:person|human))\b|"
    r"\b(?:you|u) (?:can't|cannot|can not|cant|couldn't|don't|dont) (?:help|understand|answer) (?:me|my|"
    r"this)\b|"
    r"\b(?:this|the|our) (?:conversation|chat|bot|automated [a-z]+) (?:is|isn't|is not|was|'s)(?: not| n't)? "
    r"(?:working|going nowhere|leading anywhere|leading nowhere|getting anywhere|helping|useless|"
    r"pointless)\b|"
    r"\bnot (?:leading|going|getting) (?:anywhere|nowhere)\b|"
    r"\b(?:stop|quit|done|tired of|sick of|fed up with|enough of) (?:talking (?:to|with) |chatting (?:to|"
    r"with) )?"
    r"(?:a |the |this |these |you )?(?:bots?|machines?|robots?|automated (?:system|assistant|agent)s?|"
    r"virtual (?:agents?|assistants?)|chat ?bots?|ai)\b|"
    r"\b(?:don't|do not|dont|won't|will not) (?:want|wanna|like) (?:to )?(?:talk|speak|chat)(?:ing)? (?:to|"
    r"with) "
    r"(?:you|u|a bot|the bot|bots|a machine|a robot|an ai|the ai)\b|"
    r"\b(?:wasting|waste) (?:my |of )?time (?:with|talking to|on) (?:a |this |the )?(?:machine|bot|robot|"
    r"you)\b|"
    r"\bnot (?:talking|speaking|chatting) (?:to|with) (?:a |the )?(?:bot|machine|robot)\b|"
    r"\bare you (?:a )?(?:bot|robot|machine|real|human)\b"
)
# a bare request: the whole message is "agent", "human please", "representative!"
BARE_NOUN = re.compile(
    r"^(?:(?:hi|hello|hey|ok|okay|please|pls|plz|i need|i want|need|want|get|give me|connect|talk to|talk|"
    r"speak to|speak|chat|call)\s+)*(?:an? |the )?(?:live |real |human )?(?:agent|human|person|operator|"
    r"representative|rep|manager|supervisor|someone|somebody|support|customer service|customer care|"
    r"live chat|"
    r"talk|call me|callback|call back|escalate|escalation)(?:\s+(?:please|pls|plz|now|asap|already))*\W*$"
)
ESCALATE = re.compile(r"\bescalat(?:e|ing|ion)\b(?! (?:of|in) (?:privileges?|price|costs?))")
# the contact verb itself misspelt past repair ("cat with a person", "taok to an agent")
SLOT = re.compile(
    r"\b(?:to|wanna|how do i|how can i|can i|could i|help me|want to|need to|try to) [a-z]{2,9} "
    r"(?:to|with|wth|wit|wiht|wirh|w) (?:a |an |the |some )?(?:live |real |human )?(?:person|human|operator|"
    r"agent|representative|somebody|someone|assistant|supervisor|manager)\b"
)

# negation of a request found just before it, in the same clause: "no need to talk to a person"
NEGATION_BEFORE = re.compile(
    r"(?:\bno need\b|\bnot necessary\b|\bunnecessary\b|\b(?:don't|do not|dont|doesn't|does not|didn't|"
    r"did not|won't|will not|wouldn't|would not|no longer|never) (?:really |actually |even )?"
    r"(?:need|want|wanna|require|have to)\b|"
    r"\bneedn't\b|\bnever ?mind\b|\brather not\b|\bprefer not\b|"
    r"\bwithout\b(?! (?:further |any )?(?:delay|waiting))|\bno thanks\b|"
    r"\bnot (?:looking|trying|asking|going) (?:for|to)\b|\binstead of\b|"
    # "no one": not when it is the subject of what follows ("no one is answering, connect me to an agent")
    r"\bno (?:real |live |human )?(?:agent|human|person|rep)s?\b|\bno one\b(?! (?:is|was|has|had|will|"
    r"would|can|could|seems|cares|answers|answered|replies|replied|responds|responded|helps|helped|picks|"
    r"picked|gets|got|reads|read)\b)|\bnot (?:a |an )?(?:agent|human|person)\b|"
    r"\bcancel (?:the|my) (?:request|callback|call)\b|\bno (?:call|callback)\b)[^.!?;,]{0,80}$"
)
# the hand-over itself refused, right before the request it governs: "please don't connect me to an agent",
# "do not escalate this", "don't escalate this to a manager"; not "don't transfer me to a bot - I need one"
NEGATED_HANDOVER = re.compile(
    r"\b(?:don't|do not|dont|please stop|no need to)\s+"
    r"(?:(?:connect|transfer|escalate|forward|put)\w*(?:\s+\S+){0,3}\s+(?:to|with)"
    r"(?:\s+(?:a|an|the|your|any|one of your))?(?:\s+(?:real|live|actual))?)?\s*$"
)
NEGATION_AFTER = re.compile(
    r"^[^.!?;,]{0,25}\b(?:is |are )?(?:not needed|not necessary|unnecessary|no longer needed|not required)\b"
)
# where a clause ends: a negator before it does not govern a request after it ("no one is answering so
# please connect me to an agent", "I don't want to wait any longer and need to speak to someone"). "and"
# followed by a verb that carries on the negated action does not end it ("without calling support and
# talking to an agent", "I don't want to wait on hold and speak to an agent"), nor "to please".
CLAUSE_BREAK = re.compile(
    r"[.!?;,]| but | though | however | so | let me |(?<! to) please "
    r"| and (?!(?:\w+ing|speak|talk|chat|call|ring|phone|escalate|connect|get|pick|contact|reach)\b)"
)

# each family's pattern behind its literal prefilter (prefilter.py): run only when one of its words is there
EXPLICIT_FAMILIES: tuple[tuple[str, Guarded, float], ...] = tuple(
    (family, guard(pattern), weight)
    for family, pattern, weight in (
        ("asks to contact a person", CONTACT, 0.95),
        ("names a human", STRONG_NOUN, 0.9),
        ("asks for someone", SOMEONE, 0.85),
        ("asks for a call or a number", CALL, 0.8),
        ("turns the bot down", BOT_REJECTION, 0.8),
        ("asks for a human in one word", BARE_NOUN, 0.9),
        ("asks to escalate", ESCALATE, 0.8),
        ("asks to reach a person", SLOT, 0.75),
    )
)
