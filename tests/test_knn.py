"""The one home of the classifier: equal to scikit-learn, never sees its own row, and the
single-split experiments are the repeated evaluation's machinery applied to one split."""

import numpy as np
import pandas as pd
import pytest
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from emotify_pipeline.core.emotify import EMOTIONS, GENRES
from emotify_pipeline.core.errors import EmotifyError
from emotify_pipeline.neighbours import geometry, knn
from emotify_pipeline.neighbours.splits import (
    Split,
    inner_folds,
    paper_split,
    read_splits,
    resampled_splits,
    split_table,
)
from emotify_pipeline.study.evaluation import evaluate_all
from emotify_pipeline.study.experiments import emotion_votes, genre_experiment, genre_votes


def test_neighbour_vote_equals_the_sklearn_pipeline() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 30))
    y = rng.choice(["a", "b", "c"], size=60)
    for s in resampled_splits(y, 5, 0.3, seed=1):
        pred, proba, classes = knn.vote(y[s.train], knn.neighbours(x, s.train, s.test, 5))
        model = make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=5)).fit(x[s.train], y[s.train])
        np.testing.assert_array_equal(pred, model.predict(x[s.test]))
        np.testing.assert_allclose(proba, model.predict_proba(x[s.test]))
        np.testing.assert_array_equal(classes, model.classes_)


def test_k_is_never_capped() -> None:
    with pytest.raises(EmotifyError, match=r"knn.k = 6 exceeds the 5 training songs"):
        knn.neighbours(np.zeros((8, 2)), np.arange(5), np.arange(5, 8), 6)
    with pytest.raises(EmotifyError, match=r"knn.k = 6 exceeds the 5 training songs"):
        knn.top(np.zeros((3, 5), dtype=int), 6, 5)


def test_out_of_fold_probabilities_never_see_their_own_row() -> None:
    # each row is its own far-away cluster: a model that saw the row would copy its label
    x = np.repeat(np.arange(12)[:, None] * 100.0, 2, axis=1)
    y = np.array([[0, 1] * 6, [1, 0] * 6]).T
    strata = np.array(["a", "b"] * 6)
    train = np.arange(12)
    folds = inner_folds(strata, 3, seed=0)
    ranked = geometry.ranked(x, [(train[fit], train[held]) for fit, held in folds])
    p = knn.out_of_fold_share(y, train, [(fit, held, o) for (fit, held), o in zip(folds, ranked, strict=True)], k=1)
    assert p.shape == (12, 2)
    assert not np.array_equal((p > 0.5).astype(int), y)
    assert all(pd.Series(strata[held]).value_counts().tolist() == [2, 2] for _, held in folds)  # stratified


def _data(per_genre: int = 12):
    rng = np.random.default_rng(5)
    rows = [(100 * g + i + 1, genre) for g, genre in enumerate(GENRES) for i in range(per_genre)]
    tracks = pd.DataFrame(rows, columns=["track_id", "genre"])
    x = np.stack([np.eye(4)[GENRES.index(g)] + rng.normal(scale=1.5, size=4) for g in tracks["genre"]])
    x = np.hstack([x, rng.normal(size=(len(tracks), 8))])
    wide = np.maximum(rng.normal(size=(len(tracks), 3000)) + x[:, :1], 0)  # ReLU-like, as VGG19 pool5
    x = np.hstack([x, wide]).astype(np.float32).astype(np.float64)  # wider than geometry.EXACT_MAX_COLUMNS
    labels = tracks.copy()
    ratings = tracks[["track_id"]].copy()
    for i, e in enumerate(EMOTIONS):
        labels[e] = (x[:, i] + rng.normal(size=len(tracks)) > 0).astype(int)
        ratings[e] = rng.random(len(tracks))
    return tracks, x, labels, ratings


