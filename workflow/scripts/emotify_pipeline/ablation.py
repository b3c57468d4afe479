"""Ablations of Experiment I (genre from audio) over the first ``ablation_repeats`` splits of the
repeated evaluation (random and artist-grouped):

- the number of PCA components of the VGG19 features (StandardScaler -> PCA(n) -> KNN, fitted
  on the training songs of each split; 0 = all features, no PCA);
- hand-made descriptors of the spectrum, timbre and loudness (see ``production_features``).

``ablation_neighbours`` ranks the neighbours of every feature set (independent of k);
``ablation_genre`` only votes.
"""

import logging
from typing import Any

import numpy as np
import pandas as pd

from . import inference, knn
from .common_io import EmotifyError, library_versions, markdown_table, utc_now, write_csv, write_text
from .evaluation import predict, votes_of
from .geometry import Ranking, Rankings, as_ranking, centred_training_grams, ranked_with_ties, write_rankings
from .production_features import FEATURE_SETS, feature_columns
from .splits import Split, read_splits, row_lookup, table_tracks


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


def genre_ablation(
    meta: pd.DataFrame,
    sources: dict[str, tuple[Rankings, Rankings]],
    components: list[int],
    dims: dict[str, dict[str, int]],
    feature_dim: int,
    cfg: dict[str, Any],
) -> pd.DataFrame:
    """Mean genre accuracy and interval of every feature set over the splits of each kind.
    ``sources``: kind -> (the evaluation's rankings, the ablation's rankings)."""
    y = meta["genre"].to_numpy()
    row = row_lookup(meta["track_id"])
    sets = [(f"VGG19 PCA {n}" if n else "VGG19 all features", f"pca{n}" if n else "audio") for n in components]
    sets += [(name, name) for name in (*FEATURE_SETS, "production")]
    rows = []
    for kind, (evaluation, ablation) in sources.items():
        for label, what in sets:
            accs, sizes = [], []
            for r in range(ablation.repeats):
                v = votes_of((evaluation if what == "audio" else ablation).get(r, what), row)
                pred = predict(y, v, cfg["k"], cfg["ties"], cfg["seed"] + r)
                accs.append(float(np.mean(pred == y[v.test])))
                sizes.append((len(v.train), len(v.test)))
            n_train, n_test = np.mean(sizes, axis=0)
            rows.append(
                {
                    "features": label,
                    "split": kind,
                    "dimensions": feature_dim if what == "audio" else dims[kind][what],
                    **inference.accuracy_row(accs, cfg["confidence"], n_train, n_test),
                }
            )
    return pd.DataFrame(rows)


def main(smk: Any, logger: logging.Logger) -> None:
    import ast

    from .feature_store import features_label, read_attrs

    p = smk.params
    cfg = {"k": p.k, "ties": p.ties, "seed": p.seed, "confidence": p.confidence}
    sources, dims = {}, {}
    for kind, evaluation, ablation in zip(p.kinds, smk.input.neighbours, smk.input.ablation, strict=True):
        sources[kind] = (Rankings(evaluation), Rankings(ablation))
        dims[kind] = ast.literal_eval(str(sources[kind][1].attrs["dimensions"]))
    meta = table_tracks(pd.read_csv(smk.input.split))
    attrs = read_attrs(smk.input.features)
    table = genre_ablation(meta, sources, list(p.pca_components), dims, int(attrs.get("feature_dim", 0)), cfg)
    write_csv(table, smk.output.csv, float_format="%.4f")
    repeats = int(table["n_repeats"].max()) if len(table) else 0
    caption = (
        f"Genre accuracy (Experiment I set-up, KNN k = {p.k}, ties: {p.ties}) by feature set over the first "
        f"{repeats} resampled splits of the repeated evaluation (random; artist = all songs of an artist on "
        f"one side): mean, the central {int(100 * p.confidence)} % range of the split accuracies "
        f"(split_range) and the {int(100 * p.confidence)} % corrected resampled t interval of the mean (ci). "
        f"Features: {features_label(attrs)} "
        "(from the feature file). "
        f"Data: {p.run_label}."
    )
    write_text(caption + "\n\n" + markdown_table(table), smk.output.md)
    logger.info("ablation: %d rows", len(table))
