"""The track table: one row per track id -- its audio file, what the file says (:mod:`probe`),
whether the clip is usable under the ``audio.*`` settings and, for the archive, whether it is
its track's own file (:mod:`catalogue`) -- and the checks across clips (shared audio bytes,
missing group tags)."""

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.errors import EmotifyError, first_few
from .catalogue import catalogue_for, catalogue_problem
from .mapping import check_audio_mapping, expected_audio_paths, find_audio_files
from .probe import probe_audio

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


@dataclass(frozen=True)
class AudioPolicy:
    """How the excerpt is cut from each clip (``audio.*``, seconds): where it starts, how long
    it lasts, and the least audio after the offset that makes a clip usable."""

    offset: float = 0.0
    duration: float = 60.0
    min_duration: float = 10.0

    def padded_s(self, decoded_s: float) -> float:
        """Seconds of zeros appended so the excerpt lasts ``duration`` (0 for a long enough clip)."""
        return max(0.0, self.duration - max(0.0, decoded_s - self.offset))


def apply_policy(
    rec: dict[str, Any], path: str | Path, policy: AudioPolicy, catalogue: dict[str, dict[str, str]] | None = None
) -> str:
    """Set ``rec['padded_s']`` for a usable clip; return '' or why the clip is unusable
    (a broken file, too short a clip, or -- with ``catalogue`` -- tags of another track).
    ``rec`` is the file's probe (:func:`probe.probe_audio`)."""
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
    """:func:`probe.probe_audio` and :func:`apply_policy`: the track table's columns for one file
    plus ``problem`` ('' when the clip is usable)."""
    rec = probe_audio(path)
    rec["problem"] = apply_policy(rec, path, policy)
    return rec


def missing_group_tags(probes: dict[str, dict[str, Any]], group_by: list[str]) -> str:
    """'' when every clip has the ID3 tag of every grouping in ``group_by`` (artist, album),
    else one message listing the clips without it: grouped splits need the tag of every song,
    and this is known from the files before any extraction."""
    problems = []
    for kind in group_by:
        without = sorted(p for p, rec in probes.items() if not str(rec.get(kind) or "").strip())
        if without:
            problems.append(f"{len(without)} clip(s) have no ID3 {kind} tag: {first_few(without)}")
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
    on both sides of a split; the summary reports it. Returns a copy of ``table``."""
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
            first_few([f"track {t} = {o}" for t, o in zip(dup["track_id"], dup["duplicate_of"], strict=True)]),
        )
    return table


def _track_records(
    tracks: pd.DataFrame,
    probes: dict[str, dict[str, Any]],
    policy: AudioPolicy,
    catalogue: dict[str, dict[str, str]] | None,
    on_bad_audio: str,
    logger: logging.Logger | None,
) -> tuple[list[dict[str, Any]], list[str]]:
    """One record per row of ``tracks`` (:func:`mapping.expected_audio_paths`): status ``ok``,
    ``no_audio`` (no file) or ``skipped`` (unusable, with the reason), the file's probe columns;
    and the problems of the unusable files, in track order (each logged as a warning)."""
    records, problems = [], []
    for row in tracks.itertuples(index=False):
        rec: dict[str, Any] = {**row._asdict(), "status": "ok", "reason": ""}
        path = Path(row.path)
        if row.path not in probes:
            rec.update(status="no_audio", reason="audio file not present")
        else:
            info = probes[row.path]
            problem = apply_policy(info, path, policy, catalogue)
            info.pop("problem")
            rec.update(info)
            if problem:
                problems.append(problem)
                rec.update(status="skipped", reason=problem)
                if logger:
                    action = "skipping track" if on_bad_audio == "skip" else "track"
                    logger.warning("%s %d: %s", action, row.track_id, problem)
        records.append(rec)
    return records, problems


def _log_track_table(table: pd.DataFrame, policy: AudioPolicy, logger: logging.Logger) -> None:
    """Log the status counts and the zero-padded clips of a finished track table."""
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
    annotations : validated data.csv rows (:func:`annotations.read_annotations`), or at least
        their columns ``track id`` and ``genre`` (:func:`annotations.annotated_tracks`).
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
    check_catalogue : ``data.check_catalogue`` (see :func:`catalogue.catalogue_for`); where the
        archive's catalogue applies, a file whose ID3 artist, album or duration is not its
        track's is unusable (renamed, swapped or cut).
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
    records, problems = _track_records(tracks, probes, policy, checked, on_bad_audio, logger)
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
        _log_track_table(table, policy, logger)
    return table
