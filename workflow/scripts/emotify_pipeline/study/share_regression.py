"""Predicting the rating shares mu themselves (not the paper's median-split labels): KNN
regression from the cached neighbour rankings, its scores on one split, and the genre-only
baseline.

- :func:`knn_regression`: a test song's prediction is the mean mu of its k nearest training
  songs, selected exactly as the KNN vote selects them (:func:`neighbour_rows`: ``knn.top`` on
  the split's ranking; with ``knn.ties: random`` after ``knn.break_ties`` seeded ``seed + r``
  as :func:`votes.predict` seeds split r) -- scikit-learn's ``KNeighborsRegressor`` with
  uniform weights on the standardised features, without a new distance computation. A
  distance-weighted variant is not offered: the rankings store ranks, not distances.
- ``genre_mean_baseline`` (the one genre-only baseline for mu): each test song predicted by its
  genre's mean mu over the training songs (the training mean where its genre has no training
  song) -- what genre alone tells about mu (:func:`genre_mean_prediction`).
- Scores (:func:`share_scores`): ``r2`` = 1 - SSE / SST with SST = sum (y_test - mean(y_train))^2,
  R^2 against the *training* mean (a predictor that ignores the song gets about 0, never more
  in expectation); ``pearson`` and ``spearman`` correlation of prediction and mu over the test songs
  (nan where either is constant).

Two paths compute the same numbers (tested equal): the plain one, one labelling at a time with
scipy's correlations (:func:`split_share_scores`, the tables'), and the vectorised one for many
labellings at once (:func:`knn_regression_many`, :func:`genre_mean_many`, :func:`r2_gain_statistic`:
the permutation test's).
"""

from collections.abc import Callable

import numpy as np
from scipy import stats

from ..neighbours import knn
from .votes import Votes


def neighbour_rows(v: Votes, k: int, ties: str, seed: int) -> np.ndarray:
    """The rows (indices into the full label vector, not positions into ``v.train``) of every
    test song's k nearest training songs, (n_test, k): the songs :func:`votes.knn_vote`
    lets vote -- the first k of the ranking (``ties: sklearn``: equidistant neighbours in
    training-row order), or of the ranking with every run of equal distances shuffled by
    ``knn.break_ties`` drawn from ``default_rng(seed)`` (``ties: random``; ``seed`` is the
    split's, ``seed + r`` for split r, as :func:`votes.predict`)."""
    if ties == "random":
        rng = np.random.default_rng(seed)
        return v.train[knn.top(knn.break_ties(v.order, v.tied, rng, len(v.train)), k, len(v.train))]
    return v.train[knn.top(v.order, k, len(v.train))]


def knn_regression(y: np.ndarray, v: Votes, k: int, ties: str, seed: int) -> np.ndarray:
    """KNN regression of ``y`` (n,) or (n, n_targets), indexed by row, for the test songs of
    ``v``: the mean of the k nearest training songs' values (:func:`neighbour_rows`).
    Returns (n_test,) or (n_test, n_targets)."""
    return np.asarray(y, dtype=float)[neighbour_rows(v, k, ties, seed)].mean(axis=1)


def genre_mean_prediction(y_train: np.ndarray, g_train: np.ndarray, g_test: np.ndarray) -> np.ndarray:
    """The genre-only baseline for mu: each test song's genre's mean ``y_train`` (the overall
    training mean for a genre without training songs). (n_test,)."""
    y_train = np.asarray(y_train, dtype=float)
    pred = np.full(len(g_test), y_train.mean())
    for g in np.unique(g_test):
        in_train = g_train == g
        if in_train.any():
            pred[g_test == g] = y_train[in_train].mean()
    return pred


def r2_against_training_mean(y_test: np.ndarray, pred: np.ndarray, train_mean: float) -> float:
    """1 - SSE / SST, SST = sum (y_test - train_mean)^2 (nan when SST is 0)."""
    y_test = np.asarray(y_test, dtype=float)
    sst = float(np.sum((y_test - train_mean) ** 2))
    return 1.0 - float(np.sum((y_test - pred) ** 2)) / sst if sst > 0 else float("nan")


def share_scores(y_test: np.ndarray, pred: np.ndarray, train_mean: float) -> dict[str, float]:
    """``r2`` (:func:`r2_against_training_mean`), ``pearson`` and ``spearman`` (scipy; nan where
    the prediction or the truth is constant) of one set of predictions."""
    y_test, pred = np.asarray(y_test, dtype=float), np.asarray(pred, dtype=float)
    constant = np.ptp(y_test) == 0 or np.ptp(pred) == 0
    return {
        "r2": r2_against_training_mean(y_test, pred, train_mean),
        "pearson": float("nan") if constant else float(stats.pearsonr(y_test, pred)[0]),
        "spearman": float("nan") if constant else float(stats.spearmanr(y_test, pred)[0]),
    }


def split_share_scores(y: np.ndarray, v: Votes, k: int, ties: str, seed: int, genre: np.ndarray) -> dict[str, float]:
    """One split's scores of the KNN regression of ``y`` (n,) and of the genre-only baseline.

    Returns ``r2``, ``pearson``, ``spearman`` (KNN regression, :func:`share_scores`),
    ``genre_r2``, ``genre_pearson``, ``genre_spearman`` (the genre-only baseline,
    :func:`genre_mean_prediction`, the same scores), ``r2_gain`` (``r2 - genre_r2``),
    ``n_train``, ``n_test``."""
    y = np.asarray(y, dtype=float)
    y_train, y_test = y[v.train], y[v.test]
    train_mean = float(y_train.mean())
    audio = share_scores(y_test, knn_regression(y, v, k, ties, seed), train_mean)
    base = share_scores(y_test, genre_mean_prediction(y_train, genre[v.train], genre[v.test]), train_mean)
    return {
        **audio,
        **{f"genre_{name}": value for name, value in base.items()},
        "r2_gain": audio["r2"] - base["r2"],
        "n_train": len(v.train),
        "n_test": len(v.test),
    }


