"""The storage side of feature extraction (h5py and numpy only, no torch): shard membership,
writing a shard, the per-shard checkpoint, merging shards, and reading features back.

Every ``features`` dataset is written with HDF5's fletcher32 checksum per chunk (one row per
chunk), which the library verifies on every read: a flipped byte in a shard, the merged file or
the reduced file stops the job that reads it, naming the file and the rows (:class:`DamagedFeatures`),
and the file is moved aside (``<file>.damaged``) so that the next plain run rebuilds exactly that
file. A checkpoint part carries the sha256 of its array, checked when a shard resumes.

Merged file (``results/features/vgg19.h5``): ``features`` (n_tracks, dim), ``track_id``,
``genre``, ``path``, ``excerpt_s`` (seconds the decoder returned for the excerpt, before
padding; tracks.csv's ``decoded_s`` is the whole file), in track-id order, self-contained (rows copied from the
shards), with the shards' provenance attributes. Every reader of feature rows goes through
:func:`read_feature_h5` / :func:`tracks_with_features`, which refuse NaN or infinite rows; every
reader of provenance through :func:`read_attrs` and :func:`features_label`.

The checkpoint that keeps finished clips:

An extraction shard that dies (a decoding error, kill -9, an HPC walltime or preemption) keeps
every finished batch in ``<shard>.partial/`` beside the shard file; the rerun reuses them.

A checkpoint is valid only for the same *value-changing* settings (weights and their hash,
layer, pooling, resolved precision, store dtype, audio and spectrogram settings, the versions
of the libraries that compute the values) -- recorded as a key in ``meta.json`` and compared,
not assumed -- and each stored row only for the same audio file content: its path *and* the
sha256 of its bytes. Execution settings (device, batch size, workers, compression) are not
part of the key: a clip's features do not depend on the batch it was computed in (checked
bitwise by the tests; a lone clip is run as a pair, since a batch of one takes another code
path), so a resumed shard equals an uninterrupted one byte for byte.

Layout: ``meta.json`` (the key) and, per finished batch, ``part_<k>.npy`` (rows x dim, store
dtype) with ``part_<k>.json`` (path, sha256, decoded seconds and failure message per row). Each
file is written to a temporary name and renamed; the ``.json`` is renamed last, so a part
exists only once complete.
"""

import contextlib
import hashlib
import json
import logging
import os
import shutil
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.emotify import usable_tracks
from ..core.errors import EmotifyError
from ..core.files import atomic_path, utc_now

# the extraction settings that change feature values (rule params, checkpoint key, merge check)
VALUE_SETTINGS = ("model", "weights", "weights_sha256", "seed", "layer", "pooling", "precision", "store_dtype")
#: shard rows copied per step by the merge (memory: MERGE_BLOCK x feature width)
MERGE_BLOCK = 256
# the libraries whose versions can change feature values
VALUE_LIBRARIES = ("torch", "torchvision", "librosa", "soundfile", "numpy")
# attributes that may differ between shards: where, when and how fast each ran -- never what
# the values are (precision, dtype, weights, layer ... must agree, see merge_shards)
PER_SHARD_ATTRS = (
    "device",
    "device_name",
    "created_utc",
    "num_workers",
    "batch_size",
    "torch_threads",
    "compression",
    "resumed_clips",
    "precision_reason",
)


class DamagedFeatures(EmotifyError):
    """A feature file whose bytes fail their checksum, or that HDF5 cannot open."""


def quarantine(path: str | Path) -> Path:
    """Move a damaged file aside to ``<path>.damaged`` (replacing an older one), so that
    Snakemake sees it missing and the next plain run rebuilds exactly this file."""
    path = Path(path)
    moved = path.with_name(path.name + ".damaged")
    os.replace(path, moved)
    return moved


def damaged(path: str | Path, what: str) -> DamagedFeatures:
    """The error for a damaged cache file, after moving it aside (see :func:`quarantine`)."""
    try:
        moved = f"moved aside to {quarantine(path)}"
    except OSError as err:
        moved = f"could not be moved aside ({err.strerror}): delete it"
    return DamagedFeatures(
        f"{path}: {what}; the file is damaged and was {moved}. Run the workflow again: it rebuilds this file "
        "(and what depends on it) and nothing else"
    )


