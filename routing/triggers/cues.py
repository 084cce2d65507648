"""Frustration cues: the ways customers show they are fed up, each a named, bounded pattern family.

A cue is evidence, not a verdict: the frustration scorer weighs the cues found with the sentiment numbers.
"""

from __future__ import annotations

import re

from routing.triggers.prefilter import Guarded, guard

_SERVICE = (
    r"(?:service|services|support|customer service|customer support|experience|app|website|web site|site|"
    r"company|system|product|airline|bank|staff|team|help|response|communication|platform|tool|software)"
)
_BAD = (
    r"(?:terrible|horrible|awful|pathetic|poor|bad|lousy|crap|crappy|shit|shitty|appalling|abysmal|atrocious|"
    r"disgraceful|shocking|dreadful|useless|worthless|rubbish|garbage|trash|diabolical|unacceptable|worst|"
    r"incompetent|ridiculous|horrendous|disgusting|substandard|sub-par|subpar|unprofessional|rude|stupid|"
    r"dumb|"
    r"idiotic|joke of a)"
)

_CUES: dict[str, re.Pattern[str]] = {
    # filing a complaint or a claim against the company
    "complaint": re.compile(
        r"\b(?:file|filing|lodge|lodging|make|making|raise|raising|submit|submitting|register|registering|"
        r"open|opening|log|logging|put in|write|writing|place|placing|report|issue)\s+(?:a |an |my |the |"
        r"one )?"
        r"(?:[a-z]+ ){0,2}(?:complaint|claim|reclamation|grievance)s?\b|"
        r"\b(?:want|wanna|need|have|going|like|how|where|would like|i'd like|i) to complain\b|"
        r"\bhow (?:do|can|could|should) i complain\b|^complain\b|"
        r"\b(?:complaint|claim|reclamation)s? (?:against|about) (?:your|ur|the|this) \w+|"
        r"\b(?:customer|consumer) (?:complaint|claim|reclamation)s?\b|\bhow to complaint\b"
    ),
    # insults and verdicts aimed at us: "you are useless", "worst service", "waste of time"
    "abuse": re.compile(
        rf"\b(?:you|u|ur|you're|youre|you guys|you people|you lot|y'all|this app|this site|this bot|"
        rf"this company|"
        rf"your company)"
        rf"(?: are| r| is|'re)? (?:so |such |really |very |totally |completely |absolutely |the )?(?:a |an )?"
        rf"(?:useless|stupid|dumb|idiots?|horrible|pathetic|incompetent|joke|worthless|terrible|worst|awful|"
        rf"clowns|morons?|frauds?|scam|liars?|thieves|crooks|rubbish|hopeless|ridiculous|disgrace|disgusting|"
        rf"bitch|bastards?|a waste)\b|"
        rf"\b{_BAD}\s+(?:[a-z]+\s+)?{_SERVICE}\b|\b{_SERVICE} (?:is|was|has been|are|were) (?:so |really |"
        rf"very |"
        rf"absolutely |just |beyond )?{_BAD}\b|"
        r"\bwast(?:e|ing|ed) (?:of )?(?:my |our )(?:time|money)\b|\bwaste (?:of an? )?app\b|"
        r"\b(?:you|you guys|your company|this company|this app) (?:are|is) (?:a )?(?:fraud|scam|rip.?off)\b"
    ),
    # the assistant is not helping: a complaint about the answers themselves
    "unhelpful": re.compile(
        r"\b(?:you|u|this|it|that|the bot|the assistant|virtual assistan(?:t|ce)|the answers?|your answers?)"
        r"(?: are| r| is|'re|'s)? (?:not|n't|no|never|of no) (?:helping|helpful|help|useful|answering|"
        r"understanding|listening|working for me)\b|^not helping\b|"
        r"\b(?:you|u) (?:have not|haven't|havent|did not|didn't|didnt|are not|aren't|r not) (?:helped|"
        r"answered|"
        r"answering|understood|understanding)\b|\bnot what i (?:asked|said|meant|wanted)\b|"
        r"\b(?:don't|dont|do not) (?:like|understand) (?:your|ur|the|these) (?:answers?|responses?|"
        r"replies)\b|"
        r"\b(?:useless|pointless|unhelpful|stupid|dumb) (?:troubleshooting |canned |automated |"
        r"generic )?(?:answers?|"
        r"responses?|steps|advice|suggestions|links|articles|bot|chat ?bot|assistant|"
        r"replies)\b|"
        r"\bis of no help\b|\bno help (?:at all|whatsoever)\b|\bnot answering my\b|\bdidn't answer my\b"
    ),
    # accusations in general: "rip off", "scam", "not worth the money"
    "accusation": re.compile(
        r"\brip.?off\b|\bscam(?:mers|med)?\b|\bfraud(?:ulent|sters?)?\b|\bcon artists?\b|\bshambles\b|"
        r"\bnot worth (?:the|it|a)\b|\bripping (?:me|us|people) off\b|\bwast(?:e|ing|ed) (?:of )?(?:my |our |"
        r"your )?(?:time|money)\b|\bhidden (?:fees?|charges?|costs?)\b|\bdaylight robbery\b|\bdeceptive\b|"
        r"\brobb(?:ed|ing|ery)\b|\brob (?:me|us|people|customers|passengers)\b|\bconned\b|\bfleec(?:ed|"
        r"ing)\b|\b(?:price )?goug(?:e|ed|ing)\b|"
        r"\bnickel.?and.?dim\w*\b|\bshafted\b|\btaking (?:me|us|customers|people|passengers) for (?:a ride|"
        r"fools|idiots|granted|mugs)\b"
    ),
    # feelings named outright
    "emotion": re.compile(
        r"\b(?:frustrat(?:ed|ing|ion)|annoy(?:ed|ing)|angry|anger|furious|livid|pissed|fuming|irritat(?:ed|"
        r"ing)|"
        r"exasperat(?:ed|ing)|infuriat(?:ed|ing)|outrag(?:ed|eous)|horrified|appalled|appalling|disgusted|"
        r"disappoint(?:ed|ing|ment)|dissatisf(?:ied|action)|unhappy|not (?:happy|satisfied|pleased|"
        r"impressed)|"
        r"upset|fed up|sick (?:and tired )?of|tired of|had enough|enough is enough|at my wits|"
        r"ridiculous|unacceptable|absurd|insane|crazy|madness|nightmare|ludicrous|disgrace(?:ful)?|"
        r"shocked|shocking|terrible|horrible|awful|worst|hate|sucks|sucked|unbelievable|incredible that|"
        r"beyond (?:a )?joke|a joke|jaw dropped|bad taste|never again|lied|lies|liars?|rude|misleading|"
        r"deceptive|deceived|fooled|cheated|stranded|miserable|vile|diabolical|dreadful|poor(?:ly)?|"
        # verdicts on a thing, and states a customer names: "pathetic", "stressed", "lost for words"
        r"pathetic|disgusting|atrocious|abysmal|horrendous|shambolic|laughable|stupid|idiotic|pointless|"
        r"stress(?:ed|ful)|distraught|devastated|gutted|in tears|humiliat(?:ed|ing)|insult(?:ed|ing)|"
        r"embarrass(?:ed|ing)|filthy|"
        r"speechless|lost for words|gobsmacked|flabbergasted|dumbfounded|baffled|bewildered|the last straw|"
        r"driv(?:es|ing) me (?:mad|crazy|nuts|insane|up the wall|round the bend))\b"
    ),
    # it has gone on for a while, or again
    "persistence": re.compile(
        r"\bstill (?:not|no|waiting|haven't|hasn't|havent|hasnt|can't|cannot|cant|doesn't|doesnt|isn't|"
        r"unable|"
        r"broken|nothing|don't|dont|didn't|have not|has not|been|getting|showing|having|the same)\b|"
        r"\b(?:for|over|past|last|almost|nearly) (?:the )?(?:\d+|two|three|four|five|six|several|many|"
        r"multiple|a few|few) (?:\+ )?(?:days|weeks|months|hours|years|times|calls|emails|attempts)\b|"
        r"\b(?:yet )?again and again\b|\byet again\b|\bonce again\b|\bevery (?:single )?time\b|"
        r"\bkeeps? (?:on )?(?:asking|happening|failing|crashing|saying|telling|sending|charging|dropping|"
        r"getting|going|logging|happening)\b|\bhow many (?:more )?times\b|\bover and over\b|"
        r"\b(?:been|keep|kept) (?:calling|waiting|trying|asking|emailing|chasing|contacting)\b|"
        # the same effort repeated: "tried that twice", "asked you three times", "third time i'm asking"
        r"\b(?:tried|asked|told you|explained|called|emailed|written|wrote|reported|contacted you|chased)"
        r" (?:this |that |it |you |again |already )?(?:twice|(?:two|three|four|five|six|seven|eight|nine|"
        r"ten|\d+) times|"
        r"several times|"
        r"multiple times|many times|numerous times|countless times|a dozen times)\b|"
        r"\b(?:second|third|fourth|fifth|\d+(?:nd|rd|th)|umpteenth|nth|hundredth) time (?:that )?"
        r"(?:i'm|i am|i've|i have|we're|we are|we've|we have|i|we) (?:now )?(?:asking|asked|ask|writing|"
        r"written|write|wrote|contacting|contacted|calling|called|reporting|reported|chasing|chased|raising|"
        r"raised|emailing|emailed|messaging|explaining|explained|requesting|requested|complaining)\b|"
        r"\bno (?:one|body|1) (?:is |ever |even |actually )?(?:answer|respond|repl|help|pick|call|"
        r"get)s?(?:ing|ed)?\b|"
        r"\bnever (?:works|worked|fixed|received|got|answer|heard|respond|returned|arrived|get)\w*\b|"
        r"\bno (?:response|reply|answer|update|word|feedback)s?\b|\btoo often\b|\balways (?:have|has) to\b|"
        r"\b(?:long )?overdue\b|\bon hold for\b|\bwaited\b|\bhours? (?:on|of) (?:the )?(?:phone|hold)\b|"
        r"\bstill\b.{0,30}\b(?:not|no|nothing|never)\b|\bnot (?:once|even once)\b|\bfor ages\b|"
        r"\bconstantly\b|\bcontinually\b|\bnot (?:a|one|a single) (?:word|call|email|reply|response|update|"
        r"apology)\b|"
        # it went wrong again: "down again", "crashed again", "didn't show up. Again."
        r"\b(?:down|crash(?:ed|es|ing)?|broken|broke|late|delayed|cancell?ed|fail(?:ed|ing|s)?|"
        r"stopped working|"
        r"not working|wrong|missing|dropped|cut off|logged out|happen(?:ed|ing|s)?) again\b|"
        r"\b(?:\d{3,}|a hundred|hundreds of|a thousand|thousands of|a million|"
        r"a dozen|umpteen) times\b|"
        # the customer did their part and it still fails: "I already reset it but it keeps..."
        r"\balready (?:tried|did|done|confirmed|sent|provided|given|explained|told|called|reset|restarted|"
        r"submitted|uploaded|filled|paid|reinstalled|updated|cleared)\b[^.?!]{0,60}\b(?:but|still|yet|"
        r"again|keeps?)\b|"
        r"\b(?:always|keep|keeps) (?:having|getting|have|get) (?:problems|"
        r"issues|trouble|errors?)\b"
    ),
    # about to walk away, or warning others to
    "churn": re.compile(
        r"\b(?:switch|switching|change|changing|move|moving|go|going|look|looking)\s+(?:over\s+)?(?:to|"
        r"for)\s+"
        r"(?:a |an )?(?:another|different|new|other|better|differs?) (?:provider|company|bank|carrier|"
        r"service|"
        r"airline|supplier|vendor|app|platform)\b|\b(?:looking|shopping) (?:around|elsewhere)\b|"
        r"\btake (?:my|our) (?:business|money|custom) elsewhere\b|\bnever (?:again|us(?:e|ing)|fly(?:ing)?|"
        r"book(?:ing)?|buy(?:ing)?|shop(?:ping)?|order(?:ing)?|"
        r"stay(?:ing)?)\b|"
        r"\b(?:won't|will not|would not|wouldn't|do not|don't|cannot|can't) recommend\b|\bsteer clear\b|"
        r"\bavoid (?:this|them|these|at all costs|like)\b|\b(?:dumping|leaving|ditching|quitting) (?:you|"
        r"u)\b|"
        r"\b(?:do not|don't|dont|never) (?:use|book|fly|buy|trust)\b|\bthink(?:ing)? (?:about )?(?:changing|"
        r"switching|leaving|cancel+ing)\b|\bbe warned\b|\bbeware\b|\bwarning (?:everyone|others|all)\b|"
        r"\breconsider\b|\bthink twice\b|"
        # taking it public: "I'll leave a one-star review", "posting this on twitter"
        r"\b(?:leave|leaving|write|writing|post|posting|give|giving) (?:a |an |you a |you an )?(?:bad|"
        r"negative|"
        r"terrible|poor|1.?star|one.?star|zero.?star|0.?star) (?:review|rating|feedback)\b|\b(?:post|posting|"
        r"share|sharing|put|putting) (?:this|it) (?:on|all over) (?:twitter|facebook|social media|"
        r"the internet|"
        r"reddit|tripadvisor|trustpilot|instagram|tiktok)\b|\btell (?:all|every(?:one|body)) (?:i know|"
        r"my friends)\b"
    ),
    # something broke, failed or went missing
    "failure": re.compile(
        r"\b(?:doesn't|does not|didn't|did not|won't|will not|isn't|is not|not|never|doesnt|didnt|wont|isnt)"
        r" (?:even )?(?:work|working|load|loading|open|respond|responding|arrive|arrived|show|showing|fixed|"
        r"recogni[sz]e|accept|let me|allow)\b|\b(?:can't|cannot|can not|cant|unable to|could not|couldn't)"
        r" (?:get|access|log|login|sign|read|see|find|reach|use|connect|open|load|pay|make|update|withdraw|"
        r"check in)\b|\bbroken\b|\bcancel+ed\b|\bdelayed\b|\bdisappeared\b|\blocked (?:me )?out\b|"
        r"\bmalfunction\w*\b|\bcrash\w*\b|\b(?:was|were|got|been) (?:lost|damaged|broken|refused|denied|"
        r"charged|overcharged|stranded|bumped|downgraded)\b|\boverchar\w+\b|\bdouble.?charged\b|"
        r"\b(?:screw|mess)(?:ed)? up\b|\bno (?:signal|internet|service|connection)\b|\bis (?:down|erratic)\b|"
        r"\bwithout (?:internet|power|service|wi-?fi|broadband|a phone|phone|heating|hot water|signal)\b|"
        r"\b(?:didn't|did not|never|failed to) (?:show up|turn up|showed up|turned up)\b|\bno.show\b|"
        r"\b(?:arrived|turned up|showed up|running|always|been) late\b"
    ),
    # why is it like this
    "why": re.compile(
        r"\bwhy (?:is|does|did|do|can't|cant|won't|wont|haven't|hasn't|isn't|doesn't|didn't|wasn't|aren't|"
        r"are|has|have|would|on earth|the hell|"
        r"the fuck|should|must)\b|\bwhat the (?:hell|heck|fuck)\b|\bhow (?:dare|come|is it possible|can you|"
        r"could you|hard can it)\b|\bwhat(?:'s| is) the (?:deal|point|problem)\b"
    ),
    "profanity": re.compile(
        r"\b(?:fuck\w*|f\*+k\w*|shit\w*|crap|crappy|damn\w*|goddamn\w*|bloody|bullshit|wtf|ffs|omfg|bitch\w*|"
        r"bastard\w*|ass|asshole\w*|arse\w*|piss\w*|sucks|screw (?:you|this|it)|fudge off|hell)\b"
    ),
}

