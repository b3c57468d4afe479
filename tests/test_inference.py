"""The statistics: baselines by their definitions, the corrected interval, and permutation
p-values calibrated under nulls with the structure of the splits they test."""

import itertools

import numpy as np
import pytest
from scipy import stats

from emotify_pipeline.neighbours import knn
from emotify_pipeline.neighbours.splits import resampled_splits
from emotify_pipeline.stats import inference


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


def test_exchange_is_a_bijection_within_same_size_units_and_strata() -> None:
    artists = np.array(["a", "a", "b", "b", "c", "d", "e", "e", "e", "f", "f", "f"])
    genre = np.array(["x", "x", "y", "y", "x", "y", "x", "x", "x", "x", "x", "x"])
    draws = inference.Exchange(artists).draw(300, np.random.default_rng(0))
    assert all(sorted(row) == list(range(len(artists))) for row in draws)  # every label count kept
    for row in draws:
        for unit in np.unique(artists):
            donors = set(artists[row[artists == unit]])
            assert len(donors) == 1  # an artist's songs take one artist's labels ...
            assert (artists == donors.pop()).sum() == (artists == unit).sum()  # ... of the same size
    # a and b (2 songs) swap, c and d (1 song) swap, e and f (3 songs) swap: all happen
    assert {artists[row[0]] for row in draws} == {"a", "b"} and {artists[row[6]] for row in draws} == {"e", "f"}
    within = inference.Exchange(artists, genre).draw(300, np.random.default_rng(1))
    assert (genre[within] == genre[None, :]).all()  # within genre: only same-genre donors
    assert {artists[row[0]] for row in within} == {"a"}  # no other 2-song artist in genre x: a keeps its labels
    assert inference.Exchange(np.arange(5)).describe() == "by song"
    assert inference.Exchange(artists, genre).describe() == "by artist within genre among same-size artists"


def test_album_profiles_exchange_album_for_album() -> None:
    # a, b, c: 3 songs as an album of 2 and an album of 1; d: one album of 3; e: three singles
    artists = np.array(list("aaabbbcccdddeee"))
    albums = np.array(["a1", "a1", "a2", "b2", "b1", "b1", "c1", "c2", "c1", "d1", "d1", "d1", "e1", "e2", "e3"])
    exchange = inference.Exchange(artists, None, albums)
    draws = exchange.draw(600, np.random.default_rng(0))
    assert all(sorted(row) == list(range(len(artists))) for row in draws)  # a bijection: label counts kept
    for row in draws:
        for album in np.unique(albums):  # every album takes one whole album of its donor's
            donors = albums[row[albums == album]]
            assert len(set(donors)) == 1 and (albums == donors[0]).sum() == (albums == album).sum()
    donors = {unit: {artists[row[artists == unit][0]] for row in draws} for unit in "abcde"}
    assert donors["a"] == set("abc") and donors["d"] == {"d"} and donors["e"] == {"e"}  # same profile only
    # a unit that is its own donor still has its songs shuffled within its albums: d and e
    assert {tuple(row[artists == "d"]) for row in draws} == {
        tuple(p) for p in itertools.permutations(np.flatnonzero(artists == "d"))
    }
    assert len({tuple(row[artists == "e"]) for row in draws}) == 6
    # uniform on the group: each of a's two albums goes to each same-size album of a, b, c equally
    to_a1 = [albums[row[0]] for row in draws]
    counts = np.array([to_a1.count(x) for x in ("a1", "b1", "c1")])
    assert counts.min() > 150 and counts.sum() == 600
    assert exchange.describe() == "by artist among artists with the same album sizes, album by album"


def test_permutation_p_value_floor_and_named_streams() -> None:
    assert inference.permutation_p_value(1.0, np.zeros(999)) == pytest.approx(0.001) == inference.p_floor(999)
    assert inference.p_floor(999, 9) == pytest.approx(0.009)
    assert inference.permutation_p_value(0.0, np.zeros(9)) == 1.0
    a = inference.stream(0, "emotion_beyond_genre", "amazement").random(3)
    b = inference.stream(0, "emotion_beyond_genre", "amazement").random(3)
    c = inference.stream(0, "emotion_beyond_genre", "calmness").random(3)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)  # each test its own stream, independent of which others run


def test_song_exchange_on_stratified_random_splits_is_calibrated() -> None:
    # no artists: every song its own unit; the random splits are stratified by the genre they test
    from emotify_pipeline.study.evaluation import Votes, excess_statistic

    pvals = []
    for seed in range(120):
        rng = np.random.default_rng(seed)
        genre = rng.choice(["classical", "rock", "electronic", "pop"], size=120)
        x = rng.normal(size=(120, 6))
        votes = []
        for s in resampled_splits(genre, 4, 0.3, seed):
            order, tied = knn.nearest_with_ties(*knn.standardise(x[s.train], x[s.test]))
            votes.append(Votes(s.train, s.test, order, tied))
        statistic = excess_statistic(votes, 5, "sklearn", seed)
        exchange = inference.Exchange(np.arange(120))
        pvals.append(inference.permutation_test(genre, statistic, 49, rng, exchange)[1])
    pvals = np.array(pvals)
    assert np.mean(pvals <= 0.05) <= 0.10 and abs(pvals.mean() - 0.5) <= 0.06


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


def test_ceiling_interval_covers_the_population_ceiling() -> None:
    # the interval is of the *expected* ceiling: its target is the oracle's accuracy on a huge
    # sample from the same beta-binomial (not one dataset's realised oracle, which has label noise)
    big = np.random.default_rng(99)
    p, n = big.beta(2, 5, 400_000), big.integers(15, 25, 400_000)
    x = big.binomial(n, p)
    threshold = float(np.median(x / n))
    q = stats.binom.sf(np.floor(threshold * n + 1e-12), n, p)
    truth = np.mean((q > 0.5) == (x / n > threshold))
    covered, width = 0, {}
    for songs in (400, 100):
        for d in range(30 if songs == 400 else 5):
            rng = np.random.default_rng(d)
            p, n = rng.beta(2, 5, songs), rng.integers(15, 25, songs)
            x = rng.binomial(n, p)
            lo, hi = inference.ceiling_interval(x, n, lambda r: float(np.median(r)), 80, 0.95, rng)
            estimate = inference.beta_binomial_ceiling(x, n, float(np.median(x / n)))
            assert lo <= estimate <= hi
            covered += songs == 400 and lo <= truth <= hi
            width.setdefault(songs, []).append(hi - lo)
    assert covered >= 25  # nominal 95 % of 30: 28.5 expected; 38 of 40 measured with 100 resamples
    assert np.mean(width[100]) > 1.5 * np.mean(width[400])  # fewer songs, wider (about 2x: 1 / sqrt(n))
    assert np.isnan(inference.ceiling_interval(x, n, np.median, 0, 0.95, rng)[0])  # no resamples: no interval
