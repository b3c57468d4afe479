"""The permutation tests' machinery: the statistic recounted for many labellings at once, and
the exchange scheme that permutes the labels (artists among artists with the same album
profile, album for album).
"""

import functools
from collections.abc import Callable

import numpy as np
import pandas as pd

from ..neighbours import knn
from ..stats import inference
from .votes import Votes


def excess_statistic(
    votes: list[Votes], k: int, ties: str, seed: int, measure: str = "balanced"
) -> Callable[[np.ndarray, int], np.ndarray]:
    """The permutation tests' statistic on these splits, for many labellings at once: the mean
    over the splits of the excess over chance of the votes of :func:`votes.predict` (ties included).
    ``measure="balanced"`` (the workflow's): balanced accuracy (mean recall over the classes
    present in the test songs) minus its chance level 1 / (number of those classes) -- any
    predictor that ignores the truth expects exactly that level, however unbalanced the training
    or test classes, so labels permuted on splits balanced for the real ones are not penalised
    for their imbalance; ``"accuracy"``: accuracy minus the stratified chance baseline
    (:func:`inference.excess_accuracy`), which on the real structure left the genre tests of
    grouped splits liberal (docs/statistics.md, "Calibration on the real structure").

    Returns ``statistic(codes, n_classes)``: ``codes`` (B, n) class codes of every row for B
    labellings -> (B,) values. The neighbours (and, with ``knn.ties: random``, the tie-breaking
    draws of split r, seeded ``seed + r`` as in :func:`votes.predict`) are fixed once: only the votes
    are recounted per labelling."""
    prepared = []
    for r, v in enumerate(votes):
        if ties == "random":
            rng = np.random.default_rng(seed + r)
            nn = knn.top(knn.break_ties(v.order, v.tied, rng, len(v.train)), k, len(v.train))
            prepared.append((v.train, v.test, v.train[nn], rng, {}))
        else:
            prepared.append((v.train, v.test, v.train[knn.top(v.order, k, len(v.train))], None, {}))

    def statistic(codes: np.ndarray, n_classes: int) -> np.ndarray:
        codes = np.atleast_2d(codes)
        b = len(codes)
        total = np.zeros(b)
        everyone = _row_counts(codes, n_classes)
        packed = _SHIFT[codes] if ties != "random" and n_classes <= 4 and k < 16 else None
        for train, test, neighbours, rng, keys in prepared:
            if packed is not None:  # the votes' counts packed 4 bits per class, the winner looked up
                winner = _winner_table(n_classes, k)[packed[:, neighbours].sum(axis=2)]
            elif rng is None:
                winner = _counts(codes, neighbours, n_classes).argmax(axis=2)  # first class of a tie, as scikit-learn
            else:  # knn.vote's draws after break_ties (predict's own, when every class is in training)
                counts = _counts(codes, neighbours, n_classes)
                if n_classes not in keys:
                    keys[n_classes] = rng.random((len(test), n_classes))
                best = counts == counts.max(axis=2, keepdims=True)
                winner = np.argmax(best * keys[n_classes][None], axis=2)
            truth = codes[:, test]
            in_test = _row_counts(truth, n_classes)
            if measure == "balanced":
                hits = _row_counts(np.where(winner == truth, truth, n_classes), n_classes + 1)[:, :n_classes]
                present = in_test > 0
                recall = np.where(present, hits / np.maximum(in_test, 1), 0.0)
                total += recall.sum(axis=1) / present.sum(axis=1) - 1.0 / present.sum(axis=1)
                continue
            accuracy = np.count_nonzero(winner == truth, axis=1) / len(test)
            if len(train) + len(test) == codes.shape[1]:  # the split holds every row: training = all - test
                train_share = (everyone - in_test) / len(train)
            else:
                train_share = _row_counts(codes[:, train], n_classes) / len(train)
            total += accuracy - np.sum(train_share * in_test, axis=1) / len(test)
        return total / len(prepared)

    return statistic


_SHIFT = np.array([1 << (4 * c) for c in range(4)], dtype=np.int64)


def _counts(codes: np.ndarray, neighbours: np.ndarray, n_classes: int) -> np.ndarray:
    """Votes per class of every test row for every labelling: (B, n_test, n_classes)."""
    b, (n_test, _) = len(codes), neighbours.shape
    return _row_counts(codes[:, neighbours].reshape(b * n_test, -1), n_classes).reshape(b, n_test, n_classes)


@functools.cache
def _winner_table(n_classes: int, k: int) -> np.ndarray:
    """Winner of every packed vote (4 bits per class count): the first class with the top count."""
    packed = np.arange(16**n_classes)
    counts = (packed[:, None] >> (4 * np.arange(n_classes))[None, :]) & 15
    return counts.argmax(axis=1)


def _row_counts(codes: np.ndarray, n_classes: int) -> np.ndarray:
    """How often each class code occurs in each row of ``codes``: (rows, n_classes)."""
    offset = np.arange(len(codes))[:, None] * n_classes
    return np.bincount((codes + offset).ravel(), minlength=len(codes) * n_classes).reshape(len(codes), n_classes)


def artist_units(artists: np.ndarray | None, n: int) -> np.ndarray:
    """The exchange units of the permutation tests: each song's artist, or the song itself
    where the artist is unknown."""
    own = np.array([f"\x00song {i}" for i in range(n)], dtype=object)
    if artists is None:
        return own
    artists = pd.Series(np.asarray(artists, dtype=object)).fillna("").astype(str).to_numpy(dtype=object)
    return np.where(artists == "", own, artists)


def exchange_of(
    artists: np.ndarray | None, albums: np.ndarray | None, n: int, strata: np.ndarray | None = None
) -> inference.Exchange:
    """The permutation scheme of every test: artists (:func:`artist_units`) exchanged among
    artists with the same album profile (within ``strata``), album for album, where albums are
    recorded (:class:`inference.Exchange`) -- so that labels that differ between an artist's
    albums (7 real artists span two or three genres, album by album) and labels that follow the
    album are not scattered across albums by every draw, which made the genre test on random
    splits liberal under an album signature (9.75 % at 0.05) and the emotion tests on random
    splits liberal when emotion follows the album (up to 14.5 %); among same-size artists, songs
    reordered, without albums."""
    units = artist_units(artists, n)
    if albums is None:
        return inference.Exchange(units, strata)
    return inference.Exchange(units, strata, artist_units(albums, n))
