"""One extraction shard, for any registered network: the clips of the shard decoded into the
network's inputs, run through it batch by batch, kept in a checkpoint as they finish, and
written as one checksummed feature file with the network's provenance.

Layout: each shard job writes ``shards/<model>_<i>-of-<n>.h5`` (rows keyed by audio path),
keeping finished batches in a checkpoint until it is complete (:mod:`checkpoint`); the merge
job copies the rows into the self-contained ``<model>.h5`` (:mod:`merge`). The network comes
from the registry (:func:`networks.network`): nothing here depends on which one it is.
"""

import inspect
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..core.digests import library_versions, sha256_file, source_digest
from . import extract, spectrogram
from .checkpoint import VALUE_LIBRARIES, ShardCheckpoint, StoredRow, rows_in_order
from .execution import precision_reason, resolve_device, resolve_precision, resolve_workers
from .networks import DEFAULT_NETWORK, base, inputs, network
from .networks.base import VALUE_SETTINGS, Forward, Network
from .spectrogram import SpectrogramParams, statistics_layout
from .store import write_feature_h5


@dataclass(frozen=True)
class ShardRun:
    """How one shard runs: the resolved device, precision and decoding workers, the torch
    threads, the batch size and the HDF5 compression (only the precision changes values)."""

    device: str
    precision: str
    workers: int
    threads: int
    batch_size: int
    compression: str


def resolve_run(settings: dict[str, Any], execution: dict[str, Any], threads: int) -> ShardRun:
    """The :class:`ShardRun` of the value settings ``settings`` and the execution settings
    ``execution`` (:func:`execution.execution_settings`) with ``threads`` torch threads."""
    device = resolve_device(execution["device"])
    return ShardRun(
        device=device,
        precision=resolve_precision(settings["precision"], device),
        workers=resolve_workers(execution["num_workers"], device, threads),
        threads=threads,
        batch_size=int(execution["batch_size"]),
        compression=execution["compression"],
    )


def value_code_digest(net: Network) -> str:
    """sha256 of the code that computes ``net``'s feature values -- the shard runner, the
    extraction loop, the spectrogram, the network interface and inputs, and the network's own
    module: a checkpoint made by other code (say, before a bug fix) is never resumed."""
    modules = (__file__, extract.__file__, spectrogram.__file__, base.__file__, inputs.__file__)
    return source_digest(*modules, inspect.getfile(type(net)))


def load_network(
    net: Network, settings: dict[str, Any], weights_file: str | Path | None, logger: logging.Logger
) -> tuple[Any, dict[str, str]]:
    """``net`` with its weights, after checking its layer and pooling, and its provenance; its
    leakage warning, when it has one, goes to the log."""
    net.check_settings(settings["layer"], settings["pooling"])
    model, provenance = net.load(settings, weights_file)
    if provenance["leakage_warning"]:
        logger.warning("%s: %s", net.name, provenance["leakage_warning"])
    return model, provenance


def check_weights(settings: dict[str, Any], weights_file: str | Path) -> dict[str, str]:
    """Load the network of ``settings`` with ``weights_file`` once and return its weights'
    provenance (:data:`networks.base.WEIGHTS_PROVENANCE`): a wrong or broken file fails here."""
    return network(settings["model"]).load_weights(settings, weights_file)[1]


def checkpoint_settings(
    net: Network,
    settings: dict[str, Any],
    provenance: dict[str, str],
    spectrogram_params: dict[str, Any],
    run: ShardRun,
    versions: dict[str, str],
) -> dict[str, Any]:
    """The key of the shard's checkpoint: everything that changes the values it holds."""
    return {
        **{key: settings[key] for key in VALUE_SETTINGS if key in settings},
        "precision": run.precision,
        "weights_sha256": provenance["weights_sha256"],
        "spectrogram_params": spectrogram_params,
        "versions": {k: versions[k] for k in VALUE_LIBRARIES},
        "code": value_code_digest(net),
        # CPU kernels split the work by thread: 1 and 2 threads differ by ~1e-6 in the last bits
        "torch_threads": run.threads,
    }


