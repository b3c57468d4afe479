"""Geometry once, votes many times: the k-independent half of the paper's classifier.

A KNN prediction (StandardScaler fitted on the training songs, Euclidean distance, uniform
vote) depends on k only through how many of the sorted neighbours vote. This module ranks,
for every test song of a split, the training songs by their standardised distance -- once per
split, cached on disk by the ``neighbours`` rules -- and every k-dependent step (the
experiments, the repeated evaluation, permutations, the ablation) only counts votes
(:mod:`knn`). A cached ranking keeps what any configured k can use (``depth``: the largest of
``knn.k`` and ``evaluation.k_values``): its first ``depth + 1`` positions and the ties at that
boundary (:func:`trim`); at 10,000 songs a full order would take 63 MB per split.

Wide features (VGG19 vectors, 10^5 dimensions) are ranked from float64 Gram products summed
over column blocks (:class:`Columns`: the features are never held whole in float64; a file too
large to hold is read through a column-blocked scratch copy, :mod:`feature_store`):

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
- wherever two adjacent distances of a ranking, within its kept depth, are closer than the Gram
  error bound (:func:`error_bound`) a second pass over the blocks sums their distances from the
  differences and re-sorts them, so the order -- ties included -- is the one the differences
  give: equal distances keep the training songs' row order (a stable sort), as
  :func:`knn.nearest` does.

Splits are ranked in groups of whole families whose accumulators fit :data:`ACCUMULATOR_BYTES`;
each group is one pass over the blocks (two with doubts): at 400 clips every split of a table is
one group, so the features are centred once.

float32 products would be twice as fast but do not keep the order: on the real-size demo
(400 clips, 163,840 dimensions) their errors reach 9 (distances around 3.4e5) while 13 % of
adjacent gaps are below their error bound and the smallest gap is 0.007.

Narrow inputs (ratings, production descriptors) go through :func:`knn.nearest` in float64.

A neighbour file (``results/neighbours/<splits>/<inputs>.h5``) holds, for every split of a
split table (:mod:`splits`), one group per ranking -- ``<repeat>/audio`` and
``<repeat>/audio_inner<f>`` (the inner folds), or ``<repeat>/ratings`` -- with the training and
test track ids and the ranking (positions into the training ids, -1 beyond the kept depth).
:class:`Rankings` reads it.
"""

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.digests import library_versions
from ..core.emotify import EMOTIONS
from ..core.errors import EmotifyError
from ..core.files import atomic_path, utc_now
from .columns import Columns, as_columns, open_columns
from .knn import constant_columns, nearest_with_ties, standardise, tie_order
from .splits import Split, read_splits, table_tracks

#: inputs with at most this many columns are ranked exactly in float64 (cheap at that width)
EXACT_MAX_COLUMNS = 2048
#: splits whose variances and norms are computed together (memory: chunk x columns x 8 bytes)
CHUNK = 32
#: the distance (or Gram) accumulators of the splits ranked together in one pass over the blocks
ACCUMULATOR_BYTES = 2**31
_U64 = float(np.finfo(np.float64).eps) / 2  # unit roundoff of float64
_EPS64 = float(np.finfo(np.float64).eps)


def ranked(x: np.ndarray, pairs: Sequence[tuple[np.ndarray, np.ndarray]]) -> list[np.ndarray]:
    """Every training row ranked by standardised distance to every test row, for each
    ``(train, test)`` pair of row-index arrays into ``x``: a list of (len(test), len(train))
    arrays of indices into ``train``, nearest first, ties in ``train`` order."""
    return [order for order, _ in ranked_with_ties(x, pairs)]


def ranked_with_ties(
    x: "np.ndarray | Columns", pairs: Sequence[tuple[np.ndarray, np.ndarray]], depth: int | None = None
) -> list[tuple[np.ndarray, np.ndarray]]:
    """:func:`ranked`, with each ranking's tie mask (position p equidistant with p - 1).

    ``depth``: keep only what a k of at most ``depth`` can use -- the first ``depth + 1``
    positions (the tie mask at ``depth`` says whether a distance tie decides who votes) and
    every later position tied with the last of them; the rest of a row is -1 (positions) and
    False (ties). None keeps the full order. ``x`` is a matrix or, for wide features read by
    blocks, :class:`Columns`."""
    if isinstance(x, np.ndarray) and x.shape[1] <= EXACT_MAX_COLUMNS:
        return [trim(*nearest_with_ties(*standardise(x[tr], x[te])), depth) for tr, te in pairs]
    return ranked_wide(as_columns(x), pairs, depth)


