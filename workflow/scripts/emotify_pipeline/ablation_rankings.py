"""The ablation's neighbour rankings (rule ``ablation_neighbours``): for the first
``ablation_repeats`` splits of the repeated evaluation, the k-independent rankings of every
ablation feature set -- the VGG19 features reduced by PCA (fitted on each split's training songs,
exactly, from the training Gram matrix) and the hand-made production descriptors. The votes on
them are in :mod:`ablation`; this module reads no labels.
"""

import logging
from typing import Any

import numpy as np
import pandas as pd

from . import knn
from .common_io import EmotifyError, library_versions, utc_now
from .geometry import Ranking, as_ranking, centred_training_grams, ranked_with_ties, write_rankings
from .production_features import FEATURE_SETS, feature_columns
from .splits import Split, read_splits, table_tracks


def pca_coordinates(gram: np.ndarray, train: np.ndarray, n: int) -> tuple[np.ndarray, int]:
    """PCA(n) coordinates of every row from ``gram`` (every row against the training rows, both
    standardised on the training rows: :func:`geometry.centred_training_grams`), as
    ``sklearn.decomposition.PCA`` fitted on the standardised training rows gives them (up to the
    signs of the components, which leave distances unchanged). ``n`` is capped by the
    components of non-zero variance; returns ``(coordinates (len(gram), used), used)``."""
    values, vectors = np.linalg.eigh(gram[train])
    keep = np.argsort(values)[::-1][:n]
    keep = keep[values[keep] > 1e-10 * max(float(values.max()), 1e-300)]
    return gram @ (vectors[:, keep] / np.sqrt(values[keep])), len(keep)


def ablation_rankings(
    x: np.ndarray, production: pd.DataFrame, ids: np.ndarray, splits: list[Split], components: list[int]
) -> tuple[dict[str, Ranking], dict[str, int]]:
    """Rankings of every ablation feature set on every split: ``<r>/pca<n>`` (n > 0) and
    ``<r>/<descriptor set>``; and the dimensions each used (the median over splits for PCA)."""
    items: dict[str, Ranking] = {}
    dims: dict[str, list[int]] = {}
    pcs = [n for n in components if n > 0]
    grams = centred_training_grams(x, [s.train for s in splits]) if pcs else [None] * len(splits)
    for r, (s, gram) in enumerate(zip(splits, grams, strict=True)):
        for n in pcs:
            coords, used = pca_coordinates(gram, s.train, n)
            items[f"{r}/pca{n}"] = as_ranking(
                ids, s.train, s.test, *knn.nearest_with_ties(coords[s.train], coords[s.test])
            )
            dims.setdefault(f"pca{n}", []).append(used)
        for name in (*FEATURE_SETS, "production"):
            cols = feature_columns(production, name)
            ranking = ranked_with_ties(production[cols].to_numpy(dtype=float), [(s.train, s.test)])[0]
            items[f"{r}/{name}"] = as_ranking(ids, s.train, s.test, *ranking)
            dims[name] = [len(cols)]
    return items, {name: int(np.median(v)) for name, v in dims.items()}


def neighbours_job(smk: Any, logger: logging.Logger) -> None:
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=smk.threads):  # BLAS uses the job's threads, not the node's cores
        _neighbours(smk, logger)


def _neighbours(smk: Any, logger: logging.Logger) -> None:
    from .feature_store import tracks_with_features

    p = smk.params
    table = pd.read_csv(smk.input.split)
    table = table[table["repeat"] < p.repeats]
    tracks = table_tracks(table)[["track_id"]]
    production = tracks.merge(pd.read_csv(smk.input.production), on="track_id", how="left")
    missing = production.isna().any(axis=1)
    if missing.any():
        logger.warning(
            "%d track(s) have no production descriptors (decoder refused them): left out", int(missing.sum())
        )
        production, tracks = production[~missing].reset_index(drop=True), tracks[~missing].reset_index(drop=True)
    x, kept, _ = tracks_with_features(smk.input.features, tracks, logger)
    if len(kept) != len(tracks):
        raise EmotifyError(f"{smk.input.features}: features missing for tracks of {smk.input.split}")
    ids = tracks["track_id"].to_numpy(dtype=np.int64)
    splits = read_splits(table, ids)
    items, dims = ablation_rankings(x, production, ids, splits, list(p.pca_components))
    attrs = {
        "repeats": len(splits),
        "dimensions": str(dims),
        "created": utc_now(),
        "numpy": library_versions(("numpy",))["numpy"],
    }
    write_rankings(smk.output.h5, items, attrs)
    logger.info("%d ablation rankings of %d splits -> %s", len(items), len(splits), smk.output.h5)
