"""Features read by column blocks, for the readers that pass over them (:mod:`geometry`): in
memory when they fit, otherwise through a column-blocked scratch copy in ``$TMPDIR``.

Kept apart from :mod:`feature_store` so that the extraction's code (and its code digest) does
not cover the geometry that reads its output.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from .common_io import EmotifyError
from .feature_store import MERGE_BLOCK, checked_rows, open_features, read_feature_h5, refuse_nonfinite_rows
from .geometry import ArrayColumns, block_width

#: a selection of features at most this large (float32 bytes) is read into memory whole; a larger
#: one is copied once, by row blocks, into a column-blocked scratch file (:class:`ScratchColumns`)
IN_MEMORY_BYTES = 2**31


class MemoryColumns:
    """Features held in memory (float32), read by column blocks (:class:`geometry.Columns`)."""

    def __init__(self, x: np.ndarray) -> None:
        self._array = ArrayColumns(x)
        self.n_rows, self.n_columns = x.shape

    def blocks(self) -> Iterator[np.ndarray]:
        return self._array.blocks()


class ScratchColumns:
    """Features too large to hold, transposed once into a scratch file of column blocks
    (float32, ``(n_blocks, n_rows, width)``; the last block zero-padded, which adds constant
    columns that every reader drops): each pass over the blocks then reads them in order."""

    def __init__(self, path: str | Path, ids: np.ndarray, scratch: Path, logger: logging.Logger | None = None) -> None:
        with open_features(path) as h5:
            file_ids = h5["track_id"][:].astype(np.int64)
            pos = {int(t): i for i, t in enumerate(file_ids)}
            missing = [int(t) for t in ids if int(t) not in pos]
            if missing:
                raise EmotifyError(f"{path}: no features for track id(s) {missing[:5]} (stale feature cache?)")
            self.n_rows, self.n_columns = len(ids), int(h5["features"].shape[1])
            self.width = min(self.n_columns, block_width(self.n_rows))
            n_blocks = -(-self.n_columns // self.width)
            self.memmap = np.lib.format.open_memmap(
                scratch / "columns.npy", mode="w+", dtype=np.float32, shape=(n_blocks, self.n_rows, self.width)
            )
            rows = np.array([pos[int(t)] for t in ids], dtype=np.int64)
            by_file_row = np.argsort(rows)
            padded = np.zeros((MERGE_BLOCK, n_blocks * self.width), dtype=np.float32)
            for at in range(0, len(rows), MERGE_BLOCK):
                out = by_file_row[at : at + MERGE_BLOCK]  # output rows whose file rows ascend
                wanted = rows[out]
                values = checked_rows(h5, wanted, path)
                refuse_nonfinite_rows(path, values, file_ids[wanted])
                padded[: len(out), : self.n_columns] = values
                self.memmap[:, out, :] = padded[: len(out)].reshape(len(out), n_blocks, self.width).transpose(1, 0, 2)
            self.memmap.flush()
        if logger:
            logger.info(
                "features of %d tracks x %d columns copied into %d column blocks in %s",
                self.n_rows,
                self.n_columns,
                n_blocks,
                scratch,
            )

    def blocks(self) -> Iterator[np.ndarray]:
        for block in self.memmap:
            yield np.asarray(block)


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
        columns = ScratchColumns(path, np.asarray(ids), Path(tmp), logger)
        try:
            yield columns
        finally:
            del columns.memmap
