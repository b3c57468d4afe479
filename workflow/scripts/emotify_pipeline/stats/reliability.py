"""How reliable are the rating shares mu themselves? Split-half reliability over listeners, and
the ceilings it puts on any prediction of mu from the song.

Classical test theory, one emotion at a time. Song s has a true share p_s (the share of the
listener population that would choose the emotion for it); its panel of n_s listeners gives
mu_s = p_s + e_s, the rater noise e_s with E[e_s | p_s] = 0 and Var(e_s | p_s) = p_s (1 - p_s) / n_s
(binomial, independent listeners), independent between songs. The *reliability* of mu over the
songs is the share of its variance that the songs carry:

    reliability = Var(p) / Var(mu) = Var(p) / (Var(p) + E[p (1 - p) / n]).

Estimated from the panels alone: every song's listeners are shuffled into two halves (sizes
differing by at most one), each half gives its own mu, and the Pearson correlation of the two
halves' mu across songs estimates the reliability of a *half* panel, Var(p) / (Var(p) + 2 E[...]);
the Spearman-Brown formula 2 r / (1 + r) takes it to the full panel (exactly, for even panels:
halving every panel doubles every song's noise variance), applied to the correlation averaged
over many halvings (:func:`split_half_reliability`); the song-level uncertainty is a *percentile bootstrap interval
over songs* (songs drawn with replacement, each with its own listeners and halves, the
reliability recomputed).

The ceilings (against the noisy full-panel mu, which is what a model is scored on): a predictor
g that works from the song (its audio) knows nothing of which listeners happened to rate it, so
its error is E(mu - g)^2 = E(p - g)^2 + E e^2 >= E e^2 (the cross term vanishes because e has
mean zero given the song). Hence

- R^2 of any such predictor, 1 - E(mu - g)^2 / Var(mu) <= 1 - E e^2 / Var(mu) = reliability,
  reached by g = p (the true share is the best prediction from the song);
- its correlation with mu, cov(g, p) / (sd g sd mu) <= corr(g, p) sd p / sd mu <= sqrt(reliability).

These are population statements about the songs' source. The workflow's out-of-sample R^2 is
taken against the training mean, whose own error enlarges the denominator by about 1 / n_train
of Var(mu): its ceiling sits slightly *above* the reliability (by about (1 - reliability) /
n_train). With the reliability's own sampling error, a model may exceed the point estimate by
chance: it is an estimated ceiling, not a hard one. The model also assumes rater noise
independent between songs; Emotify's listeners rate several songs, and data.csv has no listener
id to check it.
"""

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..core.emotify import EMOTIONS
from ..core.errors import EmotifyError
from .streams import stream


