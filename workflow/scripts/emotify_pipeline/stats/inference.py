"""The statistics of the evaluation, each defined once and named for what it is.

Baselines (every table uses these names and definitions):

- ``majority_baseline``: accuracy on the test songs of always predicting the *training* songs'
  most frequent class (ties: the first class in sorted order, as the KNN vote);
- ``chance_baseline``: expected accuracy of guessing at random with the training class
  frequencies (stratified chance);
- ``genre_baseline`` (emotions only): accuracy of predicting each test song's label as the
  training majority *within its genre* -- what genre alone tells about the emotion label.

Intervals:

- ``split_range_low/high``: the central ``confidence`` range of the accuracies of the
  resampled splits -- what a single split, as in the paper, may give. Not a confidence interval.
- ``ci_low/high``: the corrected resampled t interval of Nadeau & Bengio (2003), which widens
  the naive interval of the mean over resampled splits for the overlap of the training sets
  (variance factor 1/R + n_test/n_train), clipped to [0, 1]: an approximate interval for the
  accuracy of the method on new songs from the same source, not an exact confidence interval --
  optimistic where songs cluster by artist (83 % coverage of new-artist accuracy at nominal
  95 % on the real artist structure, docs/statistics.md).

Permutation tests (:func:`permutation_test`) permute labels with one restricted scheme,
:class:`Exchange`: an artist's songs (within one genre, for the "beyond genre" test) form a unit;
units with the same album profile (the same number of songs in albums of the same sizes) are
permuted among themselves, each album taking the labels of a same-size album of its donor, its
songs in random order -- a bijection of the songs, so every label count is kept (100 songs per
genre), labels shared within an artist or an album stay shared, and labels that differ between
an artist's albums move album by album. Without albums, units of the same size are exchanged and
their songs reordered. Null hypothesis: the features say nothing about which
artist of a given album profile carries which labels (within genre, for the beyond-genre test). p = (1 +
#{statistic under permutation >= observed}) / (1 + B), never below 1 / (1 + B)
(:func:`p_floor`). The statistic (``evaluation.excess_statistic``) is the mean over splits of
balanced accuracy minus its chance level 1 / (number of classes): the splits are drawn once,
balanced by genre, and stay fixed while labels are permuted, so permuted genre labels are less
balanced on them than the real ones; a predictor that ignores the truth expects balanced
accuracy 1 / C however unbalanced the classes, so that imbalance is not held against the
permuted labels (accuracy minus the stratified chance baseline, :func:`excess_accuracy`, left
the grouped genre tests liberal: 8.1 % at 0.05). The splits are fixed, so the tests
are not exact by construction; ``benchmarks/calibration.py`` measures them under nulls on the
real archive's structure (docs/statistics.md, "Calibration on the real structure"), ``tests/test_calibration.py`` checks
eight of them.
"""

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import stats

from .streams import stream, stream_seed  # noqa: F401 - the named random streams, re-exported


def majority_baseline(y_train: np.ndarray, y_test: np.ndarray) -> float:
    """Accuracy on ``y_test`` of the training majority class (first class in sorted order on ties)."""
    classes, counts = np.unique(y_train, return_counts=True)
    return float(np.mean(y_test == classes[counts.argmax()]))


def chance_baseline(y_train: np.ndarray, y_test: np.ndarray) -> float:
    """Expected accuracy on ``y_test`` of guessing with the training class frequencies."""
    classes, counts = np.unique(y_train, return_counts=True)
    share = dict(zip(classes.tolist(), (counts / counts.sum()).tolist(), strict=True))
    return float(np.mean([share.get(v, 0.0) for v in np.asarray(y_test).tolist()]))


def genre_baseline(y_train: np.ndarray, y_test: np.ndarray, g_train: np.ndarray, g_test: np.ndarray) -> float:
    """Accuracy on ``y_test`` of predicting, for each test song, the training majority label of
    its genre (the overall training majority for a genre absent from training)."""
    overall = _majority(y_train)
    pred = np.empty(len(y_test), dtype=np.asarray(y_train).dtype)
    for g in np.unique(g_test):
        in_train = g_train == g
        pred[g_test == g] = _majority(y_train[in_train]) if in_train.any() else overall
    return float(np.mean(pred == y_test))


