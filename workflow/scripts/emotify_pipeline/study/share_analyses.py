"""The rating shares mu, predicted and tested per emotion, against their reliability: the
per-split scores of the KNN regression and of the genre-only baseline
(:mod:`share_regression`), their summaries over the splits with corrected intervals, the R^2
gain over genre with its paired interval and its within-genre permutation test, and R^2 as a
fraction of what the listeners' agreement allows (:mod:`stats.reliability`).

The test (:func:`shares_beyond_genre`) asks the binary beyond-genre test's question of mu: does
audio predict the rating shares beyond what genre tells? On artist-grouped splits (no artist on
both sides: on random or album splits an artist's songs sit on both sides, and mu that depends
on the artist alone would pass for audio information), mu is permuted artist for artist
*within each genre* among artists with the same album profile, album for album
(:func:`permutation.exchange_of` with the genre as stratum, as
:func:`analyses.emotion_beyond_genre`); the statistic is the mean over the first
``permutation_splits`` splits of R^2 (KNN) - R^2 (genre-only baseline)
(:func:`share_regression.r2_gain_statistic`). Null hypothesis: within a genre, the features
say nothing about which artist of a given album profile has which rating shares. Holm's
adjustment over the emotions, with the smallest attainable p beside each p.

Calibration: ``benchmarks/calibration.py --tests shares_beyond_genre/artist`` (null runs on the
real structure, mu around artist rates with the real panel sizes; its rejection rates are in
docs/statistics.md's table). An artist that spans two genres (7 real ones) forms two exchange
units, which the exchange separates although under a per-artist rate they share one; with a
rate per artist and genre and equal panels the test is exact.
"""

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..core.emotify import EMOTIONS
from ..core.errors import EmotifyError
from ..stats import inference
from ..stats.reliability import split_half_reliability
from .permutation import exchange_of
from .share_regression import r2_gain_statistic, split_share_scores
from .votes import Votes

#: the split kinds the within-genre permutation test runs on (artist splits: module docstring)
TESTED_SPLITS: tuple[str, ...] = ("artist",)

#: each score and the bounds its corrected interval is clipped to
SCORE_BOUNDS: dict[str, tuple[float, float]] = {
    "r2": (-np.inf, 1.0),
    "pearson": (-1.0, 1.0),
    "spearman": (-1.0, 1.0),
    "genre_r2": (-np.inf, 1.0),
    "genre_pearson": (-1.0, 1.0),
    "genre_spearman": (-1.0, 1.0),
    "r2_gain": (-np.inf, np.inf),
}


def _checked(mu: np.ndarray, genre: np.ndarray, emotions: Sequence[str]) -> np.ndarray:
    mu = np.asarray(mu, dtype=float)
    mu = mu[:, None] if mu.ndim == 1 else mu
    if mu.shape != (len(genre), len(emotions)):
        raise EmotifyError(f"mu has shape {mu.shape}, expected ({len(genre)} songs, {len(emotions)} emotions)")
    if not np.isfinite(mu).all():
        raise EmotifyError("mu has missing or infinite values")
    return mu


def share_split_scores(
    mu: np.ndarray,
    genre: np.ndarray,
    votes: list[Votes],
    k: int,
    ties: str,
    seed: int,
    emotions: Sequence[str] = EMOTIONS,
) -> pd.DataFrame:
    """Every split's scores for every emotion: ``mu`` (n, n_emotions) indexed by row,
    ``genre`` (n,), ``votes`` the splits' rankings (split r's ties broken with ``seed + r``).
    One row per (split, emotion): ``repeat``, ``emotion`` and the columns of
    :func:`share_regression.split_share_scores` (``r2``, ``pearson``, ``spearman``,
    ``genre_r2``, ``genre_pearson``, ``genre_spearman``, ``r2_gain``, ``n_train``, ``n_test``)."""
    genre = np.asarray(genre)
    mu = _checked(mu, genre, emotions)
    rows = []
    for r, v in enumerate(votes):
        for e, emotion in enumerate(emotions):
            rows.append({"repeat": r, "emotion": emotion, **split_share_scores(mu[:, e], v, k, ties, seed + r, genre)})
    return pd.DataFrame(rows)