@contextlib.contextmanager
def open_features(path: str | Path) -> Iterator[Any]:
    """Open a feature file for reading; an unreadable one (a corrupt header, not HDF5 at all)
    raises :class:`DamagedFeatures` naming it, never a traceback from inside h5py."""
    import h5py

    try:
        h5 = h5py.File(path, "r")
    except FileNotFoundError:
        raise EmotifyError(f"{path}: feature file not found") from None
    except OSError as err:
        raise damaged(path, f"HDF5 cannot open it ({str(err).split('(')[0].strip()})") from None
    try:
        yield h5
    finally:
        h5.close()


def checked_rows(h5: Any, rows: np.ndarray | slice | None, path: str | Path, dataset: str = "features") -> np.ndarray:
    """``h5[dataset][rows]`` (all rows for None; an array of ascending rows, or a slice),
    verifying each row's fletcher32 checksum. A row that fails raises :class:`DamagedFeatures`
    naming the file, the rows and their track ids (when the file has them)."""
    dset = h5[dataset]
    rows = slice(None) if rows is None else rows
    try:
        return dset[rows]
    except OSError:
        pass
    if isinstance(rows, slice):
        candidates: Any = range(*rows.indices(dset.shape[0]))
    else:
        candidates = [int(r) for r in rows]
    bad = []
    for r in candidates:
        try:
            dset[r]
        except OSError:
            bad.append(r)
    ids = ""
    if "track_id" in h5:
        try:
            ids = f" (track ids {[int(h5['track_id'][r]) for r in bad[:10]]})"
        except OSError:
            ids = ""
    shown = ", ".join(str(r) for r in bad[:10]) + (f" and {len(bad) - 10} more" if len(bad) > 10 else "")
    raise damaged(path, f"{len(bad)} row(s) of '{dataset}' fail their checksum: rows {shown or '?'}{ids}")


class CheckedFeatures:
    """The ``features`` of an open feature file as an (n, d) array-like whose slices are read
    with :func:`checked_rows` and refused when a row holds NaN or infinite values: for readers
    that stream row blocks (the reduction) instead of loading the matrix."""

    def __init__(self, h5: Any, path: str | Path) -> None:
        self.h5, self.path = h5, path
        self.shape = tuple(h5["features"].shape)

    def __getitem__(self, rows: slice) -> np.ndarray:
        block = checked_rows(self.h5, rows, self.path)
        bad = ~np.isfinite(block).all(axis=1) if block.size else np.zeros(len(block), dtype=bool)
        if bad.any():
            first = range(*rows.indices(self.shape[0]))[int(np.argmax(bad))]
            raise EmotifyError(
                f"{self.path}: {int(bad.sum())} row(s) from row {first} hold NaN or infinite feature values; the "
                "file is damaged or stale: rerun with --forcerun merge_features (or extract_shard)"
            )
        return block


def shard_of(path: str, n_shards: int) -> int:
    """Stable shard index of an audio path: adding or removing a clip moves no other clip."""
    return zlib.crc32(Path(path).as_posix().encode()) % n_shards


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


def _attr(value: Any) -> Any:
    """HDF5 attribute value: scalars and integer lists as they are, anything else as JSON."""
    if isinstance(value, (int, float, str, np.integer, np.floating)):
        return value
    if isinstance(value, (list, tuple)) and all(isinstance(v, (int, np.integer)) for v in value):
        return np.asarray(value, dtype=np.int64)
    return json.dumps(value, sort_keys=True)


