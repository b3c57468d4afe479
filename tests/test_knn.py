"""The one home of the classifier: equal to scikit-learn, never sees its own row, and the
single-split experiments are the repeated evaluation's machinery applied to one split."""

import numpy as np
import pandas as pd
import pytest
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import knn
from common_io import EMOTIONS, GENRES, EmotifyError
from evaluation import Split, evaluate_all, make_splits
from experiments import emotion_experiment, genre_experiment, make_split


def test_neighbour_vote_equals_the_sklearn_pipeline() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 30))
    y = rng.choice(["a", "b", "c"], size=60)
    for s in make_splits(y, 5, 0.3, seed=1):
        pred, proba, classes = knn.predict(x, y, s.train, s.test, 5)
        model = make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=5)).fit(x[s.train], y[s.train])
        np.testing.assert_array_equal(pred, model.predict(x[s.test]))
        np.testing.assert_allclose(proba, model.predict_proba(x[s.test]))
        np.testing.assert_array_equal(classes, model.classes_)


def test_k_is_never_capped() -> None:
    with pytest.raises(EmotifyError, match=r"knn.k = 6 exceeds the 5 training songs"):
        knn.neighbours(np.zeros((8, 2)), np.arange(5), np.arange(5, 8), 6)


def test_out_of_fold_probabilities_never_see_their_own_row() -> None:
    # each row is its own far-away cluster: a model that saw the row would copy its label
    x = np.repeat(np.arange(12)[:, None] * 100.0, 2, axis=1)
    y = np.array([[0, 1] * 6, [1, 0] * 6]).T
    strata = np.array(["a", "b"] * 6)
    p = knn.out_of_fold_proba(x, y, np.arange(12), strata, k=1, folds=3, seed=0)
    assert p.shape == (12, 2)
    assert not np.array_equal((p > 0.5).astype(int), y)
    folds = knn.inner_folds(strata, 3, seed=0)
    assert all(pd.Series(strata[held]).value_counts().tolist() == [2, 2] for _, held in folds)  # stratified


def _data(per_genre: int = 12):
    rng = np.random.default_rng(5)
    rows = [(100 * g + i + 1, genre) for g, genre in enumerate(GENRES) for i in range(per_genre)]
    tracks = pd.DataFrame(rows, columns=["track_id", "genre"])
    x = np.stack([np.eye(4)[GENRES.index(g)] + rng.normal(scale=1.5, size=4) for g in tracks["genre"]])
    x = np.hstack([x, rng.normal(size=(len(tracks), 8))])
    labels = tracks.copy()
    ratings = tracks[["track_id"]].copy()
    for i, e in enumerate(EMOTIONS):
        labels[e] = (x[:, i] + rng.normal(size=len(tracks)) > 0).astype(int)
        ratings[e] = rng.random(len(tracks))
    tracks["artist"], tracks["album"] = tracks["genre"], tracks["genre"]
    return tracks, x, labels, ratings


def test_single_split_experiments_equal_the_repeated_machinery_on_that_split() -> None:
    tracks, x, labels, ratings = _data()
    seed, k, folds = 42, 5, 5
    split = make_split(tracks, 0.3, seed=seed)  # sorted by track id, as tracks are
    one = Split(np.flatnonzero(split["subset"] == "train"), np.flatnonzero(split["subset"] == "test"))
    cfg = {"permutations": 0, "permutation_splits": 1, "confidence": 0.9, "seed": seed, "group_by": []}
    cfg.update(k=k, test_size=0.3, inner_folds=folds, repeats=1)
    summary, per = evaluate_all(x, tracks, labels, ratings, cfg, given_splits={"random": [one]})
    acc = per.set_index(["experiment", "target"])["accuracy"]

    exp1 = genre_experiment(x, split, k, seed, "exp1", "x")
    assert exp1["metrics"]["accuracy"] == acc["exp1_genre_from_audio", "genre"]
    exp2 = emotion_experiment(x, split, labels, k, seed, folds)
    for e in EMOTIONS:
        assert exp2["metrics"]["emotions"][e]["accuracy"] == acc["exp2_emotion_from_audio", e]
    mu = split.merge(ratings, on="track_id")[list(EMOTIONS)].to_numpy()
    exp3 = genre_experiment(mu, split, k, seed, "exp3", "mu")
    assert exp3["metrics"]["accuracy"] == acc["exp3_genre_from_ratings", "genre"]
    probs = exp2["probabilities"][list(EMOTIONS)].to_numpy()
    y_emo = labels[list(EMOTIONS)].to_numpy()
    nn = knn.neighbours(x, one.train, one.test, k)
    again = knn.emotion_probabilities(x, y_emo, tracks["genre"].to_numpy(), one.train, one.test, nn, k, folds, seed)
    np.testing.assert_array_equal(probs, again)  # Experiment IV's inputs, bit for bit
    exp4 = genre_experiment(probs, split, k, seed, "exp4", "p")
    assert exp4["metrics"]["accuracy"] == acc["exp4_genre_from_predicted_emotions", "genre"]
