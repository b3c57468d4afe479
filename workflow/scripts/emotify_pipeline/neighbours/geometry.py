"""Geometry once, votes many times: the k-independent half of the paper's classifier.

A KNN prediction (StandardScaler fitted on the training songs, Euclidean distance, uniform
vote) depends on k only through how many of the sorted neighbours vote. This module ranks,
for every test song of a split, the training songs by their standardised distance -- once per
split, cached on disk by the ``neighbours`` rules (:mod:`neighbour_files`) -- and every
k-dependent step (the experiments, the repeated evaluation, permutations, the ablation) only
counts votes (:mod:`knn`). A cached ranking keeps what any configured k can use (``depth``: the
largest of ``knn.k`` and ``evaluation.k_values``): its first ``depth + 1`` positions and the
ties at that boundary (:func:`knn.trim`); at 10,000 songs a full order would take 63 MB per
split.

Narrow inputs (ratings, production descriptors) go through :func:`knn.nearest` in float64;
wide ones (VGG19 vectors, 10^5 dimensions) through float64 Gram products summed over column
blocks, with exact distances wherever the order is in doubt (:mod:`gram`).

A neighbour file (``results/neighbours/<splits>/<inputs>.h5``) holds, for every split of a
split table (:mod:`splits`), one group per ranking -- ``<repeat>/audio`` and
``<repeat>/audio_inner<f>`` (the inner folds), or ``<repeat>/ratings`` -- with the training and
test track ids and the ranking (positions into the training ids, -1 beyond the kept depth).
:func:`write_rankings` writes it, :class:`Rankings` reads it.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pandas as pd
from scipy.linalg.blas import dsyrk

from ..core.errors import EmotifyError
from ..core.files import atomic_path
from ..features.store import damaged
from .columns import Columns, as_columns
from .gram import accumulator_groups, centred_blocks, ranked_wide, training_scaling
from .knn import nearest_with_ties, standardise, trim
from .splits import Split

#: inputs with at most this many columns are ranked exactly in float64 (cheap at that width)
EXACT_MAX_COLUMNS = 2048


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


def training_grams(x: "np.ndarray | Columns", trains: Sequence[np.ndarray]) -> Iterator[np.ndarray]:
    """For each training set T, in order: Z Z_T^T, Z = the rows of ``x`` standardised on T
    (StandardScaler fitted on T): every row against every training row, (n_rows, len(T)),
    float64, summed over column blocks (``x`` is never held in float64 whole). PCA fitted on T
    is the eigendecomposition of its T x T block (:func:`ablation_rankings.pca_coordinates`)."""
    columns = as_columns(x)
    n = columns.n_rows
    for group in accumulator_groups([8 * n * n for _ in trains]):
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
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as h5:
        for key, value in attrs.items():
            h5.attrs[key] = value
        for name, item in items.items():
            g = h5.require_group(name)
            for field in ("train", "test", "order", "tied"):  # checksummed: HDF5 verifies every read
                data = getattr(item, field)
                g.create_dataset(field, data=data, fletcher32=data.size > 0, chunks=True if data.size else None)


def gather_rankings(path: str | Path, parts: Sequence[str | Path], repeats: int) -> int:
    """One neighbour file from the files of the ranking jobs of one split table
    (``evaluation.ranking_jobs``), each holding some of its repeats: every repeat exactly once,
    or :class:`EmotifyError` naming what is missing or doubled. Returns the repeats copied."""
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
