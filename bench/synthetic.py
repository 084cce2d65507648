"""Built-in customer messages, for when the developer split (../shared/data) is not there. No imports: the
trigger benchmark measures its own peak RSS."""

SYNTHETIC = [
    "How do I reset my password?",
    "Can I talk to a real person please, this is going nowhere",
    "I've been waiting for THREE WEEKS and still no refund!!! This is ridiculous.",
    "We're evaluating alternatives ahead of our contract renewal next month.",
    "thanks, that worked! :tada:",
    "<@U123> any update on <#C42|support>? see <https://example.com|the ticket>",
    "Where can I download last month's invoice?",
    "Is there an API rate limit for the export endpoint?",
]
