"""Ingestion of an Emotify copy: validate data.csv, map track ids to audio files, read ID3 tags.

Mapping rule: within each genre, the n-th smallest track id of that genre in the *official*
data.csv is ``emotifymusic/<genre>/<n>.<ext>``. The archive numbers the genres in blocks of 100
(classical 1-100, rock 101-200, electronic 201-300, pop 301-400), so that rule is
``<genre>/<id - base>.<ext>`` with the genre's base 0, 100, 200, 300 -- a property of the
archive, not of whichever rows a given data.csv holds: removing a track's rows moves no other
track onto another file. An id outside its genre's block stops the run (the mapping cannot be
established). Folder order is never used.
"""

import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.digests import source_digest
from ..core.emotify import ANNOTATION_COLUMNS, CATALOGUE_PATH, CLIPS_PER_GENRE, EMOTIONS, GENRE_ID_BASE, GENRES
from ..core.errors import EmotifyError
from ..core.files import write_csv, write_json

TRACK_COLUMNS: tuple[str, ...] = (
    "track_id",
    "genre",
    "rank",
    "path",
    "status",
    "reason",
    "declared_s",
    "decoded_s",
    "padded_s",
    "integrity",
    "size_bytes",
    "sha256",
    "duplicate_of",
    "sample_rate",
    "channels",
    "title",
    "artist",
    "album",
    "year",
)

_SHOW = 5  # offending rows/files quoted in an error message


def _first(items: list[str], total: int | None = None) -> str:
    total = len(items) if total is None else total
    shown = "; ".join(items[:_SHOW])
    more = f" (and {total - _SHOW} more)" if total > _SHOW else ""
    return shown + more


def _undecodable_lines(data: bytes) -> list[str]:
    """'line N: <the offending bytes>' for every line that is not UTF-8 (1-based, header = 1)."""
    try:
        data.decode("utf-8")
        return []
    except UnicodeDecodeError:
        pass
    found = []
    for n, raw in enumerate(data.split(b"\n"), start=1):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as err:
            found.append(f"line {n} byte {err.start + 1} ({raw[err.start : err.end]!r})")
    return found


