"""How an extraction runs -- device, precision, decoding workers, batch size, compression --
decided from the configuration and the machine. These settings decide how fast, never what:
a clip's features do not depend on them (except the precision, a value-changing setting
recorded with its reason in every feature file)."""

from pathlib import Path
from typing import Any

from ..core.errors import EmotifyError


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
    """Decoding worker processes for a job given ``threads`` CPUs: ``auto`` -> on CUDA one fewer
    than the job's threads (the main process feeds the GPU), from 1 to 8; on a CPU 1 with 2+
    threads, else 0. Sized by the job's allocation, not the node's CPUs: a cluster job on a
    64-CPU node with 8 CPUs runs 7 workers, not 8 plus itself."""
    if requested != "auto":
        return int(requested)
    if device == "cuda":
        return max(1, min(8, threads - 1))
    return 1 if threads > 1 else 0


def execution_settings(config: dict[str, Any]) -> dict[str, Any]:
    """The settings that decide how fast, not what: read from the config by the job itself, so
    moving to a GPU node or changing the batch size reruns nothing (see :data:`networks.base.VALUE_SETTINGS`)."""
    f = config.get("features", {})
    return {
        "device": f.get("device", "auto"),
        "batch_size": int(f.get("batch_size", 8)),
        "num_workers": f.get("num_workers", "auto"),
        "compression": f.get("compression", "none"),
    }
