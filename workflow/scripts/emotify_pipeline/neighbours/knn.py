"""The paper's classifier, in one place: StandardScaler fitted on the training songs, then a
k-nearest-neighbour majority vote -- scikit-learn's ``StandardScaler`` +
``KNeighborsClassifier`` (uniform weights, Euclidean distance), written out so that its
expensive part is computed once and reused.

A KNN prediction depends on the labels only through the votes of the neighbours, and on k only
through how many of the sorted neighbours vote. The rankings of all training songs by distance
come from :mod:`geometry` (cached per split by the ``neighbours`` rules; :func:`neighbours` here
for narrow inputs computed on the fly); :func:`vote` / :func:`positive_share` turn the first k
of a ranking into predictions for the genre, each of the nine emotions and every label
permutation. Every experiment, the repeated evaluation and the ablation use these functions;
the tests check them against scikit-learn.

Out-of-fold probabilities (Experiment IV's inputs for training songs) have one definition,
:func:`out_of_fold_share`: inner folds stratified by genre (drawn with the split,
:mod:`splits`), the same folds for all emotions.
"""

import numpy as np

from ..core.errors import EmotifyError


def constant_columns(mean: np.ndarray, var: np.ndarray, n: int) -> np.ndarray:
    """StandardScaler's test for a column indistinguishable from a constant (scikit-learn's
    ``_is_constant_feature``: the error bound of the two-pass variance); such columns are
    centred, not scaled."""
    eps = np.finfo(np.float64).eps
    return var <= n * eps * var + (n * mean * eps) ** 2


