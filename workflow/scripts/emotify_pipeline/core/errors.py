"""The project's error type: a problem with the user's input or configuration; and how a message
quotes the offending rows or files."""

#: offending rows/files quoted in an error message
SHOWN = 5


class EmotifyError(Exception):
    """A problem with the user's input or configuration, reported as one clear message."""


def first_few(items: list[str], total: int | None = None) -> str:
    """The first :data:`SHOWN` of ``items``, '; '-joined, and how many more there are.

    Parameters
    ----------
    items : the offending rows or files, each already worded (``"line 7: 'x'"``).
    total : how many there are in all, when ``items`` holds only some of them (default:
        ``len(items)``).

    Returns
    -------
    str
        ``"a; b; c; d; e (and 3 more)"``.
    """
    total = len(items) if total is None else total
    shown = "; ".join(items[:SHOWN])
    more = f" (and {total - SHOWN} more)" if total > SHOWN else ""
    return shown + more
