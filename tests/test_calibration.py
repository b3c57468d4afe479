"""Calibration of the workflow's permutation p-values on the real archive's structure
(``../shared/emotify/groups.csv``: 138 artists, 65 with one song, the largest with 17): a smaller
run of ``benchmarks/calibration.py`` (whose 1,000-run table is in docs/statistics.md), on seeds of its
own, with tolerances on both sides -- a conservative test (p-values piled up near 1) fails as
surely as a liberal one. Each test's comment gives what this release's exchange (artists with the
same album profile, album for album) and the previous one (same-size artists, songs reordered
freely) measured on the same seeds.
"""

import sys

import numpy as np
import pytest
from conftest import REPO, SHARED

pytestmark = pytest.mark.skipif(
    not (SHARED / "groups.csv").is_file(),
    reason=f"the real structure (groups.csv) is not at {SHARED} (it lives beside the repository, never inside it)",
)

RUNS, PERMUTATIONS = 200, 99


def _pvalues(null: str, test: str, runs: int = RUNS, albums: bool = True) -> np.ndarray:
    sys.path.insert(0, str(REPO / "benchmarks"))
    import calibration

    structure = calibration.load_structure(SHARED / "groups.csv")
    return np.array(
        [
            calibration.null_run(structure, null, 10_000 + s, PERMUTATIONS, tests=[test], albums=albums)[test]
            for s in range(runs)
        ]
    )


def _assert_calibrated(p: np.ndarray) -> None:
    # 200 runs: binomial sd 1.5 % at 0.05 and 2.1 % at 0.10, sd of the mean p 0.02
    assert 0.02 <= np.mean(p <= 0.05) <= 0.09, np.mean(p <= 0.05)
    assert 0.05 <= np.mean(p <= 0.10) <= 0.16, np.mean(p <= 0.10)
    assert 0.44 <= p.mean() <= 0.56, p.mean()


def test_genre_test_on_artist_splits_is_calibrated_with_an_artist_signature() -> None:
    # the features carry a per-artist signature, genre is the real one (an artist property);
    # this exchange 5.5 %, 12.0 %, mean p 0.492 on these seeds, the previous one 4.0 %, 9.0 %, 0.512
    _assert_calibrated(_pvalues("artist", "genre/artist"))


def test_beyond_genre_test_is_calibrated_when_emotion_depends_on_genre_and_artist_only() -> None:
    # features: a genre centroid and an artist signature; emotion rates: genre and artist effects;
    # this exchange 4.5 %, 11.5 %, mean p 0.488, the previous one 5.0 %, 9.0 %, 0.499
    _assert_calibrated(_pvalues("genre+artist", "beyond_genre/artist"))


def _assert_calibrated_400(p: np.ndarray) -> None:
    # 400 runs: binomial sd 1.1 % at 0.05 and 1.5 % at 0.10, sd of the mean p 0.014 (2.3-3.1 sd each side)
    assert 0.025 <= np.mean(p <= 0.05) <= 0.08, np.mean(p <= 0.05)
    assert 0.065 <= np.mean(p <= 0.10) <= 0.14, np.mean(p <= 0.10)
    assert 0.46 <= p.mean() <= 0.54, p.mean()


def test_genre_test_on_random_splits_is_calibrated_with_an_album_signature() -> None:
    # 7 real artists span genres album by album; the previous exchange (same-size artists, songs
    # reordered freely) scattered an artist's labels over its albums in every draw: 9.75 % at
    # 0.05, 18.75 % at 0.10, mean p 0.407 on these seeds (liberal). Album profiles: 4.0 %,
    # 11.25 %, 0.513.
    _assert_calibrated_400(_pvalues("album", "genre/random", 400))


def test_emotion_test_on_random_splits_is_calibrated_when_emotion_follows_the_album() -> None:
    # the previous exchange: 11.75 %, 20.25 %, mean p 0.396 on these seeds; album profiles:
    # 5.75 %, 11.25 %, 0.514
    _assert_calibrated_400(_pvalues("album+emotion", "emotion/random", 400))


def test_genre_test_on_album_splits_with_an_artist_signature_is_less_conservative() -> None:
    # the one row that leans conservative (docs/statistics.md): mean p 0.531 over the benchmark's 1,000 runs,
    # 0.542 here (3.25 % at 0.05, 6.25 % at 0.10). The previous exchange: 1.0 % at 0.05, 4.0 %
    # at 0.10, mean p 0.617 on these seeds. A guard against that wider bias:
    p = _pvalues("artist", "genre/album", 400)
    assert 0.06 <= np.mean(p <= 0.10) <= 0.14, np.mean(p <= 0.10)
    assert 0.46 <= p.mean() <= 0.57, p.mean()


def test_experiment_iv_test_is_calibrated_on_tied_predicted_emotions() -> None:
    # genre from the nine predicted emotion probabilities (multiples of 1 / k: heavy distance
    # ties, ranked by the workflow's tie handling), features with an artist signature, emotions
    # that depend on the artist only (6.5 %, 12.0 %, mean p 0.511 on these seeds; the previous
    # exchange 5.5 %, 12.0 %, 0.507)
    _assert_calibrated(_pvalues("artist", "exp4/random"))


def test_shares_beyond_genre_test_is_calibrated_when_mu_depends_on_genre_and_artist_only() -> None:
    # rating shares mu = Binomial(n_s, artist rate) / n_s with the real listeners per song, the
    # rates from genre and artist effects; features: a genre centroid and an artist signature.
    # The R^2 gain of the KNN regression over the genre-only baseline, mu exchanged within genre
    # (share_analyses.shares_beyond_genre): 4.75 %, 8.5 %, mean p 0.530 on these seeds (1,000 runs
    # with 199 permutations: 6.0 %, 10.9 %, 0.507)
    _assert_calibrated_400(_pvalues("genre+artist", "shares_beyond_genre/artist", 400))


def test_shares_beyond_genre_test_is_calibrated_without_features_of_the_artist() -> None:
    # features i.i.d. per song; the same mu: 4.0 %, 10.0 %, mean p 0.491 on these seeds (1,000 runs
    # with 199 permutations: 5.2 %, 10.4 %, 0.494). With an artist signature alone (null "artist")
    # the test leans conservative: 3.6 %, 8.5 %, 0.532 over 1,000 runs -- the 7 artists that span
    # two genres keep one rate in both, which the within-genre exchange separates; with rates per
    # artist and genre and equal panels the same runs give 5.2 %, 10.2 %, 0.499 (2,000 runs)
    _assert_calibrated(_pvalues("none", "shares_beyond_genre/artist"))
