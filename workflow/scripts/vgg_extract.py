"""VGG19 feature extraction into an HDF5 cache indexed by track id.

``features.weights``: ``imagenet`` (torchvision's IMAGENET1K_V1 file, which must be present
locally), ``random`` (seeded random initialisation, labelled as such everywhere), or a path
to a state-dict file. ``features.layer`` names a VGG19 layer (``conv1_1`` ... ``conv5_4``,
``pool1`` ... ``pool5``, ``fc6``, ``fc7``; conv and fc outputs are taken after their ReLU).
``features.pooling``: ``flatten`` keeps the whole (C, H, W) activation, ``mean``/``max``
reduce the time axis W, ``mean_std`` concatenates time mean and standard deviation.
"""

import hashlib
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from common_io import EmotifyError, atomic_path, library_versions, run_main, sha256_file, utc_now, weights_label
from spectrogram import SpectrogramParams, clip_image

IMAGENET_URL = "https://download.pytorch.org/models/vgg19-dcbb9e9d.pth"
IMAGENET_FILE = "vgg19-dcbb9e9d.pth"
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


def state_dict_sha256(state: dict[str, Any]) -> str:
    """A sha256 over a state dict's names and float32 bytes (provenance of random weights)."""
    digest = hashlib.sha256()
    for name in sorted(state):
        digest.update(name.encode())
        digest.update(state[name].detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def build_vgg19(
    weights: str, seed: int, layer: str, weights_file: str | Path | None = None, weights_sha256: str | None = None
):
    """Build torchvision's VGG19 up to ``layer`` in eval mode; return ``(model, provenance)``.

    ``weights``: ``random`` (seeded; the sha256 covers the parameters of the layers used),
    ``imagenet`` or a path -- the latter two read the state dict from ``weights_file``
    (checked against ``weights_sha256`` when given).
    """
    import torch
    from torchvision.models import vgg19

    torch.manual_seed(seed)
    model = vgg19(weights=None)
    if weights == "random":
        digest = state_dict_sha256(truncated_model(model, layer).state_dict())
        source = f"torchvision vgg19(weights=None), torch.manual_seed({seed})"
    else:
        if weights_file is None or not Path(weights_file).is_file():
            raise EmotifyError(
                f"VGG19 weights file {weights_file} not found; for ImageNet weights put {IMAGENET_FILE} "
                f"(from {IMAGENET_URL}) at {weights_file}, or set features.weights: random"
            )
        digest = sha256_file(weights_file)
        if weights_sha256 and digest != weights_sha256.lower():
            raise EmotifyError(
                f"{weights_file}: sha256 is {digest}, expected {weights_sha256} (features.weights_sha256)"
            )
        if weights == "imagenet" and Path(weights_file).name == IMAGENET_FILE and not digest.startswith("dcbb9e9d"):
            raise EmotifyError(
                f"{weights_file}: sha256 {digest} does not start with dcbb9e9d as torchvision's file does"
            )
        try:
            state = torch.load(weights_file, map_location="cpu", weights_only=True)
            model.load_state_dict(state)
        except Exception as err:  # noqa: BLE001 - any load failure is the user's file
            raise EmotifyError(f"{weights_file}: not a VGG19 state dict ({err.__class__.__name__}: {err})") from None
        source = str(weights_file)
    model = truncated_model(model, layer).eval()
    return model, {
        "weights": weights,
        "weights_label": weights_label(weights),
        "weights_source": source,
        "weights_sha256": digest,
    }


def truncated_model(model: Any, layer: str) -> Any:
    """The part of VGG19 up to and including ``layer`` (conv/pool: features; fc6/fc7: classifier)."""
    import torch

    if layer in LAYERS:
        return model.features[: LAYERS[layer] + 1]
    if layer in FC_LAYERS:
        return torch.nn.Sequential(
            model.features, model.avgpool, torch.nn.Flatten(1), model.classifier[: FC_LAYERS[layer] + 1]
        )
    raise EmotifyError(f"features.layer: unknown layer {layer!r}; choose one of {sorted(LAYERS) + sorted(FC_LAYERS)}")


def pool_activations(act: Any, pooling: str) -> Any:
    """Reduce a batch of activations (B, C, H, W) -- or (B, D) for fc layers -- to (B, dim)."""
    if act.ndim == 2:
        return act
    if pooling == "flatten":
        return act.flatten(1)
    if pooling == "mean":
        return act.mean(dim=3).flatten(1)
    if pooling == "max":
        return act.amax(dim=3).flatten(1)
    if pooling == "mean_std":
        return __import__("torch").cat([act.mean(dim=3).flatten(1), act.std(dim=3, unbiased=False).flatten(1)], dim=1)
    raise EmotifyError(f"features.pooling: unknown pooling {pooling!r}; choose one of {list(POOLINGS)}")


def resolve_device(requested: str) -> str:
    """``auto`` -> ``cuda`` when available, else ``cpu``; ``cuda`` without a GPU is an error."""
    import torch

    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if requested == "cuda" and not torch.cuda.is_available():
        raise EmotifyError("features.device is 'cuda' but torch sees no CUDA device")
    return requested


def _batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def extract_features(
    paths: list[str],
    sp: SpectrogramParams,
    model: Any,
    pooling: str,
    device: str = "cpu",
    batch_size: int = 8,
    logger: logging.Logger | None = None,
) -> Iterator[tuple[int, np.ndarray, tuple[int, ...]]]:
    """Yield ``(start_row, features (B, dim) float32, activation shape)`` batch by batch.

    ``model`` is the truncated network of :func:`build_vgg19`.
    """
    import torch
    from tqdm import tqdm

    net = model.to(device)
    with torch.inference_mode():
        start = 0
        for batch in tqdm(
            list(_batches(paths, batch_size)), desc="VGG19", unit="batch", mininterval=5, disable=logger is None
        ):
            images = torch.from_numpy(np.stack([clip_image(p, sp) for p in batch])).to(device)
            act = net(images)
            feats = pool_activations(act, pooling).float().cpu().numpy()
            yield start, feats, tuple(act.shape[1:])
            start += len(batch)


def write_feature_h5(
    out_path: str | Path,
    tracks: pd.DataFrame,
    batches: Iterator[tuple[int, np.ndarray, tuple[int, ...]]],
    attrs: dict[str, Any],
    dtype: str = "float32",
) -> tuple[int, int]:
    """Stream feature batches into ``out_path`` (atomically); return ``(n_tracks, dim)``.

    Layout: ``features`` (n_tracks, dim) chunked one row per chunk; ``track_id`` (n_tracks,)
    int64; ``genre`` (n_tracks,) UTF-8 strings; attributes as documented in the README.
    """
    import h5py

    n = len(tracks)
    with atomic_path(out_path, suffix=".h5") as tmp:
        with h5py.File(tmp, "w") as h5:
            h5.create_dataset("track_id", data=tracks["track_id"].to_numpy(dtype=np.int64))
            h5.create_dataset("genre", data=tracks["genre"].astype(str).tolist(), dtype=h5py.string_dtype())
            dset = None
            shape: tuple[int, ...] = ()
            for start, feats, act_shape in batches:
                shape = act_shape
                if dset is None:
                    dim = feats.shape[1]
                    dset = h5.create_dataset("features", shape=(n, dim), dtype=dtype, chunks=(1, dim))
                dset[start : start + len(feats)] = feats.astype(dtype)
            if dset is None:
                raise EmotifyError("no track to extract features from")
            for key, value in attrs.items():
                h5.attrs[key] = value if isinstance(value, (int, float, str)) else json.dumps(value, sort_keys=True)
            h5.attrs["activation_shape"] = list(shape)
            h5.attrs["feature_dim"] = int(dset.shape[1])
            h5.attrs["created_utc"] = utc_now()
            dims = dset.shape
    return int(dims[0]), int(dims[1])


def read_feature_h5(
    path: str | Path, track_ids: list[int] | None = None
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Load ``(features, track_ids, attrs)``; rows restricted to and ordered as ``track_ids``."""
    import h5py

    with h5py.File(path, "r") as h5:
        ids = h5["track_id"][:]
        attrs = dict(h5.attrs)
        if track_ids is None:
            return h5["features"][:].astype(np.float32), ids, attrs
        pos = {int(t): i for i, t in enumerate(ids)}
        missing = [t for t in track_ids if int(t) not in pos]
        if missing:
            raise EmotifyError(f"{path}: no features for track id(s) {missing[:5]} (stale feature cache?)")
        rows = np.array([pos[int(t)] for t in track_ids])
        order = np.argsort(rows)
        feats = np.empty((len(rows), h5["features"].shape[1]), dtype=np.float32)
        feats[order] = h5["features"][np.sort(rows)]
        return feats, np.asarray(track_ids, dtype=np.int64), attrs


def main(smk: Any, logger: logging.Logger) -> None:
    import torch

    from dataset import usable_tracks

    torch.set_num_threads(max(1, int(smk.threads)))
    fp = smk.params.features
    sp = SpectrogramParams(**smk.params.audio, **smk.params.spectrogram)
    tracks = usable_tracks(pd.read_csv(smk.input.tracks))
    device = resolve_device(fp["device"])
    weights_file = smk.input.get("weights") if hasattr(smk.input, "get") else None
    model, provenance = build_vgg19(fp["weights"], fp["seed"], fp["layer"], weights_file, fp.get("weights_sha256"))
    logger.info(
        "extracting %s/%s features of %d clips on %s with %s",
        fp["layer"],
        fp["pooling"],
        len(tracks),
        device,
        provenance["weights_label"],
    )
    attrs: dict[str, Any] = {
        "layer": fp["layer"],
        "pooling": fp["pooling"],
        "seed": fp["seed"],
        "device": device,
        "device_name": torch.cuda.get_device_name(0) if device == "cuda" else "cpu",
        "spectrogram_params": {**smk.params.audio, **smk.params.spectrogram},
        "versions": library_versions(),
        **provenance,
    }
    batches = extract_features(list(tracks["path"]), sp, model, fp["pooling"], device, fp["batch_size"], logger)
    n, dim = write_feature_h5(smk.output.h5, tracks, batches, attrs, dtype=fp["store_dtype"])
    logger.info("wrote %s: %d tracks x %d features", smk.output.h5, n, dim)


if "snakemake" in globals():
    run_main(main, snakemake)  # noqa: F821
