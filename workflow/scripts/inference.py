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
- ``ci_low/high``: a confidence interval of the *mean* accuracy over the resampled splits,
  the corrected resampled t interval of Nadeau & Bengio (2003), which widens the naive
  interval for the overlap of the training sets (variance factor 1/R + n_test/n_train),
  clipped to [0, 1].

Permutation tests (:func:`permutation_p_value`) shuffle labels in a way that keeps the
structure the splits keep: songs one by one for random splits, whole groups for grouped splits
(:func:`group_permutation`), within each genre for the "beyond genre" test
(:func:`within_permutation`); p = (1 + #{statistic under shuffling >= observed}) / (1 + B). The
statistic is the mean over splits of accuracy minus the stratified chance baseline of the same
labels (:func:`excess_accuracy`): the splits are drawn once, stratified by genre, and stay fixed
while labels are shuffled, so shuffled genre labels lose the balance the real ones have on the
splits; the accuracy alone would then favour the real labels (p-values too small), the excess
over chance compensates most of it (tests/test_inference.py measures the calibration). For
emotion labels the splits do not depend on the labels shuffled, and the tests are exact.
"""

from collections.abc import Callable

import numpy as np
from scipy import stats


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
    """Accuracy minus the stratified chance baseline (:func:`chance_baseline`): the permutation
    tests' statistic."""
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


def group_permutation(groups: np.ndarray) -> Callable[[np.ndarray, np.random.Generator], np.ndarray]:
    """Shuffle labels at the level of ``groups``: each group takes the labels of another group
    (a random permutation of the groups), its songs in a random order, recycled when the donor
    group is smaller and subsampled when it is larger. Labels constant within groups (a genre
    per artist) are exactly permuted group to group; the within-group clustering of labels is
    kept, which a song-by-song shuffle breaks."""
    codes, members = _members(groups)

    def shuffle(y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        out = np.empty_like(y)
        donors = rng.permutation(len(members))
        for g, d in zip(range(len(members)), donors, strict=True):
            target, source = members[g], rng.permutation(members[d])
            out[target] = y[np.resize(source, len(target))]
        return out

    return shuffle


def within_permutation(strata: np.ndarray) -> Callable[[np.ndarray, np.random.Generator], np.ndarray]:
    """Shuffle labels within each stratum (genre): keeps every genre's label balance, breaks any
    link between labels and features beyond genre."""
    _, members = _members(strata)

    def shuffle(y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        out = y.copy()
        for idx in members:
            out[idx] = y[rng.permutation(idx)]
        return out

    return shuffle


def song_permutation(y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Shuffle labels song by song."""
    return rng.permutation(y)


def _members(groups: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    _, codes = np.unique(np.asarray(groups), return_inverse=True)
    return codes, [np.flatnonzero(codes == c) for c in range(codes.max() + 1)]


def permutation_p_value(
    y: np.ndarray,
    statistic: Callable[[np.ndarray], float],
    observed: float,
    permutations: int,
    seed: int,
    shuffle: Callable[[np.ndarray, np.random.Generator], np.ndarray] = song_permutation,
) -> float:
    """P(statistic of shuffled labels >= observed), with the +1 correction; nan without permutations."""
    if permutations <= 0:
        return float("nan")
    rng = np.random.default_rng(seed)
    hits = sum(statistic(shuffle(y, rng)) >= observed - 1e-12 for _ in range(permutations))
    return (hits + 1) / (permutations + 1)


def cohen_kappa(a: np.ndarray, b: np.ndarray) -> float:
    """Cohen's kappa of two binary label vectors (nan when both are constant and equal)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    observed = np.mean(a == b)
    pa, pb = a.mean(), b.mean()
    expected = pa * pb + (1 - pa) * (1 - pb)
    return float((observed - expected) / (1 - expected)) if expected < 1 else float("nan")


def beta_binomial_fit(successes: np.ndarray, trials: np.ndarray) -> tuple[float, float]:
    """Maximum-likelihood (alpha, beta) of a beta-binomial model of the songs' rating rates."""
    from scipy.optimize import minimize
    from scipy.special import betaln

    x, n = np.asarray(successes, dtype=float), np.asarray(trials, dtype=float)

    def nll(theta: np.ndarray) -> float:
        a, b = np.exp(theta)
        return -float(np.sum(betaln(x + a, n - x + b) - betaln(a, b)))

    m = np.clip(x.sum() / n.sum(), 1e-3, 1 - 1e-3)
    fit = minimize(nll, np.log([2 * m, 2 * (1 - m)]), method="Nelder-Mead", options={"xatol": 1e-6, "fatol": 1e-9})
    a, b = np.exp(fit.x)
    return float(a), float(b)


def beta_binomial_ceiling(successes: np.ndarray, trials: np.ndarray, threshold: float, grid: int = 4001) -> float:
    """The accuracy ceiling of any predictor of the full-panel labels that works from the song
    (its audio): expected accuracy of the best prediction given each song's true rating rate.

    Model: song s has a true rate p_s ~ Beta(alpha, beta) (fitted to all songs by maximum
    likelihood); its panel of n_s listeners gives x_s ~ Binomial(n_s, p_s) and the label
    1[x_s / n_s > threshold]. A predictor that knew p_s would predict the likelier label, right
    with probability max(q, 1 - q), q = P(x_s / n_s > threshold | p_s). Averaged over the prior
    and over the songs' panel sizes: what even a perfect model of the songs cannot beat,
    because the labels are finite panels' noisy readings of p_s.
    """
    a, b = beta_binomial_fit(successes, trials)
    edges = np.linspace(0.0, 1.0, grid + 1)
    p = (edges[1:] + edges[:-1]) / 2
    weight = np.diff(stats.beta.cdf(edges, a, b))  # the mass of each bin (exact near 0 and 1 when a or b < 1)
    n = np.asarray(trials, dtype=int)
    sizes, counts = np.unique(n, return_counts=True)
    total = 0.0
    for size, count in zip(sizes, counts, strict=True):
        q = stats.binom.sf(np.floor(threshold * size + 1e-12), size, p)  # P(x / n > threshold)
        total += count * float(np.sum(weight * np.maximum(q, 1 - q)))
    return total / len(n)
