"""Benchmark of the feature extraction: naive loop vs the pipeline's extractor vs lower bounds.

Every mode runs in its own fresh process on the same clips, so each peak RSS is its own:

- ``decode``   decode + log-mel + image, one clip at a time (the decoding lower bound);
- ``forward``  VGG19 on images already in memory, in batches (the compute lower bound);
- ``naive``    decode -> spectrogram -> VGG19, one clip at a time, batch 1, no workers;
- ``pipeline`` the workflow's extractor (DataLoader decoding workers, batches, autocast on CUDA);
- ``musicnn_forward``  the musicnn port (``--musicnn-model``, converted from the package's wheel in
  resources/models) on log-mel patches already in memory, one clip's patches per batch;
- ``musicnn``  the workflow's extractor with ``features.model: <--musicnn-model>``: one decode per
  clip (16 kHz for the port, the configured rate for the decode statistics), log-mel patches, the
  port on batches of clips, penultimate layer pooled by mean over patches (DataLoader workers as
  in ``pipeline``).

Model construction and one warm-up pass are excluded from every timing.

Usage (from the repository root)::

    python benchmarks/extract.py                       # the 40 real clips in ../shared/emotify
    python benchmarks/extract.py --clips 'resources/demo/emotifymusic/*/*.mp3' --duration 6
    python benchmarks/extract.py --modes forward,pipeline,musicnn_forward,musicnn   # VGG19 beside musicnn
"""

import argparse
import glob
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow" / "scripts"))

MODES = ("decode", "forward", "naive", "pipeline")
MUSICNN_MODES = ("musicnn_forward", "musicnn")


def run_musicnn(args: argparse.Namespace) -> dict:
    """The musicnn modes (fp32, CPU threads as given; the port's input is 16 kHz mono)."""
    import tempfile

    import librosa
    import numpy as np
    import torch

    from emotify_pipeline.features.networks import musicnn, musicnn_weights

    torch.set_num_threads(args.threads)
    paths = sorted(glob.glob(args.clips))[: args.n]
    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        weights = Path(tmp) / f"{args.musicnn_model}.pt"
        musicnn_weights.convert(musicnn_weights.fetch_wheel(root / "resources" / "models"), args.musicnn_model, weights)
        port = musicnn.load_port(weights)

    def inputs(path: str) -> np.ndarray:
        y, _ = librosa.load(path, sr=musicnn.SAMPLE_RATE, mono=True, duration=args.duration)
        return musicnn.patches(musicnn.log_mel(y))

    result = {"mode": args.mode, "clips": len(paths), "device": "cpu", "precision": "fp32", "model": args.musicnn_model}
    with torch.inference_mode():
        port(torch.from_numpy(inputs(paths[0])))  # warm-up
        if args.mode == "musicnn_forward":
            batches = [torch.from_numpy(inputs(p)) for p in paths]
            t0 = time.perf_counter()
            for x in batches:
                port(x)["penultimate"].mean(dim=0)
    if args.mode == "musicnn":
        from emotify_pipeline.features.execution import resolve_workers
        from emotify_pipeline.features.extract import extract_features
        from emotify_pipeline.features.spectrogram import SpectrogramParams

        sp = SpectrogramParams(duration=args.duration, min_duration=min(args.duration, 1.0))
        workers = resolve_workers(args.workers, "cpu", args.threads)
        forward = musicnn.make_forward(port, "penultimate", "mean")
        dataset, collate = musicnn.ClipPatches(paths, sp), musicnn.collate_patches
        t0 = time.perf_counter()
        for _ in extract_features(dataset, collate, forward, args.batch_size, workers):
            pass
        result["workers"] = workers
    wall = time.perf_counter() - t0
    result.update(wall_s=wall, clips_per_s=len(paths) / wall, peak_rss_mb=_peak_rss_mb())
    return result


def _peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + children) / 1024.0  # Linux reports KiB; workers counted at their own peak


