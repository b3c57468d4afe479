"""The project's error type: a problem with the user's input or configuration."""


class EmotifyError(Exception):
    """A problem with the user's input or configuration, reported as one clear message."""