def read_annotations(path: str | Path) -> pd.DataFrame:
    """Read and validate an Emotify ``data.csv``.

    Tolerates the spaces after the commas of the real header. Raises :class:`EmotifyError`
    naming the file and the first offending rows (1-based line numbers, header = line 1) when
    the file is missing or empty, a column is missing or unknown, a header line repeats, an
    emotion value is not 0/1, a genre is unknown, or one track id has two genres.

    Returns
    -------
    pandas.DataFrame
        One row per listening event with the 17 columns, ``track id`` and the emotions as int.
    """
    path = Path(path)
    if not path.is_file():
        raise EmotifyError(f"{path}: annotations file not found")
    if path.stat().st_size == 0:
        raise EmotifyError(f"{path}: annotations file is empty")
    bad_lines = _undecodable_lines(path.read_bytes())
    if bad_lines:
        raise EmotifyError(
            f"{path}: {len(bad_lines)} line(s) are not valid UTF-8 (saved as Latin-1 or another encoding?): "
            f"{_first(bad_lines)}; convert the file, e.g. iconv -f latin1 -t utf-8"
        )
    try:
        raw = pd.read_csv(path, skipinitialspace=True, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise EmotifyError(f"{path}: not a readable CSV file ({err.__class__.__name__}: {err})") from None
    raw.columns = [str(c).strip() for c in raw.columns]
    missing = [c for c in ANNOTATION_COLUMNS if c not in raw.columns]
    unknown = [c for c in raw.columns if c not in ANNOTATION_COLUMNS]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"missing column(s) {missing}")
        if unknown:
            parts.append(f"unknown column(s) {unknown}")
        raise EmotifyError(f"{path}: {' and '.join(parts)}; expected the 17 columns {list(ANNOTATION_COLUMNS)}")
    if raw.empty:
        raise EmotifyError(f"{path}: has a header but no rows")
    raw = raw.apply(lambda col: col.str.strip())
    line = raw.index + 2

    header_rows = raw["track id"].str.lower().eq("track id")
    if header_rows.any():
        lines = [f"line {n}" for n in line[header_rows]]
        raise EmotifyError(f"{path}: the header is repeated at {_first(lines)}")

    ids = pd.to_numeric(raw["track id"], errors="coerce")
    bad_id = ids.isna() | (ids <= 0) | (ids % 1 != 0)
    if bad_id.any():
        items = [f"line {n}: {v!r}" for n, v in zip(line[bad_id], raw.loc[bad_id, "track id"], strict=True)]
        raise EmotifyError(
            f"{path}: {int(bad_id.sum())} row(s) with a track id that is not a positive integer: {_first(items)}"
        )

    bad_cells = []
    for emotion in EMOTIONS:
        bad = ~raw[emotion].isin(["0", "1"])
        bad_cells += [f"line {n} {emotion}={v!r}" for n, v in zip(line[bad], raw.loc[bad, emotion], strict=True)]
    if bad_cells:
        raise EmotifyError(f"{path}: {len(bad_cells)} emotion value(s) not 0/1: {_first(bad_cells)}")

    genre = raw["genre"].str.lower()
    bad_genre = ~genre.isin(GENRES)
    if bad_genre.any():
        items = [f"line {n}: {v!r}" for n, v in zip(line[bad_genre], raw.loc[bad_genre, "genre"], strict=True)]
        raise EmotifyError(
            f"{path}: {int(bad_genre.sum())} row(s) with an unknown genre (expected one of {list(GENRES)}): "
            f"{_first(items)}"
        )

    data = raw.copy()
    data["track id"] = ids.astype("int64")
    data["genre"] = genre
    for emotion in EMOTIONS:
        data[emotion] = data[emotion].astype("int64")
    for col in ("mood", "liked", "disliked", "age", "gender"):
        data[col] = pd.to_numeric(data[col], errors="coerce").astype("Int64")

    genres_per_id = data.groupby("track id")["genre"].nunique()
    conflicting = genres_per_id[genres_per_id > 1].index.tolist()
    if conflicting:
        raise EmotifyError(
            f"{path}: track id(s) listed under more than one genre: {_first([str(i) for i in conflicting])}"
        )
    base = data["genre"].map(GENRE_ID_BASE)
    outside = (data["track id"] <= base) | (data["track id"] > base + CLIPS_PER_GENRE)
    if outside.any():
        items = [
            f"line {n}: track {t} ({g}, whose ids are {GENRE_ID_BASE[g] + 1}-{GENRE_ID_BASE[g] + CLIPS_PER_GENRE})"
            for n, t, g in zip(line[outside], data.loc[outside, "track id"], data.loc[outside, "genre"], strict=True)
        ]
        raise EmotifyError(
            f"{path}: {int(outside.sum())} row(s) with a track id outside its genre's id range, so no audio file "
            f"can be assigned to it (the archive numbers classical 1-100, rock 101-200, electronic 201-300, "
            f"pop 301-400; <genre>/<n>.mp3 is id base + n): {_first(items)}"
        )
    return data.loc[:, list(ANNOTATION_COLUMNS)]


