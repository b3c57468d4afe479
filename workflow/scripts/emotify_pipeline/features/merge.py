"""The extraction shards merged into one self-contained feature file, in track-table order.

Merged file (``results/features/<model>.h5``): ``features`` (n_tracks, dim), ``decode_stats``,
``track_id``, ``genre``, ``path``, ``excerpt_s`` (seconds the decoder returned for the excerpt,
before padding; tracks.csv's ``decoded_s`` is the whole file), in track-id order, with the
shards' provenance attributes. The rows are copied from the shards (no links into them), each
verified by its checksum on the way (:func:`store.checked_rows`).
"""

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.errors import EmotifyError
from ..core.files import atomic_path, utc_now
from .checkpoint import VALUE_LIBRARIES
from .store import MERGE_BLOCK, checked_rows, damaged, open_features

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


def _comparable(key: str, value: Any) -> str:
    """An attribute as merge_shards compares it: library versions only where they change values."""
    if key == "versions" and value is not None:
        versions = json.loads(value) if isinstance(value, str) else dict(value)
        return json.dumps({k: versions.get(k) for k in VALUE_LIBRARIES})
    return str(value)


def _strings(values: Any) -> list[str]:
    return [v.decode() if isinstance(v, bytes) else str(v) for v in values]


@dataclass
class ShardIndex:
    """What the shards hold, by normalised audio path: ``where`` (shard, row) of every clip
    with features, ``broken`` the decoder's message of every clip it refused, ``decoded`` the
    seconds decoded; ``infos`` each shard's file, features shape, dtype and attributes."""

    where: dict[str, tuple[int, int]] = field(default_factory=dict)
    broken: dict[str, str] = field(default_factory=dict)
    decoded: dict[str, float] = field(default_factory=dict)
    infos: list[dict[str, Any]] = field(default_factory=list)


def read_shard_index(shard_paths: list[str]) -> ShardIndex:
    """The :class:`ShardIndex` of ``shard_paths``; a shard without ``path`` or ``features`` is damaged."""
    index = ShardIndex()
    for s, shard in enumerate(shard_paths):
        with open_features(shard) as h5:
            if "path" not in h5 or "features" not in h5:
                raise damaged(shard, "it holds no 'path' or 'features' dataset")
            paths = _strings(h5["path"][:])
            index.infos.append(
                {"file": shard, "shape": h5["features"].shape, "dtype": h5["features"].dtype, "attrs": dict(h5.attrs)}
            )
            failed = _strings(h5["failed"][:]) if "failed" in h5 else []
            seconds = h5["excerpt_s"][:] if "excerpt_s" in h5 else np.full(len(paths), np.nan)
        for r, p in enumerate(paths):
            key = os.path.normpath(p)
            if failed and failed[r]:
                index.broken[key] = failed[r]
                continue
            index.where[key] = (s, r)
            index.decoded[key] = float(seconds[r])
    return index


def shared_attrs(infos: list[dict[str, Any]], shard_paths: list[str]) -> dict[str, Any]:
    """The first shard's attributes but those of :data:`PER_SHARD_ATTRS`, after checking that
    every shard agrees on them (library versions: on those of :data:`VALUE_LIBRARIES`)."""
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
    return shared


def feature_width(infos: list[dict[str, Any]]) -> int:
    """The shards' common feature dimension (0 when none holds a row)."""
    dims = {int(i["shape"][1]) for i in infos if i["shape"][0] and i["shape"][1]}
    if len(dims) > 1:
        raise EmotifyError(f"shards disagree on the feature dimension: {sorted(dims)}")
    return dims.pop() if dims else 0


def tracks_to_keep(
    tracks: pd.DataFrame, index: ShardIndex, on_bad_audio: str, logger: logging.Logger | None
) -> tuple[list[int], dict[int, str]]:
    """Rows of ``tracks`` the merged file holds, and track id -> the decoder's message of those
    left out (an error unless ``on_bad_audio`` is ``skip``); a track in no shard is an error."""
    paths_norm = [os.path.normpath(p) for p in tracks["path"]]
    where, broken = index.where, index.broken
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
    return [i for i, p in enumerate(paths_norm) if p in where], bad


