"""The ablation's neighbour rankings (rule ``ablation_neighbours``): for the first
``ablation_repeats`` splits of the repeated evaluation, the k-independent rankings of every
ablation feature set -- the VGG19 features reduced by PCA (fitted on each split's training songs,
exactly, from the training Gram matrix) and the hand-made production descriptors. The votes on
them are in :mod:`ablation`; this module reads no labels.
"""

import logging
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.linalg import eigh
from threadpoolctl import threadpool_limits

from ..core.digests import library_versions
from ..core.errors import EmotifyError
from ..core.files import utc_now
from ..features.production import FEATURE_SETS, feature_columns
from ..features.store import network_provenance, usable_tracks_of
from . import knn
from .columns import Columns, open_columns
from .geometry import Ranking, as_ranking, ranked_with_ties, training_grams, write_rankings
from .splits import Split, read_splits, table_tracks


def pca_coordinates(gram: np.ndarray, train: np.ndarray, n: int) -> tuple[np.ndarray, int]:
    """PCA(n) coordinates of every row from ``gram`` (every row against the training rows, both
    standardised on the training rows: :func:`geometry.training_grams`), as
    ``sklearn.decomposition.PCA`` fitted on the standardised training rows gives them (up to the
    signs of the components, which leave distances unchanged). ``n`` is capped by the
    components of non-zero variance; returns ``(coordinates (len(gram), used), used)``."""
    values, vectors = leading_eigenpairs(gram[train], n)
    return gram @ (vectors / np.sqrt(values)), len(values)


def leading_eigenpairs(matrix: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``n`` largest eigenvalues of the symmetric ``matrix`` (descending) and their
    eigenvectors, without those of (numerically) zero value: LAPACK's ``syevr`` on the wanted
    index range only (a fraction of a full decomposition when ``n`` is small)."""
    m = len(matrix)
    n = min(n, m)
    values, vectors = eigh(matrix, subset_by_index=[m - n, m - 1], driver="evr")
    values, vectors = values[::-1], vectors[:, ::-1]
    top = max(float(values[0]), 1e-300) if len(values) else 1.0
    keep = values > 1e-10 * top
    return values[keep], vectors[:, keep]


def ablation_rankings(
    x: "np.ndarray | Columns",
    production: pd.DataFrame,
    ids: np.ndarray,
    splits: list[Split],
    components: list[int],
    depth: int | None = None,
) -> tuple[dict[str, Ranking], dict[str, int]]:
    """Rankings of every ablation feature set on every split (to ``depth``,
    :func:`geometry.ranked_with_ties`): ``<r>/pca<n>`` (n > 0) and ``<r>/<descriptor set>``;
    and the dimensions each used (the median over splits for PCA)."""
    items: dict[str, Ranking] = {}
    dims: dict[str, list[int]] = {}
    pcs = [n for n in components if n > 0]
    grams = training_grams(x, [s.train for s in splits]) if pcs else iter([None] * len(splits))
    for r, (s, gram) in enumerate(zip(splits, grams, strict=True)):
        if pcs:
            values, vectors = leading_eigenpairs(gram[s.train], max(pcs))
            for n in pcs:
                used = min(n, len(values))
                coords = gram @ (vectors[:, :used] / np.sqrt(values[:used]))
                items[f"{r}/pca{n}"] = as_ranking(
                    ids, s.train, s.test, *knn.trim(*knn.nearest_with_ties(coords[s.train], coords[s.test]), depth)
                )
                dims.setdefault(f"pca{n}", []).append(used)
        for name in (*FEATURE_SETS, "production"):
            cols = feature_columns(production, name)
            ranking = ranked_with_ties(production[cols].to_numpy(dtype=float), [(s.train, s.test)], depth)[0]
            items[f"{r}/{name}"] = as_ranking(ids, s.train, s.test, *ranking)
            dims[name] = [len(cols)]
    return items, {name: int(np.median(v)) for name, v in dims.items()}


def ablation_tracks(
    table: pd.DataFrame, production: pd.DataFrame, logger: logging.Logger | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The songs of a split table that have production descriptors: ``(tracks, production)``,
    one row per song in the same order (track_id; track_id and the descriptors). Songs the
    decoder refused (no descriptors) are left out, with a warning."""
    tracks = table_tracks(table)[["track_id"]]
    production = tracks.merge(production, on="track_id", how="left")
    missing = production.isna().any(axis=1)
    if missing.any():
        if logger:
            logger.warning(
                "%d track(s) have no production descriptors (decoder refused them): left out", int(missing.sum())
            )
        production, tracks = production[~missing].reset_index(drop=True), tracks[~missing].reset_index(drop=True)
    return tracks, production


def write_ablation_rankings(
    out: str | Path,
    split: str | Path,
    features: str | Path,
    production: str | Path,
    repeats: int,
    components: list[int],
    depth: int,
    threads: int = 1,
    logger: logging.Logger | None = None,
) -> dict[str, Ranking]:
    """The ablation's rankings (:func:`ablation_rankings`) of the first ``repeats`` splits of the
    split table ``split`` (CSV), from the VGG19 ``features`` (HDF5) reduced by PCA to each of
    ``components`` and the descriptors of ``production`` (CSV), to ``depth``, written with
    their dimensions and provenance to ``out`` (HDF5). ``threads``: the BLAS threads the
    products may use. Raises :class:`EmotifyError` when a song of the table has no features.
    Returns the rankings written."""
    table = pd.read_csv(split)
    table = table[table["repeat"] < repeats]
    tracks, descriptors = ablation_tracks(table, pd.read_csv(production), logger)
    with threadpool_limits(limits=threads):  # BLAS uses the job's threads, not the node's cores
        kept = usable_tracks_of(features, tracks, logger)
        if len(kept) != len(tracks):
            raise EmotifyError(f"{features}: features missing for tracks of {split}")
        ids = tracks["track_id"].to_numpy(dtype=np.int64)
        splits = read_splits(table, ids)
        with open_columns(features, ids, logger) as x:
            items, dims = ablation_rankings(x, descriptors, ids, splits, list(components), int(depth))
    attrs = {
        "repeats": len(splits),
        "dimensions": str(dims),
        "depth": int(depth),
        "created": utc_now(),
        "numpy": library_versions(("numpy",))["numpy"],
        **network_provenance(features),
    }
    write_rankings(out, items, attrs)
    if logger:
        logger.info("%d ablation rankings of %d splits -> %s", len(items), len(splits), out)
    return items
