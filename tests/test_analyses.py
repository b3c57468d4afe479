"""Ties, and the analyses of the paper's own question: emotion beyond genre, the claims about
Experiments III and IV, and the choice of k."""

import numpy as np
import pandas as pd
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from emotify_pipeline.core.emotify import GENRES
from emotify_pipeline.neighbours import geometry, knn
from emotify_pipeline.neighbours.splits import resampled_splits
from emotify_pipeline.study.analyses import emotion_beyond_genre, genre_claims, k_sensitivity
from emotify_pipeline.study.votes import Votes, predict


def _votes(x: np.ndarray, y: np.ndarray, repeats: int = 6, seed: int = 0) -> list[Votes]:
    out = []
    for s in resampled_splits(y, repeats, 0.3, seed):
        order, tied = geometry.ranked_with_ties(x, [(s.train, s.test)])[0]
        out.append(Votes(s.train, s.test, order, tied))
    return out


def test_vote_ties_go_to_the_first_class_as_in_scikit_learn() -> None:
    # k = 4 over four classes, continuous features: tied votes (2-2, 1-1-1-1), no tied distances
    rng = np.random.default_rng(0)
    x = rng.normal(size=(80, 5))
    y = np.array(GENRES * 20)
    vote_ties = 0.0
    for v in _votes(x, y):
        mine = predict(y, v, 4, "sklearn", 0)
        model = make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=4, algorithm="brute"))
        model.fit(x[v.train], y[v.train])
        clear = ~v.tied[:, 4]  # no distance tie decides who votes
        np.testing.assert_array_equal(mine[clear], model.predict(x[v.test])[clear])
        vote_ties += knn.tie_rates(y[v.train], v.order, v.tied, 4)[1]
    assert vote_ties > 0.3  # the equality above covered many tied votes


def test_ties_on_lattice_inputs_favour_classical_unless_broken_at_random() -> None:
    # Experiment IV's inputs are vote shares: lattice values, equidistant neighbours, tied votes
    rng = np.random.default_rng(1)
    y = np.array(GENRES * 40)
    x = rng.integers(0, 3, size=(len(y), 3)) / 2.0  # no genre information; 27 lattice points for 160 songs
    votes = _votes(x, y, repeats=10)
    first = np.mean([np.mean(predict(y, v, 5, "sklearn", r) == "classical") for r, v in enumerate(votes)])
    fair = np.mean([np.mean(predict(y, v, 5, "random", r) == "classical") for r, v in enumerate(votes)])
    assert first > fair + 0.03  # scikit-learn's order hands ties to classical (first class, lowest ids)
    assert abs(fair - 0.25) < 0.06
    distance_ties = np.mean([knn.tie_rates(y[v.train], v.order, v.tied, 5)[0] for v in votes])
    assert distance_ties > 0.1
    table = genre_claims(y, np.zeros((len(y), 9), dtype=int), {"exp4": votes}, {"k": 5, "seed": 0})
    classical = table[table["genre"] == "classical"].set_index("ties")["prediction_share"]
    assert classical["sklearn"] > classical["random"]
    assert set(table.columns) >= {"recall", "prediction_share", "test_share", "vote_tie_rate"}


def test_emotion_from_genre_only_is_not_credited_to_audio() -> None:
    rng = np.random.default_rng(2)
    genre = np.array(GENRES * 30)
    rate = {"classical": 0.1, "rock": 0.9, "electronic": 0.2, "pop": 0.8}
    # the label depends on genre only; the features carry genre (and noise)
    y_emo = np.stack([(rng.random(len(genre)) < [rate[g] for g in genre]).astype(int) for _ in range(9)], axis=1)
    x = np.stack([np.eye(4)[GENRES.index(g)] * 3 for g in genre]) + rng.normal(size=(len(genre), 4))
    cfg = {"k": 5, "ties": "sklearn", "seed": 0, "permutations": 49, "permutation_splits": 4, "confidence": 0.9}
    table = emotion_beyond_genre(y_emo, genre, _votes(x, genre), cfg, split_kind="random")
    overall = table[table["genre"] == "all"]
    assert len(overall) == 9 and set(table["genre"]) == {"all", *GENRES}
    assert (overall["genre_baseline"] > 0.75).all()  # genre alone predicts these labels well
    assert overall["audio_minus_genre"].mean() < 0.02  # and the audio adds nothing beyond it
    assert (overall["within_genre_permutation_p"] > 0.05).mean() >= 0.7


def test_emotion_beyond_genre_is_found_when_the_audio_carries_it() -> None:
    rng = np.random.default_rng(3)
    genre = np.array(GENRES * 30)
    x = rng.normal(size=(len(genre), 3))
    y_emo = np.repeat((x[:, :1] > 0).astype(int), 9, axis=1)  # within every genre, decided by the audio
    cfg = {"k": 5, "ties": "sklearn", "seed": 0, "permutations": 49, "permutation_splits": 4, "confidence": 0.9}
    overall = emotion_beyond_genre(y_emo, genre, _votes(x, genre), cfg, split_kind="random").query("genre == 'all'")
    assert (overall["audio_minus_genre"] > 0.2).all() and (overall["within_genre_permutation_p"] <= 0.05).all()


def test_k_sensitivity_covers_every_k() -> None:
    rng = np.random.default_rng(4)
    genre = np.array(GENRES * 20)
    x = np.stack([np.eye(4)[GENRES.index(g)] * 2 for g in genre]) + rng.normal(size=(len(genre), 4))
    y_emo = rng.integers(0, 2, size=(len(genre), 9))
    cfg = {"k_values": [1, 3, 15], "ties": "sklearn", "seed": 0, "confidence": 0.9}
    table = k_sensitivity(genre, y_emo, _votes(x, genre), cfg)
    assert sorted(set(table["k"])) == [1, 3, 15] and len(table) == 6
    genre_rows = table[table["target"].str.startswith("genre")]
    assert genre_rows["mean_accuracy"].min() > 0.6
    assert isinstance(table, pd.DataFrame)