# courtesy softens a message a little; a forum's "can anyone help" or "any advice?" asks the crowd and is
# not counted: real complaints often end with one
_POLITE = re.compile(
    r"\b(?:thanks?(?! for nothing)|thank you|thx|ty|cheers|appreciate\w*|grateful|kind regards|regards|"
    r"many thanks|"
    r"please advise|would love|looking forward)\b"
)
# the problem is over, or the customer is pleased: "thanks, that worked!", "all good now", "perfect"
_RESOLVED = re.compile(
    r"(?:^|[.!,;:]\s*|\bthat's |\bthat is |\ball |\blooks? |\bsounds? |\bworks? )(?:great|perfect|awesome|"
    r"excellent)\b|(?<!not )(?<!n't )(?<!never )\b(?:works now|working now|that worked|it worked|that helped|"
    r"all good|sorted|resolved|no worries|problem solved|never ?mind)\b|\b(?:i|we)(?:'ve)? (?:finally |"
    r"just )?"
    r"(?:fixed|figured|sorted) it\b"
)

# the patterns behind their literal prefilters (prefilter.py): they run only when one of their words is there
CUES: dict[str, Guarded] = {name: guard(pattern) for name, pattern in _CUES.items()}
POLITE = guard(_POLITE)
RESOLVED = guard(_RESOLVED)

