"""Which bf16 schemes keep the 5-nearest-neighbour lists of fp32? Partial bf16, emulated exactly.

A bf16 convolution rounds its operands (input, weights, bias) to bf16, accumulates the products
in fp32 and returns bf16. This script does exactly that with fp32 arithmetic (operands and
outputs rounded with ``tensor.to(bfloat16).float()``), so it measures any mix of bf16 and fp32
layers at fp32 speed on a CPU without native bf16; the whole-network result matches the native
one (``benchmarks/precision.py``) to about a point. For every scheme it prints the share of the
work (multiply-adds) in bf16 -- a native bf16 layer takes about half the fp32 time, so the
scheme's time is about 1 - share / 2 of fp32's -- the mean relative feature error, and how
many 5-NN lists (StandardScaler + Euclidean, 100 stratified 70/30 splits) equal fp32's. Then
the floor: how far apart the 5th and 6th neighbours are, and the lists under fp32 features
rounded to bf16 or perturbed by independent noise.

    python benchmarks/bf16_schemes.py                   # the 40 real clips in ../shared/emotify
    python benchmarks/bf16_schemes.py --clips 'resources/demo/emotifymusic/*/*.mp3'
"""

import argparse
import copy
import glob
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow" / "scripts"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = str(ROOT.parent / "shared" / "emotify" / "emotifymusic" / "*" / "*.mp3")
    parser.add_argument("--clips", default=default)
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--repeats", type=int, default=100)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    import numpy as np
    import torch

    from emotify_pipeline.features.networks.vgg19 import build_vgg19, pool_activations
    from emotify_pipeline.features.spectrogram import SpectrogramParams, clip_image
    from emotify_pipeline.neighbours import knn
    from emotify_pipeline.neighbours.splits import resampled_splits

    torch.set_num_threads(args.threads)
    paths = sorted(glob.glob(args.clips))[: args.n]
    if not paths:
        sys.exit(f"no clips match {args.clips}")
    genre = np.array([Path(p).parent.name for p in paths])  # strata of the splits only
    sp = SpectrogramParams()
    images = torch.from_numpy(np.stack([clip_image(p, sp) for p in paths]))
    model, _ = build_vgg19("random", 0, "pool5")
    layers = list(model)
    convs = [i for i, m in enumerate(layers) if isinstance(m, torch.nn.Conv2d)]
    pools = [i for i, m in enumerate(layers) if isinstance(m, torch.nn.MaxPool2d)]

    def rb(t: torch.Tensor) -> torch.Tensor:
        return t.to(torch.bfloat16).float()

    class Bf16Conv(torch.nn.Module):
        def __init__(self, conv: torch.nn.Conv2d) -> None:
            super().__init__()
            self.conv = copy.deepcopy(conv)
            with torch.no_grad():
                self.conv.weight.copy_(rb(self.conv.weight))
                self.conv.bias.copy_(rb(self.conv.bias))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return rb(self.conv(rb(x)))

    # multiply-adds of each conv, from the activation sizes (3 x 128 x 2584 input)
    macs, h, w = {}, images.shape[2], images.shape[3]
    for i, m in enumerate(layers):
        if isinstance(m, torch.nn.Conv2d):
            macs[i] = m.in_channels * m.out_channels * 9 * h * w
        elif isinstance(m, torch.nn.MaxPool2d):
            h, w = h // 2, w // 2
    total = sum(macs.values())

    def run(bf16: set[int]) -> tuple[np.ndarray, float]:
        net = torch.nn.Sequential(*[Bf16Conv(m) if i in bf16 else m for i, m in enumerate(layers)])
        net = net.eval().to(memory_format=torch.channels_last)
        out, t0 = [], time.perf_counter()
        with torch.inference_mode():
            for s in range(0, len(images), 8):
                act = net(images[s : s + 8].contiguous(memory_format=torch.channels_last))
                out.append(pool_activations(act.float(), "flatten").numpy())
        return np.concatenate(out).astype(np.float64), time.perf_counter() - t0

    splits = list(resampled_splits(genre, args.repeats, 0.3, seed=0))

    def agreement(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
        overlap, same = [], []
        for s in splits:
            u, v = knn.neighbours(a, s.train, s.test, args.k), knn.neighbours(b, s.train, s.test, args.k)
            overlap += [len(set(p) & set(q)) / args.k for p, q in zip(u, v, strict=True)]
            same += [set(p) == set(q) for p, q in zip(u, v, strict=True)]
        return float(np.mean(overlap)), float(np.mean(same))

    ref, t32 = run(set())
    print(f"{len(paths)} clips, fp32 features {ref.shape[1]} wide in {t32:.0f} s; {args.repeats} splits, k = {args.k}")
    schemes = {
        "bf16 everywhere": set(convs),
        "bf16 except conv1_1 (input kept fp32)": set(convs[1:]),
        "bf16 blocks 1-4, block 5 fp32": {c for c in convs if c < pools[3]},
        "bf16 block 5 only": {c for c in convs if c > pools[3]},
    }
    print("| scheme | work in bf16 | est. time vs fp32 | rel. feature error | neighbours shared | identical lists |")
    print("|---|---|---|---|---|---|")
    for name, bf16 in schemes.items():
        feats, _ = run(bf16)
        share = sum(macs[i] for i in bf16) / total
        rel = float(np.mean(np.linalg.norm(feats - ref, axis=1) / np.linalg.norm(ref, axis=1)))
        overlap, same = agreement(ref, feats)
        print(f"| {name} | {share:.1%} | {1 - share / 2:.2f}x | {rel:.4f} | {overlap:.2%} | {same:.2%} |", flush=True)
    gaps = []
    for s in splits:
        a, b = knn.standardise(ref[s.train], ref[s.test])
        d = np.sort(((b[:, None, :] - a[None]) ** 2).sum(-1), axis=1)
        gaps += list((d[:, args.k] - d[:, args.k - 1]) / d[:, args.k - 1])
    gaps = np.array(gaps)
    print(
        f"gap between the {args.k}th and {args.k + 1}th neighbour, relative: median {np.median(gaps):.2e}; "
        f"below 1e-3 for {np.mean(gaps < 1e-3):.1%} of test songs, below 1e-2 for {np.mean(gaps < 1e-2):.1%}"
    )
    rng = np.random.default_rng(0)
    floor = {
        "fp32 features rounded to bf16": torch.from_numpy(ref.astype(np.float32)).to(torch.bfloat16).double().numpy(),
        "independent relative noise 1e-3": ref * (1 + 1e-3 * rng.standard_normal(ref.shape)),
    }
    for name, feats in floor.items():
        overlap, same = agreement(ref, feats)
        print(f"{name}: neighbours shared {overlap:.2%}, identical lists {same:.2%}")


if __name__ == "__main__":
    main()
