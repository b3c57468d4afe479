"""VGG19 feature extraction into sharded HDF5 caches, merged into one file indexed by track id.

``features.weights``: ``imagenet`` (torchvision's IMAGENET1K_V1 file, which must be present
locally), ``random`` (seeded random initialisation, labelled as such everywhere), or a path
to a state-dict file. ``features.layer`` names a VGG19 layer (``conv1_1`` ... ``conv5_4``,
``pool1`` ... ``pool5``, ``fc6``, ``fc7``; conv and fc outputs are taken after their ReLU).
``features.pooling``: ``flatten`` keeps the whole (C, H, W) activation, ``mean``/``max``
reduce the time axis W, ``mean_std`` concatenates time mean and standard deviation.

Speed: clips are decoded in DataLoader worker processes while the network runs on whole
batches under ``torch.inference_mode`` with channels_last (1.9x faster on this CPU than the
default layout); fp32 by default on every device, bf16 an opt-in (:func:`resolve_precision`).
A CUDA out-of-memory error halves the batch and the work continues.

Layout: each shard job writes ``shards/vgg19_<i>-of-<n>.h5`` (rows keyed by audio path), keeping
finished batches in a checkpoint until it is complete; the merge job copies the rows into the
self-contained ``vgg19.h5``. The HDF5 side lives in :mod:`feature_store` (h5py only).
"""

import hashlib
import io
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..core.digests import library_versions, sha256_file, source_digest
from ..core.emotify import IMAGENET_FILE, IMAGENET_URL, weights_label
from ..core.errors import EmotifyError
from ..core.files import write_json
from .spectrogram import SpectrogramParams, clip_image_and_statistics, statistics_layout
from .store import VALUE_LIBRARIES, VALUE_SETTINGS, ShardCheckpoint, StoredRow, rows_in_order, write_feature_h5

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


def state_dict_sha256(state: dict[str, Any]) -> str:
    """A sha256 over a state dict's names and float32 bytes (provenance of random weights)."""
    digest = hashlib.sha256()
    for name in sorted(state):
        digest.update(name.encode())
        digest.update(state[name].detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def truncated_model(model: Any, layer: str) -> Any:
    """The part of VGG19 up to and including ``layer`` (conv/pool: features; fc6/fc7: classifier)."""
    import torch

    check_layer(layer)
    if layer in LAYERS:
        return model.features[: LAYERS[layer] + 1]
    return torch.nn.Sequential(
        model.features, model.avgpool, torch.nn.Flatten(1), model.classifier[: FC_LAYERS[layer] + 1]
    )


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
    (checked against ``weights_sha256`` when given).
    """
    import torch
    from torchvision.models import vgg19

    torch.manual_seed(0 if seed is None else seed)  # only random weights keep these values
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


def resolve_device(requested: str) -> str:
    """``auto`` -> ``cuda`` when available, else ``cpu``; ``cuda`` without a GPU is an error."""
    import torch

    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if requested == "cuda" and not torch.cuda.is_available():
        raise EmotifyError("features.device is 'cuda' but torch sees no CUDA device")
    return requested


def cpu_bf16_support(cpuinfo: str | None = None) -> str:
    """The CPU flag that runs bf16 natively ('amx_bf16' or 'avx512_bf16'), or '' -- read from
    /proc/cpuinfo (detected, not guessed; '' where that file does not exist)."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            return ""
    flags = set()
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            flags.update(line.split(":", 1)[1].split())
    return next((flag for flag in ("amx_bf16", "avx512_bf16") if flag in flags), "")


#: why ``auto`` is fp32 (benchmarks/precision.py and benchmarks/bf16_schemes.py on the 40 real clips)
FP32_REASON = (
    "bf16 kept 89.5 % of the 5-NN lists (at least 99 % asked); bf16 in block 5 alone, 9.5 % of the "
    "work, kept 89.7 %: the 5th and 6th neighbours are a median 0.1 % apart"
)


def resolve_precision(requested: str, device: str) -> str:
    """``auto`` -> ``fp32`` on every device.

    bf16 runs VGG19 in about half the time on a CPU that runs it natively
    (:func:`cpu_bf16_support`) and on GPUs, but on the 40 real clips it changed 10.5 % of the
    5-nearest-neighbour lists, and no partial scheme keeps them: bf16 in the last block alone
    (a tenth of the work) still changed 10.3 %, because the 5th and 6th neighbours are a median
    0.1 % apart and bf16's error is 0.5-0.9 % (:data:`FP32_REASON`). So bf16 is an opt-in
    (``features.precision: bf16``), recorded in every output, never the default."""
    if requested == "auto":
        return "fp32"
    if device == "cpu" and requested == "fp16":
        raise EmotifyError("features.precision fp16 needs CUDA; use fp32 or bf16 on the CPU")
    return requested


def precision_reason(requested: str, device: str, resolved: str) -> str:
    """Why the extraction runs at ``resolved`` precision (recorded in the HDF5 provenance)."""
    if requested != "auto":
        return f"features.precision: {requested}"
    flag = "" if device == "cuda" else cpu_bf16_support()
    native = f"; this CPU has {flag}" if flag else ""
    tf32 = " (TF32 off)" if device == "cuda" else ""
    return f"auto: fp32{tf32} ({FP32_REASON}{native})"


def resolve_workers(requested: int | str, device: str, threads: int) -> int:
    """Decoding worker processes: ``auto`` -> up to 8 on CUDA, 1 on a CPU with 2+ threads, else 0."""
    if requested != "auto":
        return int(requested)
    if device == "cuda":
        import os

        return max(1, min(8, (os.cpu_count() or 2) - 1))
    return 1 if threads > 1 else 0


class ClipImages:
    """A map-style dataset of spectrogram images; a decoding error is returned, not raised.

    Returning the error keeps the message clean across DataLoader worker processes.
    """

    def __init__(self, paths: list[str], sp: SpectrogramParams) -> None:
        self.paths = list(paths)
        self.sp = sp

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int) -> tuple[int, np.ndarray | None, str, float, np.ndarray | None]:
        try:
            image, seconds, stats = clip_image_and_statistics(self.paths[i], self.sp)
            return i, image, "", seconds, stats
        except EmotifyError as err:
            return i, None, str(err), 0.0, None


