"""Ingestion of an Emotify copy: validate data.csv, map track ids to audio files, read ID3 tags.

Mapping rule (from the dataset's documentation): within each genre, the n-th smallest track id
of that genre in data.csv is ``emotifymusic/<genre>/<n>.<ext>``. Folder order is never used.
"""

import logging
from pathlib import Path
from typing import Any

import pandas as pd

from common_io import ANNOTATION_COLUMNS, EMOTIONS, GENRES, EmotifyError, run_main, write_csv

TRACK_COLUMNS: tuple[str, ...] = (
    "track_id",
    "genre",
    "rank",
    "path",
    "status",
    "reason",
    "duration_s",
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
    return data.loc[:, list(ANNOTATION_COLUMNS)]


def expected_audio_paths(annotations: pd.DataFrame, audio_root: str | Path, ext: str) -> pd.DataFrame:
    """Apply the per-genre rank rule: track id -> ``<audio_root>/<genre>/<rank>.<ext>``.

    Returns a frame with columns track_id, genre, rank, path, sorted by track id.
    """
    tracks = annotations.groupby("track id", sort=True)["genre"].first().reset_index()
    tracks.columns = ["track_id", "genre"]
    tracks["rank"] = tracks.groupby("genre")["track_id"].rank(method="first").astype("int64")
    root = Path(audio_root)
    tracks["path"] = [str(root / g / f"{r}.{ext}") for g, r in zip(tracks["genre"], tracks["rank"], strict=True)]
    return tracks


def check_audio_mapping(
    annotations: pd.DataFrame, audio_root: str | Path, ext: str, found: list[str], require_all_audio: bool = True
) -> None:
    """Every audio file in ``found`` must map to a track id (rank rule) and, when
    ``require_all_audio``, every track id to an existing file; raise :class:`EmotifyError`."""
    import os

    root = Path(audio_root)
    expected = expected_audio_paths(annotations, root, ext)
    norm = {os.path.normpath(p) for p in expected["path"]}
    orphans = sorted(p for p in found if os.path.normpath(p) not in norm)
    if orphans:
        raise EmotifyError(
            f"{root}: {len(orphans)} audio file(s) have no track id in the annotations (n-th smallest id of a "
            f"genre is <genre>/<n>.{ext}): {_first(orphans)}"
        )
    present = {os.path.normpath(p) for p in found}
    missing = expected[[os.path.normpath(p) not in present for p in expected["path"]]]
    if require_all_audio and len(missing):
        items = [f"track {t} -> {p}" for t, p in zip(missing["track_id"], missing["path"], strict=True)]
        raise EmotifyError(
            f"{root}: {len(missing)} track id(s) in the annotations have no audio file: {_first(items)} "
            "(set data.require_all_audio: false to run on the clips present)"
        )


def find_audio_files(audio_root: str | Path, ext: str) -> list[Path]:
    """All ``<genre>/<anything>.<ext>`` files under ``audio_root`` for the four genres."""
    root = Path(audio_root)
    return sorted(p for g in GENRES for p in (root / g).glob(f"*.{ext}"))


def read_tags(path: str | Path) -> dict[str, Any]:
    """Stream info and ID3/metadata tags of one audio file, via mutagen.

    Raises :class:`EmotifyError` naming the file when it is empty or not a readable audio
    file. Missing tags come back as empty strings.
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
    check_stream_size(path, info)

    def tag(key: str) -> str:
        value = tags.get(key) if hasattr(tags, "get") else None
        return str(value[0]).strip() if value else ""

    return {
        "duration_s": round(float(getattr(info, "length", 0.0) or 0.0), 3),
        "sample_rate": int(getattr(info, "sample_rate", 0) or 0),
        "channels": int(getattr(info, "channels", 0) or 0),
        "title": tag("title"),
        "artist": tag("artist"),
        "album": tag("album"),
        "year": tag("date")[:4],
    }


def check_stream_size(path: Path, info: Any, tolerance: float = 0.9) -> None:
    """Raise :class:`EmotifyError` when an MP3 holds fewer bytes than its header promises.

    A VBR MP3 states its length in its Xing/LAME header, so a truncated file still reports
    the full duration; its byte count gives it away. (A CBR MP3 without such a header has its
    length estimated from the file size, so truncation shows as a short duration instead.)
    """
    offset = getattr(info, "frame_offset", None)
    bitrate = getattr(info, "bitrate", 0) or 0
    length = getattr(info, "length", 0.0) or 0.0
    if offset is None or bitrate <= 0 or length <= 0:
        return
    promised = bitrate * length / 8
    present = path.stat().st_size - offset
    if present < tolerance * promised:
        raise EmotifyError(
            f"{path}: holds {present} bytes of audio but its header promises about {promised:.0f} "
            f"({length:.1f} s at {bitrate // 1000} kbit/s): truncated file"
        )


def build_track_table(
    annotations: pd.DataFrame,
    audio_root: str | Path,
    ext: str,
    require_all_audio: bool = True,
    on_bad_audio: str = "error",
    min_duration: float = 0.0,
    logger: logging.Logger | None = None,
) -> pd.DataFrame:
    """Join annotation ids to audio files and read their metadata.

    Parameters
    ----------
    annotations : validated data.csv rows (:func:`read_annotations`).
    audio_root : folder holding ``<genre>/<n>.<ext>``.
    ext : audio file extension without the dot (``mp3`` for Emotify).
    require_all_audio : if True, a track id without its audio file is an error; if False
        (a subset of the clips, e.g. the 40 real clips) it is kept with status ``no_audio``.
    on_bad_audio : ``error`` stops on an unreadable file; ``skip`` keeps the row with status
        ``skipped`` and the reason, so it is visible in the table and excluded downstream.
    min_duration : a file whose stream is shorter (seconds, from its headers and size, which
        is how a truncated MP3 shows) counts as unreadable.

    Returns
    -------
    pandas.DataFrame with :data:`TRACK_COLUMNS`, one row per track id, sorted by id.
    """
    if on_bad_audio not in ("error", "skip"):
        raise EmotifyError(f"data.on_bad_audio must be 'error' or 'skip', got {on_bad_audio!r}")
    root = Path(audio_root)
    if not root.is_dir():
        raise EmotifyError(f"{root}: audio folder not found (expected <genre>/<n>.{ext} inside)")
    found = [str(p) for p in find_audio_files(root, ext)]
    check_audio_mapping(annotations, root, ext, found, require_all_audio)
    tracks = expected_audio_paths(annotations, root, ext)

    records = []
    for row in tracks.itertuples(index=False):
        rec: dict[str, Any] = {**row._asdict(), "status": "ok", "reason": ""}
        path = Path(row.path)
        if not path.exists():
            rec.update(status="no_audio", reason="audio file not present")
        else:
            try:
                rec.update(read_tags(path))
                if rec["duration_s"] < min_duration:
                    raise EmotifyError(
                        f"{path}: lasts {rec['duration_s']:.2f} s, less than audio.min_duration = "
                        f"{min_duration} s (truncated file?)"
                    )
            except EmotifyError as err:
                if on_bad_audio == "error":
                    raise EmotifyError(f"{err} (set data.on_bad_audio: skip to record and skip such files)") from None
                rec.update(status="skipped", reason=str(err))
                if logger:
                    logger.warning("skipping track %d: %s", row.track_id, err)
        records.append(rec)
    table = pd.DataFrame.from_records(records).reindex(columns=list(TRACK_COLUMNS))
    table[["sample_rate", "channels"]] = table[["sample_rate", "channels"]].astype("Int64")

    if not (table["status"] == "ok").any():
        raise EmotifyError(f"{root}: no usable audio file for any track id in the annotations")
    if logger:
        counts = table["status"].value_counts().to_dict()
        logger.info("track table: %d ids, status counts %s", len(table), counts)
    return table


def usable_tracks(tracks: pd.DataFrame) -> pd.DataFrame:
    """The rows of a track table whose audio is present and readable."""
    return tracks[tracks["status"] == "ok"].reset_index(drop=True)


def main(smk: Any, logger: logging.Logger) -> None:
    if smk.rule == "validate_annotations":
        data = read_annotations(smk.input.csv)
        logger.info("%s: %d listening events, %d tracks", smk.input.csv, len(data), data["track id"].nunique())
        write_csv(data, smk.output.csv)
        return
    data = read_annotations(smk.input.annotations)
    table = build_track_table(
        data,
        smk.params.audio_root,
        smk.params.ext,
        require_all_audio=smk.params.require_all_audio,
        on_bad_audio=smk.params.on_bad_audio,
        min_duration=smk.params.min_duration,
        logger=logger,
    )
    write_csv(table, smk.output.tracks)


if "snakemake" in globals():
    run_main(main, snakemake)  # noqa: F821
