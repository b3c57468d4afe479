"""VGG19 (torchvision) on the log-mel spectrogram image: the paper's feature network.

``features.weights``: ``imagenet`` (torchvision's IMAGENET1K_V1 file, which must be present
locally at ``features.weights_file``), ``random`` (seeded random initialisation, labelled as
such everywhere), or a path to a state-dict file. ``features.layer`` names a VGG19 layer
(``conv1_1`` ... ``conv5_4``, ``pool1`` ... ``pool5``, ``fc6``, ``fc7``; conv and fc outputs are
taken after their ReLU). ``features.pooling``: ``flatten`` keeps the whole (C, H, W)
activation, ``mean``/``max`` reduce the time axis W, ``mean_std`` concatenates time mean and
standard deviation.

Speed: the network runs on whole batches under ``torch.inference_mode`` with channels_last
(1.9x faster on this CPU than the default layout); fp32 by default on every device, bf16 an
opt-in (:func:`features.execution.resolve_precision`). A CUDA out-of-memory error halves the
batch and the work continues (:class:`base.AdaptiveBatcher`).
"""

import logging
from pathlib import Path
from typing import Any

import numpy as np

from ...core.digests import sha256_file
from ...core.emotify import IMAGENET_FILE, IMAGENET_URL, weights_label
from ...core.errors import EmotifyError
from ..spectrogram import SpectrogramParams
from .base import VALUE_SETTINGS, AdaptiveBatcher, Forward, Network, state_dict_sha256
from .inputs import ClipImages, Collate, collate_images

POOLINGS = ("flatten", "mean", "max", "mean_std")


