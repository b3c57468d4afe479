"""The raters' agreement ceiling: how well the paper's labels can be predicted at all, per
emotion (rule ``human_ceiling``)."""

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.emotify import EMOTIONS
from ..core.errors import EmotifyError
from ..core.files import write_csv
from ..data.labels import label_matrix, song_shares, thresholds_of
from ..stats import inference


def half_panel_agreement(
    marks: np.ndarray, start: np.ndarray, counts: np.ndarray, n_splits: int, rng: np.random.Generator, rule: str
) -> tuple[np.ndarray, np.ndarray]:
    """Per halving and emotion, the share of songs whose two half panels give the same label, and
    Cohen's kappa of the two labellings.

    Parameters
    ----------
    marks : ndarray
        One row per listening event, sorted by song; one column per emotion.
    start, counts : ndarray
        Each song's first row in ``marks`` and its number of listeners.
    n_splits : int
        How many random halvings.
    rng : numpy.random.Generator
        Draws the halvings, song by song, split by split.
    rule : str
        The labelling rule each half applies to its own shares (``labels.threshold``).

    Returns
    -------
    agree, kappa : ndarray
        Shape (n_splits, number of emotions).
    """
    agree = np.zeros((n_splits, len(EMOTIONS)))
    kappa = np.zeros((n_splits, len(EMOTIONS)))
    for s in range(n_splits):
        half = np.zeros(len(marks), dtype=bool)
        for st, c in zip(start, counts, strict=True):
            half[st + rng.permutation(c)[: c // 2]] = True
        lab_a = label_matrix(song_shares(marks, start, half), rule)
        lab_b = label_matrix(song_shares(marks, start, ~half), rule)
        agree[s] = np.mean(lab_a == lab_b, axis=0)
        kappa[s] = [inference.cohen_kappa(lab_a[:, i], lab_b[:, i]) for i in range(len(EMOTIONS))]
    return agree, kappa


def ceiling_intervals(
    successes: np.ndarray, counts: np.ndarray, rule: str, bootstrap: int, confidence: float, seed: int
) -> tuple[list[float], list[float]]:
    """Per emotion, the percentile bootstrap interval over songs of the beta-binomial ceiling
    (:func:`inference.ceiling_interval`), each emotion from its own named stream of ``seed``.

    Returns
    -------
    low, high : list of float
        The interval's bounds, one per emotion in :data:`EMOTIONS` order.
    """
    low, high = [], []
    for i, e in enumerate(EMOTIONS):
        boot = inference.stream(seed, "human_ceiling", "bootstrap", e)
        interval = inference.ceiling_interval(
            successes[:, i], counts, lambda mu: float(thresholds_of(mu[:, None], rule)[0]), bootstrap, confidence, boot
        )
        low.append(interval[0])
        high.append(interval[1])
    return low, high


def human_ceiling(
    annotations: pd.DataFrame,
    n_splits: int,
    seed: int,
    confidence: float,
    rule: str = "median",
    bootstrap: int = 0,
) -> pd.DataFrame:
    """How well the paper's labels can be predicted at all, per emotion.

    - ``half_panel_agreement`` (and Cohen's ``half_panel_kappa``): every song's listeners are
      shuffled into two halves (sizes differing by at most one), each half gives labels by the
      paper's rule (its own median), and the share of songs whose two labels coincide is
      averaged over ``n_splits`` halvings (with its split-to-split range). Half panels are noisier
      than the full panel (and each uses its own median), so it is compared with the ceiling as
      a heuristic, neither a bound nor a ceiling.
    - ``ceiling``: the beta-binomial ceiling of accuracy against the full-panel labels
      (:func:`inference.beta_binomial_ceiling`): what a predictor that knew every song's true
      rating rate could expect -- the estimate of the actual ceiling; ``ceiling_low/high``: its
      percentile bootstrap interval over songs (``bootstrap`` resamples, :func:`inference.ceiling_interval`).

    Each part draws from its own named stream of ``seed`` (:func:`inference.stream`).
    """
    rng = inference.stream(seed, "human_ceiling", "halves")
    ids = annotations["track id"].to_numpy()
    marks = annotations[list(EMOTIONS)].to_numpy(dtype=float)
    order = np.argsort(ids, kind="stable")
    ids, marks = ids[order], marks[order]
    songs, start, counts = np.unique(ids, return_index=True, return_counts=True)
    if counts.min() < 2:
        raise EmotifyError("the human ceiling needs at least two listeners per song")
    agree, kappa = half_panel_agreement(marks, start, counts, n_splits, rng, rule)
    successes = np.add.reduceat(marks, start)
    thresholds = thresholds_of(song_shares(marks, start), rule)
    low, high = ceiling_intervals(successes, counts, rule, bootstrap, confidence, seed)
    rows = []
    for i, e in enumerate(EMOTIONS):
        lo, hi = inference.split_range(agree[:, i], confidence)
        rows.append(
            {
                "emotion": e,
                "half_panel_agreement": float(agree[:, i].mean()),
                "half_panel_range_low": lo,
                "half_panel_range_high": hi,
                "half_panel_kappa": float(np.nanmean(kappa[:, i])) if np.isfinite(kappa[:, i]).any() else np.nan,
                "ceiling": inference.beta_binomial_ceiling(successes[:, i], counts, float(thresholds[i])),
                "ceiling_low": low[i],
                "ceiling_high": high[i],
                "ceiling_bootstrap": bootstrap,
                "n_splits": n_splits,
                "n_songs": len(songs),
            }
        )
    return pd.DataFrame(rows)


def write_human_ceiling(annotations: str | Path, settings: dict[str, Any], rule: str, out: str | Path) -> None:
    """Rule ``human_ceiling``: :func:`human_ceiling` of the validated annotations, to ``out``.

    Parameters
    ----------
    annotations : path
        ``results/data/annotations.csv`` (one row per listening event).
    settings : dict
        The evaluation settings ``ceiling_splits``, ``ceiling_bootstrap``, ``confidence`` and ``seed``.
    rule : str
        The labelling rule (``labels.threshold``).
    out : path
        The CSV written.
    """
    table = human_ceiling(
        pd.read_csv(annotations),
        settings["ceiling_splits"],
        settings["seed"],
        settings["confidence"],
        rule,
        settings["ceiling_bootstrap"],
    )
    write_csv(table, out)