def write_feature_h5(
    out_path: str | Path,
    index: dict[str, list[Any]],
    batches: Iterator[tuple[int, np.ndarray]],
    attrs: dict[str, Any],
    dtype: str = "float32",
    compression: str | None = None,
    failures: dict[int, str] | None = None,
    extra: dict[str, np.ndarray] | None = None,
) -> tuple[int, int]:
    """Stream feature batches into ``out_path`` (atomically); return ``(n_rows, dim)``.

    ``index`` holds the row labels: ``track_id`` (ints), ``genre`` / ``path`` (strings); any
    subset. ``features`` (n_rows, dim) is chunked one row per chunk. ``failures`` (row ->
    message, filled while the batches are consumed) becomes the ``failed`` dataset: the
    message of each row that could not be decoded, '' for the others. ``extra``: more
    per-row matrices (name -> (n_rows, width)), checksummed row by row like the features
    (``decode_stats``).
    """
    import h5py

    n = len(next(iter(index.values())))
    with atomic_path(out_path, suffix=".h5") as tmp:
        with h5py.File(tmp, "w") as h5:
            for name, values in index.items():
                if name == "track_id":
                    h5.create_dataset(name, data=np.asarray(values, dtype=np.int64))
                elif len(values) and all(isinstance(v, (float, np.floating)) for v in values):
                    h5.create_dataset(name, data=np.asarray(values, dtype=np.float64))
                else:
                    h5.create_dataset(name, data=[str(v) for v in values], dtype=h5py.string_dtype())
            dset = None
            for start, feats in batches:
                if dset is None:
                    dim = feats.shape[1]
                    dset = h5.create_dataset(
                        "features",
                        shape=(n, dim),
                        dtype=dtype,
                        chunks=(1, dim),
                        compression=compression,
                        fletcher32=True,  # checked by HDF5 on every read
                        fillvalue=np.nan,  # a row never written reads as NaN, never as zeros
                    )
                dset[start : start + len(feats)] = feats.astype(dtype)
            if dset is None:
                dset = h5.create_dataset("features", shape=(n if failures else 0, 0), dtype=dtype)
            for name, matrix in (extra or {}).items():
                write_rows(h5, name, matrix)
            if failures is not None:
                messages = [failures.get(i, "") for i in range(n)]
                h5.create_dataset("failed", data=messages, dtype=h5py.string_dtype())
            for key, value in attrs.items():
                h5.attrs[key] = _attr(value)
            h5.attrs["feature_dim"] = int(dset.shape[1])
            h5.attrs["created_utc"] = utc_now()
            dims = dset.shape
    return int(dims[0]), int(dims[1])


def write_rows(h5: Any, name: str, matrix: np.ndarray) -> Any:
    """A per-row matrix as a dataset chunked and checksummed (fletcher32) row by row."""
    return h5.create_dataset(
        name,
        data=matrix,
        chunks=(1, max(1, matrix.shape[1])) if matrix.size else None,
        fletcher32=bool(matrix.size),
    )


def _comparable(key: str, value: Any) -> str:
    """An attribute as merge_shards compares it: library versions only where they change values."""
    if key == "versions" and value is not None:
        versions = json.loads(value) if isinstance(value, str) else dict(value)
        return json.dumps({k: versions.get(k) for k in VALUE_LIBRARIES})
    return str(value)


def _strings(values: Any) -> list[str]:
    return [v.decode() if isinstance(v, bytes) else str(v) for v in values]