def standardise(x_train: np.ndarray, x_test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scale both with the training rows' mean and population standard deviation, as
    StandardScaler does (constant training columns are centred, not scaled). float64."""
    a = np.asarray(x_train, dtype=np.float64)
    b = np.asarray(x_test, dtype=np.float64)
    mean = a.mean(axis=0)
    var = ((a - mean) ** 2).mean(axis=0)
    scale = np.where(constant_columns(mean, var, len(a)), 1.0, np.sqrt(var))
    return (a - mean) / scale, (b - mean) / scale


def neighbours(x: np.ndarray, train: np.ndarray, test: np.ndarray, k: int) -> np.ndarray:
    """Indices (into ``train``) of the k nearest training rows of every test row: (n_test, k).

    Standardised on the training rows (:func:`standardise`), Euclidean distance from one matrix
    product (fast for the very wide VGG19 vectors), a stable order among equal distances.
    Raises :class:`EmotifyError` when ``k`` exceeds the training rows: never capped silently.
    """
    return nearest(*standardise(x[train], x[test]), k)


def nearest(a: np.ndarray, b: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k rows of ``a`` nearest to each row of ``b`` (Euclidean, no scaling;
    equal distances in row order): (len(b), k). float64 from differences, for narrow inputs
    (wide ones: :mod:`geometry`)."""
    return top(nearest_with_ties(a, b)[0], k, len(a))


def nearest_with_ties(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every row of ``a`` ranked by distance to each row of ``b`` (:func:`nearest`), and where
    each ranked distance equals the one before it (:func:`tie_order`)."""
    order = np.empty((len(b), len(a)), dtype=np.int64)
    tied = np.zeros((len(b), len(a)), dtype=bool)
    step = max(1, 2**24 // max(1, a.size))  # test rows per block: blocks of about 128 MB
    for start in range(0, len(b), step):
        d = ((b[start : start + step, None, :] - a[None, :, :]) ** 2).sum(axis=2)  # from differences
        order[start : start + step], tied[start : start + step] = tie_order(d)
    return order, tied


def tie_order(d: np.ndarray, rtol: float = 1e-12) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise ranking of the distances ``d``: ascending, and distances equal up to rounding
    (``rtol`` of the larger) in column (training-row) order -- so equidistant neighbours on a
    lattice (Experiment IV's vote shares) are ordered like identical ones, not by rounding noise.
    Returns ``(order, tied)``: ``tied[i, p]`` when the p-th distance equals the (p-1)-th."""
    order = np.argsort(d, axis=1, kind="stable")
    ds = np.take_along_axis(d, order, axis=1)
    close = np.diff(ds, axis=1) <= rtol * np.maximum(np.abs(ds[:, 1:]), 1e-300)
    for row in np.flatnonzero(close.any(axis=1)):
        run = np.concatenate(([0], np.cumsum(~close[row])))  # run id of each position
        order[row] = order[row][np.lexsort((order[row], run))]
    tied = np.zeros(d.shape, dtype=bool)
    tied[:, 1:] = close
    return order, tied


def break_ties(order: np.ndarray, tied: np.ndarray, rng: np.random.Generator, n_train: int | None = None) -> np.ndarray:
    """``order`` with every run of equal distances shuffled (seeded): ``knn.ties: random``.

    The draws are those of the full ranking (one per training row, ``n_train``, of which a
    ranking cut to a depth uses the first ``order.shape[1]``), so a stored depth changes neither
    the shuffle of what it keeps nor the generator's state after it."""
    run = np.cumsum(~tied, axis=1)  # run id per position (a position tied to the one before shares its id)
    width = max(order.shape[1], n_train or 0)
    key = run + 0.5 * rng.random((len(order), width))[:, : order.shape[1]]
    return np.take_along_axis(order, np.argsort(key, axis=1, kind="stable"), axis=1)


def vote(
    y_train: np.ndarray, nn: np.ndarray, rng: np.random.Generator | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Majority vote of the neighbours' labels. A tie goes to the first class in sorted order,
    as scikit-learn's vote does, or, with ``rng`` (``knn.ties: random``), to a random one of the
    tied classes.

    Returns ``(predictions, class probabilities (n_test, n_classes), classes)``: the shares of
    the votes, i.e. ``predict_proba`` with uniform weights.
    """
    classes, counts = vote_counts(y_train, nn)
    if rng is None:
        winner = counts.argmax(axis=1)
    else:
        best = counts == counts.max(axis=1, keepdims=True)
        winner = np.argmax(best * rng.random(counts.shape), axis=1)
    return classes[winner], counts / nn.shape[1], classes


def vote_counts(y_train: np.ndarray, nn: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The classes and each test row's vote count per class."""
    classes, codes = np.unique(y_train, return_inverse=True)
    counts = np.zeros((nn.shape[0], len(classes)))
    for j in range(nn.shape[1]):
        counts[np.arange(nn.shape[0]), codes[nn[:, j]]] += 1
    return classes, counts


def tie_rates(y_train: np.ndarray, order: np.ndarray, tied: np.ndarray, k: int) -> tuple[float, float]:
    """Share of test songs whose k-th and (k+1)-th neighbours are equidistant (a distance tie
    decides who votes), and share whose vote has two or more classes with the top count."""
    distance = float(np.mean(tied[:, k])) if k < tied.shape[1] else 0.0
    _, counts = vote_counts(y_train, top(order, k, len(y_train)))
    vote_tie = float(np.mean((counts == counts.max(axis=1, keepdims=True)).sum(axis=1) > 1))
    return distance, vote_tie


def positive_share(y01_train: np.ndarray, nn: np.ndarray) -> np.ndarray:
    """P(label = 1) of a binary label: the share of the neighbours labelled 1 (n_test,)."""
    return np.mean(np.asarray(y01_train)[nn] == 1, axis=1)


def out_of_fold_share(
    labels: np.ndarray, train: np.ndarray, inner: list[tuple[np.ndarray, np.ndarray, np.ndarray]], k: int
) -> np.ndarray:
    """P(label = 1) for every training row and every binary label column, each from the
    neighbours among the other inner folds -- never from a model that saw the row.

    ``labels`` (n, n_labels) is indexed by row; ``inner`` holds each inner fold's
    ``(fit rows, held rows, ranking)`` (ranking: positions into the fit rows, nearest first,
    :mod:`geometry`). Returns (len(train), n_labels), rows in ``train`` order.
    """
    labels = np.asarray(labels)
    position = {int(r): i for i, r in enumerate(train)}
    held_out = sorted(int(r) for _, held, _ in inner for r in held)
    if held_out != sorted(int(r) for r in train):
        raise EmotifyError(
            f"the inner folds hold out {len(held_out)} rows, not each of the {len(train)} training rows once "
            "(stale neighbour file? rerun its neighbours job)"
        )
    out = np.zeros((len(train), labels.shape[1]))
    for fit, held, order in inner:
        nn = top(order, k, len(fit))
        at = [position[int(r)] for r in held]
        for e in range(labels.shape[1]):
            out[at, e] = positive_share(labels[fit, e], nn)
    return out


def top(order: np.ndarray, k: int, n_train: int) -> np.ndarray:
    """The k nearest of a ranking; :class:`EmotifyError` when k exceeds the training rows
    (never capped silently) or the positions the ranking keeps (:func:`trim`: -1)."""
    if k > n_train:
        raise EmotifyError(
            f"knn.k = {k} exceeds the {n_train} training songs of a split (a grouped split or an inner fold can be "
            "small); choose a smaller knn.k"
        )
    nn = order[:, :k]
    if nn.shape[1] < k or (nn < 0).any():
        raise EmotifyError(
            f"knn.k = {k} reaches beyond the neighbours a ranking keeps (its depth: the largest k configured when "
            "it was computed): the neighbour file is stale; rerun its neighbours job"
        )
    return nn


def emotion_probabilities(
    labels: np.ndarray,
    train: np.ndarray,
    test: np.ndarray,
    nn_test: np.ndarray,
    inner: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
    k: int,
) -> np.ndarray:
    """Experiment IV's inputs for one split: P(label = 1) of every binary label column for every
    row (n, n_labels) -- out of fold for training rows (:func:`out_of_fold_share`), from the
    training rows' neighbours ``nn_test`` for test rows. Rows outside the split stay 0. The
    single-split Experiment II and the repeated evaluation both call this."""
    labels = np.asarray(labels)
    probs = np.zeros((len(labels), labels.shape[1]))
    probs[train] = out_of_fold_share(labels, train, inner, k)
    for e in range(labels.shape[1]):
        probs[test, e] = positive_share(labels[train, e], nn_test)
    return probs


def trim(order: np.ndarray, tied: np.ndarray, depth: int | None) -> tuple[np.ndarray, np.ndarray]:
    """A full ranking cut to what a k of at most ``depth`` can use (:func:`geometry.ranked_with_ties`).

    Parameters
    ----------
    order : (n_test, n_train) positions into the training rows, nearest first.
    tied : (n_test, n_train) bool: position p is as far as position p - 1.
    depth : the largest k to serve; None keeps the full ranking.

    Returns
    -------
    tuple of (numpy.ndarray, numpy.ndarray)
        The first ``depth + 1`` positions of each row and every later one tied with the last of
        them (the width of the longest row); beyond a row's kept positions, -1 and False.
    """
    if depth is None or depth + 1 >= order.shape[1]:
        return order, tied
    keep = np.full(len(order), depth + 1)
    more = tied[:, depth + 1 :]  # a run tied with the last kept position is kept whole
    if more.size:
        keep += np.argmin(np.concatenate([more, np.zeros((len(order), 1), bool)], axis=1), axis=1)
    width = int(keep.max())
    order, tied = order[:, :width].copy(), tied[:, :width].copy()
    beyond = np.arange(width)[None, :] >= keep[:, None]
    order[beyond], tied[beyond] = -1, False
    return order, tied