def summary_of_splits(per: pd.DataFrame, confidence: float) -> dict[str, float]:
    """One emotion's scores over the splits: for each score of :data:`SCORE_BOUNDS`, its mean
    over the splits where it is defined and the corrected resampled t interval of that mean
    (``<score>_ci_low/high``, :func:`inference.corrected_t_interval` with the mean split sizes,
    clipped to the score's bounds); for ``r2_gain`` that is the paired interval of the
    difference, split by split."""
    n_train, n_test = float(per["n_train"].mean()), float(per["n_test"].mean())
    out: dict[str, float] = {
        "n_repeats": len(per),
        "mean_train_songs": n_train,
        "mean_test_songs": n_test,
    }
    for score, bounds in SCORE_BOUNDS.items():
        values = per[score].to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        out[score] = float(values.mean()) if len(values) else float("nan")
        out[f"{score}_ci_low"], out[f"{score}_ci_high"] = inference.corrected_t_interval(
            values, n_train, n_test, confidence, bounds
        )
    return out


def shares_beyond_genre(
    mu: np.ndarray,
    genre: np.ndarray,
    votes: list[Votes],
    cfg: dict[str, Any],
    artists: np.ndarray | None = None,
    albums: np.ndarray | None = None,
    split_kind: str = "artist",
    emotions: Sequence[str] = EMOTIONS,
) -> pd.DataFrame:
    """The within-genre permutation test of the R^2 gain of the KNN regression over the
    genre-only baseline, per emotion (module docstring: the exchange and the null hypothesis).

    ``cfg``: ``k``, ``ties``, ``seed``, ``permutations``, ``permutation_splits`` (the statistic
    reads the first that many splits of ``votes``); each emotion's draws come from the named
    stream ``(seed, "shares_beyond_genre", split_kind, emotion)``. ``artists``, ``albums``: each
    row's artist and album (None or "" where unknown: that song is its own unit).

    Returns one row per emotion: ``emotion``, ``split``, ``r2_gain_statistic`` (the observed
    statistic: mean R^2 gain over the first ``permutation_splits`` splits),
    ``within_genre_permutation_p``, ``p_floor`` (1 / (1 + B)), ``within_genre_p_holm`` (Holm
    over the emotions), ``p_holm_floor``, ``permutations``, ``permutation_splits``,
    ``permutation`` (the exchange in words)."""
    genre = np.asarray(genre)
    mu = _checked(mu, genre, emotions)
    ties, seed, permutations = cfg.get("ties", "sklearn"), cfg["seed"], int(cfg["permutations"])
    m = min(len(votes), int(cfg["permutation_splits"]))
    exchange = exchange_of(artists, albums, len(genre), genre)
    statistic = r2_gain_statistic(votes[:m], genre, cfg["k"], ties, seed)
    rows = []
    for e, emotion in enumerate(emotions):
        values = np.unique(mu[:, e])  # permutation_test permutes class codes: np.unique's, mapped back to mu
        observed, p, _ = inference.permutation_test(
            mu[:, e],
            lambda codes, _n, values=values: statistic(values[codes]),
            permutations,
            inference.stream(seed, "shares_beyond_genre", split_kind, emotion),
            exchange,
        )
        rows.append(
            {
                "emotion": emotion,
                "split": split_kind,
                "r2_gain_statistic": observed,
                "within_genre_permutation_p": p,
                "p_floor": inference.p_floor(permutations),
                "permutations": permutations,
                "permutation_splits": m,
                "permutation": exchange.describe(),
            }
        )
    table = pd.DataFrame(rows)
    table.insert(5, "within_genre_p_holm", inference.holm(table["within_genre_permutation_p"].to_numpy()))
    table.insert(6, "p_holm_floor", inference.p_floor(permutations, len(table)))
    return table


