"""Ablations of Experiment I (genre from audio) over repeated random and artist-grouped splits:

- the number of PCA components of the VGG19 features (StandardScaler -> PCA(n) -> KNN, fitted
  on the training songs of each split; 0 = all features, no PCA);
- descriptors that carry mostly production information (see ``production_features``).
"""

# isort: off
import quiet_interrupt  # noqa: F401 - first, so that Ctrl-C during the imports prints one line

# isort: on

import logging
from typing import Any

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA

import knn
from common_io import run_main, write_csv, write_text
from evaluation import interval, make_splits
from production_features import feature_columns
from summary import markdown_table


def pca_neighbours(
    x: np.ndarray, train: np.ndarray, test: np.ndarray, k: int, n: int, seed: int
) -> tuple[np.ndarray, int]:
    """Neighbours after StandardScaler -> PCA(n), both fitted on the training songs, in the
    PCA coordinates (not rescaled). ``n`` cannot exceed the training songs or the features:
    the components actually used are returned and reported. Returns ``(neighbours, n used)``."""
    n = min(n, len(train), x.shape[1])
    a, b = knn.standardise(x[train], x[test])
    pca = PCA(n_components=n, random_state=seed).fit(a)
    return knn.nearest(pca.transform(a), pca.transform(b), k), n


def genre_ablation(
    x_audio: np.ndarray,
    production: pd.DataFrame,
    meta: pd.DataFrame,
    cfg: dict[str, Any],
    logger: logging.Logger | None = None,
) -> pd.DataFrame:
    """Mean genre accuracy and interval of every feature set over repeated splits."""
    y = meta["genre"].to_numpy()
    prod = meta[["track_id"]].merge(production, on="track_id", how="left")
    sets: list[tuple[str, Any]] = [(f"VGG19 PCA {n}" if n else "VGG19 all features", n) for n in cfg["pca_components"]]
    sets += [(name, name) for name in ("ltas", "mfcc", "loudness", "production")]
    rows = []
    for kind in ["random", *[g for g in cfg["group_by"] if g == "artist"]]:
        groups = None if kind == "random" else meta[kind].fillna("").astype(str).to_numpy()
        if groups is not None and (groups == "").any():
            missing = meta.loc[groups == "", "track_id"].tolist()
            if logger:
                logger.warning("%s-grouped ablation skipped: no %s tag for track(s) %s", kind, kind, missing[:5])
            continue
        splits = make_splits(y, cfg["ablation_repeats"], cfg["test_size"], cfg["seed"], groups)
        for label, spec in sets:
            accs, dims = [], []
            for s in splits:
                if isinstance(spec, int) and spec > 0:
                    nn, used = pca_neighbours(x_audio, s.train, s.test, cfg["k"], spec, cfg["seed"])
                    dims.append(used)
                else:
                    xs = x_audio if isinstance(spec, int) else prod[feature_columns(prod, spec)].to_numpy(dtype=float)
                    nn = knn.neighbours(xs, s.train, s.test, cfg["k"])
                    dims.append(xs.shape[1])
                accs.append(float(np.mean(knn.vote(y[s.train], nn)[0] == y[s.test])))
            lo, hi = interval(np.array(accs), cfg["confidence"])
            rows.append(
                {
                    "features": label,
                    "split": kind,
                    "dimensions": int(np.median(dims)),
                    "n_repeats": len(splits),
                    "mean_accuracy": float(np.mean(accs)),
                    "ci_low": lo,
                    "ci_high": hi,
                }
            )
    return pd.DataFrame(rows)


def main(smk: Any, logger: logging.Logger) -> None:
    from common_io import usable_tracks
    from feature_store import features_label, read_attrs, tracks_with_features

    cfg = dict(smk.params.evaluation)
    cfg.update(k=smk.params.k, test_size=smk.params.test_size)
    tracks = usable_tracks(pd.read_csv(smk.input.tracks, dtype={"artist": str, "album": str}))
    x, tracks, _ = tracks_with_features(smk.input.features, tracks, logger)
    production = pd.read_csv(smk.input.production)
    both = tracks["track_id"].isin(production["track_id"]).to_numpy()
    if not both.all():
        logger.warning("%d track(s) have no production descriptors (decoder refused them): left out", (~both).sum())
        x, tracks = x[both], tracks[both].reset_index(drop=True)
    table = genre_ablation(x, production, tracks, cfg, logger)
    write_csv(table, smk.output.csv, float_format="%.4f")
    caption = (
        f"Genre accuracy (Experiment I set-up, KNN k = {cfg['k']}) by feature set, mean and "
        f"{int(100 * cfg['confidence'])} % interval over {cfg['ablation_repeats']} resampled splits "
        f"(random; artist = all songs of an artist on one side). Features: {features_label(read_attrs(smk.input.features))} "
        "(from the feature file). "
        f"Data: {smk.params.run_label}."
    )
    write_text(caption + "\n\n" + markdown_table(table), smk.output.md)
    logger.info("ablation: %d rows", len(table))


if "snakemake" in globals():
    run_main({"ablation_genre": main}, snakemake)  # noqa: F821
