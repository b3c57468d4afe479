"""The statistics: baselines by their definitions, the corrected interval, and permutation
p-values calibrated under nulls with the structure of the splits they test."""

import inference
import numpy as np
import pytest
from scipy import stats

import knn
from splits import grouped_splits, resampled_splits


def test_baselines_by_definition() -> None:
    y_train = np.array(["a"] * 6 + ["b"] * 2)
    y_test = np.array(["a", "b", "b", "b"])
    assert inference.majority_baseline(y_train, y_test) == 0.25  # the training majority, scored on test
    assert inference.chance_baseline(y_train, y_test) == pytest.approx(0.75 * 0.25 + 0.25 * 0.75)
    g_train = np.array(["x"] * 4 + ["y"] * 4)
    y2 = np.array([1, 1, 1, 0, 0, 0, 0, 1])
    # genre x -> 1, genre y -> 0; a genre absent from training gets the overall majority (0: tie -> first)
    assert inference.genre_baseline(y2, np.array([1, 0, 1]), g_train, np.array(["x", "y", "z"])) == pytest.approx(2 / 3)


def test_corrected_interval_is_wider_than_the_naive_one_and_covers() -> None:
    values = np.array([0.5, 0.55, 0.6, 0.52, 0.58, 0.61, 0.49, 0.57])
    lo, hi = inference.corrected_t_interval(values, 280, 120, 0.95)
    half_naive = stats.t.ppf(0.975, 7) * values.std(ddof=1) / np.sqrt(8)
    assert hi - lo > 2 * half_naive and lo < values.mean() < hi
    assert inference.split_range(values, 0.5) == (np.quantile(values, 0.25), np.quantile(values, 0.75))


def _grouped_null(seed: int, shuffle: str, statistic: str = "excess", permutations: int = 49) -> float:
    """No real signal: 30 artists of 1-10 songs, genre drawn per artist independently of the
    features, features clustered by artist; grouped splits balanced by genre, as the workflow
    draws them. p-value of the genre accuracy over 4 grouped splits."""
    rng = np.random.default_rng(seed)
    artists = np.repeat(np.arange(30), rng.integers(1, 11, size=30))
    genre = rng.choice(["classical", "rock", "electronic", "pop"], size=30)[artists]
    x = rng.normal(size=(30, 6))[artists] + 0.3 * rng.normal(size=(len(artists), 6))
    splits = grouped_splits(genre, artists, 4, 0.3, seed)
    nns = [knn.neighbours(x, s.train, s.test, 5) for s in splits]

    def value(y: np.ndarray) -> float:
        scores = []
        for s, nn in zip(splits, nns, strict=True):
            pred = knn.vote(y[s.train], nn)[0]
            excess = inference.excess_accuracy(y[s.test], pred, y[s.train])
            scores.append(excess if statistic == "excess" else float(np.mean(pred == y[s.test])))
        return float(np.mean(scores))

    how = inference.group_permutation(artists) if shuffle == "group" else inference.song_permutation
    return inference.permutation_p_value(genre, value, value(genre), permutations, seed, how)


def test_grouped_permutation_p_values_are_calibrated_and_song_shuffles_are_not() -> None:
    seeds = range(120)
    grouped = np.array([_grouped_null(s, "group") for s in seeds])
    # under the null the p-values are roughly uniform: 5 % below 0.05 (binomial sd 2 %), mean 0.5 ...
    assert np.mean(grouped <= 0.05) <= 0.10 and np.mean(grouped >= 0.95) <= 0.12
    assert abs(grouped.mean() - 0.5) <= 0.06
    # ... while shuffling song by song breaks the artist clustering and piles them up at the ends
    songwise = np.array([_grouped_null(s, "song") for s in seeds])
    assert np.mean(songwise <= 0.05) + np.mean(songwise >= 0.95) > 0.3
    # and the plain accuracy, on splits balanced by the real labels, favours them (p too small on average)
    plain = np.array([_grouped_null(s, "group", "accuracy") for s in seeds])
    assert plain.mean() < grouped.mean() - 0.04


def test_song_permutation_on_stratified_random_splits_is_calibrated() -> None:
    # the random splits are stratified by the genre labels they test, as the workflow draws them
    pvals = []
    for seed in range(120):
        rng = np.random.default_rng(seed)
        genre = rng.choice(["classical", "rock", "electronic", "pop"], size=120)
        x = rng.normal(size=(120, 6))
        splits = resampled_splits(genre, 4, 0.3, seed)
        nns = [knn.neighbours(x, s.train, s.test, 5) for s in splits]

        def value(y: np.ndarray, splits=splits, nns=nns) -> float:
            return float(
                np.mean(
                    [
                        inference.excess_accuracy(y[s.test], knn.vote(y[s.train], nn)[0], y[s.train])
                        for s, nn in zip(splits, nns, strict=True)
                    ]
                )
            )

        pvals.append(inference.permutation_p_value(genre, value, value(genre), 49, seed))
    pvals = np.array(pvals)
    assert np.mean(pvals <= 0.05) <= 0.10 and abs(pvals.mean() - 0.5) <= 0.06


