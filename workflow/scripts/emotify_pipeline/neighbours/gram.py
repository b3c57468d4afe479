"""Wide inputs ranked by column blocks: float64 Gram products summed over the blocks, exact
distances where the order is in doubt.

Wide features (VGG19 vectors, 10^5 dimensions) are ranked from float64 Gram products summed
over column blocks (:class:`columns.Columns`: the features are never held whole in float64; a
file too large to hold is read through a column-blocked scratch copy):

- StandardScaler's mean cancels in differences, so only the training scale matters:
  d(i, j) = sum_d w_d (x_id - x_jd)^2 with w_d = 1 / var_train(d) (1 for a column constant on
  the training songs, as StandardScaler leaves it unscaled);
- the training variances of many splits come from two matrix products per block (indicator
  rows times the centred features and their squares), the weighted norms from a third;
- the cross terms ``(x_test * w) @ x_train.T`` of a split and its inner folds (a :func:`families`)
  are one product per block: every test row of the family, each weighted by its own pair's
  scaling, against the split's training rows (which hold every inner fold's); one product of
  400 x 280 rows runs near BLAS's peak where six small ones, each with its own row gathers, ran
  at half of it;
- wherever the order of a ranking, within its kept depth, is not proven by the Gram distances
  and their worst-case error bound (:func:`error_bound`, :func:`in_doubt`), a second pass over
  the blocks sums those songs' distances from the differences and re-sorts them, so the order --
  ties included -- is the one the differences give: equal distances (within 1e-12 relative) keep
  the training songs' row order (a stable sort), as :func:`knn.nearest` does. The distances from
  the differences are float64 sums of non-negative terms, within gamma_(n+2) relative of exact.

Splits are ranked in groups of whole families whose accumulators fit :data:`ACCUMULATOR_BYTES`;
each group is one pass over the blocks (two with doubts): at 400 clips every split of a table is
one group, so the features are centred once.

float32 products would be twice as fast but do not keep the order: on the real-size demo
(400 clips, 163,840 dimensions) their errors reach 9 (distances around 3.4e5) while 13 % of
adjacent gaps are below their error bound and the smallest gap is 0.007.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from .columns import Columns, as_columns
from .knn import constant_columns, tie_order, trim

#: splits whose variances and norms are computed together (memory: chunk x columns x 8 bytes)
CHUNK = 32
#: the distance (or Gram) accumulators of the splits ranked together in one pass over the blocks
ACCUMULATOR_BYTES = 2**31
_U64 = float(np.finfo(np.float64).eps) / 2  # unit roundoff of float64


def gamma(k: int) -> float:
    """Higham's gamma_k = k u / (1 - k u): a sum or dot product of k float64 terms, in any order,
    is within gamma_k of the exact one relative to the sum of the terms' magnitudes."""
    return k * _U64 / (1.0 - k * _U64)


def error_bound(norm_test: np.ndarray, norm_train: np.ndarray, n_columns: int) -> np.ndarray:
    """A proven worst-case bound on |Gram distance - distance from the differences| for every
    test x train pair, from the computed weighted squared norms N (Higham, *Accuracy and
    Stability of Numerical Algorithms*, 2002, section 3.1).

    Over n columns, with w_d > 0 and centred values c: the distance from the differences is
    D = N_i + N_j - 2 C_ij, N_i = sum_d w_d c_id^2, C_ij = sum_d w_d c_id c_jd, and the Gram path
    computes each term with at most two roundings (a square or a weighting, a product) and sums
    them in any order over the column blocks: |dN_i| <= gamma_(n+2) N_i and, by Cauchy-Schwarz,
    |dC_ij| <= gamma_(n+2) sqrt(N_i N_j) <= gamma_(n+2) (N_i + N_j) / 2; the final N_i + N_j - 2 C
    adds two roundings of at most u (N_i + N_j + 2 |C|) <= 2 u (N_i + N_j) each. So
    |d - D| <= (2 gamma_(n+2) + 4 u) (N_i + N_j), and with the computed norms (N <= N~ / (1 - gamma_(n+2)))
    this function returns (2 gamma_(n+2) + 4 u) (N~_i + N~_j) / (1 - gamma_(n+2)).
    ``tests/test_geometry.py::test_the_error_bound_is_highams_worst_case_not_less`` holds this
    function to the formula; ``tests/test_geometry.py::test_rankings_follow_the_exact_distances_where_the_gram_order_is_wrong``
    holds the re-check to it on data whose Gram order is wrong.
    """
    g = gamma(n_columns + 2)
    return (2.0 * g + 4.0 * _U64) / (1.0 - g) * np.add.outer(norm_test, norm_train)


