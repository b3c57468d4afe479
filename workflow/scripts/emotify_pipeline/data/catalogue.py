"""The archive's catalogue (``resources/emotify_catalogue.csv``: the 400 tracks' files, ID3
artist and album, header durations) and the check of a copy's clips against it: a renamed,
swapped or cut file of the archive would give its track another song's labels."""

from pathlib import Path
from typing import Any

import pandas as pd

from ..core.emotify import CATALOGUE_PATH

CATALOGUE_DURATION_TOLERANCE_S = 0.05
"""How far a clip's header duration may lie from the catalogue's (measured: at most 0.011 s on the 40 real clips)."""


def read_catalogue(path: str | Path = CATALOGUE_PATH) -> dict[str, dict[str, str]]:
    """``'<genre>/<n>'`` -> {track_id, artist, album, duration_s} of the complete archive (all
    values as the file's strings; duration_s in seconds)."""
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    return {
        str(Path(f).with_suffix("")): {"track_id": t, "artist": a, "album": b, "duration_s": d}
        for t, f, a, b, d in zip(
            table["track_id"], table["file"], table["artist"], table["album"], table["duration_s"], strict=True
        )
    }


def catalogue_for(
    probes: dict[str, dict[str, Any]], mode: str | bool, catalogue: dict[str, dict[str, str]] | None = None
) -> dict[str, dict[str, str]] | None:
    """The catalogue to check ``probes`` (path -> what the file says) against, or None.

    ``mode`` (``data.check_catalogue``): True / False, or ``auto``: the catalogue applies when
    the copy is the archive -- at least one clip's artist and album are its own track's in the
    catalogue -- so that one renamed or swapped file among the archive's is caught, while the
    demo and re-tagged copies (no clip matches) are not held to the archive's tags.
    ``catalogue``: the one to use instead of the shipped one (tests)."""
    if mode is False or mode == "false":
        return None
    catalogue = catalogue if catalogue is not None else read_catalogue()
    if mode is True or mode == "true":
        return catalogue

    def own(path: str, rec: dict[str, Any]) -> bool:
        entry = catalogue.get(f"{Path(path).parent.name}/{Path(path).stem}")
        return bool(entry) and all(
            str(rec.get(k) or "").strip().casefold() == entry[k].strip().casefold() for k in ("artist", "album")
        )

    return catalogue if any(own(p, rec) for p, rec in probes.items()) else None


def catalogue_problem(rec: dict[str, Any], path: str | Path, catalogue: dict[str, dict[str, str]]) -> str:
    """'' when the file's ID3 artist and album are those of its track in the archive's
    catalogue (or the file has no such tags to compare) and its header duration is the
    archive's, else one line naming the file, what it holds and what its track id should hold:
    a renamed or swapped clip, or a cut one (a truncated copy with its ID3v1 tag appended again
    walks as a whole file; only the archive's duration tells). A match upgrades ``integrity``."""
    path = Path(path)
    entry = catalogue.get(f"{path.parent.name}/{path.stem}")
    if entry is None:
        return ""
    expected_s = float(entry["duration_s"])
    declared_s = float(rec.get("declared_s") or 0.0)
    if abs(declared_s - expected_s) > CATALOGUE_DURATION_TOLERANCE_S:
        return (
            f"{path}: lasts {declared_s:.2f} s by its MPEG header, but track {entry['track_id']} of the archive "
            f"lasts {expected_s:.2f} s: a cut (truncated) or different file; put the archive's file back"
        )
    found = {key: str(rec.get(key) or "").strip() for key in ("artist", "album")}
    wrong = [key for key, value in found.items() if value and value.casefold() != entry[key].strip().casefold()]
    if not wrong:
        if rec.get("integrity") != "unchecked (not MP3)":
            rec["integrity"] = "verified: archive duration and tags"
        return ""
    holds = ", ".join(f"{key} {found[key]!r}" for key in wrong)
    should = ", ".join(f"{key} {entry[key]!r}" for key in wrong)
    return (
        f"{path}: the file's tags say {holds}, but track {entry['track_id']} of the archive ({path.parent.name}/"
        f"{path.name}) is {should}: a renamed or swapped file would give this track another song's labels "
        "(put the right file back, or set data.check_catalogue: false for a re-tagged copy)"
    )