def _majority(y: np.ndarray) -> object:
    classes, counts = np.unique(y, return_counts=True)
    return classes[counts.argmax()]


def split_range(values: np.ndarray, confidence: float) -> tuple[float, float]:
    """The central ``confidence`` range of the values over resampled splits."""
    lo = (1 - confidence) / 2
    return float(np.quantile(values, lo)), float(np.quantile(values, 1 - lo))


def accuracy_row(
    values: Any,
    confidence: float,
    n_train: float | None = None,
    n_test: float | None = None,
    mean_key: str = "mean_accuracy",
) -> dict[str, Any]:
    """The one summary row of accuracies over resampled splits: ``n_repeats``, the mean (under
    ``mean_key``), the split range (:func:`split_range`: what one split may give) and, when the
    split sizes are given, the corrected resampled t interval of the mean
    (:func:`corrected_t_interval`)."""
    values = np.asarray(values, dtype=float)
    lo, hi = split_range(values, confidence)
    row: dict[str, Any] = {
        "n_repeats": len(values),
        mean_key: float(values.mean()),
        "split_range_low": lo,
        "split_range_high": hi,
    }
    if n_train is not None and n_test is not None:
        row["ci_low"], row["ci_high"] = corrected_t_interval(values, n_train, n_test, confidence)
    return row


def corrected_t_interval(
    values: np.ndarray, n_train: float, n_test: float, confidence: float, bounds: tuple[float, float] = (0.0, 1.0)
) -> tuple[float, float]:
    """Nadeau & Bengio's corrected resampled t interval of the mean of ``values`` (one per
    resampled split with about ``n_train`` training and ``n_test`` test songs), clipped to
    ``bounds`` (an accuracy lies in [0, 1])."""
    values = np.asarray(values, dtype=float)
    r = len(values)
    if r < 2:
        return float("nan"), float("nan")
    if np.ptp(values) == 0 and values[0] in bounds:  # every split at 100 % (or 0 %): the rule of three
        gap = min(1.0, 3.0 / max(1.0, n_test))
        return (bounds[1] - gap, bounds[1]) if values[0] == bounds[1] else (bounds[0], bounds[0] + gap)
    se = np.sqrt((1.0 / r + n_test / n_train) * values.var(ddof=1))
    half = stats.t.ppf(0.5 + confidence / 2, df=r - 1) * se
    return float(max(bounds[0], values.mean() - half)), float(min(bounds[1], values.mean() + half))


def excess_accuracy(y_true: np.ndarray, pred: np.ndarray, y_train: np.ndarray) -> float:
    """Accuracy minus the stratified chance baseline (:func:`chance_baseline`): the previous
    release's permutation statistic, kept as ``measure="accuracy"`` (liberal for grouped genre
    tests); the tests now use mean balanced accuracy over 1 / number of classes."""
    return float(np.mean(pred == y_true)) - chance_baseline(y_train, y_true)


