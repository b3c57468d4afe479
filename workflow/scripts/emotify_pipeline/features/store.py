"""Feature files in HDF5 (h5py and numpy only, no torch): writing a shard or any feature file,
reading rows and provenance back with their integrity checked, shard membership, and how
tables name the features.

Every ``features`` dataset is written with HDF5's fletcher32 checksum per chunk (one row per
chunk), which the library verifies on every read: a flipped byte in a shard, the merged file or
the reduced file stops the job that reads it, naming the file and the rows (:class:`DamagedFeatures`),
and the file is moved aside (``<file>.damaged``) so that the next plain run rebuilds exactly that
file. Every reader of feature rows goes through :func:`read_feature_h5` /
:func:`tracks_with_features`, which refuse NaN or infinite rows; every reader of provenance
through :func:`read_attrs` and :func:`features_label`, which ask the network registry
(:mod:`features.networks`) how a network is named. The checkpoint of a shard being extracted
lives in :mod:`checkpoint`, the merge of the shards into one file in :mod:`merge`.
"""

import contextlib
import json
import logging
import os
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.errors import EmotifyError
from ..core.files import atomic_path, utc_now
from .networks import DEFAULT_NETWORK, names, network

#: feature rows copied per step by the merge and by the neighbours' column copy (memory:
#: MERGE_BLOCK x feature width)
MERGE_BLOCK = 256


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


def file_network(attrs: dict[str, Any]) -> str:
    """The name of the network a feature file comes from (``model``; files written before
    ``features.model`` existed are the default network's, :data:`networks.DEFAULT_NETWORK`)."""
    return str(attrs.get("model", "") or DEFAULT_NETWORK)


def network_provenance(path: str | Path) -> dict[str, str]:
    """The network a feature file comes from and its leakage warning ('' for none), to be
    stored with what is computed from it (rankings) and printed in every table of its numbers."""
    attrs = read_attrs(path)
    return {
        "model": file_network(attrs),
        "leakage_warning": str(attrs.get("leakage_warning", "") or ""),
    }


def network_name(attrs: dict[str, Any]) -> str:
    """The network a feature file comes from, as tables name it: the registered network's
    ``table_name`` (``VGG19``, ``MSD_musicnn``), else the name the file records."""
    model = file_network(attrs)
    return network(model).table_name if model in names() else model


def features_label(attrs: dict[str, Any]) -> str:
    """'<weights label>, <layer>/<pooling> in <precision>[, reduced by <method> to <n>]': how every figure and
    table names the features, from the feature file's own attributes, never from the config."""
    label = f"{attrs.get('weights_label', '?')}, {attrs.get('layer', '?')}/{attrs.get('pooling', '?')}"
    model = file_network(attrs)
    if model in names():  # how the network reads the clip, where that is not the whole image
        label += network(model).label_suffix
    if attrs.get("precision"):  # the arithmetic the forward pass ran in (fp32 or bf16)
        label += f" in {attrs['precision']}"
    reduction = attrs.get("reduction")
    if isinstance(reduction, str):
        reduction = json.loads(reduction)
    if isinstance(reduction, dict) and reduction.get("method", "none") != "none":
        label += f", reduced by {reduction['method']} to {attrs.get('feature_dim', '?')} dimensions"
    return label
