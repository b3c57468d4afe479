"""Does bf16 move the results? fp32 against bf16 VGG19 features on the same clips.

Extracts the clips twice (fp32, bf16 autocast; channels_last, the pipeline's own extractor),
then reports: per-clip cosine similarity and relative error; the overlap of the k-nearest-
neighbour lists over resampled stratified 70/30 splits; and Experiment I (genre) and II (nine
emotions) accuracies over the same splits, their difference against the split-to-split spread.

    python benchmarks/precision.py                 # the 40 real clips in ../shared/emotify
    python benchmarks/precision.py --repeats 100 --k 5
    python benchmarks/precision.py --device cuda --workers 8   # native bf16 on a GPU
"""

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow" / "scripts"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "emotify")
    parser.add_argument("--repeats", type=int, default=100)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--workers", type=int, default=1, help="DataLoader decoding processes")
    args = parser.parse_args()

    import numpy as np
    import pandas as pd
    import torch

    from emotify_pipeline.core.emotify import EMOTIONS
    from emotify_pipeline.data.annotations import read_annotations
    from emotify_pipeline.data.labels import binary_labels, rating_shares
    from emotify_pipeline.data.tracks import build_track_table
    from emotify_pipeline.features.extract import extract_features
    from emotify_pipeline.features.networks.vgg19 import NETWORK, build_vgg19
    from emotify_pipeline.features.spectrogram import SpectrogramParams
    from emotify_pipeline.neighbours import knn
    from emotify_pipeline.neighbours.splits import resampled_splits

    torch.set_num_threads(args.threads)
    annotations = read_annotations(args.data / "data.csv")
    tracks = build_track_table(annotations, args.data / "emotifymusic", "mp3", require_all_audio=False)
    tracks = tracks[tracks["status"] == "ok"].reset_index(drop=True)
    labels = binary_labels(rating_shares(annotations)).set_index("track_id").loc[tracks["track_id"]]
    paths = tracks["path"].tolist()
    sp = SpectrogramParams()
    feats = {}
    for precision in ("fp32", "bf16"):
        model, _ = build_vgg19("random", 0, "pool5")
        batcher = NETWORK.batcher(model, {"pooling": "flatten"}, args.device, precision, 8)
        warm_up, collate = NETWORK.inputs(paths[:8], sp)
        for _ in extract_features(warm_up, collate, batcher, 8, 0, args.device):
            pass  # warm-up (cuDNN's algorithm search, first allocations): not timed
        t0 = time.perf_counter()
        batches = extract_features(NETWORK.inputs(paths, sp)[0], collate, batcher, 8, args.workers, args.device)
        feats[precision] = np.concatenate([b for _, b in batches]).astype(np.float64)
        dt = time.perf_counter() - t0
        print(
            f"{precision} on {args.device}: {len(paths)} clips in {dt:.2f} s "
            f"({dt / len(paths):.3f} s per clip, decoding included, {args.workers} decoding workers)"
        )
    a, b = feats["fp32"], feats["bf16"]
    cos = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    rel = np.linalg.norm(a - b, axis=1) / np.linalg.norm(a, axis=1)
    print(f"cosine fp32 vs bf16: min {cos.min():.6f}, mean {cos.mean():.6f}; relative error mean {rel.mean():.4f}")

    y = tracks["genre"].to_numpy()
    y_emo = labels[list(EMOTIONS)].to_numpy()
    overlap, acc = [], {p: {"genre": [], "emotions": []} for p in feats}
    for s in resampled_splits(y, args.repeats, 0.3, seed=0):
        nn = {p: knn.neighbours(x, s.train, s.test, args.k) for p, x in feats.items()}
        overlap.append(np.mean([len(set(u) & set(v)) / args.k for u, v in zip(nn["fp32"], nn["bf16"], strict=True)]))
        for p in feats:
            acc[p]["genre"].append(np.mean(knn.vote(y[s.train], nn[p])[0] == y[s.test]))
            emo = [np.mean(knn.vote(y_emo[s.train, e], nn[p])[0] == y_emo[s.test, e]) for e in range(len(EMOTIONS))]
            acc[p]["emotions"].append(np.mean(emo))
    print(
        f"neighbour lists (k = {args.k}), fp32 vs bf16, over {args.repeats} splits: {100 * np.mean(overlap):.2f} % shared"
    )
    rows = []
    for target in ("genre", "emotions"):
        f32, b16 = np.array(acc["fp32"][target]), np.array(acc["bf16"][target])
        rows.append(
            {
                "target": "Exp I genre" if target == "genre" else "Exp II mean of 9 emotions",
                "fp32 mean": f32.mean(),
                "bf16 mean": b16.mean(),
                "difference": b16.mean() - f32.mean(),
                "split-to-split SD (fp32)": f32.std(ddof=1),
            }
        )
    print(pd.DataFrame(rows).to_string(index=False, float_format="%.4f"))


if __name__ == "__main__":
    main()
