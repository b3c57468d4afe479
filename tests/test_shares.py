"""The rating shares mu: split-half reliability over listeners (checked on beta-binomial
simulations with the real numbers of listeners per song), KNN regression from the cached
rankings (checked against scikit-learn), its scores and the genre-only baseline (by hand, and
against scikit-learn and scipy), the vectorised path of the permutation test (equal to the plain
one), the per-emotion table and the within-genre permutation test of the R^2 gain."""

import sys

import numpy as np
import pandas as pd
import pytest
from conftest import REPO, SHARED, needs_shared
from scipy import stats
from sklearn.metrics import r2_score
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from emotify_pipeline.core.emotify import EMOTIONS, GENRES
from emotify_pipeline.neighbours import geometry
from emotify_pipeline.neighbours.splits import grouped_splits, resampled_splits
from emotify_pipeline.stats import reliability as rel
from emotify_pipeline.study import share_regression as sr
from emotify_pipeline.study.share_analyses import reliability_of_annotations, shares_beyond_genre, shares_table
from emotify_pipeline.study.votes import Votes

sys.path.insert(0, str(REPO / "benchmarks"))
from calibration import LISTENERS, listener_counts  # noqa: E402

COUNTS = listener_counts(400)  # the real listeners per song (data.csv), 11-59


def _votes(x: np.ndarray, splits: list) -> list[Votes]:
    out = []
    for s in splits:
        order, tied = geometry.ranked_with_ties(x, [(s.train, s.test)])[0]
        out.append(Votes(s.train, s.test, order, tied))
    return out


