"""Where the musicnn port's weights come from: the ``musicnn`` package's wheel (PyPI, ISC
licence), checked against its sha256, whose TensorFlow 1 checkpoints are read with NumPy
(:mod:`tf_checkpoint`) and renamed and transposed into the port's state dict once (rules
``fetch_musicnn`` and ``convert_musicnn``)."""

import logging
from pathlib import Path

import numpy as np

from ...core.errors import EmotifyError
from ...core.files import atomic_path
from ...data.download import verify_sha256
from .base import state_dict_sha256
from .musicnn import FETCH_COMMAND, MODELS, WHEEL, WHEEL_SHA256, build_musicnn
from .tf_checkpoint import read_checkpoint


def fetch_wheel(folder: str | Path, logger: logging.Logger | None = None) -> Path:
    """``folder/musicnn-0.1.0-py3-none-any.whl``, checked against its sha256: the file already
    there (put by hand), or fetched from the package registry with pip. One message says which
    failed and what to do."""
    import subprocess
    import sys

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

    if model not in MODELS:
        raise EmotifyError(f"features.model: {model!r} is not one of {sorted(MODELS)} (the musicnn architectures)")
    with tempfile.TemporaryDirectory(prefix="musicnn-") as tmp, zipfile.ZipFile(wheel) as zf:
        for suffix in (".index", ".data-00000-of-00001"):
            zf.extract(f"musicnn/{model}/{suffix}", tmp)
        return read_checkpoint(f"{tmp}/musicnn/{model}/")


#: the port's batch norms, convolutions and mid-end convolutions, by their checkpoint names
_BN_OF = {
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
_CONV_OF = {
    "timbral.0": "conv2d",
    "timbral.1": "conv2d_1",
    "temporal.0": "conv2d_2",
    "temporal.1": "conv2d_3",
    "temporal.2": "conv2d_4",
}
_MIDEND_OF = {"midend.0": "conv2d_5", "midend.1": "conv2d_6", "midend.2": "conv2d_7"}


def state_dict_from_checkpoint(tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The port's state dict (NumPy arrays, PyTorch names and layouts) from the checkpoint's
    model tensors (optimizer slots dropped). TensorFlow's conv kernels are HWIO, dense kernels
    (in, out); PyTorch's OIHW and (out, in)."""
    out: dict[str, np.ndarray] = {}
    for name, tf_name in _BN_OF.items():
        out[f"{name}.weight"] = tensors[f"{tf_name}/gamma"]
        out[f"{name}.bias"] = tensors[f"{tf_name}/beta"]
        out[f"{name}.running_mean"] = tensors[f"{tf_name}/moving_mean"]
        out[f"{name}.running_var"] = tensors[f"{tf_name}/moving_variance"]
    for name, tf_name in _CONV_OF.items():
        out[f"{name}.weight"] = tensors[f"{tf_name}/kernel"].transpose(3, 2, 0, 1)  # HWIO -> OIHW
        out[f"{name}.bias"] = tensors[f"{tf_name}/bias"]
    for name, tf_name in _MIDEND_OF.items():  # a [7, C] kernel over (time, channels as width) = Conv1d(C, 64, 7)
        out[f"{name}.weight"] = tensors[f"{tf_name}/kernel"][:, :, 0, :].transpose(2, 1, 0)
        out[f"{name}.bias"] = tensors[f"{tf_name}/bias"]
    for name, tf_name in (("dense", "dense"), ("out", "dense_1")):
        out[f"{name}.weight"] = tensors[f"{tf_name}/kernel"].T
        out[f"{name}.bias"] = tensors[f"{tf_name}/bias"]
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in out.items()}


def convert(wheel: str | Path, model: str, out: str | Path) -> str:
    """Write ``model``'s weights from the wheel as the port's PyTorch state dict (``torch.save``)
    atomically, the same bytes for the same weights; return the state dict's sha256
    (:func:`base.state_dict_sha256`)."""
    import torch

    state = {k: torch.from_numpy(v) for k, v in state_dict_from_checkpoint(read_model_checkpoint(wheel, model)).items()}
    net = build_musicnn()
    net.load_state_dict(state)  # every tensor of the port, none left over
    # saved through a handle: torch then names the archive's records "archive/", not after the
    # temporary file, so the same weights give the same bytes (and weights_sha256) every time
    with atomic_path(out, suffix=".pt") as tmp, open(tmp, "wb") as handle:
        torch.save(state, handle)
    return state_dict_sha256(state)