def merge_shards(
    out_path: str | Path,
    shard_paths: list[str],
    tracks: pd.DataFrame,
    on_bad_audio: str = "error",
    logger: logging.Logger | None = None,
) -> tuple[int, int]:
    """Write the merged feature file: the shards' rows copied in ``tracks`` order.

    The merged file is self-contained (no links into the shard files): moving, copying or
    deleting the shards leaves it intact. Every track (usable rows of the track table) must
    have its audio path in a shard. A clip the decoder refused during extraction (recorded in
    the shard's ``failed``) stops the merge naming every such clip and the decoder's message,
    unless ``on_bad_audio`` is ``skip``: then the track is left out of the merged file and
    listed, with the reason, in its ``skipped_at_extraction`` attribute (JSON: track id ->
    reason), which every consumer reports. The shards must agree on every value-changing
    attribute (weights, layer, pooling, precision, dtype, audio and spectrogram settings).
    """
    import h5py

    out_path = Path(out_path)
    where: dict[str, tuple[int, int]] = {}
    broken: dict[str, str] = {}
    decoded: dict[str, float] = {}
    infos = []
    for s, shard in enumerate(shard_paths):
        with open_features(shard) as h5:
            if "path" not in h5 or "features" not in h5:
                raise damaged(shard, "it holds no 'path' or 'features' dataset")
            paths = _strings(h5["path"][:])
            infos.append(
                {"file": shard, "shape": h5["features"].shape, "dtype": h5["features"].dtype, "attrs": dict(h5.attrs)}
            )
            failed = _strings(h5["failed"][:]) if "failed" in h5 else []
            seconds = h5["excerpt_s"][:] if "excerpt_s" in h5 else np.full(len(paths), np.nan)
        for r, p in enumerate(paths):
            key = os.path.normpath(p)
            if failed and failed[r]:
                broken[key] = failed[r]
                continue
            where[key] = (s, r)
            decoded[key] = float(seconds[r])
    shared = {k: v for k, v in infos[0]["attrs"].items() if k not in PER_SHARD_ATTRS}
    differing = []
    for info in infos[1:]:
        for key, value in shared.items():
            if key in ("activation_shape", "feature_dim"):
                continue
            mine, other = _comparable(key, value), _comparable(key, info["attrs"].get(key))
            if mine != other:
                differing.append(f"{info['file']} has {key} = {other!r}, {shard_paths[0]} has {mine!r}")
    if differing:
        raise EmotifyError(
            "the extraction shards were made with different value-changing settings, so their features "
            f"cannot be merged: {'; '.join(differing)}. Rerun them with one setting "
            "(snakemake --forcerun extract_shard; for precision, set features.precision explicitly)"
        )
    dims = {int(i["shape"][1]) for i in infos if i["shape"][0] and i["shape"][1]}
    if len(dims) > 1:
        raise EmotifyError(f"shards disagree on the feature dimension: {sorted(dims)}")
    dim = dims.pop() if dims else 0
    paths_norm = [os.path.normpath(p) for p in tracks["path"]]
    bad = {
        int(t): broken[p] for t, p in zip(tracks["track_id"], paths_norm, strict=True) if p in broken and p not in where
    }
    if bad and on_bad_audio != "skip":
        listing = "\n  ".join(f"track {t}: {reason}" for t, reason in bad.items())
        raise EmotifyError(
            f"{len(bad)} track(s) passed the track table's checks but the decoder refused them:\n  {listing}\n"
            "(set data.on_bad_audio: skip to leave them out)"
        )
    for t, reason in bad.items():
        if logger:
            logger.warning("skipping track %d, which the decoder refused: %s", t, reason)
    missing = [
        f"track {t} ({p})"
        for t, p in zip(tracks["track_id"], paths_norm, strict=True)
        if p not in where and int(t) not in bad
    ]
    if missing:
        raise EmotifyError(f"{len(missing)} track(s) have no features in any shard: {'; '.join(missing[:5])}")
    keep = [i for i, p in enumerate(paths_norm) if p in where]
    kept = tracks.iloc[keep]
    dtype = infos[0]["dtype"]
    handles = [h5py.File(p, "r") for p in shard_paths]
    try:
        with atomic_path(out_path, suffix=".h5") as tmp:
            with h5py.File(tmp, "w") as h5:
                dset = h5.create_dataset(
                    "features",
                    shape=(len(kept), dim),
                    dtype=dtype,
                    chunks=(1, max(dim, 1)),
                    fletcher32=True,
                    fillvalue=np.nan,
                )
                stats = None
                has = ["decode_stats" in h for h in handles]
                widths = {int(h["decode_stats"].shape[1]) for h in handles if "decode_stats" in h}
                if any(has) and (not all(has) or len(widths) != 1):
                    raise EmotifyError(
                        "some extraction shards hold no decode statistics, or shards disagree on their width (made "
                        "by an older release?): rerun them (snakemake --forcerun extract_shard)"
                    )
                if widths:
                    width = widths.pop()
                    stats = h5.create_dataset(
                        "decode_stats",
                        shape=(len(kept), width),
                        dtype="float32",
                        chunks=(1, max(1, width)),
                        fletcher32=True,
                        fillvalue=np.nan,
                    )
                rows_of: dict[int, list[tuple[int, int]]] = {}
                for row, i in enumerate(keep):
                    s, r = where[paths_norm[i]]
                    rows_of.setdefault(s, []).append((r, row))
                for s, pairs in rows_of.items():  # every shard row verified by its checksum, by blocks
                    pairs.sort()
                    for at in range(0, len(pairs), MERGE_BLOCK):
                        block = pairs[at : at + MERGE_BLOCK]
                        rows = np.array([r for r, _ in block])
                        values = checked_rows(handles[s], rows, shard_paths[s])
                        for (_, row), value in zip(block, values, strict=True):
                            dset[row] = value
                        if stats is not None:
                            extra = checked_rows(handles[s], rows, shard_paths[s], "decode_stats")
                            for (_, row), st in zip(block, extra, strict=True):
                                stats[row] = st
                h5.create_dataset("track_id", data=kept["track_id"].to_numpy(dtype=np.int64))
                h5.create_dataset("genre", data=kept["genre"].astype(str).tolist(), dtype=h5py.string_dtype())
                h5.create_dataset("path", data=kept["path"].astype(str).tolist(), dtype=h5py.string_dtype())
                h5.create_dataset("excerpt_s", data=np.array([decoded[paths_norm[i]] for i in keep]))
                for key, value in shared.items():
                    h5.attrs[key] = value
                for key in ("device", "device_name", "compression", "precision_reason"):
                    h5.attrs[key] = ",".join(sorted({str(i["attrs"].get(key, "")) for i in infos}))
                h5.attrs["shard_devices"] = json.dumps([str(i["attrs"].get("device_name", "")) for i in infos])
                h5.attrs["shard_files"] = json.dumps([Path(p).name for p in shard_paths])
                h5.attrs["n_shards"] = len(shard_paths)
                h5.attrs["feature_dim"] = dim
                h5.attrs["skipped_at_extraction"] = json.dumps({str(t): r for t, r in bad.items()})
                h5.attrs["created_utc"] = utc_now()
    finally:
        for handle in handles:
            handle.close()
    return len(kept), dim