@dataclass
class Pending:
    """The clips of a shard still to extract: their paths, the sha256 of each file's bytes, and
    what the extraction records per row (failures -- None to stop at the first --, seconds
    decoded, decode statistics of ``stat_width`` values)."""

    paths: list[str]
    digests: list[str]
    failures: dict[int, str] | None
    stat_width: int
    decoded: dict[int, float] = field(default_factory=dict)
    statistics: dict[int, np.ndarray] = field(default_factory=dict)


def extract_pending(
    net: Network,
    pending: Pending,
    sp: SpectrogramParams,
    batcher: Forward,
    run: ShardRun,
    checkpoint: ShardCheckpoint,
    store_dtype: str,
    stored: dict[str, StoredRow],
    logger: logging.Logger,
) -> None:
    """Extract ``pending.paths`` with ``net``'s inputs and ``batcher``, saving every batch to the
    checkpoint as it comes, in ``store_dtype``, and recording its rows in ``stored``
    (memory-mapped: never all in RAM); a clip that failed in a batch in which nothing decoded
    is recorded too."""
    dataset, collate = net.inputs(pending.paths, sp)
    batches = extract.extract_features(
        dataset,
        collate,
        batcher,
        run.batch_size,
        run.workers,
        run.device,
        logger,
        pending.failures,
        pending.decoded,
        pending.statistics,
        desc=net.name,
    )
    failures = pending.failures or {}
    for start, feats in batches:
        rows = range(start, start + len(feats))
        fails = [failures.get(j, "") for j in rows]
        stats = np.stack([pending.statistics.pop(j, np.full(pending.stat_width, np.nan)) for j in rows])
        saved, saved_stats = checkpoint.save(
            [pending.paths[j] for j in rows],
            [pending.digests[j] for j in rows],
            feats.astype(store_dtype),
            [pending.decoded[j] for j in rows],
            fails,
            stats,
        )
        for j, f, st in zip(rows, saved, saved_stats, strict=True):
            bad = fails[j - start]
            stored[pending.paths[j]] = StoredRow(None if bad else f, pending.decoded[j], bad, None if bad else st)
    for j, message in failures.items():  # a batch in which nothing decoded yields no rows
        stored.setdefault(pending.paths[j], StoredRow(None, 0.0, message))


def shard_attrs(
    net: Network,
    settings: dict[str, Any],
    spectrogram_params: dict[str, Any],
    run: ShardRun,
    versions: dict[str, str],
    resumed: int,
    provenance: dict[str, str],
) -> dict[str, Any]:
    """The shard file's attributes: the settings, how it ran, the versions, the network's provenance."""
    import torch

    sp = SpectrogramParams(**spectrogram_params)
    return {
        "layer": settings["layer"],
        "pooling": settings["pooling"],
        "seed": settings["seed"],
        "device": run.device,
        "device_name": torch.cuda.get_device_name(0) if run.device == "cuda" else "cpu",
        "precision": run.precision,
        "precision_reason": precision_reason(settings["precision"], run.device, run.precision),
        "num_workers": run.workers,
        "batch_size": run.batch_size,
        "torch_threads": run.threads,
        "store_dtype": settings["store_dtype"],
        "compression": run.compression,
        "spectrogram_params": spectrogram_params,
        "activation_shape": net.activation_shape(settings["layer"], sp),
        "versions": versions,
        "resumed_clips": resumed,
        **provenance,
    }