def trim(order: np.ndarray, tied: np.ndarray, depth: int | None) -> tuple[np.ndarray, np.ndarray]:
    """A full ranking cut to what a k of at most ``depth`` can use (:func:`ranked_with_ties`)."""
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


def error_bound(norm_test: np.ndarray, norm_train: np.ndarray, n_columns: int) -> np.ndarray:
    """An error estimate of |Gram distance - distance from differences| for every test x train pair
    (a generous estimate, not a worst-case bound).

    d = N_i + N_j - 2 sum_d w x_id x_jd (N: the weighted squared norms), all in float64. The
    cross term's rounding error is at most (3 + n_columns) u sqrt(N_i N_j) (u: the float64 unit
    roundoff; Cauchy-Schwarz) and of order (3 + sqrt(n_columns)) u sqrt(N_i N_j) for BLAS's
    blocked summation; each norm's own error is of order (3 + sqrt(n_columns)) u N. The estimate
    used is 64 (3 + sqrt(n_columns)) u (N_i + N_j): 64 times the typical error of all three
    (sqrt(N_i N_j) <= (N_i + N_j) / 2), about a sixth of the worst case (3 + n_columns) u at
    163,840 columns, not a proof of it. Adjacent distances closer than their estimates (or
    within tie_order's 1e-12 relative) are recomputed from the differences (:func:`ranked_wide`);
    the tests check the estimate on real-width data and the resulting order.
    """
    return 64.0 * (3.0 + np.sqrt(n_columns)) * _U64 * np.add.outer(norm_test, norm_train)


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


def _chunks(sizes: Sequence[int], limit: int | None = CHUNK) -> Iterator[list[int]]:
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


def training_grams(x: "np.ndarray | Columns", trains: Sequence[np.ndarray]) -> Iterator[np.ndarray]:
    """For each training set T, in order: Z Z_T^T, Z = the rows of ``x`` standardised on T
    (StandardScaler fitted on T): every row against every training row, (n_rows, len(T)),
    float64, summed over column blocks (``x`` is never held in float64 whole). PCA fitted on T
    is the eigendecomposition of its T x T block (:func:`ablation_rankings.pca_coordinates`)."""
    from scipy.linalg.blas import dsyrk

    columns = as_columns(x)
    n = columns.n_rows
    for group in _chunks([8 * n * n for _ in trains]):
        block_trains = [trains[i] for i in group]
        # every row against every row, one triangle accumulated in place (BLAS syrk: half the
        # products of gathering the training rows, and no temporary of this size per block)
        grams = [np.zeros((n, n), order="F") for _ in block_trains]
        for raw, xc, sq in centred_blocks(columns):
            mean, w = training_scaling(raw, xc, sq, block_trains)
            for b in range(len(block_trains)):
                z = (xc - mean[b]) * np.sqrt(w[b])
                grams[b] = dsyrk(1.0, z.T, beta=1.0, c=grams[b], trans=1, lower=0, overwrite_c=1)
        for b, tr in enumerate(block_trains):
            upper = grams[b]
            grams[b] = None  # type: ignore[call-overload]
            out = upper[:, tr]  # right on and above the diagonal; below it, the mirror
            np.copyto(out, upper[tr, :].T, where=np.arange(n)[:, None] > tr[None, :])
            del upper
            yield out


def centred_training_grams(x: "np.ndarray | Columns", trains: Sequence[np.ndarray]) -> list[np.ndarray]:
    """:func:`training_grams` as a list."""
    return list(training_grams(x, trains))


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
    """:func:`ranked_with_ties` for wide inputs, read by column blocks: float64 Gram products
    summed over the blocks, and a second pass over the blocks for the exact distances (from the
    differences) of the runs whose order is in doubt -- only runs that reach the kept depth.
    Splits are ranked in groups of whole :func:`families` whose accumulators fit
    :data:`ACCUMULATOR_BYTES`, each group one pass over the blocks (two with doubts)."""
    columns = as_columns(x)
    found = families(pairs, columns.n_rows)
    sizes = [8 * sum(len(pairs[i][1]) for i in f) * len(pairs[f[0]][0]) for f in found]
    out: list[tuple[np.ndarray, np.ndarray]] = []
    for group in _chunks(sizes, limit=None):
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
        # in doubt: gaps within the rounding estimate, or within tie_order's own tie tolerance (1e-12
        # relative), so that a pair it would call tied is settled exactly, never left to rounding
        close = np.diff(ds, axis=1) <= ts[:, 1:] + ts[:, :-1] + 1e-12 * np.abs(ds[:, 1:])
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