def handle_duplicate_rows(
    data: pd.DataFrame, policy: str = "keep", logger: logging.Logger | None = None
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Count the rows that repeat an earlier row verbatim; drop them when ``policy`` is ``drop``.

    A repeated row may be a listening event recorded twice, or two listeners who gave the same
    answers and demographics: the file cannot tell, so the default keeps the file as published.
    Returns the rows to use and a report: rows read, rows repeating an earlier one, how many
    distinct rows are repeated and the most copies of one, the 1-based line numbers of the
    repeats (header = line 1), how many tracks they touch, and the policy applied.
    """
    if policy not in ("keep", "drop"):
        raise EmotifyError(f"data.duplicate_rows must be 'keep' or 'drop', got {policy!r}")
    dup = data.duplicated(keep="first")
    lines = (data.index[dup] + 2).tolist()
    copies = data[data.duplicated(keep=False)].value_counts()
    report = {
        "rows": int(len(data)),
        "duplicate_rows": int(dup.sum()),
        "distinct_repeated_rows": int(len(copies)),
        "most_copies": int(copies.max()) if len(copies) else 1,
        "duplicate_lines": lines,
        "tracks_with_duplicates": int(data.loc[dup, "track id"].nunique()),
        "duplicate_policy": policy,
        "rows_used": int(len(data) - (dup.sum() if policy == "drop" else 0)),
    }
    if logger and dup.any():
        logger.warning(
            "%d row(s) repeat an earlier row verbatim (%d distinct rows, up to %d copies, %d tracks; lines %s); "
            "data.duplicate_rows: %s",
            report["duplicate_rows"],
            report["distinct_repeated_rows"],
            report["most_copies"],
            report["tracks_with_duplicates"],
            _first([str(n) for n in lines]),
            "kept, as published" if policy == "keep" else "dropped",
        )
    return (data[~dup].reset_index(drop=True) if policy == "drop" else data), report


def expected_audio_paths(annotations: pd.DataFrame, audio_root: str | Path, ext: str) -> pd.DataFrame:
    """Apply the archive's rule: track id -> ``<audio_root>/<genre>/<id - base>.<ext>``.

    ``rank`` is the id's place in its genre's block of the *complete* archive (the n-th
    smallest id of the genre in the official data.csv), so it does not depend on which rows
    ``annotations`` holds. :func:`read_annotations` has checked that every id lies in its block.
    Returns a frame with columns track_id, genre, rank, path, sorted by track id.
    """
    tracks = annotations.groupby("track id", sort=True)["genre"].first().reset_index()
    tracks.columns = ["track_id", "genre"]
    tracks["rank"] = (tracks["track_id"] - tracks["genre"].map(GENRE_ID_BASE)).astype("int64")
    if not tracks["rank"].between(1, CLIPS_PER_GENRE).all():  # annotations that bypassed read_annotations
        bad = tracks[~tracks["rank"].between(1, CLIPS_PER_GENRE)]
        raise EmotifyError(
            f"track id(s) outside their genre's id range: {_first([f'{t} ({g})' for t, g in zip(bad.track_id, bad.genre, strict=True)])}"
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
    unnamed = sorted(p for p in found if archive_track_id(p) is None)
    unnamed += sorted(p for p in found if archive_track_id(p) is not None and not str(p).endswith(f".{ext}"))
    if unnamed:
        raise EmotifyError(
            f"{root}: {len(unnamed)} audio file(s) are not named as the archive names its clips (<genre>/<n>.{ext}, "
            f"n = 1..{CLIPS_PER_GENRE}, track id = base + n with bases classical 0, rock 100, electronic 200, "
            f"pop 300), so no track id can be assigned: {_first(unnamed)}"
        )
    norm = {os.path.normpath(p) for p in expected["path"]}
    unlabelled = sorted(p for p in found if os.path.normpath(p) not in norm)
    if unlabelled and require_all_audio:
        items = [f"{p} (track {archive_track_id(p)})" for p in unlabelled]
        raise EmotifyError(
            f"{root}: {len(unlabelled)} audio file(s) have no rows in the annotations: {_first(items)} "
            "(set data.require_all_audio: false to run on the tracks that have both)"
        )
    if unlabelled and logger:
        logger.warning(
            "%d audio file(s) have no rows in the annotations and are left out: %s",
            len(unlabelled),
            _first([f"{p} (track {archive_track_id(p)})" for p in unlabelled]),
        )
    present = {os.path.normpath(p) for p in found}
    missing = expected[[os.path.normpath(p) not in present for p in expected["path"]]]
    if require_all_audio and len(missing):
        items = [f"track {t} -> {p}" for t, p in zip(missing["track_id"], missing["path"], strict=True)]
        raise EmotifyError(
            f"{root}: {len(missing)} track id(s) in the annotations have no audio file: {_first(items)} "
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


#: audio extensions found beside the configured one: a ``3.wav`` among the MP3s is refused by its
#: name (:func:`check_audio_mapping`), never left out without a word
AUDIO_EXTENSIONS = (".mp3", ".wav", ".flac", ".ogg", ".oga", ".opus", ".m4a", ".aac", ".aif", ".aiff", ".wma")


def find_audio_files(audio_root: str | Path, ext: str, logger: logging.Logger | None = None) -> list[Path]:
    """All ``<genre>/<anything>.<ext>`` files under ``audio_root`` for the four genres, the
    extension matched in any case (``3.MP3`` is found, and then refused by its name rather than
    silently missing), other audio extensions too (``3.wav``: refused by its name) and hidden
    files (``._1.mp3``) included. Folders that are not one of the four genres are logged and
    left alone."""
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


def read_tags(path: str | Path) -> dict[str, Any]:
    """Stream info and ID3/metadata tags of one audio file, via mutagen.

    Raises :class:`EmotifyError` naming the file when it is empty or not a readable audio
    file. Missing tags come back as empty strings. ``declared_s`` is the duration the file's
    headers state (for an MP3 without a VBR header, mutagen estimates it from the file size).
    """
    import mutagen

    path = Path(path)
    if path.stat().st_size == 0:
        raise EmotifyError(f"{path}: audio file is empty (0 bytes)")
    try:
        audio = mutagen.File(path, easy=True)
    except mutagen.MutagenError as err:
        raise EmotifyError(f"{path}: not a readable audio file ({err})") from None
    if audio is None or getattr(audio, "info", None) is None:
        raise EmotifyError(f"{path}: not a recognised audio file")
    info = audio.info
    tags = audio.tags or {}

    def tag(key: str) -> str:
        value = tags.get(key) if hasattr(tags, "get") else None
        return str(value[0]).strip() if value else ""

    return {
        "declared_s": round(float(getattr(info, "length", 0.0) or 0.0), 3),
        "sample_rate": int(getattr(info, "sample_rate", 0) or 0),
        "channels": int(getattr(info, "channels", 0) or 0),
        "frame_offset": getattr(info, "frame_offset", None),
        "format": type(audio).__name__.removeprefix("Easy").upper(),
        "title": tag("title"),
        "artist": tag("artist"),
        "album": tag("album"),
        "year": tag("date")[:4],
    }


CATALOGUE = CATALOGUE_PATH  # the archive's 400 tracks: file, ID3 artist and album (resources/README.md)


def read_catalogue(path: str | Path = CATALOGUE) -> dict[str, dict[str, str]]:
    """``'<genre>/<n>'`` -> {track_id, artist, album} of the complete archive."""
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
    demo and re-tagged copies (no clip matches) are not held to the archive's tags."""
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


CATALOGUE_DURATION_TOLERANCE_S = 0.05
"""How far a clip's header duration may lie from the catalogue's (measured: at most 0.011 s on the 40 real clips)."""


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


def missing_group_tags(probes: dict[str, dict[str, Any]], group_by: list[str]) -> str:
    """'' when every clip has the ID3 tag of every grouping in ``group_by`` (artist, album),
    else one message listing the clips without it: grouped splits need the tag of every song,
    and this is known from the files before any extraction."""
    problems = []
    for kind in group_by:
        without = sorted(p for p, rec in probes.items() if not str(rec.get(kind) or "").strip())
        if without:
            problems.append(f"{len(without)} clip(s) have no ID3 {kind} tag: {_first(without)}")
    if not problems:
        return ""
    kinds = ", ".join(repr(k) for k in group_by)
    return (
        f"{'; '.join(problems)}. Grouped splits (evaluation.group_by: [{kinds}]) need the tag of every song: tag "
        "the files (e.g. with mid3v2), or drop the grouping from evaluation.group_by"
    )


def flag_duplicate_audio(table: pd.DataFrame, logger: logging.Logger | None = None) -> pd.DataFrame:
    """Fill ``duplicate_of``: for a track whose audio bytes (sha256) equal those of another
    track, the other track ids (';'-joined), else ''. The same recording under two ids would sit
    on both sides of a split; the summary reports it."""
    table = table.copy()
    digests = table["sha256"].where(table["status"] == "ok")
    ids_by_digest = table.groupby(digests)["track_id"].apply(list).to_dict()
    table["duplicate_of"] = [
        ";".join(str(o) for o in ids_by_digest.get(d, []) if o != t) if isinstance(d, str) else ""
        for t, d in zip(table["track_id"], digests, strict=True)
    ]
    dup = table[table["duplicate_of"] != ""]
    if logger and len(dup):
        logger.warning(
            "%d track(s) share their audio bytes (sha256) with another track: %s",
            len(dup),
            _first([f"track {t} = {o}" for t, o in zip(dup["track_id"], dup["duplicate_of"], strict=True)]),
        )
    return table


@dataclass(frozen=True)
class AudioPolicy:
    """How the excerpt is cut from each clip (``audio.*``): what counts as too short, what is padded."""

    offset: float = 0.0
    duration: float = 60.0
    min_duration: float = 10.0

    def padded_s(self, decoded_s: float) -> float:
        """Seconds of zeros appended so the excerpt lasts ``duration`` (0 for a long enough clip)."""
        return max(0.0, self.duration - max(0.0, decoded_s - self.offset))


def probe_audio(path: str | Path) -> dict[str, Any]:
    """What the file itself says, independent of any setting: size, sha256, tags, durations.

    Reads the whole file once (a one-minute MP3 is about 1 MB): size, sha256, mutagen's tags
    and header, and for MP3 a walk over the frames (:mod:`audio_check`) that tells a truncated
    or corrupt file from a whole short one and gives the seconds a decoder will output.

    Returns the track table's file columns plus ``problem``: '' for a whole, readable file,
    else one line naming the file and what is wrong. Raises nothing for a bad file.
    """
    from .audio_check import scan_mpeg

    path = Path(path)
    rec: dict[str, Any] = {"problem": ""}
    if path.is_symlink() and not path.exists():
        rec["problem"] = f"{path}: a symbolic link to {os.readlink(path)}, which does not exist"
        return rec
    try:
        data = path.read_bytes()
    except OSError as err:
        rec["problem"] = f"{path}: cannot read ({err.strerror or err})"
        return rec
    rec["size_bytes"] = len(data)
    rec["sha256"] = hashlib.sha256(data).hexdigest()
    try:
        rec.update(read_tags(path))
    except EmotifyError as err:
        rec["problem"] = str(err)
        return rec
    if path.suffix.lower() == ".mp3" and rec.get("format") not in ("MP3", None):
        rec["problem"] = f"{path}: a {rec['format']} file named .mp3, not an MPEG audio stream"
        return rec
    rec.pop("format", None)
    offset = rec.pop("frame_offset")
    rec["decoded_s"] = rec["declared_s"]
    rec["integrity"] = "unchecked (not MP3)"
    if path.suffix.lower() == ".mp3" and offset is not None:
        try:
            scan = scan_mpeg(data, int(offset))
        except ValueError as err:
            rec["problem"] = f"{path}: not an MPEG audio stream ({err})"
            return rec
        rec["decoded_s"] = round(scan.decoded_s, 3)
        rec["integrity"] = scan.integrity
        if scan.problem:
            rec["problem"] = f"{path}: {scan.kind} file: {scan.problem}"
    return rec


def probe_code_version() -> str:
    """sha256 of the code that decides a probe (this module and audio_check): a cached probe
    made by other code is read again."""
    from . import audio_check

    return source_digest(__file__, audio_check.__file__)


def probe_audio_files(paths: list[str], cache: str | Path | None = None) -> dict[str, dict[str, Any]]:
    """:func:`probe_audio` for every path, reusing ``cache`` (JSON) for unchanged files.

    A cached probe is reused only while the file's size, mtime, ctime and inode are all the
    same (``cp -p`` or rsync can restore an old mtime, never an old ctime or inode, so a
    restored or replaced file is read again) and the probing code is the same
    (:func:`probe_code_version`). The cache is rewritten atomically.
    """
    version = probe_code_version()
    old: dict[str, Any] = {}
    if cache and Path(cache).is_file():
        try:
            stored = json.loads(Path(cache).read_text())
            old = stored["probes"] if stored.get("version") == version else {}
        except (OSError, ValueError, KeyError, AttributeError):
            old = {}
    new: dict[str, Any] = {}
    for path in paths:
        try:
            st = os.stat(path)
            key = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
        except OSError:
            key = None
        hit = old.get(path)
        new[path] = {"key": key, "probe": hit["probe"] if key and hit and hit["key"] == key else probe_audio(path)}
    if cache and any(old.get(p) != v for p, v in new.items()):
        try:
            write_json({"version": version, "probes": {**old, **new}}, cache)
        except OSError:
            pass  # a read-only checkout still works; it only reads the files again next time
    return {path: dict(value["probe"]) for path, value in new.items()}


def apply_policy(
    rec: dict[str, Any], path: str | Path, policy: AudioPolicy, catalogue: dict[str, dict[str, str]] | None = None
) -> str:
    """Set ``rec['padded_s']`` for a usable clip; return '' or why the clip is unusable
    (a broken file, too short a clip, or -- with ``catalogue`` -- tags of another track)."""
    if rec.get("problem"):
        return str(rec["problem"])
    wrong_file = catalogue_problem(rec, path, catalogue) if catalogue else ""
    if wrong_file:
        return wrong_file
    usable = rec["decoded_s"] - policy.offset
    if usable < policy.min_duration:
        return (
            f"{path}: a whole file, but only {max(usable, 0.0):.2f} s of audio after audio.offset = "
            f"{policy.offset} s, less than audio.min_duration = {policy.min_duration} s"
        )
    rec["padded_s"] = round(policy.padded_s(rec["decoded_s"]), 3)
    return ""


def inspect_audio(path: str | Path, policy: AudioPolicy) -> dict[str, Any]:
    """:func:`probe_audio` and :func:`apply_policy`: the track table's columns for one file
    plus ``problem`` ('' when the clip is usable)."""
    rec = probe_audio(path)
    rec["problem"] = apply_policy(rec, path, policy)
    return rec


def build_track_table(
    annotations: pd.DataFrame,
    audio_root: str | Path,
    ext: str,
    require_all_audio: bool = True,
    on_bad_audio: str = "error",
    policy: AudioPolicy | None = None,
    logger: logging.Logger | None = None,
    check_catalogue: str | bool = "auto",
    catalogue: dict[str, dict[str, str]] | None = None,
) -> pd.DataFrame:
    """Join annotation ids to audio files, read their metadata and check every file.

    Parameters
    ----------
    annotations : validated data.csv rows (:func:`read_annotations`).
    audio_root : folder holding ``<genre>/<n>.<ext>``.
    ext : audio file extension without the dot (``mp3`` for Emotify).
    require_all_audio : if True, a track id without its audio file is an error; if False
        (a subset of the clips, e.g. the 40 real clips) it is kept with status ``no_audio``.
    on_bad_audio : ``error`` stops on any unusable file -- after checking them all, with one
        message listing every offending file; ``skip`` keeps each such row with status
        ``skipped`` and the reason, so it is visible in the table and excluded downstream.
    policy : the excerpt settings; a whole clip shorter than ``policy.duration`` is usable and
        zero-padded (``padded_s``), one with less than ``policy.min_duration`` seconds after
        the offset is not; truncated or corrupt files never are (see :func:`inspect_audio`).
    check_catalogue : ``data.check_catalogue`` (see :func:`catalogue_for`); where the archive's
        catalogue applies, a file whose ID3 artist, album or duration is not its track's is
        unusable (renamed, swapped or cut).
    catalogue : the catalogue to use instead of the shipped one (tests).

    Returns
    -------
    pandas.DataFrame with :data:`TRACK_COLUMNS`, one row per track id, sorted by id.
    """
    if on_bad_audio not in ("error", "skip"):
        raise EmotifyError(f"data.on_bad_audio must be 'error' or 'skip', got {on_bad_audio!r}")
    policy = policy or AudioPolicy()
    root = Path(audio_root)
    if not root.is_dir():
        raise EmotifyError(f"{root}: audio folder not found (expected <genre>/<n>.{ext} inside)")
    found = [str(p) for p in find_audio_files(root, ext, logger)]
    check_audio_mapping(annotations, root, ext, found, require_all_audio, logger)
    tracks = expected_audio_paths(annotations, root, ext)

    probes = {
        row.path: probe_audio(row.path)
        for row in tracks.itertuples(index=False)
        if Path(row.path).exists() or Path(row.path).is_symlink()
    }
    checked = catalogue_for(probes, check_catalogue, catalogue)
    if logger:
        logger.info(
            "catalogue check (data.check_catalogue: %s): %s",
            check_catalogue,
            "on, every clip's tags and duration against its track's" if checked else "off (not the archive's tags)",
        )
    records, problems = [], []
    for row in tracks.itertuples(index=False):
        rec: dict[str, Any] = {**row._asdict(), "status": "ok", "reason": ""}
        path = Path(row.path)
        if row.path not in probes:
            rec.update(status="no_audio", reason="audio file not present")
        else:
            info = probes[row.path]
            problem = apply_policy(info, path, policy, checked)
            info.pop("problem")
            rec.update(info)
            if problem:
                problems.append(problem)
                rec.update(status="skipped", reason=problem)
                if logger:
                    action = "skipping track" if on_bad_audio == "skip" else "track"
                    logger.warning("%s %d: %s", action, row.track_id, problem)
        records.append(rec)
    if problems and on_bad_audio == "error":
        listing = "\n  ".join(problems)
        raise EmotifyError(
            f"{len(problems)} of {len(records)} audio file(s) cannot be used:\n  {listing}\n"
            "(set data.on_bad_audio: skip to record such files in tracks.csv and run without them)"
        )
    table = flag_duplicate_audio(pd.DataFrame.from_records(records).reindex(columns=list(TRACK_COLUMNS)), logger)
    for col in ("sample_rate", "channels", "size_bytes"):
        table[col] = table[col].astype("Int64")

    if not (table["status"] == "ok").any():
        raise EmotifyError(f"{root}: no usable audio file for any track id in the annotations")
    if logger:
        counts = table["status"].value_counts().to_dict()
        logger.info("track table: %d ids, status counts %s", len(table), counts)
        padded = table[table["padded_s"].fillna(0) > 0]
        if len(padded):
            logger.info(
                "%d whole clip(s) shorter than audio.duration = %s s are zero-padded (at most %.2f s): %s",
                len(padded),
                policy.duration,
                padded["padded_s"].max(),
                ", ".join(f"{t}: {s:.2f} s" for t, s in zip(padded["track_id"], padded["padded_s"], strict=True)),
            )
    return table


def validate_annotations_job(smk: Any, logger: logging.Logger) -> None:
    data = read_annotations(smk.input.csv)
    data, report = handle_duplicate_rows(data, smk.params.duplicate_rows, logger)
    logger.info("%s: %d listening events, %d tracks", smk.input.csv, len(data), data["track id"].nunique())
    write_csv(data, smk.output.csv)
    write_json({**report, "file": str(smk.input.csv)}, smk.output.report)


def parse_track_ids(text: str) -> pd.DataFrame:
    """'id:genre;id:genre;...' (the track table's params) as a frame with columns ``track id``
    and ``genre``, as :func:`expected_audio_paths` reads annotations."""
    pairs = [item.split(":") for item in text.split(";") if item]
    return pd.DataFrame({"track id": [int(t) for t, _ in pairs], "genre": [g for _, g in pairs]})


def track_table_job(smk: Any, logger: logging.Logger) -> None:
    ids = smk.params.track_ids
    data = parse_track_ids(ids) if ids else read_annotations(smk.input.annotations)
    table = build_track_table(
        data,
        smk.params.audio_root,
        smk.params.ext,
        require_all_audio=smk.params.require_all_audio,
        on_bad_audio=smk.params.on_bad_audio,
        policy=AudioPolicy(**smk.params.audio_policy),
        logger=logger,
        check_catalogue=smk.params.check_catalogue,
    )
    write_csv(table, smk.output.tracks)
