"""The checkpoint that keeps an extraction shard's finished clips.

An extraction shard that dies (a decoding error, kill -9, an HPC walltime or preemption) keeps
every finished batch in ``<shard>.partial/`` beside the shard file; the rerun reuses them.

A checkpoint is valid only for the same *value-changing* settings (weights and their hash,
layer, pooling, resolved precision, store dtype, audio and spectrogram settings, the versions
of the libraries that compute the values, the code that computes them) -- recorded as a key in
``meta.json`` and compared, not assumed -- and each stored row only for the same audio file
content: its path *and* the sha256 of its bytes. Execution settings (device, batch size,
workers, compression) are not part of the key: a clip's features do not depend on the batch it
was computed in (checked bitwise by the tests; a lone clip is run as a pair, since a batch of
one takes another code path), so a resumed shard equals an uninterrupted one byte for byte.

Layout: ``meta.json`` (the key) and, per finished batch, ``part_<k>.npy`` (rows x dim, store
dtype) and ``part_<k>.stats.npy`` (the decode statistics) with ``part_<k>.json`` (path, sha256,
decoded seconds and failure message per row, and the sha256 of the part's arrays, checked when
a shard resumes). Each file is written to a temporary name and renamed; the ``.json`` is
renamed last, so a part exists only once complete.
"""

import hashlib
import json
import logging
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

#: the libraries whose versions can change feature values (checkpoint key, merge check)
VALUE_LIBRARIES = ("torch", "torchvision", "librosa", "soundfile", "numpy")


@dataclass(frozen=True)
class StoredRow:
    """One clip's stored result: its features row (None when it failed), seconds decoded, failure
    and its decode statistics (None when it failed)."""

    features: np.ndarray | None
    decoded_s: float
    failed: str
    stats: np.ndarray | None = None


def checkpoint_key(settings: dict[str, Any]) -> str:
    """sha256 of the value-changing settings, as canonical JSON."""
    return hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()


def _write_atomic(path: Path, write: Any) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    write(tmp)
    os.replace(tmp, path)


class ShardCheckpoint:
    """Finished rows of one extraction shard, kept in ``<shard>.partial/``.

    Parameters
    ----------
    shard_path : the shard's final HDF5 path; the checkpoint folder sits beside it.
    settings : the value-changing settings; a checkpoint made with others is discarded.
    logger : where reuse and discards are reported.
    """

    def __init__(self, shard_path: str | Path, settings: dict[str, Any], logger: logging.Logger | None = None) -> None:
        shard_path = Path(shard_path)
        self.dir = shard_path.with_name(shard_path.stem + ".partial")
        self.key = checkpoint_key(settings)
        self.settings = settings
        self.logger = logger
        self._next = 0

    def _log(self, msg: str, *args: Any) -> None:
        if self.logger:
            self.logger.info(msg, *args)

    def load(self, files: dict[str, str]) -> dict[str, StoredRow]:
        """Rows stored for these files (path -> sha256 now); rows of changed files are dropped.

        Opens or creates the checkpoint; a checkpoint with another key is deleted first.
        """
        meta = self.dir / "meta.json"
        if self.dir.exists():
            try:
                key = json.loads(meta.read_text())["key"]
            except (OSError, ValueError, KeyError):
                key = None
            if key != self.key:
                self._log("checkpoint %s was made with other settings (or is unreadable): discarded", self.dir)
                shutil.rmtree(self.dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        if not meta.exists():
            _write_atomic(
                meta, lambda p: p.write_text(json.dumps({"key": self.key, "settings": self.settings}, default=str))
            )
        rows: dict[str, StoredRow] = {}
        stale = 0
        for index_file in sorted(self.dir.glob("part_*.json")):
            self._next = max(self._next, int(index_file.stem.split("_")[1]) + 1)
            try:
                info = json.loads(index_file.read_text())
                array = np.load(index_file.with_suffix(".npy"), mmap_mode="r")
                stats = np.load(index_file.with_suffix(".stats.npy"), mmap_mode="r")
                intact = info.get("values_sha256") == _digest(array, stats)
            except (OSError, ValueError):
                intact = False
            if not intact:  # a damaged part is computed again, never reused
                if self.logger:
                    self.logger.warning(
                        "checkpoint part %s is damaged (checksum): its clips are extracted again", index_file
                    )
                index_file.unlink(missing_ok=True)
                continue
            for j, (path, digest) in enumerate(zip(info["path"], info["sha256"], strict=True)):
                if files.get(path) != digest:
                    stale += 1
                    continue
                failed = info["failed"][j]
                rows[path] = StoredRow(
                    None if failed else array[j], float(info["decoded_s"][j]), failed, None if failed else stats[j]
                )
        if rows or stale:
            self._log(
                "checkpoint %s: reusing %d clip(s) already extracted; %d stored clip(s) changed since (recomputed)",
                self.dir,
                len(rows),
                stale,
            )
        return rows

    def save(
        self,
        paths: list[str],
        digests: list[str],
        features: np.ndarray,
        decoded_s: list[float],
        failed: list[str],
        stats: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Store one finished batch (rows in ``paths`` order; failed rows hold NaN) and its decode
        statistics; return both memory-mapped, so that holding every row of a shard costs no memory."""
        stem = self.dir / f"part_{self._next:06d}"
        self._next += 1

        def writer(array: np.ndarray) -> Any:
            def write_array(tmp: Path) -> None:
                with open(tmp, "wb") as handle:  # a handle: np.save would append .npy to a name
                    np.save(handle, array)

            return write_array

        _write_atomic(stem.with_suffix(".npy"), writer(features))
        _write_atomic(stem.with_suffix(".stats.npy"), writer(stats))
        index = {
            "path": paths,
            "sha256": digests,
            "decoded_s": decoded_s,
            "failed": failed,
            "values_sha256": _digest(features, stats),
        }
        _write_atomic(stem.with_suffix(".json"), lambda p: p.write_text(json.dumps(index)))
        return np.load(stem.with_suffix(".npy"), mmap_mode="r"), np.load(stem.with_suffix(".stats.npy"), mmap_mode="r")

    def clear(self) -> None:
        """Delete the checkpoint (after the shard file is complete)."""
        shutil.rmtree(self.dir, ignore_errors=True)


def _digest(*arrays: np.ndarray) -> str:
    """sha256 over the bytes of the arrays (a checkpoint part's values and statistics)."""
    digest = hashlib.sha256()
    for array in arrays:
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def rows_in_order(paths: list[str], rows: dict[str, StoredRow], dim: int) -> Iterator[tuple[int, np.ndarray]]:
    """``(row, features (1, dim))`` for every path in order; failed rows as NaN (nothing when dim is 0)."""
    if dim == 0:
        return
    for i, path in enumerate(paths):
        row = rows[path]
        if row.features is None:
            yield i, np.full((1, dim), np.nan, dtype=np.float32)
        else:
            yield i, np.asarray(row.features)[None]