@dataclass(frozen=True)
class Ranking:
    """One split's neighbour ranking: training and test track ids, and for every test track
    all training tracks, nearest first (positions into ``train``)."""

    train: np.ndarray
    test: np.ndarray
    order: np.ndarray
    tied: np.ndarray  # tied[i, p]: the p-th neighbour of test song i is as far as the (p-1)-th

    def rows(self, row_of_id: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        """``(train, test)`` as row indices of a matrix whose track ids index ``row_of_id``."""
        return row_of_id.loc[self.train].to_numpy(), row_of_id.loc[self.test].to_numpy()


class Rankings:
    """The rankings of a neighbour file, by name (``"<repeat>/audio"``, ...)."""

    def __init__(self, path: str | Path | None = None, items: dict[str, Ranking] | None = None) -> None:
        import h5py

        self.path = str(path)
        self.items: dict[str, Ranking] = dict(items or {})
        self.attrs: dict[str, Any] = {"repeats": len({k.split("/")[0] for k in self.items})}
        self.repeats = int(self.attrs["repeats"])
        if path is None:
            return
        try:
            with h5py.File(path, "r") as h5:
                self.attrs = dict(h5.attrs)
                for r in h5:
                    for what in h5[r]:
                        g = h5[r][what]
                        self.items[f"{r}/{what}"] = Ranking(g["train"][:], g["test"][:], g["order"][:], g["tied"][:])
        except OSError as err:
            from ..features.store import damaged

            raise damaged(path, f"the neighbour file cannot be read ({str(err).split('(')[0].strip()})") from None
        self.repeats = int(self.attrs.get("repeats", 0))

    def get(self, repeat: int, what: str) -> Ranking:
        key = f"{repeat}/{what}"
        if key not in self.items:
            raise EmotifyError(f"{self.path}: no ranking {key!r} (stale neighbour file?)")
        return self.items[key]

    def inner(self, repeat: int, name: str = "audio") -> list[Ranking]:
        """The inner-fold rankings of one repeat, in fold order."""
        prefix = f"{repeat}/{name}_inner"
        found = sorted((int(k[len(prefix) :]), v) for k, v in self.items.items() if k.startswith(prefix))
        return [v for _, v in found]


def compute_rankings(
    x: "np.ndarray | Columns",
    ids: np.ndarray,
    splits: list[Split],
    name: str,
    inner: bool,
    depth: int | None = None,
    repeats: Sequence[int] | None = None,
) -> dict[str, Ranking]:
    """Rank the neighbours of every split of ``splits`` (rows of ``x``, track ids ``ids``): the
    outer split as ``<r>/<name>`` and, with ``inner``, each inner fold as ``<r>/<name>_inner<f>``;
    to ``depth`` (:func:`ranked_with_ties`). ``repeats``: only these splits (one ranking job's
    share, ``evaluation.ranking_jobs``); all by default."""
    names, pairs = [], []
    for r, s in enumerate(splits):
        if repeats is not None and r not in repeats:
            continue
        names.append(f"{r}/{name}")
        pairs.append((s.train, s.test))
        for f, (fit, held) in enumerate(s.inner if inner else ()):
            names.append(f"{r}/{name}_inner{f}")
            pairs.append((fit, held))
    return {
        key: as_ranking(ids, tr, te, *ranking)
        for key, (tr, te), ranking in zip(names, pairs, ranked_with_ties(x, pairs, depth), strict=True)
    }


def as_ranking(
    ids: np.ndarray, train: np.ndarray, test: np.ndarray, order: np.ndarray, tied: np.ndarray | None = None
) -> Ranking:
    """A ranking of positions into ``train`` (rows of ``ids``), stored compactly."""
    tied = np.zeros(order.shape, dtype=bool) if tied is None else tied
    return Ranking(ids[train], ids[test], order.astype(np.int16 if len(train) < 2**15 else np.int32), tied)


def write_rankings(path: str | Path, items: dict[str, Ranking], attrs: dict[str, Any]) -> None:
    """Write rankings to an HDF5 file atomically (temp file, then rename)."""
    import h5py

    with atomic_path(path) as tmp, h5py.File(tmp, "w") as h5:
        for key, value in attrs.items():
            h5.attrs[key] = value
        for name, item in items.items():
            g = h5.require_group(name)
            for field in ("train", "test", "order", "tied"):  # checksummed: HDF5 verifies every read
                data = getattr(item, field)
                g.create_dataset(field, data=data, fletcher32=data.size > 0, chunks=True if data.size else None)


def neighbours_job(smk: Any, logger: logging.Logger) -> None:
    """Rank the audio features (with the inner folds, for Experiment IV) or the GEMS rating
    shares (Experiment III) on every split of a split table."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=smk.threads):  # BLAS uses the job's threads, not the node's cores
        _neighbours(smk, logger)


def _neighbours(smk: Any, logger: logging.Logger) -> None:
    if "parts" in dict(smk.input.items()):  # evaluation.ranking_jobs > 1: the jobs' files into one
        repeats = int(smk.params.repeats)
        gather_rankings(smk.output.h5, list(smk.input.parts), repeats)
        logger.info("%d repeats from %d ranking jobs -> %s", repeats, len(smk.input.parts), smk.output.h5)
        return
    table = pd.read_csv(smk.input.split)
    tracks = table_tracks(table)
    # audio-<model>: the audio rankings of a network compared with the study's (features.compare),
    # stored under the same name as the study's own so the same evaluation reads them
    inputs = "audio" if smk.wildcards.inputs.startswith("audio") else smk.wildcards.inputs
    depth = int(smk.params.depth)
    share = None
    if "part" in dict(smk.wildcards.items()):  # one ranking job's share of the repeats: r mod jobs
        part, jobs = int(smk.wildcards.part), int(smk.wildcards.jobs)
        share = [r for r in sorted(set(table["repeat"])) if r % jobs == part]
    if inputs == "audio":
        from ..features.store import usable_tracks_of

        tracks = usable_tracks_of(smk.input.features, tracks, logger)
        ids = tracks["track_id"].to_numpy(dtype=np.int64)
        with open_columns(smk.input.features, ids, logger) as x:
            items = compute_rankings(x, ids, read_splits(table, ids), inputs, True, depth, share)
            columns = x.n_columns
    else:
        mu = tracks[["track_id"]].merge(pd.read_csv(smk.input.ratings), on="track_id", how="left")
        if mu[list(EMOTIONS)].isna().any().any():
            missing = mu.loc[mu[list(EMOTIONS)].isna().any(axis=1), "track_id"].tolist()
            raise EmotifyError(f"{smk.input.ratings}: no rating shares for track id(s) {missing[:5]}")
        x = mu[list(EMOTIONS)].to_numpy(dtype=float)
        ids = tracks["track_id"].to_numpy(dtype=np.int64)
        items = compute_rankings(x, ids, read_splits(table, ids), inputs, False, depth, share)
        columns = x.shape[1]
    splits = read_splits(table, ids)
    attrs = {
        "repeats": len(splits),
        "inputs": inputs,
        "columns": int(columns),
        "depth": depth,
        "method": "float64 Gram by column blocks, differences where in doubt"
        if columns > EXACT_MAX_COLUMNS
        else "float64",
        "created": utc_now(),
        "numpy": library_versions(("numpy",))["numpy"],
    }
    if inputs == "audio":  # which network, and its leakage warning, travel with its rankings
        from ..features.store import network_provenance

        attrs.update(network_provenance(smk.input.features))
    write_rankings(smk.output.h5, items, attrs)
    logger.info(
        "%d rankings of %d splits (%d tracks, %s) -> %s", len(items), len(splits), len(ids), inputs, smk.output.h5
    )


def gather_rankings(path: str | Path, parts: Sequence[str | Path], repeats: int) -> int:
    """One neighbour file from the files of the ranking jobs of one split table
    (``evaluation.ranking_jobs``), each holding some of its repeats: every repeat exactly once,
    or :class:`EmotifyError` naming what is missing or doubled. Returns the repeats copied."""
    import h5py

    seen: dict[str, str] = {}
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as out:
        for part in parts:
            with h5py.File(part, "r") as h5:
                for key, value in h5.attrs.items():
                    if key == "repeats":
                        continue
                    if key in ("depth", "columns", "inputs") and key in out.attrs:
                        if not np.array_equal(np.asarray(out.attrs[key]), np.asarray(value)):
                            raise EmotifyError(
                                f"{part}: {key} = {value!r}, but another ranking job's file says "
                                f"{out.attrs[key]!r} (files of different runs: rerun the neighbours_part jobs)"
                            )
                    out.attrs[key] = value
                for r in h5:
                    if r in seen:
                        raise EmotifyError(f"{part}: repeat {r} is also in {seen[r]} (stale ranking job files?)")
                    seen[r] = str(part)
                    h5.copy(h5[r], out, name=r)
        missing = sorted(set(range(repeats)) - {int(r) for r in seen})
        if missing:
            raise EmotifyError(f"the ranking jobs {list(map(str, parts))} hold no repeat(s) {missing[:10]}")
        out.attrs["repeats"] = repeats
        out.attrs["ranking_jobs"] = len(parts)
    return len(seen)