class ClipPatches(ClipImages):
    """The musicnn counterpart of :class:`ClipImages`: one decode per clip gives the model's
    3-s log-mel patches (the audio decoded, at 16 kHz as the package loads it) and the same
    decode statistics as VGG19's path (so the production descriptors do not depend on the model)."""

    def __getitem__(self, i: int) -> tuple[int, np.ndarray | None, str, float, np.ndarray | None]:
        from .networks import musicnn
        from .spectrogram import decode_clip_at, decode_statistics, mel_power

        path = self.paths[i]
        try:
            y, seconds, y16 = decode_clip_at(path, self.sp, also=musicnn.SAMPLE_RATE)
            rep = musicnn.clip_patches(y16, musicnn.SAMPLE_RATE)
            return i, rep, "", seconds, decode_statistics(y, mel_power(y, self.sp), self.sp)
        except EmotifyError as err:
            return i, None, str(err), 0.0, None


Item = tuple[int, np.ndarray | None, str, float, np.ndarray | None]


Collated = tuple[list[int], Any, list[str], list[float], list[np.ndarray | None]]


def _collate_by(items: list[Item], pack: Callable[[list[np.ndarray]], Any]) -> Collated:
    """Indices, the inputs that decoded packed by ``pack`` (or None), one error string per item
    ('' = ok), the seconds decoded and the decode statistics (None where it failed) per item."""
    inputs = [item[1] for item in items if item[1] is not None]
    return (
        [item[0] for item in items],
        pack(inputs) if inputs else None,
        [item[2] for item in items],
        [item[3] for item in items],
        [item[4] for item in items],
    )


def _collate(items: list[Item]) -> Collated:
    """:func:`_collate_by` for :class:`ClipImages`: the images stacked into one batch."""
    import torch

    return _collate_by(items, lambda images: torch.from_numpy(np.stack(images)))


