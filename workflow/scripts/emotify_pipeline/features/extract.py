"""The extraction loop, for any network: clips decoded in DataLoader worker processes into the
network's inputs (its dataset and collation, :meth:`networks.base.Network.inputs`) while its
forward pass (:meth:`networks.base.Network.batcher`) runs on whole batches under
``torch.inference_mode``; feature rows are yielded batch by batch, in order, with each clip's
seconds decoded and decode statistics beside them.
"""

import io
import logging
from collections.abc import Iterator
from typing import Any

import numpy as np

from ..core.errors import EmotifyError
from .networks.base import Forward
from .networks.inputs import Collate


def _ignore_interrupt(worker_id: int) -> None:
    """DataLoader workers leave Ctrl-C to the main process, which shuts them down cleanly."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


class _LogStream(io.StringIO):
    """A file-like sink that sends tqdm's progress lines to the rule's log."""

    def __init__(self, logger: logging.Logger) -> None:
        super().__init__()
        self.logger = logger

    def write(self, text: str) -> int:
        line = text.replace("\r", "\n").strip().splitlines()
        if line and line[-1].strip():
            self.logger.info("%s", line[-1].strip())
        return len(text)


def _with_failures(
    idx: list[int],
    errors: list[str],
    feats: np.ndarray | None,
    failures: dict[int, str],
    logger: logging.Logger | None,
) -> np.ndarray:
    """The batch's rows with NaN rows where a clip failed to decode, each failure recorded in
    ``failures`` (row -> message) and logged."""
    ok = [j for j, e in enumerate(errors) if not e]
    for j, e in enumerate(errors):
        if e:
            failures[idx[j]] = e
            if logger:
                logger.warning("skipping clip: %s", e)
    dim = feats.shape[1] if feats is not None else 0
    full = np.full((len(idx), dim), np.nan, dtype=np.float32)
    if feats is not None:
        full[ok] = feats
    return full


def extract_features(
    dataset: Any,
    collate: Collate,
    batcher: Forward,
    batch_size: int = 8,
    num_workers: int = 0,
    device: str = "cpu",
    logger: logging.Logger | None = None,
    failures: dict[int, str] | None = None,
    decoded: dict[int, float] | None = None,
    statistics: dict[int, np.ndarray] | None = None,
    desc: str = "features",
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(start_row, features (B, dim) float32)`` batch by batch, in order.

    ``dataset`` and ``collate`` are a network's inputs (:meth:`networks.base.Network.inputs`),
    ``batcher`` its forward pass on one collated batch. Decoding runs in ``num_workers``
    DataLoader processes (0 = in this process) ahead of the network. A clip that cannot be
    decoded stops the extraction with its message, unless ``failures`` is a dict: then its row
    is NaN and ``failures[row] = message`` (``data.on_bad_audio: skip``). ``decoded``, when a
    dict, receives the seconds decoded per row (before padding); ``statistics``, when a dict,
    the :func:`spectrogram.decode_statistics` of every row that decoded (the production
    descriptors' inputs: no clip is decoded twice). ``desc`` names the progress lines.
    """
    import torch
    from torch.utils.data import DataLoader
    from tqdm import tqdm

    loader = DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=False,
        num_workers=num_workers,
        collate_fn=collate,
        pin_memory=device == "cuda",
        prefetch_factor=2 if num_workers else None,
        persistent_workers=False,
        worker_init_fn=_ignore_interrupt,
    )
    progress = tqdm(
        total=len(dataset),
        desc=desc,
        unit="clip",
        mininterval=10,
        file=_LogStream(logger) if logger else None,
        disable=logger is None,
    )
    with torch.inference_mode(), progress:
        for idx, inputs, errors, seconds, stats in loader:
            if decoded is not None:
                decoded.update(zip(idx, seconds, strict=True))
            if statistics is not None:
                statistics.update((i, v) for i, v in zip(idx, stats, strict=True) if v is not None)
            if any(errors) and failures is None:
                bad = [e for e in errors if e]
                more = f" (and {len(bad) - 1} more in this batch)" if len(bad) > 1 else ""
                raise EmotifyError(bad[0] + more)
            feats = batcher(inputs) if not all(errors) else None
            if any(errors):
                feats = _with_failures(idx, errors, feats, failures, logger)
            if feats is not None and feats.shape[1]:
                yield idx[0], feats
            progress.update(len(idx))
