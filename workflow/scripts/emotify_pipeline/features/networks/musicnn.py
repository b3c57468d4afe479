"""musicnn (Pons & Serra 2019) in PyTorch: the music-tagging network of the ``musicnn`` package
(0.1.0, ISC licence), ported layer by layer, with its input representation.

The package's own code pins TensorFlow 1 and numpy < 1.17; only its checkpoints are used. They
are read with NumPy (:mod:`tf_checkpoint`) and renamed and transposed into this module's state
dict once (:func:`state_dict_from_checkpoint`, rule ``convert_musicnn``). What the port must
match (checked against the original TensorFlow graph, ``tests/test_musicnn.py``):

* input: 16 kHz mono, mel power spectrogram (n_fft 512, hop 256, 96 bands, librosa's Slaney
  filters), ``log10(10000 x + 1)``, cut into patches of 187 frames (3 s) without overlap. The
  package computes the log in float16, which overflows to inf on loud clips (7,556 inf values on
  the archive's rock/1.mp3, and its top tag moves from 0.48 to 0.33); here it is float32.
* layers: TensorFlow's NHWC [batch, time, mel, 1] becomes NCHW [batch, 1, time, mel]; every
  convolution is conv -> ReLU -> batch norm (BN *after* the ReLU), BN epsilon 1e-3; an input BN
  over the single channel; timbral convolutions [7, 38] and [7, 67] (204 filters, time padded 3
  each side, valid in frequency, max over frequency); temporal convolutions [128, 1], [64, 1],
  [32, 1] (51 filters, TensorFlow's 'same': an even kernel k pads k/2 - 1 before and k/2
  after), max over frequency; a mid-end of three time convolutions (kernel 7, 64 filters) with
  residual sums; a back-end that pools the 753 channels over time by max and mean, flattened
  *interleaved* ([max0, mean0, max1, mean1, ...], 1506), BN, dense 200 + ReLU, BN (the
  penultimate layer), dense 50, sigmoid (the taggram).

What the port returns per 3-s patch: ``taggram`` (50 tag probabilities), ``penultimate`` (200),
``max_pool`` and ``mean_pool`` (753 each, the back-end's temporal pools), ``pools`` (1506, both,
interleaved as the back-end reads them). ``features.model: MSD_musicnn`` (or ``MTT_musicnn``)
runs it inside the workflow's extraction (:class:`Musicnn`, one registered network per model):
one of these layers (``features.musicnn.layer``) per patch, pooled over the clip's patches
(``features.musicnn.pooling``) into one row of the feature file. Its weights come from the
package's wheel (:mod:`musicnn_weights`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from ...core.digests import sha256_file
from ...core.errors import EmotifyError
from ..spectrogram import SpectrogramParams, decode_clip_at, decode_statistics, mel_power
from .base import Forward, Network
from .inputs import ClipImages, Collate, Collated, Item, collate_by

#: the models of the package this port runs (the musicnn architecture) and what trained them
MODELS = {
    "MSD_musicnn": "Million Song Dataset (Last.fm tags)",
    "MTT_musicnn": "MagnaTagATune (Magnatune audio: the source of Emotify's clips)",
}
#: models trained on Magnatune audio may have heard Emotify's songs
LEAKY_MODELS = frozenset({"MTT_musicnn"})
LEAKAGE_WARNING = (
    "trained on MagnaTagATune, whose audio is Magnatune's -- the source of Emotify's clips: the network "
    "may have been trained on these very songs, so its numbers can overstate what audio alone tells"
)
#: the package file the weights come from (PyPI; ISC licence), and its sha256
WHEEL = "musicnn-0.1.0-py3-none-any.whl"
WHEEL_SHA256 = "f38a4890c648c1ddbb141c5d96d2b0a8cfcd36746002d896989f7b88beb65cfa"
FETCH_COMMAND = "pip download --no-deps musicnn==0.1.0 -d resources/models"
#: the layers a user can take per 3-s patch, and their widths
LAYERS = {"taggram": 50, "penultimate": 200, "max_pool": 753, "mean_pool": 753, "pools": 1506}
#: how a clip's patches become one row: their mean, maximum, or mean and standard deviation
PATCH_POOLINGS = ("mean", "max", "mean_std")
SAMPLE_RATE = 16000
N_FFT = 512
HOP = 256
N_MELS = 96
PATCH_FRAMES = 187  # librosa.time_to_frames(3 s) + 1, as the package computes it
BN_EPS = 1e-3
MTT_LABELS = (
    "guitar", "classical", "slow", "techno", "strings", "drums", "electronic", "rock", "fast", "piano",
    "ambient", "beat", "violin", "vocal", "synth", "female", "indian", "opera", "male", "singing", "vocals",
    "no vocals", "harpsichord", "loud", "quiet", "flute", "woman", "male vocal", "no vocal", "pop", "soft",
    "sitar", "solo", "man", "classic", "choir", "voice", "new age", "dance", "male voice", "female vocal",
    "beats", "harp", "cello", "no voice", "weird", "country", "metal", "female voice", "choral",
)  # fmt: skip
MSD_LABELS = (
    "rock", "pop", "alternative", "indie", "electronic", "female vocalists", "dance", "00s",
    "alternative rock", "jazz", "beautiful", "metal", "chillout", "male vocalists", "classic rock", "soul",
    "indie rock", "Mellow", "electronica", "80s", "folk", "90s", "chill", "instrumental", "punk", "oldies",
    "blues", "hard rock", "ambient", "acoustic", "experimental", "female vocalist", "guitar", "Hip-Hop",
    "70s", "party", "country", "easy listening", "sexy", "catchy", "funk", "electro", "heavy metal",
    "Progressive rock", "60s", "rnb", "indie pop", "sad", "House", "happy",
)  # fmt: skip


def log_mel(y: np.ndarray, mel_basis: np.ndarray | None = None) -> np.ndarray:
    """The package's input representation of a 16 kHz mono signal: (frames, 96), float32
    ``log10(10000 x + 1)`` of the mel power spectrogram (the package's float16 overflow fixed)."""
    import librosa

    if mel_basis is None:
        mel_basis = librosa.filters.mel(sr=SAMPLE_RATE, n_fft=N_FFT, n_mels=N_MELS)
    spec = np.abs(librosa.stft(y.astype(np.float32), n_fft=N_FFT, hop_length=HOP)) ** 2
    mel = (mel_basis @ spec).T.astype(np.float32)
    return np.log10(np.float32(10000) * mel + np.float32(1)).astype(np.float32)


def patches(rep: np.ndarray) -> np.ndarray:
    """(n_patches, 187, 96): the package's batching -- consecutive 3-s patches without overlap,
    the remainder dropped. A clip shorter than 3 s, for which the package has no answer (it
    fails), gives one patch completed with zeros, which is silence in this representation
    (``log10(10000 x + 1)`` of zero power)."""
    if rep.shape[0] < PATCH_FRAMES:
        padded = np.zeros((1, PATCH_FRAMES, rep.shape[1]), dtype=np.float32)
        padded[0, : rep.shape[0]] = rep
        return padded
    starts = range(0, rep.shape[0] - PATCH_FRAMES + 1, PATCH_FRAMES)
    return np.stack([rep[s : s + PATCH_FRAMES] for s in starts]).astype(np.float32)


def build_musicnn() -> Any:
    """The musicnn network (MSD_musicnn / MTT_musicnn shape: 64 mid-end filters, 200 back-end
    units, 50 tags), uninitialised: load a converted state dict."""
    import torch
    from torch import nn
    from torch.nn import functional as F

    def bn2(c: int) -> nn.BatchNorm2d:
        return nn.BatchNorm2d(c, eps=BN_EPS)

    class MusiCNN(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.input_bn = bn2(1)
            self.timbral = nn.ModuleList([nn.Conv2d(1, 204, (7, 38)), nn.Conv2d(1, 204, (7, 67))])
            self.timbral_bn = nn.ModuleList([bn2(204), bn2(204)])
            self.temporal = nn.ModuleList([nn.Conv2d(1, 51, (k, 1)) for k in (128, 64, 32)])
            self.temporal_bn = nn.ModuleList([bn2(51) for _ in range(3)])
            self.midend = nn.ModuleList([nn.Conv1d(561, 64, 7), nn.Conv1d(64, 64, 7), nn.Conv1d(64, 64, 7)])
            self.midend_bn = nn.ModuleList([nn.BatchNorm1d(64, eps=BN_EPS) for _ in range(3)])
            self.pool_bn = nn.BatchNorm1d(1506, eps=BN_EPS)
            self.dense = nn.Linear(1506, 200)
            self.dense_bn = nn.BatchNorm1d(200, eps=BN_EPS)
            self.out = nn.Linear(200, 50)

        def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
            """x: (batch, 187, 96) log-mel patches -> every layer a user can take, per patch."""
            x = self.input_bn(x.unsqueeze(1))  # (B, 1, T, F)
            front = []
            padded = F.pad(x, (0, 0, 3, 3))
            for conv, bn in zip(self.timbral, self.timbral_bn, strict=True):
                front.append(bn(F.relu(conv(padded))).amax(dim=3))
            for conv, bn in zip(self.temporal, self.temporal_bn, strict=True):
                k = conv.kernel_size[0]
                same = F.pad(x, (0, 0, k // 2 - 1, k // 2))  # TensorFlow's 'same' for an even kernel
                front.append(bn(F.relu(conv(same))).amax(dim=3))
            h = torch.cat(front, dim=1)  # (B, 561, T)
            mid = [h]
            for i, (conv, bn) in enumerate(zip(self.midend, self.midend_bn, strict=True)):
                z = bn(F.relu(conv(F.pad(mid[-1], (3, 3)))))
                mid.append(z if i == 0 else z + mid[-1])
            feats = torch.cat(mid, dim=1)  # (B, 753, T)
            max_pool, mean_pool = feats.amax(dim=2), feats.mean(dim=2)
            pools = torch.stack([max_pool, mean_pool], dim=2).flatten(1)  # interleaved, as TF flattens
            penultimate = self.dense_bn(F.relu(self.dense(self.pool_bn(pools))))
            taggram = torch.sigmoid(self.out(penultimate))
            return {
                "taggram": taggram,
                "penultimate": penultimate,
                "max_pool": max_pool,
                "mean_pool": mean_pool,
                "pools": pools,
            }

    return MusiCNN()


def load_port(path: str | Path) -> Any:
    """The port with a converted state dict, in eval mode."""
    import torch

    net = build_musicnn()
    net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return net.eval()


def model_label(model: str) -> str:
    """How figures and tables name a musicnn model: the name, what trained it, and for a model
    trained on Magnatune audio a warning that it may have heard these songs."""
    label = f"{model} (musicnn, trained on {MODELS[model].split(' (')[0]})"
    return label + (" -- WARNING: may have heard these very songs" if model in LEAKY_MODELS else "")


def feature_dim(layer: str, pooling: str) -> int:
    """Width of one feature row: the layer's width, twice for ``mean_std``."""
    return LAYERS[layer] * (2 if pooling == "mean_std" else 1)


def clip_patches(y: np.ndarray, sample_rate: int, mel_basis: np.ndarray | None = None) -> np.ndarray:
    """The model's input from a decoded mono clip at ``sample_rate`` (only the audio decoded, no
    padding): resampled to 16 kHz with librosa's default resampler (as ``librosa.load`` does in
    the package), then :func:`log_mel` and :func:`patches`."""
    import librosa

    if sample_rate != SAMPLE_RATE:
        y = librosa.resample(y.astype(np.float32), orig_sr=sample_rate, target_sr=SAMPLE_RATE)
    return patches(log_mel(y, mel_basis))


def pool_patches(values: Any, counts: list[int], pooling: str) -> np.ndarray:
    """(sum(counts), width) per-patch values -> (len(counts), dim) rows, each clip's patches
    pooled by ``pooling`` (population standard deviation for ``mean_std``)."""
    values = np.asarray(values, dtype=np.float64)
    rows, start = [], 0
    for n in counts:
        block = values[start : start + n]
        start += n
        if pooling == "mean":
            rows.append(block.mean(axis=0))
        elif pooling == "max":
            rows.append(block.max(axis=0))
        else:
            rows.append(np.concatenate([block.mean(axis=0), block.std(axis=0)]))
    return np.stack(rows).astype(np.float32)


def make_forward(net: Any, layer: str, pooling: str, device: str = "cpu") -> Forward:
    """A function ``(patches (P, 187, 96) tensor, patch counts per clip)`` -> (clips, dim) float32
    rows: the port on every patch, ``layer`` taken, pooled per clip over its patches."""
    import torch

    def forward(batch: tuple[Any, list[int]]) -> np.ndarray:
        x, counts = batch
        out = net(x.to(device))[layer]
        return pool_patches(out.float().cpu().numpy(), counts, pooling)

    return torch.inference_mode()(forward)


class ClipPatches(ClipImages):
    """The port's input: one decode per clip gives its 3-s log-mel patches (n_patches, 187, 96)
    (the audio decoded, at 16 kHz as the package loads it) and the same decode statistics as the
    spectrogram image's path (so the production descriptors do not depend on the network)."""

    def __getitem__(self, i: int) -> Item:
        path = self.paths[i]
        try:
            y, seconds, y16 = decode_clip_at(path, self.sp, also=SAMPLE_RATE)
            rep = clip_patches(y16, SAMPLE_RATE)
            return i, rep, "", seconds, decode_statistics(y, mel_power(y, self.sp), self.sp)
        except EmotifyError as err:
            return i, None, str(err), 0.0, None


def collate_patches(items: list[Item]) -> Collated:
    """:func:`inputs.collate_by` for :class:`ClipPatches`: the clips' patches one after another,
    with the number of patches of each (the batch :func:`make_forward` reads)."""
    import torch

    return collate_by(items, lambda reps: (torch.from_numpy(np.concatenate(reps)), [len(r) for r in reps]))


class Musicnn(Network):
    """One of the package's musicnn models (:data:`MODELS`) through the port: its 3-s patches
    (:class:`ClipPatches`), one layer per patch (``features.musicnn.layer``), pooled over the
    clip's patches (``features.musicnn.pooling``), in fp32 with the converted weights
    ``resources/models/<model>.pt`` (rule ``convert_musicnn``)."""

    layers = tuple(LAYERS)
    poolings = PATCH_POOLINGS
    settings_key = "features.musicnn"
    label_suffix = " over 3-s patches"

    def __init__(self, model: str) -> None:
        if model not in MODELS:
            raise EmotifyError(f"features.model: {model!r} is not one of {sorted(MODELS)} (the musicnn architectures)")
        self.name = self.table_name = model
        self.leakage_warning = LEAKAGE_WARNING if model in LEAKY_MODELS else ""

    def value_settings(self, features: dict[str, Any]) -> dict[str, Any]:
        """musicnn runs in fp32 with its converted weights: VGG19's weights, seed and precision
        do not touch it."""
        musicnn = features["musicnn"]
        return {
            "model": self.name,
            "weights": self.name,
            "weights_sha256": None,
            "seed": None,
            "layer": musicnn["layer"],
            "pooling": musicnn["pooling"],
            "precision": "fp32",
            "store_dtype": features["store_dtype"],
        }

    def weights_file(self, features: dict[str, Any]) -> str:
        return f"resources/models/{self.name}.pt"

    def training_data(self, settings: dict[str, Any]) -> str:
        return MODELS[self.name]

    def load_weights(self, settings: dict[str, Any], weights_file: str | Path | None) -> tuple[Any, dict[str, str]]:
        """The converted port in eval mode and its weights' provenance: the package file the
        weights came from (sha256) and the converted state dict's sha256."""
        if weights_file is None or not Path(weights_file).is_file():
            raise EmotifyError(
                f"{weights_file}: the converted {self.name} weights are missing; the rule convert_musicnn makes them "
                f"from {WHEEL} (`{FETCH_COMMAND}` where the registry cannot be reached)"
            )
        try:
            net = load_port(weights_file)
        except Exception as err:  # noqa: BLE001 - any load failure is the file's
            raise EmotifyError(
                f"{weights_file}: not a converted {self.name} state dict ({err.__class__.__name__}: {err})"
            ) from None
        return net, {
            "weights": self.name,
            "weights_label": model_label(self.name),
            "weights_source": f"{WHEEL} (sha256 {WHEEL_SHA256}), converted by rule convert_musicnn to {weights_file}",
            "weights_sha256": sha256_file(weights_file),
            "checkpoint_sha256": WHEEL_SHA256,
        }

    def activation_shape(self, layer: str, sp: SpectrogramParams) -> list[int]:
        """The layer's width per 3-s patch, before pooling over the clip's patches."""
        return [LAYERS[layer]]

    def inputs(self, paths: list[str], sp: SpectrogramParams) -> tuple[ClipPatches, Collate]:
        return ClipPatches(paths, sp), collate_patches

    def batcher(
        self,
        model: Any,
        settings: dict[str, Any],
        device: str,
        precision: str,
        batch_size: int,
        logger: logging.Logger | None = None,
    ) -> Forward:
        """:func:`make_forward` in fp32 (:meth:`value_settings` declares no other precision)."""
        if precision != "fp32":
            raise EmotifyError(f"{self.name} runs in fp32, not {precision} (its value settings say fp32)")
        return make_forward(model.to(device), settings["layer"], settings["pooling"], device)


#: the registered musicnn networks, one per model of the package
NETWORKS = tuple(Musicnn(model) for model in MODELS)
