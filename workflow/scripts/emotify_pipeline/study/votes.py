"""The KNN vote on cached neighbour rankings, as every study job casts it.

A split's rankings (:mod:`geometry`, computed once and independent of k) become :class:`Votes`;
:func:`predict` votes them for one labelling with the workflow's tie handling (``knn.ties``).
Experiment IV's inputs -- the emotion probabilities predicted from audio -- depend on k, so
:func:`exp4_votes` ranks them here rather than from a cache.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..neighbours import knn
from ..neighbours.geometry import Ranking, Rankings, ranked_with_ties


@dataclass(frozen=True)
class Votes:
    """One split's rankings for a target: the rows of the split and, per test row, the ranked
    training rows (positions into ``train``) with their tie mask."""

    train: np.ndarray
    test: np.ndarray
    order: np.ndarray
    tied: np.ndarray


def votes_of(ranking: Ranking, row: pd.Series) -> Votes:
    """The votes of one split's ``ranking``, its songs located by ``row`` (track id -> row)."""
    train, test = ranking.rows(row)
    return Votes(train, test, ranking.order, ranking.tied)


def knn_vote(y: np.ndarray, v: Votes, k: int, ties: str, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The KNN vote for the test rows of ``v`` with labels ``y`` (indexed by row), ties broken as
    ``knn.ties`` says: ``sklearn`` (equidistant neighbours in training-row order, a vote tie to
    the first class) or ``random`` (both at random, seeded). Returns :func:`knn.vote`'s triple."""
    if ties == "random":
        rng = np.random.default_rng(seed)
        nn = knn.top(knn.break_ties(v.order, v.tied, rng, len(v.train)), k, len(v.train))
        return knn.vote(y[v.train], nn, rng)
    return knn.vote(y[v.train], knn.top(v.order, k, len(v.train)))


def predict(y: np.ndarray, v: Votes, k: int, ties: str, seed: int) -> np.ndarray:
    """The predictions of :func:`knn_vote`."""
    return knn_vote(y, v, k, ties, seed)[0]


def exp4_votes(source: Rankings, audio: list[Votes], y_emo: np.ndarray, row: pd.Series, k: int) -> list[Votes]:
    """Experiment IV's rankings on each split: its inputs (the emotion probabilities, out of
    fold for training songs) depend on k, so they are ranked here, not cached."""
    return [
        exp4_split_votes(v, [(*f.rows(row), f.order) for f in source.inner(r)], y_emo, k) for r, v in enumerate(audio)
    ]


def exp4_split_votes(
    audio: Votes, folds: list[tuple[np.ndarray, np.ndarray, np.ndarray]], y_emo: np.ndarray, k: int
) -> Votes:
    """Experiment IV on one split: the emotion probabilities (out of fold for the training songs,
    from ``folds``' (fit rows, held rows, ranking); from the split's audio neighbours for the
    test songs) ranked with the workflow's tie handling (probabilities tie often)."""
    nearest = knn.top(audio.order, k, len(audio.train))
    probs = knn.emotion_probabilities(y_emo, audio.train, audio.test, nearest, folds, k)
    order, tied = ranked_with_ties(probs, [(audio.train, audio.test)])[0]
    return Votes(audio.train, audio.test, order, tied)