def holm(p: np.ndarray) -> np.ndarray:
    """Holm's step-down adjustment of a family of p-values (nan stays nan)."""
    p = np.asarray(p, dtype=float)
    out = np.full_like(p, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    order = ok[np.argsort(p[ok])]
    m = len(order)
    running = 0.0
    for i, idx in enumerate(order):
        running = max(running, min(1.0, (m - i) * p[idx]))
        out[idx] = running
    return out


class Exchange:
    """A restricted permutation of songs: which songs may take which songs' labels.

    Songs are cut into *units* (an artist's songs, or an artist's songs within one genre);
    units of the same size (and, with ``strata``, of the same stratum; with ``subunits``, the
    same album profile: albums of the same sizes) form an exchange class. One draw permutes the
    units of every class among themselves and the songs of every unit among themselves (with
    albums: each album onto a same-size album of the donor), so it is a bijection of the songs:
    every label count (100 songs per genre) is kept, labels shared within an artist (an album)
    stay shared, and a unit whose class holds no other unit only has its songs (its same-size
    albums) shuffled. ``Exchange(np.arange(n))`` (every song its own unit) is the plain
    song-by-song shuffle.

    The null hypothesis this tests: the labels of units of the same class are exchangeable given
    the features -- the features say nothing about which artist of a given size (album profile)
    carries which labels. An artist or album signature in the features (a production, a voice)
    does not reject it: same-artist and same-album neighbours agree under every draw as they do
    on the real labels.
    """

    def __init__(self, units: np.ndarray, strata: np.ndarray | None = None, subunits: np.ndarray | None = None) -> None:
        units = np.asarray(units)
        keys = (
            units
            if strata is None
            else np.char.add(np.char.add(np.asarray(strata).astype(str), "\x1f"), units.astype(str))
        )
        _, unit = np.unique(keys, return_inverse=True)
        self.n = len(unit)
        order = np.argsort(unit, kind="stable")
        sizes = np.bincount(unit)
        stratum = np.zeros(len(sizes), dtype=np.int64)
        if strata is not None:
            _, codes = np.unique(np.asarray(strata).astype(str), return_inverse=True)
            stratum[unit] = codes
        self.sub: np.ndarray | None = None  # each song's sub-unit (album within its unit), or None
        self.sub_rank: np.ndarray | None = None  # 0 for the largest sub-units of a unit, 1 for the next size ...
        profile = [()] * len(sizes)  # each unit's sub-unit sizes, largest first
        if subunits is not None:
            pairs = np.char.add(np.char.add(unit.astype(str), "\x1f"), np.asarray(subunits).astype(str))
            _, self.sub = np.unique(pairs, return_inverse=True)
            sub_size = np.bincount(self.sub)
            owner = np.zeros(len(sub_size), dtype=np.int64)
            owner[self.sub] = unit
            shapes: dict[int, list[int]] = {}
            for sub, size in enumerate(sub_size):
                shapes.setdefault(int(owner[sub]), []).append(int(size))
            profile = [tuple(sorted(shapes[u], reverse=True)) for u in range(len(sizes))]
            self.sub_rank = (sub_size.max() - sub_size)[self.sub]
        # order[start[u] + i]: the i-th song of unit u (songs of a unit contiguous)
        start = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        self.classes: list[np.ndarray] = []  # each (units, size): the songs of each unit of the class
        members: dict[tuple, list[int]] = {}
        for u in range(len(sizes)):
            members.setdefault((int(stratum[u]), int(sizes[u]), profile[u]), []).append(u)
        for key in sorted(members):
            chosen = np.array(members[key])
            self.classes.append(order[start[chosen][:, None] + np.arange(key[1])[None, :]])
        self.n_units = len(sizes)
        self.within = strata is not None

    def _layout(self, permutations: int, rng: np.random.Generator) -> np.ndarray | None:
        """A random order of the songs inside their units, as one sort key per song and draw: the
        sub-units (albums) largest first, same-size sub-units in random order, songs within a
        sub-unit in random order. None without sub-units."""
        if self.sub is None or self.sub_rank is None:
            return None
        n_sub = int(self.sub.max()) + 1
        shuffle_sub = rng.integers(0, 2**20, size=(permutations, n_sub), dtype=np.int64)
        shuffle_song = rng.integers(0, 2**20, size=(permutations, self.n), dtype=np.int64)
        return (self.sub_rank[None, :] << 40) + (shuffle_sub[:, self.sub] << 20) + shuffle_song

    def draw(self, permutations: int, rng: np.random.Generator) -> np.ndarray:
        """``permutations`` draws as a (permutations, n) array: row b gives, for every song,
        the song whose label it takes (``y[idx]`` are the permuted labels). With sub-units, units
        are exchanged only with units of the same album profile (the same album sizes), and an
        album takes the labels of a random album of the same size of its donor, song by song in
        random order -- recipient and donor laid out independently, so a unit drawn as its own
        donor still has its same-size albums and their songs shuffled. The draws are uniform on a
        group (per class: the units permuted, each album mapped to a same-size album, its songs
        permuted), so the test is a randomisation test of that group."""
        idx = np.empty((permutations, self.n), dtype=np.int64)
        key = self._layout(permutations, rng)
        donor_key = self._layout(permutations, rng)
        rows = np.arange(permutations)[:, None]
        for block in self.classes:
            m, size = block.shape
            units = np.argsort(rng.random((permutations, m)), axis=1)
            if key is not None and donor_key is not None:
                every = np.broadcast_to(block, (permutations, m, size))
                layout = np.take_along_axis(every, np.argsort(key[:, block], axis=2, kind="stable"), axis=2)
                donors = np.take_along_axis(every, np.argsort(donor_key[:, block], axis=2, kind="stable"), axis=2)
                idx[rows, layout.reshape(permutations, -1)] = donors[rows, units].reshape(permutations, -1)
                continue
            songs = (
                np.argsort(rng.random((permutations, m, size)), axis=2)
                if size > 1
                else np.zeros((permutations, m, 1), dtype=np.int64)
            )
            source = block[units[:, :, None], songs]  # (B, m, size): unit units[b, i], its songs reordered
            idx[:, block.ravel()] = source.reshape(permutations, -1)
        return idx

    def describe(self) -> str:
        """The exchange in words, for tables."""
        where = " within genre" if self.within else ""
        if self.n_units == self.n:
            return "by song" + where
        if self.sub is not None:
            return f"by artist{where} among artists with the same album sizes, album by album"
        return f"by artist{where} among same-size artists"


def permutation_p_value(observed: float, null: np.ndarray) -> float:
    """P(statistic under the null >= observed), with the +1 correction: (1 + hits) / (1 + B);
    nan without permutations. The smallest attainable value is 1 / (1 + B) (:func:`p_floor`)."""
    null = np.asarray(null, dtype=float)
    if null.size == 0:
        return float("nan")
    return float((1 + np.sum(null >= observed - 1e-12)) / (1 + null.size))


def p_floor(permutations: int, family: int = 1) -> float:
    """The smallest p a permutation test with ``permutations`` draws can give, and after Holm's
    adjustment over a family of ``family`` tests (``family`` / (1 + B))."""
    return float(min(1.0, family / (1 + permutations))) if permutations > 0 else float("nan")


def permutation_test(
    y: np.ndarray,
    statistic: Callable[[np.ndarray, int], np.ndarray],
    permutations: int,
    rng: np.random.Generator,
    exchange: Exchange,
    chunk: int = 250,
) -> tuple[float, float, np.ndarray]:
    """Observed statistic, permutation p-value and the null statistics of labels ``y``.

    ``statistic(codes, n_classes)`` takes a (B, n) array of class codes (the labels of every
    song for B labellings) and returns B values; the labellings are ``y`` permuted by
    ``exchange`` (drawn from ``rng``, in chunks of ``chunk``)."""
    _, codes = np.unique(np.asarray(y), return_inverse=True)
    n_classes = int(codes.max()) + 1
    observed = float(statistic(codes[None, :], n_classes)[0])
    null = []
    for start in range(0, max(0, permutations), chunk):
        idx = exchange.draw(min(chunk, permutations - start), rng)
        null.append(statistic(codes[idx], n_classes))
    values = np.concatenate(null) if null else np.zeros(0)
    return observed, permutation_p_value(observed, values), values


def ceiling_interval(
    successes: np.ndarray,
    trials: np.ndarray,
    threshold_of: Callable[[np.ndarray], float],
    resamples: int,
    confidence: float,
    rng: np.random.Generator,
    grid: int = 1001,
) -> tuple[float, float]:
    """Percentile bootstrap interval of :func:`beta_binomial_ceiling` over songs: songs drawn with
    replacement, the label threshold recomputed from the drawn songs' rates (``threshold_of``,
    the labelling rule), the beta-binomial refitted (started from the full-sample fit). nan
    without resamples."""
    x, n = np.asarray(successes, dtype=float), np.asarray(trials)
    if resamples <= 0:
        return float("nan"), float("nan")
    start = beta_binomial_fit(x, n)
    values = []
    for _ in range(resamples):
        pick = rng.integers(0, len(x), len(x))
        values.append(beta_binomial_ceiling(x[pick], n[pick], threshold_of(x[pick] / n[pick]), grid, start))
    return split_range(np.array(values), confidence)


def cohen_kappa(a: np.ndarray, b: np.ndarray) -> float:
    """Cohen's kappa of two binary label vectors (nan when both are constant and equal)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    observed = np.mean(a == b)
    pa, pb = a.mean(), b.mean()
    expected = pa * pb + (1 - pa) * (1 - pb)
    return float((observed - expected) / (1 - expected)) if expected < 1 else float("nan")


def beta_binomial_fit(
    successes: np.ndarray, trials: np.ndarray, start: tuple[float, float] | None = None
) -> tuple[float, float]:
    """Maximum-likelihood (alpha, beta) of a beta-binomial model of the songs' rating rates
    (Nelder-Mead from ``start``, by default a moment guess)."""
    from scipy.optimize import minimize
    from scipy.special import betaln

    x, n = np.asarray(successes, dtype=float), np.asarray(trials, dtype=float)
    # songs with the same (successes, trials) add the same term: each pair once, weighted by its count
    pairs, weight = np.unique(np.stack([x, n], axis=1), axis=0, return_counts=True)
    ux, un = pairs[:, 0], pairs[:, 1]

    def nll(theta: np.ndarray) -> float:
        a, b = np.exp(theta)
        return -float(np.sum(weight * betaln(ux + a, un - ux + b)) - len(x) * betaln(a, b))

    m = np.clip(x.sum() / n.sum(), 1e-3, 1 - 1e-3)
    guess = np.log(start) if start is not None else np.log([2 * m, 2 * (1 - m)])
    fit = minimize(nll, guess, method="Nelder-Mead", options={"xatol": 1e-6, "fatol": 1e-9})
    a, b = np.exp(fit.x)
    return float(a), float(b)


def beta_binomial_ceiling(
    successes: np.ndarray,
    trials: np.ndarray,
    threshold: float,
    grid: int = 4001,
    start: tuple[float, float] | None = None,
) -> float:
    """The accuracy ceiling of any predictor of the full-panel labels that works from the song
    (its audio): expected accuracy of the best prediction given each song's true rating rate.

    Model: song s has a true rate p_s ~ Beta(alpha, beta) (fitted to all songs by maximum
    likelihood); its panel of n_s listeners gives x_s ~ Binomial(n_s, p_s) and the label
    1[x_s / n_s > threshold]. A predictor that knew p_s would predict the likelier label, right
    with probability max(q, 1 - q), q = P(x_s / n_s > threshold | p_s). Averaged over the prior
    and over the songs' panel sizes: what even a perfect model of the songs cannot beat,
    because the labels are finite panels' noisy readings of p_s.
    """
    a, b = beta_binomial_fit(successes, trials, start)
    edges = np.linspace(0.0, 1.0, grid + 1)
    p = (edges[1:] + edges[:-1]) / 2
    weight = np.diff(stats.beta.cdf(edges, a, b))  # the mass of each bin (exact near 0 and 1 when a or b < 1)
    n = np.asarray(trials, dtype=int)
    sizes, counts = np.unique(n, return_counts=True)
    # P(x / n > threshold) for every panel size (rows) and grid point (columns), in one call
    q = stats.binom.sf(np.floor(threshold * sizes + 1e-12)[:, None], sizes[:, None], p[None, :])
    return float(np.sum(counts * (np.maximum(q, 1 - q) @ weight))) / len(n)
