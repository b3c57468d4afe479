"""The ``neighbours`` rules' files: the rankings of one split table's splits (:mod:`geometry`)
on the audio features (with the inner folds, for Experiment IV) or on the GEMS rating shares
(Experiment III), with what they were computed from; and one file gathered from the files of
several ranking jobs (``evaluation.ranking_jobs``)."""

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from ..core.digests import library_versions
from ..core.emotify import EMOTIONS
from ..core.errors import EmotifyError
from ..core.files import utc_now
from ..features.store import network_provenance, usable_tracks_of
from .columns import open_columns
from .geometry import EXACT_MAX_COLUMNS, Ranking, compute_rankings, gather_rankings, write_rankings
from .splits import read_splits, table_tracks


def ranking_name(inputs: str) -> str:
    """The name a neighbour file stores its rankings under: ``audio`` for the study's network
    and for ``audio-<model>`` (a network compared with it, ``features.compare``), so that the same
    evaluation reads either; else ``inputs`` itself (``ratings``)."""
    return "audio" if inputs.startswith("audio") else inputs


def job_share(table: pd.DataFrame, part: int, jobs: int) -> list[int]:
    """The repeats of a split table one of ``jobs`` ranking jobs ranks: those with
    ``repeat mod jobs == part``, ascending."""
    return [r for r in sorted(set(table["repeat"])) if r % jobs == part]


def audio_rankings(
    features: str | Path,
    table: pd.DataFrame,
    depth: int,
    share: list[int] | None = None,
    logger: logging.Logger | None = None,
) -> tuple[dict[str, Ranking], np.ndarray, int]:
    """The audio rankings of every split of ``table`` (with the inner folds), on the tracks of
    the table that have features in ``features`` (HDF5, read by column blocks), to ``depth``;
    ``share``: only these repeats. Returns the rankings, the track ids (the rows ranked) and
    the features' columns."""
    tracks = usable_tracks_of(features, table_tracks(table), logger)
    ids = tracks["track_id"].to_numpy(dtype=np.int64)
    with open_columns(features, ids, logger) as x:
        items = compute_rankings(x, ids, read_splits(table, ids), "audio", True, depth, share)
        columns = x.n_columns
    return items, ids, int(columns)


def rating_rankings(
    ratings: str | Path, table: pd.DataFrame, name: str, depth: int, share: list[int] | None = None
) -> tuple[dict[str, Ranking], np.ndarray, int]:
    """The rankings of every split of ``table`` on the nine rating shares of ``ratings`` (CSV,
    mu(s, k)), under ``name``, to ``depth``; ``share``: only these repeats. Raises
    :class:`EmotifyError` naming ``ratings`` and the first tracks of the table it lacks.
    Returns the rankings, the track ids and the columns (9)."""
    tracks = table_tracks(table)
    mu = tracks[["track_id"]].merge(pd.read_csv(ratings), on="track_id", how="left")
    if mu[list(EMOTIONS)].isna().any().any():
        missing = mu.loc[mu[list(EMOTIONS)].isna().any(axis=1), "track_id"].tolist()
        raise EmotifyError(f"{ratings}: no rating shares for track id(s) {missing[:5]}")
    x = mu[list(EMOTIONS)].to_numpy(dtype=float)
    ids = tracks["track_id"].to_numpy(dtype=np.int64)
    items = compute_rankings(x, ids, read_splits(table, ids), name, False, depth, share)
    return items, ids, x.shape[1]


def write_neighbour_file(
    out: str | Path,
    split: str | Path,
    inputs: str,
    depth: int,
    features: str | Path | None = None,
    ratings: str | Path | None = None,
    part: tuple[int, int] | None = None,
    threads: int = 1,
    logger: logging.Logger | None = None,
) -> dict[str, Ranking]:
    """Rank the audio ``features`` (``inputs`` ``audio`` or ``audio-<model>``) or the rating
    shares ``ratings`` (``inputs`` ``ratings``) on every split of the split table ``split``
    (CSV), to ``depth``, and write the rankings with their provenance to ``out`` (HDF5).

    Parameters
    ----------
    part : ``(part, jobs)``: rank only this ranking job's share of the repeats
        (:func:`job_share`); None ranks them all.
    threads : the BLAS threads the products may use (the job's, not the node's cores).

    Returns
    -------
    dict
        The rankings written, by name (``"<repeat>/audio"``, ...).
    """
    table = pd.read_csv(split)
    name = ranking_name(inputs)
    share = job_share(table, *part) if part is not None else None
    with threadpool_limits(limits=threads):
        if name == "audio":
            items, ids, columns = audio_rankings(features, table, depth, share, logger)
        else:
            items, ids, columns = rating_rankings(ratings, table, name, depth, share)
    splits = read_splits(table, ids)
    attrs: dict[str, Any] = {
        "repeats": len(splits),
        "inputs": name,
        "columns": int(columns),
        "depth": depth,
        "method": "float64 Gram by column blocks, differences where in doubt"
        if columns > EXACT_MAX_COLUMNS
        else "float64",
        "created": utc_now(),
        "numpy": library_versions(("numpy",))["numpy"],
    }
    if name == "audio":  # which network, and its leakage warning, travel with its rankings
        attrs.update(network_provenance(features))
    write_rankings(out, items, attrs)
    if logger:
        logger.info("%d rankings of %d splits (%d tracks, %s) -> %s", len(items), len(splits), len(ids), name, out)
    return items


def gather_neighbour_files(
    out: str | Path, parts: Sequence[str | Path], repeats: int, logger: logging.Logger | None = None
) -> int:
    """One neighbour file ``out`` from the files of the ranking jobs of one split table
    (:func:`geometry.gather_rankings`: every one of ``repeats`` exactly once). Returns the
    repeats copied."""
    copied = gather_rankings(out, parts, repeats)
    if logger:
        logger.info("%d repeats from %d ranking jobs -> %s", repeats, len(parts), out)
    return copied