def mean_test_predictions(
    y: np.ndarray, votes: list[Votes], k: int, ties: str, seed: int, genre: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every song's out-of-sample predictions, averaged over the splits that test it: the KNN
    regression of ``y`` (n, n_targets) (split r's ties broken with ``seed + r``) and the
    genre-only baseline. Returns ``(knn, genre_only, tested)``: (n, n_targets) each (nan for a
    song no split tests) and (n,) the number of splits that test each song."""
    y = np.asarray(y, dtype=float)
    y = y[:, None] if y.ndim == 1 else y
    genre = np.asarray(genre)
    knn_sum, genre_sum = np.zeros_like(y), np.zeros_like(y)
    tested = np.zeros(len(y), dtype=int)
    for r, v in enumerate(votes):
        knn_sum[v.test] += knn_regression(y, v, k, ties, seed + r)
        for t in range(y.shape[1]):
            genre_sum[v.test, t] += genre_mean_prediction(y[v.train, t], genre[v.train], genre[v.test])
        tested[v.test] += 1
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(tested > 0, 1.0 / np.maximum(tested, 1), np.nan)[:, None]
    return knn_sum * scale, genre_sum * scale, tested


def knn_regression_many(y: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """KNN regression for B labellings at once: ``y`` (B, n), ``rows`` (n_test, k) from
    :func:`neighbour_rows`. Returns (B, n_test)."""
    return np.asarray(y, dtype=float)[:, rows].mean(axis=2)


def genre_design(train: np.ndarray, test: np.ndarray, genre: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What the genre-only baseline of one split needs for any labelling: the training songs'
    genres one-hot (n_train, n_genres), the training songs per genre (n_genres,) and the test
    songs' genre codes (n_test,)."""
    _, codes = np.unique(np.asarray(genre), return_inverse=True)
    onehot = np.zeros((len(train), int(codes.max()) + 1))
    onehot[np.arange(len(train)), codes[train]] = 1.0
    return onehot, onehot.sum(axis=0), codes[test]


def genre_mean_many(
    y: np.ndarray,
    train: np.ndarray,
    test: np.ndarray,
    genre: np.ndarray,
    design: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """:func:`genre_mean_prediction` for B labellings at once: ``y`` (B, n), ``genre`` (n,)
    labels of any kind (``design``: :func:`genre_design` of the split, when computed once).
    Returns (B, n_test)."""
    y_train = np.asarray(y, dtype=float)[:, train]
    onehot, counts, test_codes = design if design is not None else genre_design(train, test, genre)
    means = y_train @ onehot / np.maximum(counts, 1)[None, :]
    means = np.where(counts[None, :] > 0, means, y_train.mean(axis=1, keepdims=True))
    return means[:, test_codes]


def share_scores_many(y_test: np.ndarray, pred: np.ndarray, train_mean: np.ndarray) -> dict[str, np.ndarray]:
    """:func:`share_scores` for B labellings at once: ``y_test`` and ``pred`` (B, n_test),
    ``train_mean`` (B,). Returns ``r2``, ``pearson``, ``spearman``, each (B,)."""
    y_test, pred = np.asarray(y_test, dtype=float), np.asarray(pred, dtype=float)
    sst = np.sum((y_test - np.asarray(train_mean, dtype=float)[:, None]) ** 2, axis=1)
    sse = np.sum((y_test - pred) ** 2, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        r2 = np.where(sst > 0, 1.0 - sse / np.where(sst > 0, sst, 1.0), np.nan)
    return {
        "r2": r2,
        "pearson": _row_pearson(y_test, pred),
        "spearman": _row_pearson(stats.rankdata(y_test, axis=1), stats.rankdata(pred, axis=1)),
    }


def _row_pearson(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson correlation of every row of ``a`` with the same row of ``b`` (nan where constant)."""
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    den = np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, (a * b).sum(axis=1) / np.where(den > 0, den, 1.0), np.nan)


def r2_gain_statistic(
    votes: list[Votes], genre: np.ndarray, k: int, ties: str, seed: int
) -> Callable[[np.ndarray], np.ndarray]:
    """The permutation test's statistic on these splits, for many labellings at once: the mean
    over the splits of R^2 of the KNN regression minus R^2 of the genre-only baseline (both
    against the training mean: (SSE_genre - SSE_knn) / SST).

    Returns ``statistic(y)``: ``y`` (B, n) mu of every row for B labellings -> (B,). The
    neighbours (with ``ties: random``, split r's tie-breaking draws seeded ``seed + r``) are
    fixed once: only the means are recomputed per labelling."""
    genre = np.asarray(genre)
    prepared = [
        (v.train, v.test, neighbour_rows(v, k, ties, seed + r), genre_design(v.train, v.test, genre))
        for r, v in enumerate(votes)
    ]

    def statistic(y: np.ndarray) -> np.ndarray:
        y = np.atleast_2d(np.asarray(y, dtype=float))
        total = np.zeros(len(y))
        for train, test, rows, design in prepared:
            y_test = y[:, test]
            sst = np.sum((y_test - y[:, train].mean(axis=1, keepdims=True)) ** 2, axis=1)
            sse_knn = np.sum((y_test - knn_regression_many(y, rows)) ** 2, axis=1)
            sse_genre = np.sum((y_test - genre_mean_many(y, train, test, genre, design)) ** 2, axis=1)
            total += (sse_genre - sse_knn) / sst
        return total / len(prepared)

    return statistic