def run_mode(args: argparse.Namespace) -> dict:
    if args.mode in MUSICNN_MODES:
        return run_musicnn(args)
    import numpy as np
    import torch

    from emotify_pipeline.features.execution import resolve_device, resolve_precision, resolve_workers
    from emotify_pipeline.features.extract import extract_features
    from emotify_pipeline.features.networks.base import AdaptiveBatcher
    from emotify_pipeline.features.networks.inputs import ClipImages, collate_images
    from emotify_pipeline.features.networks.vgg19 import build_vgg19, make_forward
    from emotify_pipeline.features.spectrogram import SpectrogramParams, clip_image

    torch.set_num_threads(args.threads)
    paths = sorted(glob.glob(args.clips))[: args.n]
    sp = SpectrogramParams(duration=args.duration, min_duration=min(args.duration, 1.0))
    device = resolve_device(args.device)
    precision = resolve_precision(args.precision, device)
    workers = resolve_workers(args.workers, device, args.threads)
    clip_image(paths[0], sp)  # warm-up: imports, numba JIT, decoder
    result = {"mode": args.mode, "clips": len(paths), "device": device, "precision": precision}
    if args.mode == "decode":
        t0 = time.perf_counter()
        for p in paths:
            clip_image(p, sp)
    else:
        model, _ = build_vgg19("random", 0, args.layer)
        model = model.to(device).to(memory_format=torch.channels_last)  # as the extractor runs it
        forward = make_forward(model, args.pooling, device, precision)
        with torch.inference_mode():
            forward(torch.from_numpy(clip_image(paths[0], sp))[None])  # warm-up
            if device == "cuda":
                torch.cuda.synchronize()
            if args.mode == "forward":
                images = torch.from_numpy(np.stack([clip_image(p, sp) for p in paths]))
                t0 = time.perf_counter()
                for i in range(0, len(images), args.batch_size):
                    forward(images[i : i + args.batch_size])
            elif args.mode == "naive":
                naive_net = model.float()
                t0 = time.perf_counter()
                for p in paths:
                    naive_net(torch.from_numpy(clip_image(p, sp))[None].to(device)).flatten(1).cpu().numpy()
            else:
                t0 = time.perf_counter()
                batcher = AdaptiveBatcher(forward, args.batch_size)
                rows = extract_features(
                    ClipImages(paths, sp), collate_images, batcher, args.batch_size, workers, device
                )
                for _ in rows:
                    pass
                result["workers"] = workers
        if device == "cuda":
            torch.cuda.synchronize()
            result["gpu_peak_mb"] = torch.cuda.max_memory_allocated() / 2**20
    wall = time.perf_counter() - t0
    result.update(wall_s=wall, clips_per_s=len(paths) / wall, peak_rss_mb=_peak_rss_mb())
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_clips = str(Path(__file__).resolve().parents[2] / "shared" / "emotify" / "emotifymusic" / "*" / "*.mp3")
    parser.add_argument("--clips", default=default_clips, help="glob of audio files")
    parser.add_argument("--n", type=int, default=400, help="at most this many clips")
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--layer", default="pool5")
    parser.add_argument("--pooling", default="flatten")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--precision", default="auto")
    parser.add_argument("--workers", default="auto")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--modes", default=",".join(MODES), help=f"any of {', '.join(MODES + MUSICNN_MODES)}")
    parser.add_argument("--musicnn-model", default="MSD_musicnn")
    parser.add_argument("--mode", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mode:
        print(json.dumps(run_mode(args)))
        return
    if not glob.glob(args.clips):
        sys.exit(f"no clips match {args.clips}")
    rows = []
    for mode in args.modes.split(","):
        cmd = [sys.executable, __file__, *sys.argv[1:], "--mode", mode]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        r = rows[-1]
        print(
            f"{mode:9s} {r['clips']:4d} clips  {r['wall_s']:8.2f} s  {r['clips_per_s']:7.2f} clips/s  peak RSS {r['peak_rss_mb']:7.0f} MB",
            flush=True,
        )
    by = {r["mode"]: r for r in rows}
    if {"decode", "forward", "pipeline"} <= set(by):
        bound = by["decode"]["wall_s"] + by["forward"]["wall_s"]
        print(f"pipeline / (decode + forward) = {by['pipeline']['wall_s'] / bound:.2f}")
    if {"naive", "pipeline"} <= set(by):
        print(f"speed-up of the pipeline over the naive loop = {by['naive']['wall_s'] / by['pipeline']['wall_s']:.2f}x")
    if {"forward", "musicnn"} <= set(by):
        print(f"musicnn (decode + forward) / VGG19 forward = {by['musicnn']['wall_s'] / by['forward']['wall_s']:.3f}")
    print(json.dumps({"device": rows[0]["device"], "threads": args.threads, "results": rows}))


if __name__ == "__main__":
    main()