def shares_table(
    mu: np.ndarray,
    genre: np.ndarray,
    votes: list[Votes],
    cfg: dict[str, Any],
    network: str,
    split_kind: str,
    reliability: pd.DataFrame | None = None,
    artists: np.ndarray | None = None,
    albums: np.ndarray | None = None,
    emotions: Sequence[str] = EMOTIONS,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rating shares of one network's features on one kind of split, per emotion.

    Parameters
    ----------
    mu : (n, n_emotions) the rating shares, indexed by row (the rows of the rankings).
    genre : (n,) each row's genre.
    votes : the splits' rankings of the network's features (:class:`votes.Votes`).
    cfg : ``k``, ``ties``, ``seed``, ``confidence``, and for the test ``permutations`` and
        ``permutation_splits``.
    network, split_kind : written into the table (``split_kind`` also picks whether the
        permutation test runs: on :data:`TESTED_SPLITS` with ``permutations`` > 0).
    reliability : :func:`stats.reliability.split_half_reliability`'s table, or None.
    artists, albums : each row's artist and album, for the test's exchange.

    Returns
    -------
    (summary, per_split) : ``per_split`` is :func:`share_split_scores` with ``network`` and
        ``split``; ``summary`` has one row per emotion: ``network``, ``split``, ``emotion``,
        ``n_repeats``, ``mean_train_songs``, ``mean_test_songs``; ``r2``, ``pearson``,
        ``spearman`` (KNN regression), ``genre_r2``, ``genre_pearson``, ``genre_spearman`` (the
        genre-only baseline) and ``r2_gain`` (= r2 - genre_r2, split by split), each the mean over
        the splits with ``<score>_ci_low/high`` (:func:`summary_of_splits`: the corrected
        resampled t interval; for ``r2_gain`` the paired one); with ``reliability``:
        ``reliability``, ``reliability_song_bootstrap_low/high`` (its percentile bootstrap
        interval over songs), ``r2_of_reliability`` and ``genre_r2_of_reliability`` (mean R^2
        as a fraction of the reliability, the R^2 ceiling), ``correlation_ceiling`` (sqrt of
        the reliability: the ceiling of ``pearson``); where the test runs, the columns of
        :func:`shares_beyond_genre` from ``r2_gain_statistic`` on (nan elsewhere).
    """
    per = share_split_scores(mu, genre, votes, cfg["k"], cfg.get("ties", "sklearn"), cfg["seed"], emotions)
    per.insert(0, "network", network)
    per.insert(1, "split", split_kind)
    rows = [
        {"network": network, "split": split_kind, "emotion": emotion, **summary_of_splits(part, cfg["confidence"])}
        for emotion, part in ((e, per[per["emotion"] == e]) for e in emotions)
    ]
    summary = pd.DataFrame(rows)
    if reliability is not None:
        kept = ["reliability", "reliability_song_bootstrap_low", "reliability_song_bootstrap_high"]
        summary = summary.merge(reliability[["emotion", *kept]], on="emotion", how="left")
        with np.errstate(invalid="ignore", divide="ignore"):
            summary["r2_of_reliability"] = summary["r2"] / summary["reliability"]
            summary["genre_r2_of_reliability"] = summary["genre_r2"] / summary["reliability"]
            summary["correlation_ceiling"] = np.sqrt(summary["reliability"].where(summary["reliability"] >= 0))
    test_columns = [
        "r2_gain_statistic",
        "within_genre_permutation_p",
        "p_floor",
        "within_genre_p_holm",
        "p_holm_floor",
        "permutations",
        "permutation_splits",
        "permutation",
    ]
    if split_kind in TESTED_SPLITS and int(cfg.get("permutations", 0)) > 0:
        test = shares_beyond_genre(mu, genre, votes, cfg, artists, albums, split_kind, emotions)
        summary = summary.merge(test[["emotion", *test_columns]], on="emotion", how="left")
    else:
        for column in test_columns:
            summary[column] = np.nan
    return summary, per


def reliability_of_annotations(
    annotations: pd.DataFrame, halvings: int, seed: int, bootstrap: int = 0, confidence: float = 0.95
) -> pd.DataFrame:
    """:func:`stats.reliability.split_half_reliability` of validated listening events
    (``track id`` and the nine emotions, as :func:`ceiling.human_ceiling` takes them)."""
    missing = [c for c in ("track id", *EMOTIONS) if c not in annotations.columns]
    if missing:
        raise EmotifyError(f"annotations lack column(s) {missing}")
    return split_half_reliability(
        annotations["track id"].to_numpy(),
        annotations[list(EMOTIONS)].to_numpy(dtype=float),
        halvings,
        seed,
        bootstrap,
        confidence,
    )