def _collate_patches(items: list[Item]) -> Collated:
    """:func:`_collate_by` for :class:`ClipPatches`: the clips' patches one after another, with
    the number of patches of each."""
    import torch

    return _collate_by(items, lambda reps: (torch.from_numpy(np.concatenate(reps)), [len(r) for r in reps]))


def _ignore_interrupt(worker_id: int) -> None:
    """DataLoader workers leave Ctrl-C to the main process, which shuts them down cleanly."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def make_forward(net: Any, pooling: str, device: str, precision: str) -> Callable[[Any], np.ndarray]:
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


class AdaptiveBatcher:
    """Runs ``forward`` on chunks of at most ``size`` images; on CUDA OOM halves ``size`` and retries."""

    def __init__(self, forward: Callable[[Any], np.ndarray], size: int, logger: logging.Logger | None = None) -> None:
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


def extract_features(
    paths: list[str],
    sp: SpectrogramParams,
    model: Any,
    pooling: str,
    device: str = "cpu",
    batch_size: int = 8,
    num_workers: int = 0,
    precision: str = "fp32",
    logger: logging.Logger | None = None,
    batcher: AdaptiveBatcher | None = None,
    failures: dict[int, str] | None = None,
    decoded: dict[int, float] | None = None,
    statistics: dict[int, np.ndarray] | None = None,
    dataset: Any = None,
    collate: Callable[[list[Item]], Collated] | None = None,
    desc: str = "VGG19",
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(start_row, features (B, dim) float32)`` batch by batch, in order.

    ``model`` is the truncated network of :func:`build_vgg19`. Decoding runs in
    ``num_workers`` DataLoader processes (0 = in this process) ahead of the network. A clip
    that cannot be decoded stops the extraction with its message, unless ``failures`` is a
    dict: then its row is NaN and ``failures[row] = message`` (``data.on_bad_audio: skip``).
    ``decoded``, when a dict, receives the seconds decoded per row (before padding);
    ``statistics``, when a dict, the :func:`spectrogram.decode_statistics` of every row that
    decoded (the production descriptors' inputs: no clip is decoded twice).
    ``dataset`` and ``collate`` replace :class:`ClipImages` and its collation for another
    network's inputs (musicnn: :class:`ClipPatches`, with ``batcher`` its forward pass).
    """
    import torch
    from torch.utils.data import DataLoader
    from tqdm import tqdm

    if batcher is None:
        net = model.to(device).to(memory_format=torch.channels_last)
        batcher = AdaptiveBatcher(make_forward(net, pooling, device, precision), batch_size, logger)
    loader = DataLoader(
        dataset if dataset is not None else ClipImages(paths, sp),
        batch_size=batch_size,
        shuffle=False,
        num_workers=num_workers,
        collate_fn=collate or _collate,
        pin_memory=device == "cuda",
        prefetch_factor=2 if num_workers else None,
        persistent_workers=False,
        worker_init_fn=_ignore_interrupt,
    )
    progress = tqdm(
        total=len(paths),
        desc=desc,
        unit="clip",
        mininterval=10,
        file=_LogStream(logger) if logger else None,
        disable=logger is None,
    )
    with torch.inference_mode(), progress:
        for idx, images, errors, seconds, stats in loader:
            if decoded is not None:
                decoded.update(zip(idx, seconds, strict=True))
            if statistics is not None:
                statistics.update((i, v) for i, v in zip(idx, stats, strict=True) if v is not None)
            if any(errors) and failures is None:
                bad = [e for e in errors if e]
                more = f" (and {len(bad) - 1} more in this batch)" if len(bad) > 1 else ""
                raise EmotifyError(bad[0] + more)
            ok = [j for j, e in enumerate(errors) if not e]
            feats = batcher(images) if ok else None
            if len(ok) < len(idx):
                for j, e in enumerate(errors):
                    if e:
                        failures[idx[j]] = e
                        if logger:
                            logger.warning("skipping clip: %s", e)
                dim = feats.shape[1] if feats is not None else 0
                full = np.full((len(idx), dim), np.nan, dtype=np.float32)
                if feats is not None:
                    full[ok] = feats
                feats = full
            if feats is not None and feats.shape[1]:
                yield idx[0], feats
            progress.update(len(idx))


