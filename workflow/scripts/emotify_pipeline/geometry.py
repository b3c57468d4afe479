"""Geometry once, votes many times: the k-independent half of the paper's classifier.

A KNN prediction (StandardScaler fitted on the training songs, Euclidean distance, uniform
vote) depends on k only through how many of the sorted neighbours vote. This module ranks,
for every test song of a split, *all* training songs by their standardised distance -- once
per split, cached on disk by the ``neighbours`` rules -- and every k-dependent step (the
experiments, the repeated evaluation, permutations, the ablation) only counts votes
(:mod:`knn`).

Wide features (VGG19 vectors, 10^5 dimensions) are ranked from a float64 Gram matrix:

- StandardScaler's mean cancels in differences, so only the training scale matters:
  d(i, j) = sum_d w_d (x_id - x_jd)^2 with w_d = 1 / var_train(d) (1 for a column constant on
  the training songs, as StandardScaler leaves it unscaled);
- the training variances of many splits come from two matrix products (indicator rows times
  the centred features and their squares), the weighted norms from a third;
- per split, one product ``(x_test * w) @ x_train.T`` gives the cross terms (an inner fold
  reuses its outer split's block of training rows);
- wherever two adjacent distances of a ranking are closer than the Gram error bound
  (:func:`error_bound`) they are recomputed from the differences and re-sorted, so the order
  -- ties included -- is the one the differences give: equal distances keep the training
  songs' row order (a stable sort), as :func:`knn.nearest` does.

float32 products would be twice as fast but do not keep the order: on the real-size demo
(400 clips, 163,840 dimensions) their errors reach 9 (distances around 3.4e5) while 13 % of
adjacent gaps are below their error bound and the smallest gap is 0.007.

Narrow inputs (ratings, production descriptors) go through :func:`knn.nearest` in float64.

A neighbour file (``results/neighbours/<splits>/<inputs>.h5``) holds, for every split of a
split table (:mod:`splits`), one group per ranking -- ``<repeat>/audio`` and
``<repeat>/audio_inner<f>`` (the inner folds), or ``<repeat>/ratings`` -- with the training and
test track ids and the ranking (positions into the training ids). :class:`Rankings` reads it.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .common_io import EMOTIONS, EmotifyError, atomic_path, library_versions, utc_now
from .knn import constant_columns, nearest_with_ties, standardise, tie_order
from .splits import Split, read_splits, table_tracks

#: inputs with at most this many columns are ranked exactly in float64 (cheap at that width)
EXACT_MAX_COLUMNS = 2048
#: splits whose variances and norms are computed together (memory: chunk x columns x 8 bytes)
CHUNK = 32
_U64 = float(np.finfo(np.float64).eps) / 2  # unit roundoff of float64
_EPS64 = float(np.finfo(np.float64).eps)


def ranked(x: np.ndarray, pairs: Sequence[tuple[np.ndarray, np.ndarray]]) -> list[np.ndarray]:
    """Every training row ranked by standardised distance to every test row, for each
    ``(train, test)`` pair of row-index arrays into ``x``: a list of (len(test), len(train))
    arrays of indices into ``train``, nearest first, ties in ``train`` order."""
    return [order for order, _ in ranked_with_ties(x, pairs)]


def ranked_with_ties(
    x: np.ndarray, pairs: Sequence[tuple[np.ndarray, np.ndarray]]
) -> list[tuple[np.ndarray, np.ndarray]]:
    """:func:`ranked`, with each ranking's tie mask (position p equidistant with p - 1)."""
    x = np.asarray(x)
    if x.shape[1] <= EXACT_MAX_COLUMNS:
        return [nearest_with_ties(*standardise(x[tr], x[te])) for tr, te in pairs]
    return ranked_wide(x, pairs)


