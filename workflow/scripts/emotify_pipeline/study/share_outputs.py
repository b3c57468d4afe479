"""Rules ``share_reliability``, ``rating_shares`` and ``model_rating_shares``: the rating shares
mu against their reliability, from and to files.

- :func:`write_share_reliability`: the split-half reliability of mu over listeners
  (:func:`share_analyses.reliability_of_annotations`) on the songs the study uses (the usable
  tracks of ``tracks.csv``), so that R^2 and the reliability it is set against describe the same
  songs.
- :func:`write_rating_shares`: one network's KNN regression of mu on every kind of split
  (:func:`share_analyses.shares_table`), from the same neighbour rankings as the votes; the
  network is named by its rankings' own provenance (the feature file's ``model``), never by
  the configuration. Three tables: the summary per split kind and emotion, every split's
  scores (the comparison of networks pairs them split by split), and every song's
  out-of-sample prediction averaged over the splits that test it (the observed-against-predicted
  figure).
"""

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.emotify import EMOTIONS
from ..core.errors import EmotifyError
from ..core.files import with_leakage_warning, write_csv
from ..features.store import network_name
from .analyses import load_split
from .share_analyses import reliability_of_annotations, shares_table
from .share_regression import mean_test_predictions

#: the columns of the prediction table (one row per split kind, song and emotion)
PREDICTION_COLUMNS = [
    "network",
    "split",
    "track_id",
    "genre",
    "emotion",
    "observed",
    "predicted",
    "genre_predicted",
    "splits_tested",
]


def usable_track_ids(tracks: str | Path) -> set[int]:
    """The track ids ``tracks.csv`` marks usable (status ok)."""
    table = pd.read_csv(tracks)
    return set(table.loc[table["status"] == "ok", "track_id"].astype(int))


def write_share_reliability(
    annotations: str | Path, tracks: str | Path, settings: dict[str, Any], out: str | Path
) -> pd.DataFrame:
    """Rule ``share_reliability``: the split-half reliability of mu on the usable tracks;
    ``settings``: ``ceiling_splits`` (the halvings), ``ceiling_bootstrap`` (the resamples of
    songs), ``confidence``, ``seed``."""
    events = pd.read_csv(annotations)
    used = events[events["track id"].isin(usable_track_ids(tracks))]
    if used["track id"].nunique() < 3:
        raise EmotifyError(
            f"{annotations}: {used['track id'].nunique()} usable track(s) of {tracks} have ratings; "
            "the reliability needs at least 3"
        )
    table = reliability_of_annotations(
        used, settings["ceiling_splits"], settings["seed"], settings["ceiling_bootstrap"], settings["confidence"]
    )
    write_csv(table, out, float_format="%.6g")
    return table


def shares_by_row(meta: pd.DataFrame, ratings: str | Path, split: str | Path) -> np.ndarray:
    """mu of every song of a split table, by row (songs x emotions), from ``gems_ratings.csv``."""
    mu = meta[["track_id"]].merge(pd.read_csv(ratings), on="track_id", how="left")
    missing = meta.loc[mu[list(EMOTIONS)].isna().any(axis=1).to_numpy(), "track_id"].tolist()
    if missing:
        raise EmotifyError(f"{ratings}: no rating shares for track(s) {missing[:5]} of {split}")
    return mu[list(EMOTIONS)].to_numpy(dtype=float)


def predictions_table(
    network: str, kind: str, meta: pd.DataFrame, mu: np.ndarray, votes: list, cfg: dict[str, Any]
) -> pd.DataFrame:
    """Every tested song's mean out-of-sample prediction on the splits of one kind, long format
    (:data:`PREDICTION_COLUMNS`)."""
    genre = meta["genre"].to_numpy()
    knn, genre_only, tested = mean_test_predictions(mu, votes, cfg["k"], cfg.get("ties", "sklearn"), cfg["seed"], genre)
    keep = tested > 0
    parts = [
        pd.DataFrame(
            {
                "network": network,
                "split": kind,
                "track_id": meta["track_id"].to_numpy()[keep],
                "genre": genre[keep],
                "emotion": emotion,
                "observed": mu[keep, e],
                "predicted": knn[keep, e],
                "genre_predicted": genre_only[keep, e],
                "splits_tested": tested[keep],
            }
        )
        for e, emotion in enumerate(EMOTIONS)
    ]
    return pd.concat(parts, ignore_index=True)[PREDICTION_COLUMNS]


def write_rating_shares(
    kinds: list[str],
    splits: list[str],
    neighbours: list[str],
    ratings: str | Path,
    reliability: str | Path,
    cfg: dict[str, Any],
    outputs: dict[str, str],
    logger: logging.Logger,
) -> pd.DataFrame:
    """Rules ``rating_shares`` and ``model_rating_shares``.

    Parameters
    ----------
    kinds, splits, neighbours : the split kinds, their split tables and one network's audio
        rankings of them, in the same order.
    ratings : ``gems_ratings.csv`` (mu per song and emotion).
    reliability : the table of :func:`write_share_reliability`.
    cfg : ``k``, ``ties``, ``seed``, ``confidence``, ``permutations``, ``permutation_splits``.
    outputs : ``summary``, ``splits`` (every split's scores) and ``predictions`` (every song's).
    logger : told what was written.
    """
    rel = pd.read_csv(reliability)
    summaries, per_splits, predictions = [], [], []
    warning = ""
    for kind, split, ranked in zip(kinds, splits, neighbours, strict=True):
        meta, _, source, votes = load_split(split, ranked)
        network = network_name({"model": source.attrs.get("model", "")})
        warning = str(source.attrs.get("leakage_warning", "") or "")
        mu = shares_by_row(meta, ratings, split)
        artists, albums = meta["artist"].to_numpy(), meta["album"].to_numpy()
        summary, per = shares_table(mu, meta["genre"].to_numpy(), votes, cfg, network, kind, rel, artists, albums)
        summaries.append(summary)
        per_splits.append(per)
        predictions.append(predictions_table(network, kind, meta, mu, votes, cfg))
    summary = pd.concat(summaries, ignore_index=True)
    summary.insert(3, "confidence", cfg["confidence"])
    write_csv(with_leakage_warning(summary, warning), outputs["summary"], float_format="%.6g")
    for table, out in ((per_splits, outputs["splits"]), (predictions, outputs["predictions"])):
        write_csv(with_leakage_warning(pd.concat(table, ignore_index=True), warning), out, float_format="%.6g")
    logger.info("rating shares: %d rows over %s splits", len(summary), ", ".join(kinds))
    return summary
