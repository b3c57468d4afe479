"""Which audio file is which track: the archive's naming rule, the files of a copy found, and
the id <-> file mapping checked.

Mapping rule: within each genre, the n-th smallest track id of that genre in the *official*
data.csv is ``emotifymusic/<genre>/<n>.<ext>``. The archive numbers the genres in blocks of 100
(classical 1-100, rock 101-200, electronic 201-300, pop 301-400), so that rule is
``<genre>/<id - base>.<ext>`` with the genre's base 0, 100, 200, 300 -- a property of the
archive, not of whichever rows a given data.csv holds: removing a track's rows moves no other
track onto another file. An id outside its genre's block stops the run (the mapping cannot be
established). Folder order is never used.
"""

import logging
import os
from pathlib import Path

import pandas as pd

from ..core.emotify import CLIPS_PER_GENRE, GENRE_ID_BASE, GENRES
from ..core.errors import EmotifyError, first_few

#: audio extensions found beside the configured one: a ``3.wav`` among the MP3s is refused by its
#: name (:func:`check_audio_mapping`), never left out without a word
AUDIO_EXTENSIONS = (".mp3", ".wav", ".flac", ".ogg", ".oga", ".opus", ".m4a", ".aac", ".aif", ".aiff", ".wma")


def expected_audio_paths(annotations: pd.DataFrame, audio_root: str | Path, ext: str) -> pd.DataFrame:
    """Apply the archive's rule: track id -> ``<audio_root>/<genre>/<id - base>.<ext>``.

    ``rank`` is the id's place in its genre's block of the *complete* archive (the n-th
    smallest id of the genre in the official data.csv), so it does not depend on which rows
    ``annotations`` holds. :func:`annotations.read_annotations` has checked that every id lies
    in its block.

    Returns
    -------
    pandas.DataFrame
        Columns track_id, genre, rank, path; one row per track id, sorted by id.
    """
    tracks = annotations.groupby("track id", sort=True)["genre"].first().reset_index()
    tracks.columns = ["track_id", "genre"]
    tracks["rank"] = (tracks["track_id"] - tracks["genre"].map(GENRE_ID_BASE)).astype("int64")
    if not tracks["rank"].between(1, CLIPS_PER_GENRE).all():  # annotations that bypassed read_annotations
        bad = tracks[~tracks["rank"].between(1, CLIPS_PER_GENRE)]
        raise EmotifyError(
            f"track id(s) outside their genre's id range: {first_few([f'{t} ({g})' for t, g in zip(bad.track_id, bad.genre, strict=True)])}"
        )
    root = Path(audio_root)
    tracks["path"] = [str(root / g / f"{r}.{ext}") for g, r in zip(tracks["genre"], tracks["rank"], strict=True)]
    return tracks


def archive_track_id(path: str | Path) -> int | None:
    """The track id the archive gives ``<genre>/<n>.<ext>`` (base + n), or None for a name that
    is not one of its 100 files of a genre."""
    path = Path(path)
    genre, stem = path.parent.name, path.stem
    if genre not in GENRE_ID_BASE or not stem.isdigit() or not 1 <= int(stem) <= CLIPS_PER_GENRE or stem[0] == "0":
        return None
    return GENRE_ID_BASE[genre] + int(stem)


def _refuse_unnamed(root: Path, ext: str, found: list[str]) -> None:
    """Raise :class:`EmotifyError` when a file of ``found`` is not named as the archive names
    its clips (``<genre>/<n>.<ext>``, n = 1..100, the configured extension)."""
    unnamed = sorted(p for p in found if archive_track_id(p) is None)
    unnamed += sorted(p for p in found if archive_track_id(p) is not None and not str(p).endswith(f".{ext}"))
    if unnamed:
        raise EmotifyError(
            f"{root}: {len(unnamed)} audio file(s) are not named as the archive names its clips (<genre>/<n>.{ext}, "
            f"n = 1..{CLIPS_PER_GENRE}, track id = base + n with bases classical 0, rock 100, electronic 200, "
            f"pop 300), so no track id can be assigned: {first_few(unnamed)}"
        )