def test_single_split_experiments_equal_the_repeated_machinery_on_that_split() -> None:
    tracks, x, labels, ratings = _data()
    seed, k, folds = 42, 5, 5
    split = paper_split(tracks, 0.3, seed=seed)  # sorted by track id, as tracks are
    one = Split(np.flatnonzero(split["subset"] == "train"), np.flatnonzero(split["subset"] == "test"))
    table = split_table(split, [one], folds, [seed])
    ids = tracks["track_id"].to_numpy()
    splits = read_splits(table, ids)
    audio = geometry.Rankings(items=geometry.compute_rankings(x, ids, splits, "audio", inner=True))
    mu_x = ratings[list(EMOTIONS)].to_numpy()
    mu = geometry.Rankings(items=geometry.compute_rankings(mu_x, ids, splits, "ratings", inner=False))
    cfg = {"permutations": 0, "permutation_splits": 1, "confidence": 0.9, "seed": seed, "k": k}
    summary, per = evaluate_all(tracks, labels, {"random": audio}, cfg, ratings=mu)
    acc = per.set_index(["experiment", "target"])["accuracy"]

    exp1 = genre_votes(split, audio.get(0, "audio"), k, "exp1", "x")
    assert exp1["metrics"]["accuracy"] == acc["exp1_genre_from_audio", "genre"]
    y = tracks["genre"].to_numpy()
    sk = make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=k)).fit(x[one.train], y[one.train])
    np.testing.assert_array_equal(exp1["predictions"]["predicted"], sk.predict(x[one.test]))  # the wide path
    assert exp1["metrics"]["accuracy"] == genre_experiment(x, split, k, "exp1", "x")["metrics"]["accuracy"]
    exp2 = emotion_votes(split, labels, audio.get(0, "audio"), audio.inner(0), k)
    for e in EMOTIONS:
        assert exp2["metrics"]["emotions"][e]["accuracy"] == acc["exp2_emotion_from_audio", e]
    exp3 = genre_votes(split, mu.get(0, "ratings"), k, "exp3", "mu")
    assert exp3["metrics"]["accuracy"] == acc["exp3_genre_from_ratings", "genre"]
    # Experiment IV's inputs are the out-of-fold probabilities of inner folds stratified by genre
    probs = exp2["probabilities"][list(EMOTIONS)].to_numpy()
    y_emo = labels[list(EMOTIONS)].to_numpy()
    train, test = one.train, one.test
    want = np.zeros_like(probs)
    for fit, held in inner_folds(tracks["genre"].to_numpy()[train], folds, seed):
        model = make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=k)).fit(
            x[train[fit]], y_emo[train[fit]]
        )
        want[train[held]] = np.stack([p[:, 1] for p in model.predict_proba(x[train[held]])], axis=1)
    model = make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=k)).fit(x[train], y_emo[train])
    want[test] = np.stack([p[:, 1] for p in model.predict_proba(x[test])], axis=1)
    np.testing.assert_allclose(probs, want)  # scikit-learn's out-of-fold probabilities
    exp4 = genre_experiment(probs, split, k, "exp4", "p")
    assert exp4["metrics"]["accuracy"] == acc["exp4_genre_from_predicted_emotions", "genre"]


def test_random_tie_breaking_does_not_depend_on_the_stored_depth() -> None:
    """On a lattice (most neighbours tied), ``knn.ties: random`` picks the same k neighbours and
    leaves the generator in the same state whether the ranking is stored whole or cut to a depth
    (a new k in the sweep must not change the votes of the others)."""
    from emotify_pipeline.neighbours.knn import break_ties, tie_order, top, trim

    rng = np.random.default_rng(0)
    train, test = rng.integers(0, 2, (20, 3)).astype(float), rng.integers(0, 2, (12, 3)).astype(float)
    d = ((test[:, None, :] - train[None, :, :]) ** 2).sum(axis=2)
    order, tied = tie_order(d)
    assert tied.mean() > 0.5  # the case that matters: long runs of equal distances
    full_rng = np.random.default_rng(7)
    full = top(break_ties(order, tied, full_rng, len(train)), 5, len(train))
    for depth in (5, 7, 15):
        cut_order, cut_tied = trim(order, tied, depth)
        cut_rng = np.random.default_rng(7)
        for k in range(1, depth + 1):
            np.testing.assert_array_equal(
                top(break_ties(cut_order, cut_tied, np.random.default_rng(7), len(train)), k, len(train)),
                top(break_ties(order, tied, np.random.default_rng(7), len(train)), k, len(train)),
            )
        np.testing.assert_array_equal(top(break_ties(cut_order, cut_tied, cut_rng, len(train)), 5, len(train)), full)
        after_full = np.random.default_rng(7)
        break_ties(order, tied, after_full, len(train))
        assert cut_rng.random() == after_full.random()  # the vote's own draws come next, the same either way