def read_feature_h5(
    path: str | Path, track_ids: list[int] | None = None
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Load ``(features float32, track_ids, attrs)``; rows restricted to and ordered as ``track_ids``.

    Reads only the requested rows (in file order, one chunk per row). Raises
    :class:`EmotifyError` naming the file and the rows when a requested id is missing or a
    row holds NaN or infinite values (a damaged or stale feature file is never used).
    """
    with open_features(path) as h5:
        ids = h5["track_id"][:]
        attrs = dict(h5.attrs)
        if track_ids is None:
            feats, out_ids = checked_rows(h5, None, path).astype(np.float32), ids
        else:
            pos = {int(t): i for i, t in enumerate(ids)}
            missing = [t for t in track_ids if int(t) not in pos]
            if missing:
                raise EmotifyError(f"{path}: no features for track id(s) {missing[:5]} (stale feature cache?)")
            rows = np.array([pos[int(t)] for t in track_ids], dtype=np.int64)
            order = np.argsort(rows)
            feats = np.empty((len(rows), h5["features"].shape[1]), dtype=np.float32)
            feats[order] = checked_rows(h5, np.sort(rows), path)
            out_ids = np.asarray(track_ids, dtype=np.int64)
    refuse_nonfinite_rows(path, feats, out_ids)
    return feats, out_ids, attrs


def refuse_nonfinite_rows(path: str | Path, values: np.ndarray, track_ids: np.ndarray) -> None:
    """:class:`EmotifyError` naming the file and the track ids when a row of ``values`` (rows of
    ``track_ids``) holds NaN or infinite values: a damaged or stale feature file."""
    bad = ~np.isfinite(values).all(axis=1) if values.size else np.zeros(len(values), dtype=bool)
    if bad.any():
        raise EmotifyError(
            f"{path}: {int(bad.sum())} row(s) hold NaN or infinite feature values (track ids "
            f"{np.asarray(track_ids)[bad][:10].tolist()}); the file is damaged or stale: rerun with "
            "--forcerun merge_features (or extract_shard)"
        )


def skipped_at_extraction(attrs: dict[str, Any]) -> dict[int, str]:
    """Track id -> the decoder's message, for tracks left out of a merged feature file."""
    raw = attrs.get("skipped_at_extraction", "{}")
    return {int(k): str(v) for k, v in json.loads(raw if isinstance(raw, str) else "{}").items()}


def usable_tracks_of(path: str | Path, tracks: pd.DataFrame, logger: logging.Logger | None = None) -> pd.DataFrame:
    """``tracks`` without those the decoder refused during extraction (``data.on_bad_audio:
    skip``), each logged with the reason; reads no features."""
    with open_features(path) as h5:
        attrs = dict(h5.attrs)
    skipped = skipped_at_extraction(attrs)
    drop = tracks["track_id"].astype(int).isin(list(skipped))
    for t in tracks.loc[drop, "track_id"]:
        if logger:
            logger.warning("track %d left out: the decoder refused it during extraction (%s)", t, skipped[int(t)])
    return tracks[~drop].reset_index(drop=True)


def tracks_with_features(
    path: str | Path, tracks: pd.DataFrame, logger: logging.Logger | None = None
) -> tuple[np.ndarray, pd.DataFrame, dict[str, Any]]:
    """The features of ``tracks`` (rows of the track table), and the tracks kept.

    Tracks the decoder refused during extraction (``data.on_bad_audio: skip``) are dropped and
    logged with the reason; any other missing track is an error (:func:`read_feature_h5`).
    """
    kept = usable_tracks_of(path, tracks, logger)
    x, _, attrs = read_feature_h5(path, kept["track_id"].astype(int).tolist())
    return x, kept, attrs


def feature_track_ids(path: str | Path) -> np.ndarray:
    """The track ids a feature file holds rows for (tracks refused at extraction are not among them)."""
    with open_features(path) as h5:
        return h5["track_id"][:].astype(np.int64)


def read_attrs(path: str | Path) -> dict[str, Any]:
    """A feature file's provenance attributes (JSON-valued ones decoded)."""
    with open_features(path) as h5:
        attrs = {k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in h5.attrs.items()}
    for key in ("versions", "spectrogram_params", "reduction", "skipped_at_extraction"):
        if isinstance(attrs.get(key), str):
            try:
                attrs[key] = json.loads(attrs[key])
            except ValueError:
                pass
    return attrs


def network_provenance(path: str | Path) -> dict[str, str]:
    """The network a feature file comes from and its leakage warning ('' for none), to be
    stored with what is computed from it (rankings) and printed in every table of its numbers."""
    attrs = read_attrs(path)
    return {
        "model": str(attrs.get("model", "") or "vgg19"),
        "leakage_warning": str(attrs.get("leakage_warning", "") or ""),
    }


def network_name(attrs: dict[str, Any]) -> str:
    """The network a feature file comes from, as tables name it: ``VGG19`` or the musicnn model
    (files written before features.model existed are VGG19's)."""
    model = str(attrs.get("model", "") or "vgg19")
    return "VGG19" if model == "vgg19" else model


def features_label(attrs: dict[str, Any]) -> str:
    """'<weights label>, <layer>/<pooling> in <precision>[, reduced by <method> to <n>]': how every figure and
    table names the features, from the feature file's own attributes, never from the config."""
    label = f"{attrs.get('weights_label', '?')}, {attrs.get('layer', '?')}/{attrs.get('pooling', '?')}"
    if str(attrs.get("model", "") or "vgg19") != "vgg19":
        label += " over 3-s patches"
    if attrs.get("precision"):  # the arithmetic the forward pass ran in (fp32 or bf16)
        label += f" in {attrs['precision']}"
    reduction = attrs.get("reduction")
    if isinstance(reduction, str):
        reduction = json.loads(reduction)
    if isinstance(reduction, dict) and reduction.get("method", "none") != "none":
        label += f", reduced by {reduction['method']} to {attrs.get('feature_dim', '?')} dimensions"
    return label


def merge_job(smk: Any, logger: logging.Logger) -> None:
    tracks = usable_tracks(pd.read_csv(smk.input.tracks))
    n, dim = merge_shards(smk.output.h5, list(smk.input.shards), tracks, smk.config["data"]["on_bad_audio"], logger)
    logger.info("merged %d shard(s) into %s: %d tracks x %d features", len(smk.input.shards), smk.output.h5, n, dim)