def error_bound(norm_test: np.ndarray, norm_train: np.ndarray, n_columns: int) -> np.ndarray:
    """A bound on |Gram distance - distance from differences| for every test x train pair.

    d = N_i + N_j - 2 sum_d w x_id x_jd (N: the weighted squared norms), all in float64. The
    cross term's rounding error is at most (3 + n_columns) u sqrt(N_i N_j) (u: the float64 unit
    roundoff; Cauchy-Schwarz) and of order (3 + sqrt(n_columns)) u sqrt(N_i N_j) for BLAS's
    blocked summation; each norm's own error is of order (3 + sqrt(n_columns)) u N. The bound
    used is 64 (3 + sqrt(n_columns)) u (N_i + N_j), which covers all three (sqrt(N_i N_j) <=
    (N_i + N_j) / 2). Adjacent distances closer than their bounds are recomputed from the
    differences (:func:`_refine`); the tests check the bound and the resulting order.
    """
    return 64.0 * (3.0 + np.sqrt(n_columns)) * _U64 * np.add.outer(norm_test, norm_train)


def _refine(order: np.ndarray, d: np.ndarray, tol: np.ndarray, exact: "_Exact") -> tuple[np.ndarray, np.ndarray]:
    """Re-sort, from the differences, every run of a ranking whose adjacent Gram distances
    differ by less than their error bounds. ``order``/``d``/``tol`` are one test row's.
    Returns the order and its tie mask (equal exact distances)."""
    ds, ts = d[order], tol[order]
    close = np.diff(ds) <= ts[1:] + ts[:-1]
    tied = np.zeros(len(order), dtype=bool)
    if not close.any():
        return order, tied
    order = order.copy()
    edges = np.flatnonzero(np.diff(np.concatenate(([0], close.astype(np.int8), [0]))))
    for start, stop in zip(edges[::2], edges[1::2] + 1, strict=True):
        members = np.sort(order[start:stop])
        run_order, run_tied = tie_order(exact(members)[None, :])
        order[start:stop], tied[start:stop] = members[run_order[0]], run_tied[0]
    return order, tied


class _Exact:
    """Exact float64 distances of one test row to chosen training rows (from differences)."""

    def __init__(self, xc: np.ndarray, w: np.ndarray, test_row: int, train: np.ndarray) -> None:
        self.xc, self.w, self.i, self.train = xc, w, test_row, train

    def __call__(self, members: np.ndarray) -> np.ndarray:
        diff = self.xc[self.train[members]] - self.xc[self.i]
        return (diff * diff * self.w).sum(axis=1)  # row by row (a BLAS product may round equal rows apart)


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


def centred_training_grams(x: np.ndarray, trains: Sequence[np.ndarray]) -> list[np.ndarray]:
    """For each training set T: Z Z_T^T, Z = the rows of ``x`` standardised on T (StandardScaler
    fitted on T): every row against every training row, (len(x), len(T)), float64. PCA fitted
    on T is the eigendecomposition of its T x T block (:func:`ablation.pca_coordinates`)."""
    xc, raw = centre(x)
    sq = xc * xc
    z = np.empty_like(xc)  # reused: fresh arrays of this size cost more in page faults than the product
    out = []
    for start in range(0, len(trains), CHUNK):
        block = trains[start : start + CHUNK]
        mean, w = training_scaling(raw, xc, sq, block)
        for b, tr in enumerate(block):
            np.subtract(xc, mean[b], out=z)
            z *= np.sqrt(w[b])
            out.append((z @ z.T)[:, tr])  # a symmetric product (syrk) beats gathering the training rows
    return out