def _layer_indices() -> dict[str, int]:
    """Map VGG19 layer names to indices in ``torchvision.models.vgg19().features``."""
    cfg = [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"]
    names: dict[str, int] = {}
    idx, block, conv = 0, 1, 1
    for v in cfg:
        if v == "M":
            names[f"pool{block}"] = idx
            idx += 1
            block, conv = block + 1, 1
        else:
            names[f"conv{block}_{conv}"] = idx + 1  # after the ReLU
            idx += 2
            conv += 1
    return names


LAYERS: dict[str, int] = _layer_indices()
FC_LAYERS: dict[str, int] = {"fc6": 1, "fc7": 4}  # classifier indices, after ReLU
_CHANNELS = {1: 64, 2: 128, 3: 256, 4: 512, 5: 512}


def check_layer(layer: str) -> None:
    """Raise :class:`EmotifyError` unless ``layer`` names a VGG19 layer this module knows."""
    if layer not in LAYERS and layer not in FC_LAYERS:
        raise EmotifyError(
            f"features.layer: unknown layer {layer!r}; choose one of {sorted(LAYERS) + sorted(FC_LAYERS)}"
        )


def activation_shape(layer: str, n_mels: int, n_frames: int) -> tuple[int, ...]:
    """(C, H, W) of ``layer`` for a (3, n_mels, n_frames) image; (4096,) for fc6/fc7."""
    check_layer(layer)
    if layer in FC_LAYERS:
        return (4096,)
    block = int(layer[4])
    pools = block if layer.startswith("pool") else block - 1
    h, w = n_mels, n_frames
    for _ in range(pools):
        h, w = h // 2, w // 2
    return (_CHANNELS[block], h, w)


def feature_dim(layer: str, pooling: str, n_mels: int, n_frames: int) -> int:
    """Length of the feature vector for ``layer`` and ``pooling`` (see :func:`pool_activations`)."""
    shape = activation_shape(layer, n_mels, n_frames)
    if len(shape) == 1:
        return shape[0]
    c, h, w = shape
    return {"flatten": c * h * w, "mean": c * h, "max": c * h, "mean_std": 2 * c * h}[pooling]


def truncated_model(model: Any, layer: str) -> Any:
    """The part of VGG19 up to and including ``layer`` (conv/pool: features; fc6/fc7: classifier)."""
    import torch

    check_layer(layer)
    if layer in LAYERS:
        return model.features[: LAYERS[layer] + 1]
    return torch.nn.Sequential(
        model.features, model.avgpool, torch.nn.Flatten(1), model.classifier[: FC_LAYERS[layer] + 1]
    )


def _checked_weights_file(weights: str, weights_file: str | Path | None, weights_sha256: str | None) -> str:
    """The sha256 of ``weights_file``, after checking that it exists, matches ``weights_sha256``
    (when given) and, for ImageNet weights under torchvision's name, torchvision's prefix."""
    if weights_file is None or not Path(weights_file).is_file():
        raise EmotifyError(
            f"VGG19 weights file {weights_file} not found; for ImageNet weights put {IMAGENET_FILE} "
            f"(from {IMAGENET_URL}) at {weights_file}, or set features.weights: random"
        )
    digest = sha256_file(weights_file)
    if weights_sha256 and digest != weights_sha256.lower():
        raise EmotifyError(f"{weights_file}: sha256 is {digest}, expected {weights_sha256} (features.weights_sha256)")
    if weights == "imagenet" and Path(weights_file).name == IMAGENET_FILE and not digest.startswith("dcbb9e9d"):
        raise EmotifyError(f"{weights_file}: sha256 {digest} does not start with dcbb9e9d as torchvision's file does")
    return digest


def build_vgg19(
    weights: str,
    seed: int | None,
    layer: str,
    weights_file: str | Path | None = None,
    weights_sha256: str | None = None,
) -> tuple[Any, dict[str, str]]:
    """Build torchvision's VGG19 up to ``layer`` in eval mode; return ``(model, provenance)``.

    ``weights``: ``random`` (seeded; the sha256 covers the parameters of the layers used),
    ``imagenet`` or a path -- the latter two read the state dict from ``weights_file``
    (checked against ``weights_sha256`` when given). ``provenance`` holds the keys of
    :data:`base.WEIGHTS_PROVENANCE`.
    """
    import torch
    from torchvision.models import vgg19

    torch.manual_seed(0 if seed is None else seed)  # only random weights keep these values
    model = vgg19(weights=None)
    if weights == "random":
        digest = state_dict_sha256(truncated_model(model, layer).state_dict())
        source = f"torchvision vgg19(weights=None), torch.manual_seed({seed})"
    else:
        digest = _checked_weights_file(weights, weights_file, weights_sha256)
        try:
            state = torch.load(weights_file, map_location="cpu", weights_only=True)
            model.load_state_dict(state)
        except Exception as err:  # noqa: BLE001 - any load failure is the user's file
            raise EmotifyError(f"{weights_file}: not a VGG19 state dict ({err.__class__.__name__}: {err})") from None
        source = str(weights_file)
    model = truncated_model(model, layer).eval()
    provenance = {
        "weights": weights,
        "weights_label": weights_label(weights),
        "weights_source": source,
        "weights_sha256": digest,
    }
    return model, provenance


def pool_activations(act: Any, pooling: str) -> Any:
    """Reduce a batch of activations (B, C, H, W) -- or (B, D) for fc layers -- to (B, dim)."""
    import torch

    if act.ndim == 2:
        return act
    if pooling == "flatten":
        return act.flatten(1)
    if pooling == "mean":
        return act.mean(dim=3).flatten(1)
    if pooling == "max":
        return act.amax(dim=3).flatten(1)
    if pooling == "mean_std":
        return torch.cat([act.mean(dim=3).flatten(1), act.std(dim=3, unbiased=False).flatten(1)], dim=1)
    raise EmotifyError(f"features.pooling: unknown pooling {pooling!r}; choose one of {list(POOLINGS)}")


def make_forward(net: Any, pooling: str, device: str, precision: str) -> Forward:
    """A function images (B, 3, H, W) on the CPU -> pooled float32 features (B, dim) numpy."""
    import torch

    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
    cuda = device == "cuda"

    if cuda and dtype is None:  # fp32 means fp32: no TF32 (10-bit mantissa) convolutions or products
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False

    def forward(images: Any) -> np.ndarray:
        if len(images) == 1:
            # oneDNN takes another code path for a batch of one (differences of ~1e-7): run a
            # lone clip as a pair, so that a clip's features never depend on its batch
            return forward(torch.cat([images, images]))[:1]
        x = images.to(device, non_blocking=cuda)
        x = x.contiguous(memory_format=torch.channels_last)  # faster on CPU (1.9x) and GPU alike
        with torch.autocast(device_type="cuda" if cuda else "cpu", dtype=dtype, enabled=dtype is not None):
            act = net(x)
        return pool_activations(act.float(), pooling).cpu().numpy()

    return forward


class VGG19(Network):
    """torchvision's VGG19 on the spectrogram image (:class:`inputs.ClipImages`), up to
    ``features.layer``, pooled over time by ``features.pooling``; weights ``features.weights``."""

    name = "vgg19"
    table_name = "VGG19"
    layers = (*LAYERS, *FC_LAYERS)
    poolings = POOLINGS
    settings_key = "features"
    weights_check = True

    def value_settings(self, features: dict[str, Any]) -> dict[str, Any]:
        params = {**{key: features[key] for key in VALUE_SETTINGS if key != "model"}, "model": self.name}
        if features["weights"] != "random":
            params["seed"] = None  # the seed only shapes random weights
        return params

    def weights_file(self, features: dict[str, Any]) -> str:
        weights = features["weights"]
        if weights == "random":
            return ""
        return features["weights_file"] if weights == "imagenet" else weights

    def training_data(self, settings: dict[str, Any]) -> str:
        weights = settings["weights"]
        return "" if weights == "random" else "ImageNet" if weights == "imagenet" else "unknown"

    def check_settings(self, layer: str, pooling: str) -> None:
        check_layer(layer)
        if pooling not in POOLINGS:
            raise EmotifyError(f"features.pooling: unknown pooling {pooling!r}; choose one of {list(POOLINGS)}")

    def load_weights(self, settings: dict[str, Any], weights_file: str | Path | None) -> tuple[Any, dict[str, str]]:
        return build_vgg19(
            settings["weights"], settings["seed"], settings["layer"], weights_file, settings.get("weights_sha256")
        )

    def activation_shape(self, layer: str, sp: SpectrogramParams) -> list[int]:
        return list(activation_shape(layer, sp.n_mels, sp.n_frames))

    def inputs(self, paths: list[str], sp: SpectrogramParams) -> tuple[ClipImages, Collate]:
        return ClipImages(paths, sp), collate_images

    def batcher(
        self,
        model: Any,
        settings: dict[str, Any],
        device: str,
        precision: str,
        batch_size: int,
        logger: logging.Logger | None = None,
    ) -> AdaptiveBatcher:
        import torch

        net = model.to(device).to(memory_format=torch.channels_last)
        return AdaptiveBatcher(make_forward(net, settings["pooling"], device, precision), batch_size, logger)


NETWORK = VGG19()
