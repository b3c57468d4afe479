"""GEMS emotion labels exactly as in the paper.

For song s and emotion k, mu(s, k) is the number of listening events of s that marked k,
divided by all listening events of s; m_k is the median of mu(., k) over songs; the label
is 1 iff mu(s, k) > m_k (strictly: songs at the median are negative).
"""

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.emotify import EMOTIONS
from ..core.errors import EmotifyError
from ..core.files import write_csv


def rating_shares(annotations: pd.DataFrame) -> pd.DataFrame:
    """mu(s, k) for every song.

    Parameters
    ----------
    annotations : validated listening events with columns ``track id``, ``genre`` and the
        nine emotions (0/1).

    Returns
    -------
    pandas.DataFrame
        Columns track_id, genre, n_ratings, then one float column per emotion in [0, 1];
        one row per song, sorted by track id.
    """
    missing = [c for c in ("track id", "genre", *EMOTIONS) if c not in annotations.columns]
    if missing:
        raise EmotifyError(f"annotations lack column(s) {missing}")
    ordered = annotations.sort_values("track id", kind="stable")
    ids = ordered["track id"].to_numpy()
    songs, starts, counts = np.unique(ids, return_index=True, return_counts=True)
    mu = song_shares(ordered[list(EMOTIONS)].to_numpy(dtype=float), starts)
    out = pd.DataFrame(
        {
            "track_id": songs.astype("int64"),
            "genre": ordered["genre"].to_numpy()[starts],
            "n_ratings": counts.astype("int64"),
        }
    )
    for i, emotion in enumerate(EMOTIONS):
        out[emotion] = mu[:, i]
    return out


def song_shares(marks: np.ndarray, starts: np.ndarray, keep: np.ndarray | None = None) -> np.ndarray:
    """mu(s, k) from listening events sorted by song: ``marks`` (n_events, 9) of 0/1, ``starts``
    the first event of each song; ``keep`` (bool per event) uses a subset of the listeners
    (e.g. half a panel). Returns (n_songs, 9): the same definition as :func:`rating_shares`."""
    w = np.ones(len(marks)) if keep is None else keep.astype(float)
    return np.add.reduceat(marks * w[:, None], starts) / np.add.reduceat(w, starts)[:, None]


def thresholds_of(mu: np.ndarray, rule: str = "median") -> np.ndarray:
    """m_k over songs (axis 0): the median (the paper) or the mean of mu(., k)."""
    if rule == "median":
        return np.median(mu, axis=0)
    if rule == "mean":
        return np.mean(mu, axis=0)
    raise EmotifyError(f"labels.threshold must be 'median' or 'mean', got {rule!r}")


def label_matrix(mu: np.ndarray, rule: str = "median", thresholds: np.ndarray | None = None) -> np.ndarray:
    """The paper's rule on a (n_songs, 9) array: 1 iff mu(s, k) > m_k (ties at m_k are 0)."""
    m = thresholds_of(mu, rule) if thresholds is None else thresholds
    return (mu > m).astype("int64")


def median_thresholds(mu: pd.DataFrame, rule: str = "median") -> pd.Series:
    """m_k per emotion: the median of mu(., k) over songs (the paper), or the mean (``rule``)."""
    return pd.Series(thresholds_of(mu.loc[:, list(EMOTIONS)].to_numpy(dtype=float), rule), index=list(EMOTIONS))


def binary_labels(mu: pd.DataFrame, thresholds: pd.Series | None = None, rule: str = "median") -> pd.DataFrame:
    """label(s, k) = 1 iff mu(s, k) > m_k; columns track_id, genre and the nine emotions (int)."""
    m = (median_thresholds(mu, rule) if thresholds is None else thresholds)[list(EMOTIONS)].to_numpy()
    values = label_matrix(mu.loc[:, list(EMOTIONS)].to_numpy(dtype=float), thresholds=m)
    labels = mu.loc[:, ["track_id", "genre"]].copy()
    for i, emotion in enumerate(EMOTIONS):
        labels[emotion] = values[:, i]
    return labels


def threshold_table(mu: pd.DataFrame, labels: pd.DataFrame, rule: str = "median") -> pd.DataFrame:
    """Per emotion: the threshold m_k, the share of positive labels and how many songs tie at m_k."""
    m = median_thresholds(mu, rule)
    return pd.DataFrame(
        {
            "emotion": list(EMOTIONS),
            "rule": rule,
            "threshold": [float(m[e]) for e in EMOTIONS],
            "positive_share": [float(labels[e].mean()) for e in EMOTIONS],
            "n_at_threshold": [int((mu[e] == m[e]).sum()) for e in EMOTIONS],
            "n_songs": len(mu),
        }
    )


def write_rating_shares(annotations: str | Path, out: str | Path, logger: logging.Logger | None = None) -> pd.DataFrame:
    """mu(s, k) (:func:`rating_shares`) of the validated listening events in ``annotations``
    (CSV), written to ``out``; returns the table written."""
    mu = rating_shares(pd.read_csv(annotations))
    write_csv(mu, out)
    if logger:
        logger.info("rating shares of %d songs", len(mu))
    return mu


def write_binary_labels(
    ratings: str | Path,
    out_labels: str | Path,
    out_thresholds: str | Path,
    rule: str = "median",
    logger: logging.Logger | None = None,
) -> pd.DataFrame:
    """The binary labels (:func:`binary_labels`) of the rating shares in ``ratings`` (CSV) under
    ``rule`` (``labels.threshold``: median or mean), written to ``out_labels``, and their
    thresholds (:func:`threshold_table`) to ``out_thresholds``; returns the labels."""
    mu = pd.read_csv(ratings)
    labels = binary_labels(mu, rule=rule)
    thresholds = threshold_table(mu, labels, rule)
    if logger:
        shares = thresholds.set_index("emotion")["positive_share"].round(3).to_dict()
        logger.info("labels (%s rule) for %d songs; positive shares %s", rule, len(mu), shares)
    write_csv(labels, out_labels)
    write_csv(thresholds, out_thresholds)
    return labels
