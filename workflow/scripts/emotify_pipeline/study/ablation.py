"""Ablations of Experiment I (genre from audio) over the first ``ablation_repeats`` splits of the
repeated evaluation (random and artist-grouped):

- the number of PCA components of the audio features (VGG19's or musicnn's) (StandardScaler -> PCA(n) -> KNN, fitted
  on the training songs of each split; 0 = all features, no PCA);
- hand-made descriptors of the spectrum, timbre and loudness (see ``production_features``).

``ablation_neighbours`` ranks the neighbours of every feature set (independent of k;
:mod:`ablation_rankings`, which reads no labels); ``ablation_genre`` only votes.
"""

import ast
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.files import markdown_table, write_csv, write_text
from ..features.production import FEATURE_SETS
from ..features.store import features_label, network_name, read_attrs
from ..neighbours.geometry import Rankings
from ..neighbours.splits import row_lookup, table_tracks
from ..stats import inference
from .votes import predict, votes_of


def genre_ablation(
    meta: pd.DataFrame,
    sources: dict[str, tuple[Rankings, Rankings]],
    components: list[int],
    dims: dict[str, dict[str, int]],
    feature_dim: int,
    cfg: dict[str, Any],
    network: str = "VGG19",
) -> pd.DataFrame:
    """Mean genre accuracy and interval of every feature set over the splits of each kind.
    ``sources``: kind -> (the evaluation's rankings, the ablation's rankings); ``network``: what
    made the audio features (from their file's provenance, :func:`store.network_name`)."""
    y = meta["genre"].to_numpy()
    row = row_lookup(meta["track_id"])
    sets = [(f"{network} PCA {n}" if n else f"{network} all features", f"pca{n}" if n else "audio") for n in components]
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


def ablation_caption(table: pd.DataFrame, settings: dict[str, Any], features: str, run_label: str) -> str:
    """The Markdown table's caption: the set-up, the splits, what the columns mean, the features
    (``features``: :func:`store.features_label` of the feature file) and the data."""
    k, ties, confidence = settings["k"], settings["ties"], settings["confidence"]
    repeats = int(table["n_repeats"].max()) if len(table) else 0
    return (
        f"Genre accuracy (Experiment I set-up, KNN k = {k}, ties: {ties}) by feature set over the first "
        f"{repeats} resampled splits of the repeated evaluation (random; artist = all songs of an artist on "
        f"one side): mean, the central {int(100 * confidence)} % range of the split accuracies "
        f"(split_range) and the {int(100 * confidence)} % corrected resampled t interval of the mean (ci). "
        f"Features: {features} "
        "(from the feature file). PCA n: the first n principal components of each split's training songs, at "
        "most as many as have non-zero variance (training songs - 1): `dimensions` gives the number used. "
        f"Data: {run_label}."
    )


def write_genre_ablation(
    split: str | Path,
    neighbours: dict[str, str | Path],
    ablation: dict[str, str | Path],
    features: str | Path,
    settings: dict[str, Any],
    run_label: str,
    csv_out: str | Path,
    md_out: str | Path,
    logger: logging.Logger,
) -> None:
    """Rule ``ablation_genre``: :func:`genre_ablation` from the files, as a CSV and a captioned
    Markdown table.

    Parameters
    ----------
    split : path
        The random split table (its songs and genres).
    neighbours, ablation : dict
        Split kind -> the evaluation's audio rankings and the ablation's rankings of its splits.
    features : path
        The audio feature file (its provenance names the network and its dimension).
    settings : dict
        ``pca_components``, ``k``, ``ties``, ``seed`` and ``confidence``.
    run_label : str
        The data label of the caption.
    csv_out, md_out : path
        The tables written.
    logger : logging.Logger
        Told the number of rows.
    """
    sources, dims = {}, {}
    for kind, evaluation in neighbours.items():
        sources[kind] = (Rankings(evaluation), Rankings(ablation[kind]))
        dims[kind] = ast.literal_eval(str(sources[kind][1].attrs["dimensions"]))
    meta = table_tracks(pd.read_csv(split))
    attrs = read_attrs(features)
    components = list(settings["pca_components"])
    table = genre_ablation(
        meta, sources, components, dims, int(attrs.get("feature_dim", 0)), settings, network_name(attrs)
    )
    # the network's rows carry its leakage warning; the hand-made descriptors never touch it
    warning = str(attrs.get("leakage_warning", "") or "")
    if warning:
        table = table.assign(
            leakage_warning=np.where(table["features"].str.startswith(network_name(attrs)), warning, "")
        )
    write_csv(table, csv_out, float_format="%.4f")
    caption = ablation_caption(table, settings, features_label(attrs), run_label)
    write_text(caption + "\n\n" + markdown_table(table), md_out)
    logger.info("ablation: %d rows", len(table))
