"""Domain errors: raised by the service, turned into clear replies at the Slack boundary."""


class BatonError(Exception):
    """Base of every error the domain raises on purpose."""


class NotFound(BatonError):
    """A handoff, channel or message that does not exist."""


class Conflict(BatonError):
    """Someone else changed the same thing first."""