def test_within_genre_permutation_keeps_each_genres_labels_and_is_calibrated() -> None:
    rng = np.random.default_rng(1)
    strata = np.repeat(["a", "b", "c", "d"], 30)
    y = rng.integers(0, 2, 120)
    shuffled = inference.within_permutation(strata)(y, rng)
    for g in "abcd":
        assert sorted(shuffled[strata == g]) == sorted(y[strata == g])
    # null with the structure of the test: the label depends on genre only, the features carry genre
    pvals = []
    for seed in range(100):
        r = np.random.default_rng(seed)
        rate = {"a": 0.2, "b": 0.4, "c": 0.6, "d": 0.8}
        lab = (r.random(120) < np.array([rate[g] for g in strata])).astype(int)
        x = np.stack([np.eye(4)["abcd".index(g)] * 2 for g in strata]) + r.normal(size=(120, 4))
        splits = resampled_splits(strata, 3, 0.3, seed)
        nns = [knn.neighbours(x, s.train, s.test, 5) for s in splits]

        def statistic(y_: np.ndarray, splits=splits, nns=nns) -> float:
            return float(
                np.mean(
                    [np.mean(knn.vote(y_[s.train], nn)[0] == y_[s.test]) for s, nn in zip(splits, nns, strict=True)]
                )
            )

        pvals.append(
            inference.permutation_p_value(
                lab, statistic, statistic(lab), 49, seed, inference.within_permutation(strata)
            )
        )
    pvals = np.array(pvals)
    assert np.mean(pvals <= 0.05) <= 0.12 and 0.3 <= np.mean(pvals <= 0.5) <= 0.7


def test_holm_adjustment() -> None:
    adjusted = inference.holm(np.array([0.01, 0.04, 0.03, np.nan]))
    np.testing.assert_allclose(adjusted[:3], [0.03, 0.06, 0.06])
    assert np.isnan(adjusted[3])


def test_corrected_interval_of_splits_all_at_100_percent_is_not_empty() -> None:
    lo, hi = inference.corrected_t_interval(np.ones(20), 280, 120, 0.95)
    assert hi == 1.0 and lo == pytest.approx(1 - 3 / 120)


def test_cohen_kappa() -> None:
    a = np.array([1, 1, 0, 0, 1, 0])
    assert inference.cohen_kappa(a, a) == 1.0
    assert inference.cohen_kappa(a, 1 - a) == pytest.approx(-1.0)


def test_beta_binomial_ceiling_matches_a_simulated_oracle() -> None:
    rng = np.random.default_rng(0)
    for a, b in [(2.0, 5.0), (20.0, 20.0)]:
        p = rng.beta(a, b, 4000)
        n = rng.integers(8, 30, 4000)
        x = rng.binomial(n, p)
        threshold = float(np.median(x / n))
        labels = (x / n > threshold).astype(int)
        q = stats.binom.sf(np.floor(threshold * n + 1e-12), n, p)
        oracle = np.mean((q > 0.5).astype(int) == labels)  # knows p, predicts the likelier label
        assert inference.beta_binomial_ceiling(x, n, threshold) == pytest.approx(oracle, abs=0.02)


def test_the_evaluations_own_grouped_p_values_are_calibrated() -> None:
    # the repeated evaluation's summarise(), on the null of _grouped_null: its p-values must average 0.5
    from evaluation import Votes, summarise

    pvals = []
    for seed in range(120):
        rng = np.random.default_rng(seed)
        artists = np.repeat(np.arange(30), rng.integers(1, 11, size=30))
        genre = rng.choice(["classical", "rock", "electronic", "pop"], size=30)[artists]
        x = rng.normal(size=(30, 6))[artists] + 0.3 * rng.normal(size=(len(artists), 6))
        votes = []
        for s in grouped_splits(genre, artists, 4, 0.3, seed):
            order, tied = knn.nearest_with_ties(*knn.standardise(x[s.train], x[s.test]))
            votes.append(Votes(s.train, s.test, order, tied))
        cfg = {"k": 5, "seed": seed, "permutations": 49, "permutation_splits": 4, "confidence": 0.95}
        summary, _ = summarise("exp1", "genre", "artist", genre, votes, cfg, inference.group_permutation(artists))
        pvals.append(summary["permutation_p"])
    pvals = np.array(pvals)
    assert np.mean(pvals <= 0.05) <= 0.10 and abs(pvals.mean() - 0.5) <= 0.06


def test_emotion_p_values_on_grouped_splits_are_calibrated() -> None:
    # emotion labels vary within an artist (an artist-level rate) and are independent of the features:
    # the group shuffle transplants whole groups' labels, recycled or subsampled to the other size
    from evaluation import Votes, summarise

    pvals = []
    for seed in range(120):
        rng = np.random.default_rng(seed)
        artists = np.repeat(np.arange(30), rng.integers(1, 11, size=30))
        genre = rng.choice(["classical", "rock", "electronic", "pop"], size=30)[artists]
        y = (rng.random(len(artists)) < rng.random(30)[artists]).astype(int)
        x = rng.normal(size=(30, 6))[artists] + 0.3 * rng.normal(size=(len(artists), 6))
        votes = []
        for s in grouped_splits(genre, artists, 4, 0.3, seed):
            order, tied = knn.nearest_with_ties(*knn.standardise(x[s.train], x[s.test]))
            votes.append(Votes(s.train, s.test, order, tied))
        cfg = {"k": 5, "seed": seed, "permutations": 49, "permutation_splits": 4, "confidence": 0.95}
        summary, _ = summarise("exp2", "e", "artist", y, votes, cfg, inference.group_permutation(artists), genre)
        pvals.append(summary["permutation_p"])
    pvals = np.array(pvals)
    assert np.mean(pvals <= 0.05) <= 0.10 and abs(pvals.mean() - 0.5) <= 0.06