def ranked_wide(x: np.ndarray, pairs: Sequence[tuple[np.ndarray, np.ndarray]]) -> list[tuple[np.ndarray, np.ndarray]]:
    """:func:`ranked` for wide inputs: float64 Gram products, exact differences where the
    order is in doubt. A pair whose training rows lie within the previous pair's (an inner fold
    after its outer split) reuses that block of rows instead of gathering it again."""
    xc, raw = centre(x)
    sq = xc * xc
    n_columns = xc.shape[1]
    out: list[tuple[np.ndarray, np.ndarray]] = []
    # buffers reused across splits: fresh arrays of this size cost more in page faults than the products
    pool_buf = np.empty((max(len(tr) for tr, _ in pairs), n_columns))
    test_buf = np.empty((max(len(te) for _, te in pairs), n_columns))
    pool_rows = np.zeros(0, dtype=np.int64)
    for start in range(0, len(pairs), CHUNK):
        block = pairs[start : start + CHUNK]
        _, w = training_scaling(raw, xc, sq, [tr for tr, _ in block])
        norms = sq @ w.T  # weighted squared norm of every row under every split's scaling
        for b, (tr, te) in enumerate(block):
            if not _within(tr, pool_rows):  # an inner fold reuses its outer split's training rows
                pool_rows = tr
                for i, r in enumerate(tr):
                    pool_buf[i] = xc[r]
            scaled = test_buf[: len(te)]
            for i, r in enumerate(te):
                np.multiply(xc[r], w[b], out=scaled[i])
            cross = (scaled @ pool_buf[: len(pool_rows)].T)[:, np.searchsorted(pool_rows, tr)]
            d = norms[te, b][:, None] + norms[tr, b][None, :] - 2.0 * cross
            tol = error_bound(norms[te, b], norms[tr, b], n_columns)
            order = np.argsort(d, axis=1, kind="stable")
            tied = np.zeros(order.shape, dtype=bool)
            ds = np.take_along_axis(d, order, axis=1)
            ts = np.take_along_axis(tol, order, axis=1)
            for row in np.flatnonzero((np.diff(ds, axis=1) <= ts[:, 1:] + ts[:, :-1]).any(axis=1)):
                order[row], tied[row] = _refine(order[row], d[row], tol[row], _Exact(xc, w[b], te[row], tr))
            out.append((order, tied))
    return out


def _within(rows: np.ndarray, pool: np.ndarray) -> bool:
    """Whether every one of the sorted ``rows`` is in the sorted ``pool``."""
    if len(pool) == 0:
        return False
    at = np.minimum(np.searchsorted(pool, rows), len(pool) - 1)
    return bool((pool[at] == rows).all())


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
            from .feature_store import damaged

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


def compute_rankings(x: np.ndarray, ids: np.ndarray, splits: list[Split], name: str, inner: bool) -> dict[str, Ranking]:
    """Rank the neighbours of every split of ``splits`` (rows of ``x``, track ids ``ids``): the
    outer split as ``<r>/<name>`` and, with ``inner``, each inner fold as ``<r>/<name>_inner<f>``."""
    names, pairs = [], []
    for r, s in enumerate(splits):
        names.append(f"{r}/{name}")
        pairs.append((s.train, s.test))
        for f, (fit, held) in enumerate(s.inner if inner else ()):
            names.append(f"{r}/{name}_inner{f}")
            pairs.append((fit, held))
    return {
        key: as_ranking(ids, tr, te, *ranking)
        for key, (tr, te), ranking in zip(names, pairs, ranked_with_ties(x, pairs), strict=True)
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
    table = pd.read_csv(smk.input.split)
    tracks = table_tracks(table)
    inputs = smk.wildcards.inputs
    if inputs == "audio":
        from .feature_store import tracks_with_features

        x, tracks, _ = tracks_with_features(smk.input.features, tracks, logger)
    else:
        mu = tracks[["track_id"]].merge(pd.read_csv(smk.input.ratings), on="track_id", how="left")
        if mu[list(EMOTIONS)].isna().any().any():
            missing = mu.loc[mu[list(EMOTIONS)].isna().any(axis=1), "track_id"].tolist()
            raise EmotifyError(f"{smk.input.ratings}: no rating shares for track id(s) {missing[:5]}")
        x = mu[list(EMOTIONS)].to_numpy(dtype=float)
    ids = tracks["track_id"].to_numpy(dtype=np.int64)
    splits = read_splits(table, ids)
    items = compute_rankings(x, ids, splits, inputs, inner=inputs == "audio")
    attrs = {
        "repeats": len(splits),
        "inputs": inputs,
        "columns": int(x.shape[1]),
        "method": "float64 Gram, differences where in doubt" if x.shape[1] > EXACT_MAX_COLUMNS else "float64",
        "created": utc_now(),
        "numpy": library_versions(("numpy",))["numpy"],
    }
    write_rankings(smk.output.h5, items, attrs)
    logger.info(
        "%d rankings of %d splits (%d tracks, %s) -> %s", len(items), len(splits), len(ids), inputs, smk.output.h5
    )
