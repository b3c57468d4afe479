"""The interface every feature network implements (:class:`Network`), and what networks share:
the settings that change feature values, the provenance every feature file carries, the batcher
that halves a batch on CUDA out-of-memory and the digest of random weights.

The shard runner (:mod:`features.shards`), the checkpoint, the merge and the naming of feature
files know no network by name: they take a :class:`Network` from the registry
(:mod:`features.networks`) and use only what is declared here.
"""

import hashlib
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ...core.errors import EmotifyError
from ..spectrogram import SpectrogramParams
from .inputs import Collate

#: the extraction settings that change feature values: every network's
#: :meth:`Network.value_settings` (the rules' ``params``), the checkpoint key and the merge check
VALUE_SETTINGS = ("model", "weights", "weights_sha256", "seed", "layer", "pooling", "precision", "store_dtype")
#: what :meth:`Network.load_weights` says of the weights it loaded (the weights check writes these)
WEIGHTS_PROVENANCE = ("weights", "weights_label", "weights_source", "weights_sha256")
#: the provenance of every feature file: the network, its weights, what trained them, its warning
PROVENANCE_KEYS = ("model", "training_data", "leakage_warning", *WEIGHTS_PROVENANCE)

#: a network's forward pass: one collated batch -> (clips, dim) float32 feature rows
Forward = Callable[[Any], np.ndarray]


class Network(ABC):
    """A feature network: what it declares, how it loads its weights, how a decoded clip becomes
    its input and how a batch of inputs becomes feature rows.

    Attributes
    ----------
    name : the registry's name (``features.model``, ``results/features/<name>.h5``).
    table_name : how tables and experiment metadata name it (``VGG19``, ``MSD_musicnn``).
    layers, poolings : the values its ``layer`` and ``pooling`` settings take.
    settings_key : the configuration block of its layer and pooling (named in error messages).
    leakage_warning : '' or why its numbers may overstate what audio alone tells (it was trained
        on the data's own audio); logged by every extraction and carried by every output.
    label_suffix : appended to the layer/pooling of :func:`features.store.features_label`.
    weights_check : whether the workflow loads its weights in a job of their own before any
        shard (a file the user supplies: a broken one then fails before good shards are deleted).
    """

    name: str
    table_name: str
    layers: tuple[str, ...]
    poolings: tuple[str, ...]
    settings_key: str = "features"
    leakage_warning: str = ""
    label_suffix: str = ""
    weights_check: bool = False

    @abstractmethod
    def value_settings(self, features: dict[str, Any]) -> dict[str, Any]:
        """The settings that change this network's feature values, from the configuration's
        ``features`` block: every key of :data:`VALUE_SETTINGS` (None where one does not apply).
        A change of one reruns this network's extraction, and only its own."""

    @abstractmethod
    def weights_file(self, features: dict[str, Any]) -> str:
        """The weights file its extraction reads, relative to the workflow ('' for none)."""

    @abstractmethod
    def training_data(self, settings: dict[str, Any]) -> str:
        """What trained the weights that ``settings`` name ('' for random weights)."""

    @abstractmethod
    def load_weights(self, settings: dict[str, Any], weights_file: str | Path | None) -> tuple[Any, dict[str, str]]:
        """The network in eval mode, with the weights ``settings`` name (read from
        ``weights_file`` where they come from a file), and their provenance: every key of
        :data:`WEIGHTS_PROVENANCE` and any more of its own. A missing or wrong file is an
        :class:`EmotifyError` naming it."""

    @abstractmethod
    def activation_shape(self, layer: str, sp: SpectrogramParams) -> list[int]:
        """The shape of ``layer``'s activation for one input (recorded as ``activation_shape``)."""

    @abstractmethod
    def inputs(self, paths: list[str], sp: SpectrogramParams) -> tuple[Any, Collate]:
        """The map-style dataset that decodes ``paths`` into this network's inputs (items as
        :data:`inputs.Item`, decoding errors returned) and the collate function of its batches."""

    @abstractmethod
    def batcher(
        self,
        model: Any,
        settings: dict[str, Any],
        device: str,
        precision: str,
        batch_size: int,
        logger: logging.Logger | None = None,
    ) -> Forward:
        """The forward pass of ``model`` (moved to ``device``) on one collated batch: pooled
        float32 feature rows (clips, dim) of ``settings['layer']`` / ``settings['pooling']``."""

    def check_settings(self, layer: str, pooling: str) -> None:
        """Raise :class:`EmotifyError` naming the key unless ``layer`` and ``pooling`` are its own."""
        if layer not in self.layers:
            raise EmotifyError(f"{self.settings_key}.layer: {layer!r} is not one of {list(self.layers)}")
        if pooling not in self.poolings:
            raise EmotifyError(f"{self.settings_key}.pooling: {pooling!r} is not one of {list(self.poolings)}")

    def load(self, settings: dict[str, Any], weights_file: str | Path | None) -> tuple[Any, dict[str, str]]:
        """:meth:`load_weights`, and the feature file's provenance: every key of
        :data:`PROVENANCE_KEYS` (the network's name, its training data and leakage warning
        first) and what :meth:`load_weights` added."""
        model, weights = self.load_weights(settings, weights_file)
        missing = [key for key in WEIGHTS_PROVENANCE if key not in weights]
        if missing:
            raise EmotifyError(f"network {self.name!r}: its weights provenance lacks {missing}")
        provenance = {
            "model": self.name,
            "training_data": self.training_data(settings),
            "leakage_warning": self.leakage_warning,
            **weights,
        }
        return model, provenance


def state_dict_sha256(state: dict[str, Any]) -> str:
    """A sha256 over a state dict's names and float32 bytes (provenance of random weights)."""
    digest = hashlib.sha256()
    for name in sorted(state):
        digest.update(name.encode())
        digest.update(state[name].detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


class AdaptiveBatcher:
    """Runs ``forward`` on chunks of at most ``size`` inputs; on CUDA OOM halves ``size`` and retries."""

    def __init__(self, forward: Forward, size: int, logger: logging.Logger | None = None) -> None:
        self.forward = forward
        self.size = size
        self.logger = logger

    def __call__(self, images: Any) -> np.ndarray:
        import torch

        out, start = [], 0
        while start < len(images):
            chunk = images[start : start + self.size]
            try:
                out.append(self.forward(chunk))
            except torch.OutOfMemoryError:
                if self.size == 1:
                    raise EmotifyError(
                        "CUDA out of memory even for a batch of one clip; use a smaller layer, a shorter "
                        "audio.duration or features.device: cpu"
                    ) from None
                if torch.cuda.is_available():
                    torch.cuda.empty_cache()
                self.size = max(1, self.size // 2)
                if self.logger:
                    self.logger.warning("CUDA out of memory: batch size halved to %d", self.size)
                continue
            start += len(chunk)
        return np.concatenate(out)
