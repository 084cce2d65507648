"""Points of the frustration tone score: one number per named feature, set by hand, read as rules of thumb.

A message's points are the sum of weight x feature value (cue counts are capped at 3); the tone score is
a logistic curve of the points centred on OPERATING_POINTS, so that a message at the operating point scores
exactly 0.5 (the default rule threshold). Only OPERATING_POINTS is calibrated, by bench/quality/train_tone.py,
on the developer split (sources and licences in NOTICE); no text from the data is stored here.
"""

WEIGHTS: dict[str, float] = {
    "emotion": 0.4,  # "frustrated", "fed up", "ridiculous", "disappointed"
    "churn": 0.5,  # "switching to another provider", "never again", "won't recommend"
    "persistence": 0.35,  # "still not", "for 3 weeks", "again and again", "no reply"
    "accusation": 0.35,  # "rip off", "scam", "waste of time", "hidden fees"
    "profanity": 0.25,
    "failure": 0.2,  # "doesn't work", "can't log in", "cancelled", "overcharged"
    "why": 0.2,  # "why is my bill so high", "how come", "what the hell"
    "shouting": 0.6,  # share of letters in capitalised words
    "exclamations": 0.12,  # "!!", "?!?" runs
    "negative_compound": -0.5,  # sentiment compound below 0 adds points
    "positive_valence": -0.04,
    "polite": -0.2,  # "thanks", "please advise", "can anyone"
    "addresses_us": 0.1,
    "questions": 0.0,
    "length": 0.0,
    "negative_valence": 0.0,
}
OPERATING_POINTS = 0.5
STEEPNESS = 4.0