def in_doubt(ds: np.ndarray, ts: np.ndarray, rtol: float = 1e-12) -> np.ndarray:
    """Which adjacent positions of sorted Gram distances ``ds`` (rows) the exact pass must settle,
    given their error bounds ``ts``: position k and k + 1 are in one run unless every distance
    up to k is provably below every distance from k + 1 on (the largest upper end d + t of the
    first part below the smallest lower end d - t of the rest), or when the two are within
    ``rtol`` (:func:`knn.tie_order`'s tie tolerance, settled exactly too). Returns a boolean
    array with one column fewer than ``ds``."""
    upper = np.maximum.accumulate(ds + ts, axis=1)
    lower = np.minimum.accumulate((ds - ts)[:, ::-1], axis=1)[:, ::-1]
    return (upper[:, :-1] >= lower[:, 1:]) | (np.diff(ds, axis=1) <= rtol * np.abs(ds[:, 1:]))


def training_scaling(
    x: np.ndarray, xc: np.ndarray, sq: np.ndarray, trains: Sequence[np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """The training mean of every column (of the centred ``xc``) and 1 / its variance
    (StandardScaler's scale squared, inverted; 1 where StandardScaler deems the column constant
    on the training rows), for each training set: two (len(trains), columns) arrays.

    Means and variances come from two matrix products (indicator rows times ``xc`` and its
    squares ``sq``). Where that variance is small against the mean square (below 1e-6, where
    E[x^2] - E[x]^2 loses digits) it is recomputed by two passes over the training rows of the
    raw features ``x`` (the columns of ``xc``), and StandardScaler's constant test
    (:func:`knn.constant_columns`) is applied to the raw training mean, as scikit-learn does."""
    m = np.zeros((len(trains), len(xc)))
    for b, tr in enumerate(trains):
        m[b, tr] = 1.0 / len(tr)
    mean = m @ xc
    meansq = m @ sq
    var = np.maximum(meansq - mean * mean, 0.0)
    w = np.empty_like(var)
    for b, tr in enumerate(trains):
        doubt = np.flatnonzero(var[b] <= 1e-6 * meansq[b])
        raw = x[np.ix_(tr, doubt)].astype(np.float64)
        raw_mean = raw.mean(axis=0)
        exact = ((raw - raw_mean) ** 2).mean(axis=0)
        var[b, doubt] = exact
        constant = np.zeros(var.shape[1], dtype=bool)
        constant[doubt] = constant_columns(raw_mean, exact, len(tr))
        w[b] = np.where(constant, 1.0, 1.0 / np.where(constant, 1.0, var[b]))
    return mean, w


def centre(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """float64 features without the columns constant on every row (they add 0 to every
    distance), centred (the mean cancels in differences; centring keeps Gram terms small); and
    the raw values of those columns (as given)."""
    x = np.asarray(x)
    raw = x[:, (x != x[:1]).any(axis=0)]
    xc = np.ascontiguousarray(raw, dtype=np.float64)  # rows contiguous (column selection gives columns)
    xc -= xc.mean(axis=0)
    return xc, raw


def centred_blocks(columns: Columns) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``(raw, centred, centred squared)`` of every column block (:func:`centre`); blocks
    whose columns are all constant are passed over. The same blocks on every pass."""
    for block in columns.blocks():
        xc, raw = centre(block)
        if xc.shape[1]:
            yield raw, xc, xc * xc


def accumulator_groups(sizes: Sequence[int], limit: int | None = CHUNK) -> Iterator[list[int]]:
    """Indices grouped so that each group's accumulators (``sizes``, bytes) stay within
    :data:`ACCUMULATOR_BYTES` (a group holds at least one) and at most ``limit`` long."""
    group: list[int] = []
    total = 0
    for i, size in enumerate(sizes):
        if group and (len(group) == limit or total + size > ACCUMULATOR_BYTES):
            yield group
            group, total = [], 0
        group.append(i)
        total += size
    if group:
        yield group


@dataclass
class _Doubt:
    """A run of a ranking whose Gram distances are closer than their error bounds."""

    pair: int
    row: int
    start: int
    stop: int
    members: np.ndarray  # positions into the pair's training rows, ascending
    exact: np.ndarray  # their distances from differences, summed over the column blocks


def _doubts(pair: int, close: np.ndarray, order: np.ndarray, limit: int) -> list[_Doubt]:
    """The runs of close adjacent distances that begin before position ``limit``."""
    out = []
    for row in np.flatnonzero(close[:, :limit].any(axis=1)):
        edges = np.flatnonzero(np.diff(np.concatenate(([0], close[row].astype(np.int8), [0]))))
        for start, stop in zip(edges[::2], edges[1::2] + 1, strict=True):
            if start < limit:
                members = np.sort(order[row, start:stop])
                out.append(_Doubt(pair, int(row), int(start), int(stop), members, np.zeros(len(members))))
    return out


def families(pairs: Sequence[tuple[np.ndarray, np.ndarray]], n_rows: int) -> list[list[int]]:
    """Consecutive pairs whose training rows all lie within the first one's -- a split and its
    inner folds: each family's cross terms are one product against the first pair's training
    rows (:func:`_ranked_group`)."""
    out: list[list[int]] = []
    host = np.zeros(n_rows, dtype=bool)
    for i, (train, _) in enumerate(pairs):
        if out and host[train].all():
            out[-1].append(i)
        else:
            out.append([i])
            host[:] = False
            host[train] = True
    return out


def ranked_wide(
    x: "np.ndarray | Columns", pairs: Sequence[tuple[np.ndarray, np.ndarray]], depth: int | None = None
) -> list[tuple[np.ndarray, np.ndarray]]:
    """:func:`geometry.ranked_with_ties` for wide inputs, read by column blocks: float64 Gram products
    summed over the blocks, and a second pass over the blocks for the exact distances (from the
    differences) of the runs whose order is in doubt -- only runs that reach the kept depth.
    Splits are ranked in groups of whole :func:`families` whose accumulators fit
    :data:`ACCUMULATOR_BYTES`, each group one pass over the blocks (two with doubts)."""
    columns = as_columns(x)
    found = families(pairs, columns.n_rows)
    sizes = [8 * sum(len(pairs[i][1]) for i in f) * len(pairs[f[0]][0]) for f in found]
    out: list[tuple[np.ndarray, np.ndarray]] = []
    for group in accumulator_groups(sizes, limit=None):
        members = [found[g] for g in group]
        first = members[0][0]
        local = [[i - first for i in f] for f in members]
        out += _ranked_group(columns, [pairs[i] for f in members for i in f], local, depth)
    return out


def _scaling_batches(local: Sequence[list[int]]) -> Iterator[list[int]]:
    """Indices of whole families in batches of at most :data:`CHUNK` pairs (one family may
    exceed it): the pairs whose training scalings are held together for one column block."""
    batch: list[int] = []
    for f, family in enumerate(local):
        if batch and sum(len(local[g]) for g in batch) + len(family) > CHUNK:
            yield batch
            batch = []
        batch.append(f)
    if batch:
        yield batch


def _ranked_group(
    columns: Columns,
    pairs: Sequence[tuple[np.ndarray, np.ndarray]],
    local: Sequence[list[int]],
    depth: int | None,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Rank ``pairs`` (whole :func:`families`, ``local``: their indices into ``pairs``) in one
    pass over the column blocks. A family's cross terms are one product per block: the test rows
    of all its pairs, each weighted by its own pair's scaling, against its first pair's training
    rows (a superset of every member's); each pair's block of it is cut out at the end."""
    norms = np.zeros((columns.n_rows, len(pairs)))
    products = [np.zeros((sum(len(pairs[i][1]) for i in f), len(pairs[f[0]][0]))) for f in local]
    n_columns = 0
    for raw, xc, sq in centred_blocks(columns):
        for batch in _scaling_batches(local):
            index = [i for f in batch for i in local[f]]
            _, w = training_scaling(raw, xc, sq, [pairs[i][0] for i in index])
            norms[:, index] += sq @ w.T  # weighted squared norm of every row under every split's scaling
            row_of = {i: b for b, i in enumerate(index)}
            for f in batch:
                left = np.concatenate([xc[pairs[i][1]] * w[row_of[i]] for i in local[f]])
                products[f] += left @ xc[pairs[local[f][0]][0]].T
        n_columns += xc.shape[1]
    cross: list[np.ndarray] = [np.zeros((0, 0))] * len(pairs)
    for f, family in enumerate(local):
        host = np.full(columns.n_rows, -1)
        host[pairs[family[0]][0]] = np.arange(len(pairs[family[0]][0]))
        start = 0
        for i in family:
            tr, te = pairs[i]
            cross[i] = products[f][start : start + len(te)][:, host[tr]]
            start += len(te)
        products[f] = np.zeros((0, 0))  # freed as it is used
    rankings, doubts = [], []
    for b, (tr, te) in enumerate(pairs):
        d = norms[te, b][:, None] + norms[tr, b][None, :] - 2.0 * cross[b]
        cross[b] = np.zeros((0, 0))
        tol = error_bound(norms[te, b], norms[tr, b], n_columns)
        order = np.argsort(d, axis=1, kind="stable")
        ds, ts = np.take_along_axis(d, order, axis=1), np.take_along_axis(tol, order, axis=1)
        close = in_doubt(ds, ts)
        del d, tol, ds, ts
        limit = len(tr) if depth is None else min(len(tr), depth + 1)
        found = _doubts(b, close, order, limit)
        width = max([limit, *(run.stop for run in found)])
        rankings.append([order[:, :width].copy(), np.zeros((len(te), width), dtype=bool)])
        doubts += found
        del order, close
    if doubts:  # the second pass: exact distances of the runs in doubt, block by block
        doubted = sorted({run.pair for run in doubts})
        slot = {pair: s for s, pair in enumerate(doubted)}
        for raw, xc, sq in centred_blocks(columns):
            w = np.concatenate(
                [
                    training_scaling(raw, xc, sq, [pairs[i][0] for i in doubted[s : s + CHUNK]])[1]
                    for s in range(0, len(doubted), CHUNK)
                ]
            )
            for run in doubts:
                tr, te = pairs[run.pair]
                diff = xc[tr[run.members]] - xc[te[run.row]]
                run.exact += (diff * diff * w[slot[run.pair]]).sum(axis=1)  # row by row, never a BLAS product
        for run in doubts:
            run_order, run_tied = tie_order(run.exact[None, :])
            order, tied = rankings[run.pair]
            order[run.row, run.start : run.stop] = run.members[run_order[0]]
            tied[run.row, run.start : run.stop] = run_tied[0]
    return [trim(order, tied, depth) for order, tied in rankings]