# ---- complaint narratives: real customers often report what went wrong without angry words ----

_SPAN = r"(?:\d+|a few|few|two|three|four|five|six|several|many|multiple|countless|numerous)"
_NARRATIVE: dict[str, re.Pattern[str]] = {
    # something happened to me: charged twice, stranded, refused, told one thing then another
    "grievance": re.compile(
        r"\b(?:i|we|my \w+|they)(?: was| were| have been|'ve been| got| had been| am being| are being|"
        r"'m being|"
        r"'re being) "
        r"(?:double |wrongly |still |never |then |just )?(?:charged|billed|overcharged|stranded|bumped|"
        r"refused|denied|rejected|ignored|lied to|cheated|ripped off|misled|misinformed|mis-sold|"
        r"hung up on|cut off|kicked off|fobbed off|passed around|left (?:waiting|stranded|without)|"
        r"kept (?:waiting|on hold)|forced to|made to|treated)\b|"
        r"\bhad to (?:pay|wait|buy|rebook|re-book|call|ring|throw|spend|sleep|take|queue|stand|cancel|"
        r"chase|fight|argue|beg)\b|"
        r"\b(?:cost|costing|charged?|charging) (?:me|us) (?:an? )?(?:extra|another|more|[$£€]|\d)|"
        # the company refuses: "they won't rebook me", "refused to refund"
        r"\b(?:won't|will not|wouldn't|would not|refused to|refuse to|refuses to|refusing to) (?:rebook|"
        r"refund|"
        r"help|fix|replace|compensate|honou?r|reimburse|take responsibility|listen|budge|cover|exchange)\b|"
        r"\bget(?:ting)? (?:cut off|disconnected|hung up on)\b|"
        r"\b(?:ruined|stranded|out of pocket|missed (?:my|our|the) (?:connection|connecting|flight|train|"
        r"meeting|wedding|appointment))\b|\b(?:you|they|you guys|airline|company) (?:have |has |had )?"
        r"lost (?:my|our) (?:bag|bags|luggage|money|deposit|booking|seat|connection|order|parcel|package)\b|"
        r"\b(?:charged|billed|debited|taken) (?:twice|two times|double|three times)\b"
    ),
    # expectations broken: "was told ... but", "still hasn't arrived", "nobody has contacted me"
    "broken_promise": re.compile(
        r"\b(?:was|were|been|i'm|we're) (?:told|promised|assured|informed|guaranteed)\b|\bpromised\b|"
        r"\b(?:was|were|is|are) supposed to\b|\bsaid (?:it|they|he|she) would\b|"
        r"\b(?:hasn't|has not|haven't|have not|hadn't|didn't|did not|never|still not|not yet) (?:been )?"
        r"(?:received|arrived|delivered|refunded|credited|contacted|responded|replied|returned|resolved|"
        r"fixed|processed|honou?red|reimbursed|compensated|called (?:me|us) back|got(?:ten)? back)\b|"
        r"\bno(?: ?one|body| one) (?:has |have |had |ever )?"
        r"(?:actually |even |really |yet |ever |bothered to )?"
        r"(?:contacted|called|replied|responded|got back|gotten back|bothered|helped|cared|apologi[sz]ed|"
        r"explained|looked (?:at|into)|checked|investigated|followed up|addressed|acknowledged)\b|"
        r"\b(?:second|third|fourth|fifth|\d+(?:nd|rd|th)) time (?:i|we|that|this|in)\b|"
        r"\b(?:multiple|several|numerous|countless|\d+) (?:calls|emails|attempts|phone calls)\b|"
        r"\b(?:multiple|several|numerous|countless) times\b|"
        # the promised time has passed: "that was last week"
        r"\b(?:that|this) was (?:over |more than )?(?:last (?:week|month)|(?:a|one|two|three|four|\d+) "
        r"(?:days?|weeks?|months?) ago)\b"
    ),
    # it's not right: unfair, a rip-off, an outrage, money grabbing
    "unfair": re.compile(
        r"\b(?:not|isn't|wasn't|hardly) (?:fair|right|acceptable|good enough|ok|okay)\b|\bunfair\w*\b|"
        r"\bunjust\w*\b|\ba (?:bit of a )?cheek\b|\bcheeky\b|\brip(?:ping)? (?:people|us|me|passengers|"
        r"customers|everyone) off\b|\bmoney.?grab\w*\b|\bgreed(?:y)?\b|\bextortion\w*\b|\boutrageous\b|"
        r"\bdisgraceful\b|\bshameful\b|\bshame on\b|\bno (?:apology|compensation|explanation)\b|"
        r"\b(?:without (?:any )?|with no )(?:apology|explanation|notice|warning|compensation)\b|"
        r"\bshrug(?:ged|s)?\b|\bbrushed (?:me|us) off\b|\bcouldn't care less\b|\b(?:didn't|did not|don't|"
        r"doesn't) (?:even )?care\b|\bdismissive\b|\bmickey mouse\b|"
        r"\bcowboys?\b|\binept\b|\bincompeten\w+\b|\bnegligen\w+\b|\bamateur\w*\b|"
        r"\btreat(?:ed|ing|s)? (?:\w+ )?like (?:dirt|crap|shit|cattle|criminals|idiots|animals|children|kids|"
        r"garbage|rubbish|second.class|a number|nothing)\b"
    ),
    # less than promised or paid for: "paying for 60mb and getting 20", "worse than ever", "too expensive"
    "expectation": re.compile(
        r"\b(?:worse|slower|more expensive|dearer) than\b|\bgetting worse\b|\b(?:only|barely) (?:getting|got|"
        r"receiving|received|get|managed)\b|\bpay(?:ing)? for\b.{0,60}\b(?:not|n't|never) (?:get|getting|"
        r"receiv\w+)\b|\bshould (?:be|have been|only be) (?:only|just)\b|\b(?:too|to|so|way too|far too) "
        r"(?:expensive|complicated|slow|much money|high|confusing|difficult|hard)\b|\bjust (?:too|to) much\b|"
        r"\bnot (?:as|what (?:was|we were|i was)) (?:advertised|described|promised|ordered|paid for)\b|"
        r"\bno (?:way|option|choice) (?:to|but)\b|\bnothing works\b|\bdoesn't work at all\b|"
        # the worst the customer has known: "the worst airline I have ever flown", "never seen such"
        r"\b(?:worst|poorest|slowest|rudest|least helpful) (?:[a-z]+ ){0,3}(?:i(?:'ve| have)? ever|ever)\b|"
        r"\b(?:never|not) (?:once )?(?:had|seen|experienced|encountered) (?:such|anything (?:this|so|like)|"
        r"a worse|worse)\b|\bnot up to (?:standard|scratch|par)\b|\b(?:lowest|worst) in the (?:world|"
        r"industry|country|business)\b|\bwhat (?:am i|are we) (?:even )?paying for\b"
    ),
    # the problem stops the customer's own work: "we can't close the month", "it's blocking our release"
    "impact": re.compile(
        r"\b(?:can't|cannot|can not|couldn't|could not|unable to|not able to|won't be able to|no way to) "
        r"(?:close|finish|complete|run|do|file|submit|meet|ship|release|launch|process|reconcile|send out|"
        r"get out) (?:the |our |my |this |these |that |any )?(?:month|monthly|books|quarter|quarterly|year|"
        r"month.?end|year.?end|payroll|deadline|invoicing|invoices|billing|audit|accounts|reconciliation|"
        r"orders|"
        r"shipments|release|launch|report|reports|reporting|filing|tax return|taxes|work)\b|"
        r"\b(?:it's |this is |that's |which is |is )?(?:blocking|holding up|halting|stalling) "
        r"(?:us|me|our|my|the whole|all (?:of )?our|everyone)\b|"
        r"\b(?:we're|we are|i'm|i am|we've been|i've been|it's|it is|this is) (?:losing|costing (?:us|me))"
        r" (?:money|customers|clients|sales|revenue|business|orders|a fortune|thousands)\b|"
        r"\b(?:our|my) (?:business|company|team|operations?|work|shop|store) (?:is|are|has|have been|"
        r"has been) (?:stopped|halted|blocked|stuck|at a standstill|on hold|paralysed|paralyzed)\b|"
        r"\b(?:our|my) (?:customers|clients|users) are (?:complaining|waiting|angry|furious|leaving)\b|"
        r"\b(?:we|i) (?:have|had|'ve got) (?:a |an )?(?:hard |strict |tight |legal )?deadline\b"
    ),
    # time lost: "waited 35 mins", "3 hours in the queue", "delayed 22 hours"
    "time_lost": re.compile(
        rf"\b(?:wait(?:ed|ing)?|queu(?:ed|ing)|hold|delayed|late|stuck|sat|stood|line(?: ?up)?) "
        rf"(?:for |over |nearly |almost |about |around |by )?(?:an? )?{_SPAN}\+? ?"
        rf"(?:mins?|minutes|hours?|hrs?|days|weeks|months)\b|"
        rf"\b{_SPAN}\+? ?(?:mins?|minutes|hours?|hrs?|days|weeks|months) (?:on hold|wait(?:ing)?|"
        rf"delay(?:ed)?|late|queue|in (?:a |the )?(?:queue|line)|line ?up|later)\b|"
        rf"\btook (?:over |more than |nearly |almost )?(?:an? )?{_SPAN} ?(?:hours?|days|weeks|months)\b|"
        r"\b(?:all day|all night|all week|since (?:last|yesterday|monday|tuesday|wednesday|thursday|friday|"
        r"saturday|sunday))\b"
    ),
    # disbelief, rhetorical outrage, sarcasm and giving up: "I can't believe", "how is that fair?",
    # "are you kidding me", "thanks for nothing", "so much for", "ugh", "I give up", "all I want is"
    "exasperation": re.compile(
        r"\b(?:can't|cannot|can not|cant|couldn't|could not|couldnt) believe\b|\bbelieve it or not\b|"
        r"\bare you (?:kidding|joking|serious)\b|\b(?:you've|you have|you) (?:got|gotta) (?:to )?be "
        r"(?:kidding|joking)\b|\b(?:is|was) (?:this|that|it) (?:a|some (?:kind|sort) of) (?:joke|scam)\b|"
        r"\bhow(?:'s| is| was| can| could) (?:that|this|it) (?:be )?(?:fair|right|acceptable|ok|okay|legal|"
        r"reasonable|allowed|justified|possible)\b|\bhow (?:on earth|in the world|the hell|the heck)\b|"
        r"\bis this how (?:you|they) treat\b|\bwhat (?:kind|sort) of (?:a )?(?:service|company|business|"
        r"airline|bank|support|customer service|operation)\b|\bfor (?:god's|gods|christ's|heaven's|pete's|"
        r"goodness|fuck's) sake\b|\bfor crying out loud\b|\bgive me a break\b|\b(?:argh+|grr+|smh)\b|"
        r"\bi (?:give up|gave up|have given up|'ve given up)\b|\bthanks for nothing\b|\bso(?:-| )called\b|"
        r"\bhow many (?:more )?times (?:do|must|should|have|will|did|am|are|is) \w+\b|"
        r"\bso much for\b(?<!you so much for)(?<!thanks so much for)|\bsurprise,? surprise\b|"
        r"\bwhat a surprise\b|\byeah,? right\b|"
        r"\b(?:just|oh) (?:great|perfect|brilliant|wonderful|fantastic)\b|"
        r"\ball (?:i|we) (?:want|wanted|need|needed|asked for|asked) (?:is|was|for)\b|"
        r"\b(?:i|we) (?:just|only) want(?:ed)? (?:my|our|an? (?:answer|refund|explanation|reply)|to know why|"
        r"someone to)\b|\ball (?:i|we) (?:get|got|ever get|keep getting) (?:is|are)\b|\bis (?:it|that|"
        r"this) too much to "
        r"ask\b|\bthanks? for (?:the|another) (?:lovely|wonderful|great|fantastic|amazing|brilliant|awesome|"
        r"fun|"
        r"nice) (?:\w+ ){0,2}(?:delay|wait|experience|queue|hold|outage|cancellation|charge|fee|"
        r"increase|surprise|error|service)s?\b"
    ),
    # the runaround: no way through to anyone, passed around, told different things
    "runaround": re.compile(
        r"\b(?:can't|cannot|can not|cant|couldn't|could not|couldnt|can never|could never|never|unable to|"
        r"impossible to|no way to|not able to) (?:get through|get hold of (?:anyone|anybody|someone|somebody|"
        r"you|them|a (?:person|human))|get an? (?:answer|response|reply|straight answer)|reach (?:anyone|"
        r"anybody|someone|somebody|you|them|a (?:person|human)|customer service|support))\b|"
        r"\b(?:trying|tried) (?:\w+ )?to get through to\b|"
        r"\b(?:passed|transferred|bounced|pushed|sent|shunted|fobbed) (?:around|from one|from pillar|"
        r"back and "
        r"forth|between departments|between agents|between people)\b|\b(?:passed|transferred|bounced|sent) "
        r"(?:me|us) (?:around|from one|back and forth)\b|\b(?:round|around) in circles\b|"
        r"\b(?:the|a) (?:runaround|run-around|run around)\b|\bendless (?:loop|calls|emails|waiting|queue)\b|"
        r"\b(?:keep|keeps|kept) "
        r"(?:getting|being) (?:transferred|passed|told|disconnected|cut off|hung up on|redirected|bounced)\b|"
        r"\b(?:different|conflicting|contradictory|contradicting) (?:answers|information|info|stories|story|"
        r"advice|responses)\b|\b(?:no ?one|nobody|no-one) (?:seems to |can |could |will |would |is able to )"
        r"(?:know|tell me|tell us|help|explain|give me)\b|\b(?:nobody|no ?one|no-one) (?:knows|cares|takes "
        r"responsibility)\b|\b(?:no ?one|nobody|no-one)(?: \w+){1,3} (?:knows|cares|takes responsibility)\b|"
        r"\b(?:no ?one|nobody|no-one) (?:\w+ )?(?:seems to|ever|even|bothers to|bothered to|wants to) "
        r"(?:care|know|help|listen|take responsibility)\b|\b(?:every|each) (?:one|body|agent|person|time|"
        r"rep) "
        r"(?:\w+ )?(?:tells?|says?|gives?|told|said|gave) (?:me |us )?(?:something |a |"
        r"another )?(?:different|else)\b|"
        r"\b(?:the same|canned|automated|generic|scripted|copy-?paste[d]?) (?:answers?|repl(?:y|ies)|"
        r"responses?|"
        r"messages?|emails?|steps|links?|excuses?)\b"
    ),
}