def value_code_digest() -> str:
    """sha256 of the code that computes feature values (this module, spectrogram and the musicnn
    port): a checkpoint made by other code -- say, before a bug fix -- is never resumed."""
    from . import spectrogram
    from .networks import musicnn

    return source_digest(__file__, spectrogram.__file__, musicnn.__file__)


def execution_settings(config: dict[str, Any]) -> dict[str, Any]:
    """The settings that decide how fast, not what: read from the config by the job itself, so
    moving to a GPU node or changing the batch size reruns nothing (see :data:`VALUE_SETTINGS`)."""
    f = config.get("features", {})
    return {
        "device": f.get("device", "auto"),
        "batch_size": int(f.get("batch_size", 8)),
        "num_workers": f.get("num_workers", "auto"),
        "compression": f.get("compression", "none"),
    }


def run_shard(smk: Any, logger: logging.Logger) -> None:
    """Extract one shard, resuming from its checkpoint; see :class:`feature_store.ShardCheckpoint`."""
    import torch

    threads = max(1, int(smk.threads))
    torch.set_num_threads(threads)
    fp = smk.params.features
    ex = execution_settings(dict(smk.config))
    sp = SpectrogramParams(**smk.params.audio, **smk.params.spectrogram)
    paths = list(smk.params.paths)
    device = resolve_device(ex["device"])
    precision = resolve_precision(fp["precision"], device)
    workers = resolve_workers(ex["num_workers"], device, threads)
    weights_file = smk.input.get("weights") if hasattr(smk.input, "get") else None
    network = fp.get("model", "vgg19")
    if network == "vgg19":
        model, provenance = build_vgg19(fp["weights"], fp["seed"], fp["layer"], weights_file, fp.get("weights_sha256"))
        provenance = {"model": "vgg19", "training_data": "", "leakage_warning": "", **provenance}
        if provenance["weights"] != "random":
            provenance["training_data"] = "ImageNet" if provenance["weights"] == "imagenet" else "unknown"
        model = model.to(device).to(memory_format=torch.channels_last)
        forward = make_forward(model, fp["pooling"], device, precision)
        dataset_cls, collate, shape = None, None, list(activation_shape(fp["layer"], sp.n_mels, sp.n_frames))
    else:
        from .networks import musicnn

        musicnn.check_settings(fp["layer"], fp["pooling"])
        model, provenance = musicnn.build_features_model(network, weights_file)
        model = model.to(device)
        forward = musicnn.make_forward(model, fp["layer"], fp["pooling"], device)
        dataset_cls, collate = ClipPatches, _collate_patches
        shape = [musicnn.LAYERS[fp["layer"]]]  # per 3-s patch, before pooling over patches
        if provenance["leakage_warning"]:
            logger.warning("%s: %s", network, provenance["leakage_warning"])
    versions = library_versions()
    value_settings = {
        **{key: fp[key] for key in VALUE_SETTINGS if key in fp},
        "precision": precision,
        "weights_sha256": provenance["weights_sha256"],
        "spectrogram_params": {**smk.params.audio, **smk.params.spectrogram},
        "versions": {k: versions[k] for k in VALUE_LIBRARIES},
        "code": value_code_digest(),
        # CPU kernels split the work by thread: 1 and 2 threads differ by ~1e-6 in the last bits
        "torch_threads": threads,
    }
    digests = [sha256_file(p) for p in paths]
    checkpoint = ShardCheckpoint(smk.output.h5, value_settings, logger)
    stored = checkpoint.load(dict(zip(paths, digests, strict=True)))
    todo = [i for i, p in enumerate(paths) if p not in stored]
    logger.info(
        "shard %s: %s/%s features of %d clips (%d from the checkpoint) on %s (%s, %d torch threads, "
        "%d decoding workers, batch %d) with %s",
        smk.wildcards.shard,
        fp["layer"],
        fp["pooling"],
        len(paths),
        len(paths) - len(todo),
        device,
        precision,
        threads,
        workers,
        ex["batch_size"],
        provenance["weights_label"],
    )
    batcher = AdaptiveBatcher(forward, ex["batch_size"], logger) if network == "vgg19" else forward
    failures: dict[int, str] | None = {} if smk.config["data"]["on_bad_audio"] == "skip" else None
    decoded: dict[int, float] = {}
    statistics: dict[int, np.ndarray] = {}
    stat_width = statistics_layout(sp.n_mels, sp.n_frames)["ms"].stop
    todo_paths = [paths[i] for i in todo]
    dataset = dataset_cls(todo_paths, sp) if dataset_cls else None
    batches = extract_features(
        todo_paths,
        sp,
        model,
        fp["pooling"],
        device,
        ex["batch_size"],
        workers,
        precision,
        logger,
        batcher,
        failures,
        decoded,
        statistics,
        dataset,
        collate,
        desc=provenance["model"],
    )
    for start, feats in batches:
        rows = range(start, start + len(feats))
        feats = feats.astype(fp["store_dtype"])
        fails = [(failures or {}).get(j, "") for j in rows]
        stats = np.stack([statistics.pop(j, np.full(stat_width, np.nan)) for j in rows])
        saved, saved_stats = checkpoint.save(
            [todo_paths[j] for j in rows],
            [digests[todo[j]] for j in rows],
            feats,
            [decoded[j] for j in rows],
            fails,
            stats,
        )
        for j, f, st in zip(rows, saved, saved_stats, strict=True):  # memory-mapped: never all in RAM
            bad = fails[j - start]
            stored[todo_paths[j]] = StoredRow(None if bad else f, decoded[j], bad, None if bad else st)
    for j, message in (failures or {}).items():  # a batch in which nothing decoded yields no rows
        stored.setdefault(todo_paths[j], StoredRow(None, 0.0, message))
    dims = {len(r.features) for r in stored.values() if r.features is not None}
    dim = dims.pop() if dims else 0
    attrs: dict[str, Any] = {
        "layer": fp["layer"],
        "pooling": fp["pooling"],
        "seed": fp["seed"],
        "device": device,
        "device_name": torch.cuda.get_device_name(0) if device == "cuda" else "cpu",
        "precision": precision,
        "precision_reason": precision_reason(fp["precision"], device, precision),
        "num_workers": workers,
        "batch_size": ex["batch_size"],
        "torch_threads": threads,
        "store_dtype": fp["store_dtype"],
        "compression": ex["compression"],
        "spectrogram_params": {**smk.params.audio, **smk.params.spectrogram},
        "activation_shape": shape,
        "versions": versions,
        "resumed_clips": len(paths) - len(todo),
        **provenance,
    }
    all_failures = {i: stored[p].failed for i, p in enumerate(paths) if stored[p].failed}
    compression = None if ex["compression"] == "none" else ex["compression"]
    index = {"path": paths, "sha256": digests, "excerpt_s": [stored[p].decoded_s for p in paths]}
    stats = (
        np.stack(
            [stored[p].stats if stored[p].stats is not None else np.full(stat_width, np.nan) for p in paths]
        ).astype(np.float32)
        if paths
        else np.zeros((0, stat_width), dtype=np.float32)
    )
    n, dim = write_feature_h5(
        smk.output.h5,
        index,
        rows_in_order(paths, stored, dim),
        attrs,
        fp["store_dtype"],
        compression,
        all_failures if failures is not None else None,
        {"decode_stats": stats},
    )
    checkpoint.clear()
    logger.info(
        "wrote %s: %d clips x %d features (final batch size %d)",
        smk.output.h5,
        n,
        dim,
        getattr(batcher, "size", ex["batch_size"]),
    )


def check_weights_job(smk: Any, logger: logging.Logger) -> None:
    """Load and check the weights file once, before any shard job starts: a wrong or broken
    file then fails here, and Snakemake never deletes a good shard to rerun its extraction
    with weights that cannot load."""
    fp = smk.params.features
    _, provenance = build_vgg19(fp["weights"], fp["seed"], fp["layer"], smk.input.weights, fp.get("weights_sha256"))
    write_json(provenance, smk.output.json)
    logger.info("%s: a VGG19 state dict, sha256 %s", smk.input.weights, provenance["weights_sha256"])