def check_audio_mapping(
    annotations: pd.DataFrame,
    audio_root: str | Path,
    ext: str,
    found: list[str],
    require_all_audio: bool = True,
    logger: logging.Logger | None = None,
) -> list[str]:
    """Check the id <-> file mapping; return the archive files that data.csv holds no rows for.

    Every audio file in ``found`` must be one of the archive's names (``<genre>/<n>.<ext>``,
    n = 1..100); no two genre folders may be one folder (a genre folder that is a link to
    another genre's would relabel its clips). When ``require_all_audio`` the annotations and the
    files must match completely (every id has its file, every file its rows); otherwise a file
    without rows is left out and logged. Raises :class:`EmotifyError`.
    """
    root = Path(audio_root)
    check_genre_folders(root)
    expected = expected_audio_paths(annotations, root, ext)
    _refuse_unnamed(root, ext, found)
    norm = {os.path.normpath(p) for p in expected["path"]}
    unlabelled = sorted(p for p in found if os.path.normpath(p) not in norm)
    if unlabelled and require_all_audio:
        items = [f"{p} (track {archive_track_id(p)})" for p in unlabelled]
        raise EmotifyError(
            f"{root}: {len(unlabelled)} audio file(s) have no rows in the annotations: {first_few(items)} "
            "(set data.require_all_audio: false to run on the tracks that have both)"
        )
    if unlabelled and logger:
        logger.warning(
            "%d audio file(s) have no rows in the annotations and are left out: %s",
            len(unlabelled),
            first_few([f"{p} (track {archive_track_id(p)})" for p in unlabelled]),
        )
    present = {os.path.normpath(p) for p in found}
    missing = expected[[os.path.normpath(p) not in present for p in expected["path"]]]
    if require_all_audio and len(missing):
        items = [f"track {t} -> {p}" for t, p in zip(missing["track_id"], missing["path"], strict=True)]
        raise EmotifyError(
            f"{root}: {len(missing)} track id(s) in the annotations have no audio file: {first_few(items)} "
            "(set data.require_all_audio: false to run on the clips present)"
        )
    return unlabelled


def check_genre_folders(audio_root: str | Path) -> None:
    """Raise :class:`EmotifyError` when two genre folders resolve to the same real folder, or a
    genre folder is a link to a folder named after another genre (labels would be scrambled)."""
    root = Path(audio_root)
    real: dict[str, list[str]] = {}
    for genre in GENRES:
        folder = root / genre
        if not folder.exists():
            continue
        target = os.path.realpath(folder)
        real.setdefault(target, []).append(genre)
        other = Path(target).name.lower()
        if folder.is_symlink() and other in GENRES and other != genre:
            raise EmotifyError(
                f"{folder}: is a link to {target}, a folder of another genre ({other}); every genre needs its own "
                "folder of clips"
            )
    shared = [g for g in real.values() if len(g) > 1]
    if shared:
        raise EmotifyError(
            f"{root}: the genre folders {' and '.join(shared[0])} are one and the same folder "
            f"({next(t for t, g in real.items() if g == shared[0])}); every genre needs its own folder of clips"
        )


def find_audio_files(audio_root: str | Path, ext: str, logger: logging.Logger | None = None) -> list[Path]:
    """All ``<genre>/<anything>.<ext>`` files under ``audio_root`` for the four genres, the
    extension matched in any case (``3.MP3`` is found, and then refused by its name rather than
    silently missing), other audio extensions too (``3.wav``: refused by its name) and hidden
    files (``._1.mp3``) included. Folders that are not one of the four genres are logged and
    left alone.

    Returns
    -------
    list of pathlib.Path
        The files, sorted.
    """
    root = Path(audio_root)
    wanted = {f".{ext.lower()}", *AUDIO_EXTENSIONS}
    found = []
    for genre in GENRES:
        folder = root / genre
        if folder.is_dir():
            found += [p for p in folder.iterdir() if p.suffix.lower() in wanted]
    if logger and root.is_dir():
        others = sorted(p.name for p in root.iterdir() if p.is_dir() and p.name not in GENRES)
        if others:
            logger.warning("%s: folder(s) %s are not one of the four genres %s: ignored", root, others, list(GENRES))
    return sorted(found)
