"""Domain errors: raised by the service, turned into clear replies at the Slack boundary."""


class BatonError(Exception):
    """Base of every error the domain raises on purpose."""


class NotWatched(BatonError):
    """The channel is not watched by Baton."""

    def __init__(self, channel_id: str) -> None:
        super().__init__(f"channel {channel_id} is not watched")
        self.channel_id = channel_id


class NotFound(BatonError):
    """A handoff, channel or message that does not exist."""


class Conflict(BatonError):
    """Someone else changed the same thing first."""
