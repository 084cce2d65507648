"""Points of the frustration tone score: one number per named feature, set by hand, read as rules of thumb.

A message's points are the sum of weight x feature value (cue counts are capped at 3); a message with no
customer-service frame (no order, account, booking, flight, bill, our service or staff...) keeps only
NO_FRAME_FACTOR of its positive points, so that negativity about third parties, games or politics weighs
less than a customer's. The tone score is a logistic curve of the points centred on OPERATING_POINTS, so
that a message at the operating point scores exactly 0.5 (the default rule threshold). Only
OPERATING_POINTS is calibrated, by bench/quality/train_tone.py, on the developer split (sources and
licences in NOTICE); no text from the data is stored here.
"""

WEIGHTS: dict[str, float] = {
    "emotion": 0.4,  # "frustrated", "fed up", "ridiculous", "disappointed"
    "churn": 0.5,  # "switching to another provider", "never again", "won't recommend"
    "persistence": 0.35,  # "still not", "for 3 weeks", "again and again", "no reply", "constantly"
    "accusation": 0.35,  # "rip off", "scam", "waste of time", "hidden fees"
    "profanity": 0.25,
    "failure": 0.2,  # "doesn't work", "can't log in", "cancelled", "overcharged"
    "why": 0.2,  # "why is my bill so high", "how come", "what the hell"
    # complaint narratives, the way real customers report what went wrong without angry words
    "grievance": 0.3,  # "we were charged", "had to pay", "stranded", "missed my connection"
    "broken_promise": 0.3,  # "was told", "still hasn't been refunded", "nobody has contacted me"
    "unfair": 0.35,  # "not fair", "a cheek", "outrageous", "no apology", "incompetent"
    "time_lost": 0.3,  # "waited 35 mins", "3 hours in the queue", "all day"
    "impact": 0.35,  # "we can't close the month", "it's blocking our release", "losing customers"
    "expectation": 0.4,  # "paying for 60mb and not getting it", "worse than", "too expensive"
    "exasperation": 0.45,  # "I can't believe", "how is that fair?", "thanks for nothing", "ugh", "I give up"
    "runaround": 0.4,  # "can't get through to anyone", "passed around", "conflicting answers"
    "service_frame": 0.3,  # about an order, account, booking, bill, our service or staff
    "shouting": 0.6,  # share of letters in capitalised words
    "exclamations": 0.12,  # "!!", "?!?" runs
    "negative_compound": -0.5,  # sentiment compound below 0 adds points
    "positive_valence": 0.0,  # grows with length; long complaint narratives carry praise words too
    "polite": -0.2,  # "thanks", "please advise", "regards"
    "resolved": -0.4,  # "that worked", "all good now", "perfect"
    "addresses_us": 0.1,
    "questions": 0.0,
    "length": 0.0,
    "negative_valence": 0.0,
}
NO_FRAME_FACTOR = 0.85
OPERATING_POINTS = 0.655
STEEPNESS = 4.0