def stats_width(handles: list[Any]) -> int | None:
    """The width of the shards' ``decode_stats`` (None when none holds them); shards that
    disagree, or hold them only in part, are an error."""
    has = ["decode_stats" in h for h in handles]
    widths = {int(h["decode_stats"].shape[1]) for h in handles if "decode_stats" in h}
    if any(has) and (not all(has) or len(widths) != 1):
        raise EmotifyError(
            "some extraction shards hold no decode statistics, or shards disagree on their width (made "
            "by an older release?): rerun them (snakemake --forcerun extract_shard)"
        )
    return widths.pop() if widths else None


def _checked_dataset(h5: Any, name: str, n: int, width: int, dtype: Any) -> Any:
    """An (n, width) dataset chunked and checksummed row by row, NaN until written."""
    return h5.create_dataset(
        name, shape=(n, width), dtype=dtype, chunks=(1, max(width, 1)), fletcher32=True, fillvalue=np.nan
    )


def copy_rows(
    handles: list[Any], shard_paths: list[str], rows_of: dict[int, list[tuple[int, int]]], dset: Any, stats: Any
) -> None:
    """Copy each shard's rows (``rows_of``: shard -> (shard row, merged row) pairs) into
    ``dset`` and, when given, their decode statistics into ``stats``, by blocks of
    :data:`store.MERGE_BLOCK` rows, every row verified by its checksum."""
    for s, pairs in rows_of.items():
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


def merged_attrs(shared: dict[str, Any], infos: list[dict[str, Any]], shard_paths: list[str]) -> dict[str, Any]:
    """The merged file's attributes: the shards' shared ones, the per-shard execution settings
    joined, and where the rows came from."""
    attrs = dict(shared)
    for key in ("device", "device_name", "compression", "precision_reason"):
        attrs[key] = ",".join(sorted({str(i["attrs"].get(key, "")) for i in infos}))
    attrs["shard_devices"] = json.dumps([str(i["attrs"].get("device_name", "")) for i in infos])
    attrs["shard_files"] = json.dumps([Path(p).name for p in shard_paths])
    attrs["n_shards"] = len(shard_paths)
    return attrs


def merge_shards(
    out_path: str | Path,
    shard_paths: list[str],
    tracks: pd.DataFrame,
    on_bad_audio: str = "error",
    logger: logging.Logger | None = None,
) -> tuple[int, int]:
    """Write the merged feature file: the shards' rows copied in ``tracks`` order; return
    ``(n_tracks, dim)``.

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

    index = read_shard_index(shard_paths)
    shared = shared_attrs(index.infos, shard_paths)
    dim = feature_width(index.infos)
    keep, bad = tracks_to_keep(tracks, index, on_bad_audio, logger)
    kept = tracks.iloc[keep]
    paths_norm = [os.path.normpath(p) for p in kept["path"]]
    rows_of: dict[int, list[tuple[int, int]]] = {}
    for row, p in enumerate(paths_norm):
        s, r = index.where[p]
        rows_of.setdefault(s, []).append((r, row))
    handles = [h5py.File(p, "r") for p in shard_paths]
    try:
        width = stats_width(handles)
        with atomic_path(out_path, suffix=".h5") as tmp, h5py.File(tmp, "w") as h5:
            dset = _checked_dataset(h5, "features", len(kept), dim, index.infos[0]["dtype"])
            stats = None if width is None else _checked_dataset(h5, "decode_stats", len(kept), width, "float32")
            copy_rows(handles, shard_paths, rows_of, dset, stats)
            h5.create_dataset("track_id", data=kept["track_id"].to_numpy(dtype=np.int64))
            h5.create_dataset("genre", data=kept["genre"].astype(str).tolist(), dtype=h5py.string_dtype())
            h5.create_dataset("path", data=kept["path"].astype(str).tolist(), dtype=h5py.string_dtype())
            h5.create_dataset("excerpt_s", data=np.array([index.decoded[p] for p in paths_norm]))
            for key, value in merged_attrs(shared, index.infos, shard_paths).items():
                h5.attrs[key] = value
            h5.attrs["feature_dim"] = dim
            h5.attrs["skipped_at_extraction"] = json.dumps({str(t): r for t, r in bad.items()})
            h5.attrs["created_utc"] = utc_now()
    finally:
        for handle in handles:
            handle.close()
    return len(kept), dim