def _events(p: np.ndarray, counts: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Listening events: song ids (one per listener) and 0/1 marks ~ Bernoulli(p[song])."""
    ids = np.repeat(np.arange(len(counts)), counts)
    return ids, (rng.random((len(ids), p.shape[1])) < p[ids]).astype(float)


# --- split-half reliability -----------------------------------------------------------------


def test_listener_histogram_has_400_songs_and_8407_events() -> None:
    assert sum(LISTENERS.values()) == 400 and sum(n * c for n, c in LISTENERS.items()) == 8407
    assert min(LISTENERS) == 11 and max(LISTENERS) == 59


@needs_shared
def test_listener_histogram_is_the_real_one() -> None:
    events = pd.read_csv(SHARED / "data.csv", skipinitialspace=True, usecols=[0]).iloc[:, 0]
    assert events.value_counts().value_counts().sort_index().to_dict() == LISTENERS


def test_half_panels_partition_every_panel() -> None:
    rng = np.random.default_rng(0)
    ids, marks = _events(rng.random((30, 2)), rng.integers(2, 9, 30), rng)
    _, starts, counts, sorted_marks = rel.panels(ids[::-1], marks[::-1])
    a, b = rel.half_panel_shares(starts, counts, sorted_marks, 7, np.random.default_rng(1), chunk=3)
    assert a.shape == b.shape == (7, 30, 2)
    size_a, size_b = counts // 2, counts - counts // 2
    assert (np.abs(size_a - size_b) <= 1).all()
    total = np.add.reduceat(sorted_marks, starts)
    np.testing.assert_allclose(a * size_a[None, :, None] + b * size_b[None, :, None], np.broadcast_to(total, a.shape))
    assert not np.allclose(a[0], a[1])  # the halvings differ


def test_unanimous_listeners_are_perfectly_reliable_and_coin_flips_not_at_all() -> None:
    rng = np.random.default_rng(1)
    truth = (rng.random((200, 9)) < 0.4).astype(float)  # every listener of a song agrees
    ids, marks = _events(truth, COUNTS[:200], rng)
    table = rel.split_half_reliability(ids, marks, 20, seed=0, bootstrap=50)
    np.testing.assert_allclose(table["reliability"], 1.0)
    np.testing.assert_allclose(table["correlation_ceiling"], 1.0)
    ids, marks = _events(np.full((400, 9), 0.3), COUNTS, rng)  # no song differs from another
    noise = rel.split_half_reliability(ids, marks, 50, seed=0, bootstrap=100)
    assert (noise["reliability"].abs() < 0.2).all()
    assert (noise["reliability_song_bootstrap_low"] < 0.05).all()
    assert list(noise["emotion"]) == list(EMOTIONS) and (noise["n_events"] == COUNTS.sum()).all()
    assert set(noise.columns) >= {"half_panel_r", "reliability_song_bootstrap_high", "r2_ceiling"}


def test_reliability_is_seeded_and_ignores_the_order_of_songs() -> None:
    rng = np.random.default_rng(2)
    ids, marks = _events(rng.beta(1, 3, size=(60, 3)), COUNTS[:60], rng)
    one = rel.split_half_reliability(ids, marks, 30, 5, 40, emotions=list("abc"))
    pd.testing.assert_frame_equal(one, rel.split_half_reliability(ids, marks, 30, 5, 40, emotions=list("abc")))
    by_song = np.argsort(-ids, kind="stable")  # songs in reverse order, each song's listeners in order
    pd.testing.assert_frame_equal(
        one, rel.split_half_reliability(ids[by_song], marks[by_song], 30, 5, 40, emotions=list("abc"))
    )
    assert not one.equals(rel.split_half_reliability(ids, marks, 30, 6, 40, emotions=list("abc")))
    assert rel.spearman_brown(np.array([0.5]))[0] == pytest.approx(2 / 3)
    assert rel.spearman_brown(np.array([0.5]), 3)[0] == pytest.approx(0.75)


def test_reliability_recovers_beta_binomial_truth_and_its_ceiling() -> None:
    """Beta-binomial shares, the real listeners per song: the known reliability is
    1 / (1 + (a + b) E[1 / n_s]) (= Var p / (Var p + E[p (1 - p) / n_s]), 0.89, 0.61 and 0.28
    below). Over 50 simulated archives the estimate's bias stays within 0.02 of it (measured here:
    -0.003, +0.000, -0.004, standard errors 0.001, 0.004, 0.009; over 100 archives with 100
    halvings and 400 resamples: -0.001, -0.004, -0.003) and the percentile bootstrap interval over
    songs covers it in at least 80 % of them (measured here: 90, 98, 92 %; over the 100 archives:
    94, 95, 92 %). The R^2 of the true share p against mu, the best prediction from the song,
    comes out at the reliability (0.885, 0.609, 0.268 here; it is a ratio, a little low for
    small reliabilities)."""
    settings = [(0.6, 1.4), (3.0, 7.0), (8.0, 32.0)]
    truth = np.array([1 / (1 + (a + b) * np.mean(1 / COUNTS)) for a, b in settings])
    estimates, covered, oracle = [], [], []
    for s in range(50):
        rng = np.random.default_rng([7, s])
        p = np.column_stack([rng.beta(a, b, size=len(COUNTS)) for a, b in settings])
        ids, marks = _events(p, COUNTS, rng)
        table = rel.split_half_reliability(ids, marks, 40, seed=s, bootstrap=200, emotions=["high", "mid", "low"])
        estimates.append(table["reliability"].to_numpy())
        low, high = table["reliability_song_bootstrap_low"].to_numpy(), table["reliability_song_bootstrap_high"]
        covered.append((low <= truth) & (truth <= high.to_numpy()))
        mu = np.add.reduceat(marks, np.r_[0, np.cumsum(COUNTS)[:-1]]) / COUNTS[:, None]
        oracle.append(1 - ((mu - p) ** 2).sum(axis=0) / ((mu - mu.mean(axis=0)) ** 2).sum(axis=0))
    bias = np.mean(estimates, axis=0) - truth
    assert (np.abs(bias) < 0.02).all(), bias
    assert (np.mean(covered, axis=0) >= 0.8).all(), np.mean(covered, axis=0)
    # the ceiling: R^2 of the true share p against mu (the best predictor from the song) is the reliability
    assert (np.abs(np.mean(oracle, axis=0) - truth) < 0.03).all(), np.mean(oracle, axis=0)


def test_reliability_of_the_real_archives_size_has_a_row_per_emotion() -> None:
    """400 songs with the real listener counts and 200 halvings (the default): the halvings are
    vectorised (benchmarks/shares.py times the rule; no test does)."""
    rng = np.random.default_rng(3)
    annotations = pd.DataFrame({"track id": np.repeat(np.arange(1, 401), COUNTS)})
    for i, e in enumerate(EMOTIONS):
        annotations[e] = (rng.random(len(annotations)) < 0.1 + 0.05 * i).astype(int)
    table = reliability_of_annotations(annotations, 200, seed=0)
    assert len(table) == 9 and (table["halvings"] == 200).all() and (table["n_songs"] == 400).all()
    assert table["reliability"].abs().max() < 0.3  # the marks are independent of the song


# --- KNN regression, scores, genre-only baseline ---------------------------------------------


def test_scores_match_scikit_learn_and_scipy() -> None:
    rng = np.random.default_rng(4)
    y_test, pred = rng.random(40), rng.random(40)
    scores = sr.share_scores(y_test, pred, float(y_test.mean()))  # the test mean: scikit-learn's R^2
    assert scores["r2"] == pytest.approx(r2_score(y_test, pred))
    assert scores["pearson"] == pytest.approx(stats.pearsonr(y_test, pred)[0])
    assert scores["spearman"] == pytest.approx(stats.spearmanr(y_test, pred)[0])
    # against the training mean: SST from it, by hand
    sst = np.sum((y_test - 0.2) ** 2)
    assert sr.r2_against_training_mean(y_test, pred, 0.2) == pytest.approx(1 - np.sum((y_test - pred) ** 2) / sst)
    assert sr.r2_against_training_mean(y_test, y_test, 0.2) == 1.0
    assert np.isnan(sr.r2_against_training_mean(np.full(3, 0.2), np.zeros(3), 0.2))
    assert np.isnan(sr.share_scores(y_test, np.full(40, 0.5), 0.5)["pearson"])


def test_genre_mean_baseline_by_hand() -> None:
    y_train = np.array([0.1, 0.3, 0.6, 0.8, 0.5])
    g_train = np.array(["a", "a", "b", "b", "b"])
    pred = sr.genre_mean_prediction(y_train, g_train, np.array(["b", "a", "c"]))
    np.testing.assert_allclose(pred, [1.9 / 3, 0.2, 0.46])  # a genre without training songs: the training mean
    y = np.concatenate([y_train, [0.0, 0.0, 0.0]])[None, :] * np.array([[1.0], [2.0]])
    genre = np.concatenate([g_train, ["b", "a", "c"]])
    many = sr.genre_mean_many(y, np.arange(5), np.arange(5, 8), genre)
    np.testing.assert_allclose(many, [pred, 2 * pred])


@pytest.mark.parametrize("ties", ["sklearn", "random"])
def test_knn_regression_equals_scikit_learn(ties: str) -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(size=(120, 6)) * [1, 10, 0.1, 1, 3, 1]  # continuous: no distance ties
    mu = rng.random((120, 9))
    genre = np.array(GENRES * 30)
    for r, v in enumerate(_votes(x, resampled_splits(genre, 4, 0.3, 0))):
        model = make_pipeline(StandardScaler(), KNeighborsRegressor(n_neighbors=5, algorithm="brute"))
        expected = model.fit(x[v.train], mu[v.train]).predict(x[v.test])
        np.testing.assert_allclose(sr.knn_regression(mu, v, 5, ties, r), expected, atol=1e-12)
        np.testing.assert_allclose(sr.knn_regression(mu[:, 2], v, 5, ties, r), expected[:, 2], atol=1e-12)
        scores = sr.split_share_scores(mu[:, 0], v, 5, ties, r, genre)
        assert scores["r2"] == pytest.approx(
            1 - np.sum((mu[v.test, 0] - expected[:, 0]) ** 2) / np.sum((mu[v.test, 0] - mu[v.train, 0].mean()) ** 2)
        )
        assert scores["r2_gain"] == pytest.approx(scores["r2"] - scores["genre_r2"])


def test_random_ties_select_the_voters_of_predict() -> None:
    # lattice features: many equidistant neighbours; the regression averages the songs the vote counts
    rng = np.random.default_rng(6)
    x = rng.integers(0, 3, size=(100, 2)) / 2.0
    genre = np.array(GENRES * 25)
    v = _votes(x, resampled_splits(genre, 1, 0.3, 0))[0]
    assert v.tied[:, 5].mean() > 0.2
    rows = {seed: sr.neighbour_rows(v, 5, "random", seed) for seed in (0, 1)}
    assert not np.array_equal(rows[0], rows[1])  # the seed decides which tied neighbours vote
    one_hot = np.zeros((100, 100))
    one_hot[np.arange(100), np.arange(100)] = 1.0
    for seed in (0, 1):  # the regression of an indicator of each row: 1/k exactly on the rows chosen
        chosen = sr.knn_regression(one_hot, v, 5, "random", seed) > 0
        assert (chosen.sum(axis=1) == 5).all()
        np.testing.assert_array_equal(np.sort(np.flatnonzero(chosen[0])), np.sort(rows[seed][0]))
    np.testing.assert_array_equal(sr.neighbour_rows(v, 5, "sklearn", 0), v.train[v.order[:, :5]])


@pytest.mark.parametrize("ties", ["sklearn", "random"])
def test_vectorised_path_equals_the_one_labelling_path(ties: str) -> None:
    rng = np.random.default_rng(8)
    genre = np.array(GENRES * 25)
    x = rng.integers(0, 4, size=(100, 3)) / 3.0 if ties == "random" else rng.normal(size=(100, 3))
    votes = _votes(x, resampled_splits(genre, 3, 0.3, 1))
    y = rng.random((6, 100))
    statistic = sr.r2_gain_statistic(votes, genre, 5, ties, 11)
    gains = np.zeros(6)
    for r, v in enumerate(votes):
        rows = sr.neighbour_rows(v, 5, ties, 11 + r)
        pred = sr.knn_regression_many(y, rows)
        many = sr.share_scores_many(y[:, v.test], pred, y[:, v.train].mean(axis=1))
        base = sr.share_scores_many(
            y[:, v.test], sr.genre_mean_many(y, v.train, v.test, genre), y[:, v.train].mean(axis=1)
        )
        for b in range(6):
            one = sr.split_share_scores(y[b], v, 5, ties, 11 + r, genre)
            np.testing.assert_allclose(pred[b], sr.knn_regression(y[b], v, 5, ties, 11 + r))
            for name in ("r2", "pearson", "spearman"):
                assert many[name][b] == pytest.approx(one[name])
                assert base[name][b] == pytest.approx(one[f"genre_{name}"])
            gains[b] += one["r2_gain"] / len(votes)
    np.testing.assert_allclose(statistic(y), gains)
    np.testing.assert_allclose(statistic(y[2]), gains[2:3])


# --- the per-emotion table and the permutation test -------------------------------------------


def _grouped_world(rng: np.random.Generator, signal: float) -> tuple:
    """160 songs, 4 genres, artists of 1-4 songs within a genre (two albums for the larger ones);
    mu from genre and artist rates over the real panels; features: a genre centroid, an artist
    signature, and ``signal`` x the artist's rate deviation within its genre (0: the null)."""
    genre = np.array(GENRES * 40)
    artists = np.empty(160, dtype=object)
    next_artist = 0
    for g in GENRES:
        at = np.flatnonzero(genre == g)
        sizes = rng.choice([1, 2, 3, 4], size=40)
        labels = np.repeat(np.arange(40), sizes)[:40] + next_artist
        artists[at] = [f"artist {a}" for a in labels]
        next_artist += 40
    albums = np.array([f"{a}/{i % 2}" for i, a in enumerate(artists)], dtype=object)
    _, g = np.unique(genre, return_inverse=True)
    _, a = np.unique(artists.astype(str), return_inverse=True)
    artist_effect = rng.normal(size=a.max() + 1)
    logit = -1.2 + 0.5 * rng.normal(size=4)[g] + artist_effect[a]
    n_s = COUNTS[:160]
    mu = np.column_stack([rng.binomial(n_s, 1 / (1 + np.exp(-logit))) / n_s for _ in range(2)])
    x = 1.5 * np.eye(4)[g] + rng.normal(size=(a.max() + 1, 4))[a] + rng.normal(size=(160, 4))
    x = np.column_stack([x, signal * artist_effect[a] + rng.normal(size=160) * (signal > 0)])
    return genre, artists, albums, mu, x


