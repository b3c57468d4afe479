"""data.csv read and checked: the 17 columns, UTF-8, 0/1 emotions, known genres, one genre per
track id and every id inside its genre's block of the archive; rows that repeat an earlier row
verbatim counted (and dropped on request); the validated copy written for the rules after it."""

import logging
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.emotify import ANNOTATION_COLUMNS, CLIPS_PER_GENRE, EMOTIONS, GENRE_ID_BASE, GENRES
from ..core.errors import EmotifyError, first_few
from ..core.files import write_csv, write_json


def _undecodable_lines(data: bytes) -> list[str]:
    """'line N byte B (<the offending bytes>)' for every line that is not UTF-8 (1-based,
    header = line 1); [] for a UTF-8 file."""
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


def _read_cells(path: Path) -> pd.DataFrame:
    """data.csv's cells as stripped strings, header and columns checked.

    Raises :class:`EmotifyError` naming ``path`` when the file is missing, empty, not UTF-8 or
    not a CSV, when a column is missing or unknown, or when it has no rows.

    Returns
    -------
    pandas.DataFrame
        One row per line after the header, the 17 columns as ``str`` (in the file's order).
    """
    if not path.is_file():
        raise EmotifyError(f"{path}: annotations file not found")
    if path.stat().st_size == 0:
        raise EmotifyError(f"{path}: annotations file is empty")
    bad_lines = _undecodable_lines(path.read_bytes())
    if bad_lines:
        raise EmotifyError(
            f"{path}: {len(bad_lines)} line(s) are not valid UTF-8 (saved as Latin-1 or another encoding?): "
            f"{first_few(bad_lines)}; convert the file, e.g. iconv -f latin1 -t utf-8"
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
    return raw.apply(lambda col: col.str.strip())


def _check_cells(raw: pd.DataFrame, path: Path) -> pd.Series:
    """Check every row's cells (:func:`_read_cells`): no repeated header, a positive integer
    track id, 0/1 emotions, a known genre (any case). Raises :class:`EmotifyError` naming
    ``path`` and the first offending lines (1-based, header = line 1).

    Returns
    -------
    pandas.Series
        The track ids as numbers (float, every one a positive integer), indexed as ``raw``.
    """
    line = raw.index + 2
    header_rows = raw["track id"].str.lower().eq("track id")
    if header_rows.any():
        lines = [f"line {n}" for n in line[header_rows]]
        raise EmotifyError(f"{path}: the header is repeated at {first_few(lines)}")

    ids = pd.to_numeric(raw["track id"], errors="coerce")
    bad_id = ids.isna() | (ids <= 0) | (ids % 1 != 0)
    if bad_id.any():
        items = [f"line {n}: {v!r}" for n, v in zip(line[bad_id], raw.loc[bad_id, "track id"], strict=True)]
        raise EmotifyError(
            f"{path}: {int(bad_id.sum())} row(s) with a track id that is not a positive integer: {first_few(items)}"
        )

    bad_cells = []
    for emotion in EMOTIONS:
        bad = ~raw[emotion].isin(["0", "1"])
        bad_cells += [f"line {n} {emotion}={v!r}" for n, v in zip(line[bad], raw.loc[bad, emotion], strict=True)]
    if bad_cells:
        raise EmotifyError(f"{path}: {len(bad_cells)} emotion value(s) not 0/1: {first_few(bad_cells)}")

    bad_genre = ~raw["genre"].str.lower().isin(GENRES)
    if bad_genre.any():
        items = [f"line {n}: {v!r}" for n, v in zip(line[bad_genre], raw.loc[bad_genre, "genre"], strict=True)]
        raise EmotifyError(
            f"{path}: {int(bad_genre.sum())} row(s) with an unknown genre (expected one of {list(GENRES)}): "
            f"{first_few(items)}"
        )
    return ids


def _typed(raw: pd.DataFrame, ids: pd.Series) -> pd.DataFrame:
    """Checked cells as values: ``track id`` and the emotions int64, the genre lower case,
    mood, liked, disliked, age and gender nullable Int64 (an empty cell is <NA>)."""
    data = raw.copy()
    data["track id"] = ids.astype("int64")
    data["genre"] = raw["genre"].str.lower()
    for emotion in EMOTIONS:
        data[emotion] = data[emotion].astype("int64")
    for col in ("mood", "liked", "disliked", "age", "gender"):
        data[col] = pd.to_numeric(data[col], errors="coerce").astype("Int64")
    return data


def _check_track_ids(data: pd.DataFrame, path: Path) -> None:
    """Raise :class:`EmotifyError` naming ``path`` when a track id is listed under two genres,
    or lies outside its genre's block of the archive (no audio file can be assigned to it)."""
    line = data.index + 2
    genres_per_id = data.groupby("track id")["genre"].nunique()
    conflicting = genres_per_id[genres_per_id > 1].index.tolist()
    if conflicting:
        raise EmotifyError(
            f"{path}: track id(s) listed under more than one genre: {first_few([str(i) for i in conflicting])}"
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
            f"pop 301-400; <genre>/<n>.mp3 is id base + n): {first_few(items)}"
        )


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
    raw = _read_cells(path)
    data = _typed(raw, _check_cells(raw, path))
    _check_track_ids(data, path)
    return data.loc[:, list(ANNOTATION_COLUMNS)]


def handle_duplicate_rows(
    data: pd.DataFrame, policy: str = "keep", logger: logging.Logger | None = None
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Count the rows that repeat an earlier row verbatim; drop them when ``policy`` is ``drop``.

    A repeated row may be a listening event recorded twice, or two listeners who gave the same
    answers and demographics: the file cannot tell, so the default keeps the file as published.

    Parameters
    ----------
    data : validated listening events (:func:`read_annotations`), in the file's row order.
    policy : ``data.duplicate_rows``: ``keep`` or ``drop``.
    logger : where a warning names the repeats, if any.

    Returns
    -------
    tuple of (pandas.DataFrame, dict)
        The rows to use, and a report: rows read, rows repeating an earlier one, how many
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
            first_few([str(n) for n in lines]),
            "kept, as published" if policy == "keep" else "dropped",
        )
    return (data[~dup].reset_index(drop=True) if policy == "drop" else data), report


def validate_annotations(
    source: str | Path,
    out_csv: str | Path,
    out_report: str | Path,
    duplicate_rows: str = "keep",
    logger: logging.Logger | None = None,
) -> pd.DataFrame:
    """Read and check ``source`` (:func:`read_annotations`), apply ``data.duplicate_rows``
    (:func:`handle_duplicate_rows`) and write the rows to use to ``out_csv`` and the duplicate
    report, with the file's name, to ``out_report`` (JSON). Returns the rows written."""
    data = read_annotations(source)
    data, report = handle_duplicate_rows(data, duplicate_rows, logger)
    if logger:
        logger.info("%s: %d listening events, %d tracks", source, len(data), data["track id"].nunique())
    write_csv(data, out_csv)
    write_json({**report, "file": str(source)}, out_report)
    return data


def parse_track_ids(text: str) -> pd.DataFrame:
    """'id:genre;id:genre;...' (the track table's params) as a frame with columns ``track id``
    and ``genre``, as :func:`mapping.expected_audio_paths` reads annotations."""
    pairs = [item.split(":") for item in text.split(";") if item]
    return pd.DataFrame({"track id": [int(t) for t, _ in pairs], "genre": [g for _, g in pairs]})


def annotated_tracks(track_ids: str, annotations: str | Path | None = None) -> pd.DataFrame:
    """The tracks whose audio files the track table checks: ``track_ids`` ('id:genre;...',
    known while the DAG is built) when given, else the rows of the validated ``annotations``
    file (a download, whose ids are known only once it has run).

    Returns
    -------
    pandas.DataFrame
        At least the columns ``track id`` and ``genre`` (:func:`mapping.expected_audio_paths`).
    """
    if track_ids:
        return parse_track_ids(track_ids)
    if annotations is None:
        raise EmotifyError("the track table needs the track ids or the annotations file; it was given neither")
    return read_annotations(annotations)