def write_shard(
    out_h5: str | Path,
    paths: list[str],
    digests: list[str],
    stored: dict[str, StoredRow],
    attrs: dict[str, Any],
    compression: str,
    record_failures: bool,
    stat_width: int,
) -> tuple[int, int]:
    """Write the shard file from the rows of every path (``stored``); return ``(n, dim)``."""
    dims = {len(r.features) for r in stored.values() if r.features is not None}
    dim = dims.pop() if dims else 0
    all_failures = {i: stored[p].failed for i, p in enumerate(paths) if stored[p].failed}
    index = {"path": paths, "sha256": digests, "excerpt_s": [stored[p].decoded_s for p in paths]}
    missing = np.full(stat_width, np.nan)
    stats = (
        np.stack([stored[p].stats if stored[p].stats is not None else missing for p in paths]).astype(np.float32)
        if paths
        else np.zeros((0, stat_width), dtype=np.float32)
    )
    return write_feature_h5(
        out_h5,
        index,
        rows_in_order(paths, stored, dim),
        attrs,
        attrs["store_dtype"],
        None if compression == "none" else compression,
        all_failures if record_failures else None,
        {"decode_stats": stats},
    )


def run_shard(
    paths: list[str],
    out_h5: str | Path,
    settings: dict[str, Any],
    spectrogram_params: dict[str, Any],
    execution: dict[str, Any],
    weights_file: str | Path | None = None,
    threads: int = 1,
    skip_bad_audio: bool = False,
    shard: str | int = 0,
    logger: logging.Logger | None = None,
) -> tuple[int, int]:
    """Extract one shard into ``out_h5``, resuming from its checkpoint; return ``(clips, dim)``.

    Parameters
    ----------
    paths : the shard's audio files, in row order.
    settings : the value settings of the network ``settings['model']``
        (:meth:`networks.base.Network.value_settings`).
    spectrogram_params : the audio and spectrogram settings (:class:`spectrogram.SpectrogramParams`).
    execution : device, batch size, decoding workers, compression (:func:`execution.execution_settings`).
    weights_file : the network's weights file (None where it needs none).
    threads : torch threads.
    skip_bad_audio : record a clip the decoder refuses as a NaN row with its message
        (``data.on_bad_audio: skip``) instead of stopping.
    shard : the shard's number, for the log.
    """
    import torch

    logger = logger or logging.getLogger(__name__)
    net = network(settings.get("model", DEFAULT_NETWORK))
    threads = max(1, int(threads))
    torch.set_num_threads(threads)
    run = resolve_run(settings, execution, threads)
    sp = SpectrogramParams(**spectrogram_params)
    model, provenance = load_network(net, settings, weights_file, logger)
    versions = library_versions()
    key = checkpoint_settings(net, settings, provenance, spectrogram_params, run, versions)
    digests = [sha256_file(p) for p in paths]
    checkpoint = ShardCheckpoint(out_h5, key, logger)
    stored = checkpoint.load(dict(zip(paths, digests, strict=True)))
    todo = [i for i, p in enumerate(paths) if p not in stored]
    logger.info(
        "shard %s: %s/%s features of %d clips (%d from the checkpoint) on %s (%s, %d torch threads, "
        "%d decoding workers, batch %d) with %s",
        shard,
        settings["layer"],
        settings["pooling"],
        len(paths),
        len(paths) - len(todo),
        run.device,
        run.precision,
        threads,
        run.workers,
        run.batch_size,
        provenance["weights_label"],
    )
    batcher = net.batcher(model, settings, run.device, run.precision, run.batch_size, logger)
    stat_width = statistics_layout(sp.n_mels, sp.n_frames)["ms"].stop
    failures: dict[int, str] | None = {} if skip_bad_audio else None
    pending = Pending([paths[i] for i in todo], [digests[i] for i in todo], failures, stat_width)
    extract_pending(net, pending, sp, batcher, run, checkpoint, settings["store_dtype"], stored, logger)
    attrs = shard_attrs(net, settings, spectrogram_params, run, versions, len(paths) - len(todo), provenance)
    n, dim = write_shard(out_h5, paths, digests, stored, attrs, run.compression, skip_bad_audio, stat_width)
    checkpoint.clear()
    logger.info(
        "wrote %s: %d clips x %d features (final batch size %d)",
        out_h5,
        n,
        dim,
        getattr(batcher, "size", run.batch_size),
    )
    return n, dim