def test_r2_gain_permutation_p_is_uniform_under_the_null_and_small_with_signal() -> None:
    cfg = {"k": 5, "ties": "sklearn", "seed": 0, "permutations": 49, "permutation_splits": 4}
    p = []
    for s in range(40):
        rng = np.random.default_rng([9, s])
        genre, artists, albums, mu, x = _grouped_world(rng, 0.0)
        votes = _votes(x, grouped_splits(genre, artists.astype(str), 4, 0.3, s))
        table = shares_beyond_genre(mu, genre, votes, {**cfg, "seed": s}, artists, albums, "artist", ["e1", "e2"])
        p += list(table["within_genre_permutation_p"])
    p = np.array(p)  # 80 p-values (two emotions of 40 worlds; the two of a world share the features)
    assert 0.38 <= p.mean() <= 0.62, p.mean()
    assert np.mean(p <= 0.1) <= 0.2, np.mean(p <= 0.1)
    genre, artists, albums, mu, x = _grouped_world(np.random.default_rng(10), 3.0)
    votes = _votes(x, grouped_splits(genre, artists.astype(str), 4, 0.3, 0))
    found = shares_beyond_genre(mu, genre, votes, cfg, artists, albums, "artist", ["e1", "e2"])
    assert (found["within_genre_permutation_p"] <= 0.05).all()
    assert (found["r2_gain_statistic"] > 0).all()
    assert (found["within_genre_p_holm"] >= found["within_genre_permutation_p"]).all()
    assert found["p_floor"].iloc[0] == pytest.approx(1 / 50) and found["p_holm_floor"].iloc[0] == pytest.approx(2 / 50)
    assert found["permutation"].iloc[0].startswith("by artist within genre")