NARRATIVE: dict[str, Guarded] = {name: guard(pattern) for name, pattern in _NARRATIVE.items()}

# the message is about a service, a product or an account: the frame that makes negativity a customer's
SERVICE_FRAME = re.compile(
    # paying for it: "I am paying for 60mb", "we paid for"
    r"\b(?:i|we)(?:'m| am|'re| are)? (?:pay|paid|paying) for\b|"
    r"\b(?:my|our|the|your|ur|this|their|his|her) (?:[a-z]+ )?(?:order|account|booking|reservation|flight|"
    r"flights|ticket|tickets|bill|billing|invoice|payment|refund|card|subscription|package|parcel|delivery|"
    r"luggage|bag|bags|baggage|suitcase|internet|connection|service|services|plan|claim|money|seat|seats|"
    r"phone|router|modem|app|website|web site|site|points|miles|mileage|credit|balance|loan|transfer|"
    r"deposit|contract|policy|product|item|purchase|fee|fees|charge|charges|fare|fares|price|check-?in|"
    r"boarding pass|upgrade|voucher|password|login|email|cable|tv|speed|download|connection|data|"
    r"call|calls|complaint|case|request|application|membership|cancellation|warranty|repair|"
    r"replacement|installation|appointment|train|hotel|room|mail|e-?mail|username|user name|tv|"
    r"sight|web ?page|page|signal|coverage|line|bag drop|stroller|pram|car seat|miles|login|department|"
    r"documents|"
    r"paperwork|callback|desk|queue|review|engineer|technician|fibre|broadband|wi-?fi)s?\b|"
    r"\b(?:no|bad|slow|poor) (?:internet|wi-?fi|broadband|signal|coverage|reception|connection)\b|"
    r"\b(?:internet|wi-?fi|broadband|refund|invoice|billing|booking|reservation|flight|luggage|baggage|"
    r"delivery|subscription|account|mileage|voucher|check-?in|boarding pass)s?\b|"
    r"\b(?:customer (?:service|support|care|services)|support team|help ?desk|call cent(?:er|re)|"
    r"airline|airlines|airways|air|bank|carrier|provider|company|staff|agent|representative|rep|"
    r"operator|cashier|counter|gate|check-?in|website|app|online|helpline|hotline|manager)s?\b|"
    # the people and steps of a service encounter: "the engineer", "transferred", "on hold", "price increase"
    r"\b(?:engineer|technician|courier|driver|crew|cabin crew|flight attendant|front desk|reception|"
    r"receptionist|branch|customer|support (?:team|line|staff|desk|agent|email|address|chat)|transferred|"
    r"on hold|"
    r"hung up|disconnected|rebook(?:ed|ing)?|refunded|tracking|checkout|order number|reference number|"
    r"case number|price (?:increase|rise|hike)|price|prices|pricing|callback|call back)s?\b|"
    r"\b(?:charged|billed|overcharged|debited)\b(?! with)|\bdelay(?:s|ed)?\b|"
    # a verdict on the situation at hand, opening the message: "this is unacceptable"
    r"^\W*(?:this|that|it)(?:'s| is| was) (?:so |just |absolutely |totally |completely |really |beyond )?"
    r"(?:unacceptable|ridiculous|outrageous|a disgrace|disgraceful|absurd|ludicrous|appalling|pathetic|"
    r"a scam|a rip.?off|not (?:ok|okay|good enough|acceptable|fair))\b"
)
