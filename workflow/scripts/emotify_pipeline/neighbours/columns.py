"""Features read by column blocks, for the readers that pass over them (:mod:`gram`, :mod:`geometry`): in
memory when they fit, otherwise through a column-blocked scratch copy in ``$TMPDIR``.

Kept apart from :mod:`features.store` so that the extraction's code (and its code digest) does
not cover the geometry that reads its output.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import numpy as np

from ..core.errors import EmotifyError
from ..features.store import MERGE_BLOCK, checked_rows, open_features, read_feature_h5, refuse_nonfinite_rows

#: a selection of features at most this large (float32 bytes) is read into memory whole; a larger
#: one is copied once, by row blocks, into a column-blocked scratch file (:class:`ScratchColumns`)
IN_MEMORY_BYTES = 2**31


#: one float64 column block of the features (the rows of a split table x its columns)
BLOCK_BYTES = 2**27


class Columns(Protocol):
    """A feature matrix read by column blocks: ``n_rows`` rows (in a fixed order) and
    ``blocks()``, every column once, as (n_rows, width) arrays (float32 or float64)."""

    n_rows: int

    def blocks(self) -> Iterator[np.ndarray]: ...


def block_width(n_rows: int) -> int:
    """Columns per block: a float64 block of about :data:`BLOCK_BYTES`, at least 2,048 columns."""
    return max(2048, BLOCK_BYTES // (8 * max(1, n_rows)))


class ArrayColumns:
    """An in-memory matrix as :class:`Columns`."""

    def __init__(self, x: np.ndarray) -> None:
        self.x = np.asarray(x)
        self.n_rows = len(self.x)

    def blocks(self) -> Iterator[np.ndarray]:
        width = block_width(self.n_rows)
        for start in range(0, self.x.shape[1], width):
            yield self.x[:, start : start + width]


def as_columns(x: np.ndarray | Columns) -> Columns:
    return ArrayColumns(x) if isinstance(x, np.ndarray) else x


class MemoryColumns:
    """Features held in memory (float32), read by column blocks (:class:`columns.Columns`)."""

    def __init__(self, x: np.ndarray) -> None:
        self._array = ArrayColumns(x)
        self.n_rows, self.n_columns = x.shape

    def blocks(self) -> Iterator[np.ndarray]:
        return self._array.blocks()


class ScratchColumns:
    """Features too large to hold, transposed once into a scratch file of column blocks
    (float32, block after block, each ``n_rows x width`` with the rows in the feature file's
    order; the last block zero-padded, which adds constant columns that every reader drops): each
    pass over the blocks then reads them in order, and puts the rows in the caller's order.

    Plain reads and writes, not a memory map: the pages of a mapped scratch file count in the
    job's resident set (at 10,000 clips a 6.1 GiB copy took the peak RSS to 8.2 GiB), while
    the page cache behind ``read``/``write`` does not and stays the kernel's to reclaim."""

    def __init__(self, path: str | Path, ids: np.ndarray, scratch: Path, logger: logging.Logger | None = None) -> None:
        with open_features(path) as h5:
            file_ids = h5["track_id"][:].astype(np.int64)
            pos = {int(t): i for i, t in enumerate(file_ids)}
            missing = [int(t) for t in ids if int(t) not in pos]
            if missing:
                raise EmotifyError(f"{path}: no features for track id(s) {missing[:5]} (stale feature cache?)")
            self.n_rows, self.n_columns = len(ids), int(h5["features"].shape[1])
            self.width = min(self.n_columns, block_width(self.n_rows))
            self.n_blocks = -(-self.n_columns // self.width)
            rows = np.array([pos[int(t)] for t in ids], dtype=np.int64)
            by_file_row = np.argsort(rows, kind="stable")  # scratch row r holds caller's row by_file_row[r]
            self.order = np.argsort(by_file_row)  # caller's row i sits at scratch row order[i]
            self.path = scratch / "columns.f32"
            block_bytes = self.n_rows * self.width * 4
            padded = np.zeros((MERGE_BLOCK, self.n_blocks * self.width), dtype=np.float32)
            with open(self.path, "wb") as out:
                out.truncate(self.n_blocks * block_bytes)
                for at in range(0, self.n_rows, MERGE_BLOCK):
                    wanted = rows[by_file_row[at : at + MERGE_BLOCK]]  # file rows, ascending
                    values = checked_rows(h5, wanted, path)
                    refuse_nonfinite_rows(path, values, file_ids[wanted])
                    n = len(wanted)
                    padded[:n, : self.n_columns] = values
                    per_block = padded[:n].reshape(n, self.n_blocks, self.width)
                    for b in range(self.n_blocks):
                        out.seek(b * block_bytes + at * self.width * 4)
                        out.write(np.ascontiguousarray(per_block[:, b, :]))  # one copy, written as a buffer
        if logger:
            logger.info(
                "features of %d tracks x %d columns copied into %d column blocks in %s",
                self.n_rows,
                self.n_columns,
                self.n_blocks,
                scratch,
            )

    def blocks(self) -> Iterator[np.ndarray]:
        count = self.n_rows * self.width
        with open(self.path, "rb") as f:
            for _ in range(self.n_blocks):
                block = np.fromfile(f, dtype=np.float32, count=count).reshape(self.n_rows, self.width)
                yield block[self.order]


@contextlib.contextmanager
def open_columns(
    path: str | Path, ids: np.ndarray, logger: logging.Logger | None = None, in_memory_bytes: int = IN_MEMORY_BYTES
) -> Iterator[MemoryColumns | ScratchColumns]:
    """The features of track ``ids`` (in that order), for readers that pass over column blocks
    (:mod:`geometry`): in memory when they take at most ``in_memory_bytes`` (float32), otherwise
    through a scratch file in ``$TMPDIR`` (removed on exit) -- so no job holds the matrix whole in
    float64. Checksums and NaN rows are refused as :func:`read_feature_h5` does."""
    with open_features(path) as h5:
        dim = int(h5["features"].shape[1])
    if len(ids) * dim * 4 <= in_memory_bytes:
        x, _, _ = read_feature_h5(path, [int(t) for t in ids])
        yield MemoryColumns(x)
        return
    with tempfile.TemporaryDirectory(prefix="emotify-columns-") as tmp:
        yield ScratchColumns(path, np.asarray(ids), Path(tmp), logger)