def test_shares_table_by_emotion() -> None:
    genre, artists, albums, mu2, x = _grouped_world(np.random.default_rng(11), 2.0)
    mu = np.column_stack([mu2, np.random.default_rng(0).random((160, 7))])
    rng = np.random.default_rng(12)
    ids, marks = _events(mu[:, :9], COUNTS[:160], rng)
    reliability = rel.split_half_reliability(ids, marks, 20, 0, 50)
    cfg = {"k": 5, "ties": "sklearn", "seed": 0, "confidence": 0.9, "permutations": 19, "permutation_splits": 3}
    votes = _votes(x, grouped_splits(genre, artists.astype(str), 5, 0.3, 0))
    summary, per = shares_table(mu, genre, votes, cfg, "vgg19", "artist", reliability, artists, albums)
    assert list(summary["emotion"]) == list(EMOTIONS) and len(per) == 5 * 9
    assert (summary["network"] == "vgg19").all() and (summary["n_repeats"] == 5).all()
    for score in ("r2", "pearson", "spearman", "genre_r2", "genre_pearson", "genre_spearman", "r2_gain"):
        assert (summary[f"{score}_ci_low"] <= summary[score]).all() and (
            summary[score] <= summary[f"{score}_ci_high"]
        ).all()
    np.testing.assert_allclose(summary["r2_gain"], summary["r2"] - summary["genre_r2"])
    np.testing.assert_allclose(summary["r2"], per.groupby("emotion", sort=False)["r2"].mean().to_numpy())
    np.testing.assert_allclose(summary["r2_of_reliability"], summary["r2"] / summary["reliability"])
    assert (summary["r2_ci_high"] <= 1).all() and (summary["pearson_ci_low"] >= -1).all()
    assert summary.loc[:1, "r2"].min() > 0.1 and summary.loc[2:, "r2"].max() < 0.05  # signal only in the first two
    assert summary["within_genre_permutation_p"].notna().all() and (summary["permutations"] == 19).all()
    random_split, _ = shares_table(mu, genre, votes, cfg, "vgg19", "random")
    assert random_split["within_genre_permutation_p"].isna().all() and "reliability" not in random_split