def panels(track_ids: np.ndarray, marks: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Listening events sorted by song: ``(songs, starts, counts, marks)`` -- the song ids in
    sorted order (n_songs,), the first event of each song and its number of listeners
    (n_songs,), and the 0/1 marks re-ordered (n_events, n_emotions; float). The order of a
    song's events is kept (a stable sort), so seeded halvings do not depend on the file's order
    of songs."""
    ids = np.asarray(track_ids)
    marks = np.asarray(marks, dtype=float)
    if marks.ndim == 1:
        marks = marks[:, None]
    if len(ids) != len(marks):
        raise EmotifyError(f"{len(ids)} track ids but {len(marks)} rows of marks")
    order = np.argsort(ids, kind="stable")
    songs, starts, counts = np.unique(ids[order], return_index=True, return_counts=True)
    return songs, starts, counts, marks[order]


def half_panel_shares(
    starts: np.ndarray, counts: np.ndarray, marks: np.ndarray, halvings: int, rng: np.random.Generator, chunk: int = 32
) -> tuple[np.ndarray, np.ndarray]:
    """mu of two random half panels of every song, for ``halvings`` halvings at once.

    Parameters
    ----------
    starts, counts : (n_songs,) first event and number of listeners of each song (events sorted
        by song, :func:`panels`); every song needs two listeners or more.
    marks : (n_events, n_emotions) the 0/1 marks in that order.
    halvings : number of independent halvings; ``rng`` draws them (one uniform key per event and
        halving: a song's listeners in the key's order, the first ``n_s // 2`` form half A).
    chunk : halvings computed together (memory: chunk x n_events x n_emotions floats).

    Returns
    -------
    (mu_a, mu_b) : two (halvings, n_songs, n_emotions) arrays; half A has ``n_s // 2`` listeners,
        half B the other ``n_s - n_s // 2``.
    """
    counts = np.asarray(counts)
    if counts.min() < 2:
        raise EmotifyError("split-half reliability needs at least two listeners per song")
    song = np.repeat(np.arange(len(counts)), counts)  # each (sorted) event's song
    first_half = (np.arange(len(song)) - starts[song]) < (counts // 2)[song]  # by rank within its song
    size_a = (counts // 2)[None, :, None]
    size_b = (counts - counts // 2)[None, :, None]
    total = np.add.reduceat(marks, starts, axis=0)[None]
    mu_a, mu_b = [], []
    for begin in range(0, halvings, chunk):
        h = min(chunk, halvings - begin)
        shuffled = np.argsort(song[None, :] + rng.random((h, len(song))), axis=1)  # songs kept together
        in_a = np.zeros((h, len(song)), dtype=bool)
        np.put_along_axis(in_a, shuffled, np.broadcast_to(first_half, (h, len(song))), axis=1)
        sums_a = np.add.reduceat(in_a[:, :, None] * marks[None], starts, axis=1)
        mu_a.append(sums_a / size_a)
        mu_b.append((total - sums_a) / size_b)
    return np.concatenate(mu_a), np.concatenate(mu_b)


def pearson(a: np.ndarray, b: np.ndarray, axis: int = 0) -> np.ndarray:
    """Pearson correlation of ``a`` and ``b`` along ``axis`` (the other axes broadcast); nan where
    either is constant."""
    a = a - a.mean(axis=axis, keepdims=True)
    b = b - b.mean(axis=axis, keepdims=True)
    den = np.sqrt((a * a).sum(axis=axis) * (b * b).sum(axis=axis))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, (a * b).sum(axis=axis) / np.where(den > 0, den, 1.0), np.nan)


def spearman_brown(r: np.ndarray, factor: float = 2.0) -> np.ndarray:
    """The reliability of a panel ``factor`` times as large: factor r / (1 + (factor - 1) r)."""
    r = np.asarray(r, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return factor * r / (1 + (factor - 1) * r)


def weighted_half_reliability(mu_a: np.ndarray, mu_b: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The Spearman-Brown corrected mean half-panel correlation over the halvings, for songs
    weighted by ``weights``.

    ``mu_a``, ``mu_b``: (halvings, n_songs, n_emotions) half-panel shares
    (:func:`half_panel_shares`); ``weights``: (n_weightings, n_songs) -- how often each song is
    drawn in each bootstrap resample (all ones: the sample itself). The weighted moments of every
    halving and emotion come from matrix products, so many resamples cost a few BLAS calls.
    Returns (n_weightings, n_emotions)."""
    h, n, e = mu_a.shape
    a = mu_a.transpose(1, 0, 2).reshape(n, h * e)
    b = mu_b.transpose(1, 0, 2).reshape(n, h * e)
    w = np.asarray(weights, dtype=float)
    # one product for the five moments: few BLAS calls, which matters on a loaded machine
    moments = (w @ np.concatenate([a, b, a * a, b * b, a * b], axis=1)) / w.sum(axis=1, keepdims=True)
    ma, mb, maa, mbb, mab = np.split(moments, 5, axis=1)
    cov, va, vb = mab - ma * mb, maa - ma * ma, mbb - mb * mb
    den = np.sqrt(np.clip(va, 0, None) * np.clip(vb, 0, None))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(den > 1e-15, cov / np.where(den > 1e-15, den, 1.0), np.nan)
    # the mean half-panel correlation over the halvings, then corrected: the Spearman-Brown
    # formula is concave, so correcting each halving first and averaging would bias it low
    with np.errstate(invalid="ignore"):
        mean_r = np.nanmean(np.clip(r, -1, 1).reshape(len(w), h, e), axis=1)
    return spearman_brown(mean_r)


def song_bootstrap_interval(
    mu_a: np.ndarray,
    mu_b: np.ndarray,
    resamples: int,
    confidence: float,
    rng: np.random.Generator,
    chunk: int = 250,
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap interval over songs of the split-half reliability: songs drawn with
    replacement (each with its listeners and its halves in every halving), the reliability
    recomputed (:func:`weighted_half_reliability`); the central ``confidence`` range of the
    ``resamples`` values. Returns (low, high), each (n_emotions,); nan without resamples."""
    n, e = mu_a.shape[1], mu_a.shape[2]
    if resamples <= 0:
        return np.full(e, np.nan), np.full(e, np.nan)
    values = []
    for begin in range(0, resamples, chunk):
        m = min(chunk, resamples - begin)
        picks = rng.integers(0, n, size=(m, n))
        weights = np.bincount((picks + n * np.arange(m)[:, None]).ravel(), minlength=m * n).reshape(m, n)
        values.append(weighted_half_reliability(mu_a, mu_b, weights))
    values = np.concatenate(values)
    lo = (1 - confidence) / 2
    return np.nanquantile(values, lo, axis=0), np.nanquantile(values, 1 - lo, axis=0)


def split_half_reliability(
    track_ids: np.ndarray,
    marks: np.ndarray,
    halvings: int,
    seed: int,
    bootstrap: int = 0,
    confidence: float = 0.95,
    emotions: Sequence[str] = EMOTIONS,
) -> pd.DataFrame:
    """Split-half reliability of the rating shares mu over listeners, per emotion, with the
    ceilings it implies (module docstring: the model and the reasoning).

    Parameters
    ----------
    track_ids : (n_events,) the song of every listening event (data.csv's ``track id``).
    marks : (n_events, n_emotions) its 0/1 choices, columns in the order of ``emotions``.
    halvings : number of random halvings of every song's listeners (drawn from the named stream
        ``stream(seed, "split_half_reliability", "halvings")``).
    bootstrap : resamples of the songs for the interval (stream ``(..., "bootstrap")``); 0: none.
    confidence : the central share of the bootstrap values the interval keeps.

    Returns
    -------
    pandas.DataFrame, one row per emotion:
        ``emotion``; ``n_songs``; ``n_events``; ``mean_listeners`` (per song);
        ``half_panel_r``: the Pearson correlation across songs of the two half panels' mu, mean
        over halvings; ``reliability``: that mean Spearman-Brown corrected, 2r / (1 + r) -- the
        estimated Var(true share) / Var(mu) of the full panels;
        ``reliability_song_bootstrap_low/high``: its percentile bootstrap interval over songs
        (nan without resamples); ``r2_ceiling``: the most R^2 a prediction from the song can
        reach against the full-panel mu (= ``reliability``); ``correlation_ceiling``: the most
        correlation with mu it can reach (sqrt of the reliability, nan where the estimate is
        negative); ``halvings``, ``bootstrap``, ``confidence``.
    """
    songs, starts, counts, sorted_marks = panels(track_ids, marks)
    if sorted_marks.shape[1] != len(emotions):
        raise EmotifyError(f"{sorted_marks.shape[1]} columns of marks for {len(emotions)} emotions")
    if halvings < 1:
        raise EmotifyError("split-half reliability needs at least one halving")
    mu_a, mu_b = half_panel_shares(
        starts, counts, sorted_marks, halvings, stream(seed, "split_half_reliability", "halvings")
    )
    half_r = np.nanmean(pearson(mu_a, mu_b, axis=1), axis=0)
    reliability = weighted_half_reliability(mu_a, mu_b, np.ones((1, len(songs))))[0]
    low, high = song_bootstrap_interval(
        mu_a, mu_b, bootstrap, confidence, stream(seed, "split_half_reliability", "bootstrap")
    )
    with np.errstate(invalid="ignore"):
        correlation_ceiling = np.where(reliability >= 0, np.sqrt(np.clip(reliability, 0, None)), np.nan)
    return pd.DataFrame(
        {
            "emotion": list(emotions),
            "n_songs": len(songs),
            "n_events": int(counts.sum()),
            "mean_listeners": float(counts.mean()),
            "half_panel_r": half_r,
            "reliability": reliability,
            "reliability_song_bootstrap_low": low,
            "reliability_song_bootstrap_high": high,
            "r2_ceiling": reliability,
            "correlation_ceiling": correlation_ceiling,
            "halvings": halvings,
            "bootstrap": bootstrap,
            "confidence": confidence,
        }
    )
