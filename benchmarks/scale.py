"""How every stage after extraction grows with the number of clips, on synthetic features of
the real width.

For each ``--sizes`` N, writes a merged feature file exactly as ``merge_features`` does
(``results/features/vgg19.h5``: N x 163,840 float32 rows checksummed one per chunk, the decode
statistics of 60 s clips beside them; four balanced genres; artists drawn with the size
distribution of the real ``groups.csv``), then runs each stage in a fresh process -- the
functions the rules run, with the default configuration -- and prints its wall time and peak
RSS:

- ``production``: the production descriptors from the stored decode statistics;
- ``neighbours_audio``: the random splits' audio rankings with their five inner folds (depth 15,
  the largest k of the default sweep), read by column blocks from the HDF5 file;
- ``neighbours_ratings``: the same splits ranked on nine rating shares;
- ``ablation``: the ablation rankings (PCA 2/9/50 from each split's training Gram, the
  descriptor sets) of ``--ablation-repeats`` splits;
- ``pca``: Fig. 1's PCA of all songs (their Gram, two leading eigenpairs);
- ``evaluate``: the repeated evaluation of Experiments I-IV with ``--permutations`` artist-level
  permutations (votes only: the rankings come from the files above).

Per-split stages run ``--repeats`` splits (the study runs 100): their time grows linearly in
the splits, so the per-split constant it prints times 100 is the study's cost; a SLURM
cluster spreads splits over jobs (docs/cluster.md).

    python benchmarks/scale.py --sizes 400 2000 10000 --repeats 2 --work /tmp/scale
"""

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow" / "scripts"))
DIM = 163_840
GENRES = ["classical", "rock", "electronic", "pop"]
STAGES = ["production", "neighbours_audio", "neighbours_ratings", "ablation", "pca", "evaluate"]


def artists_like_the_archive(n: int, seed: int) -> list[str]:
    """Artist names for n songs, one genre each, with the song counts per artist of the real
    groups.csv (resampled), or three songs each when it is absent."""
    import numpy as np
    import pandas as pd

    groups = ROOT.parent / "shared" / "emotify" / "groups.csv"
    rng = np.random.default_rng(seed)
    sizes = pd.read_csv(groups).groupby("artist").size().to_numpy() if groups.exists() else np.array([3])
    out: list[str] = []
    for g, genre in enumerate(GENRES):
        count = n // 4 + (g < n % 4)
        names: list[str] = []
        while len(names) < count:
            names += [f"{genre} artist {len(names)}"] * int(rng.choice(sizes))
        out += names[:count]
    return out


def make_store(path: Path, n: int, seed: int = 0) -> None:
    """The merged feature file of n synthetic clips (ReLU-sparse rows: a genre centroid, an
    artist offset and noise, a quarter of the columns zero everywhere as in pool5)."""
    import numpy as np

    from emotify_pipeline.features.spectrogram import SpectrogramParams, decode_statistics, mel_power
    from emotify_pipeline.features.store import write_feature_h5

    rng = np.random.default_rng(seed)
    genre = [GENRES[min(3, i * 4 // n)] for i in range(n)]
    artists = artists_like_the_archive(n, seed)
    codes = {a: i for i, a in enumerate(dict.fromkeys(artists))}
    centroid = rng.standard_normal((4, DIM), dtype=np.float32)
    artist_seed = np.array([codes[a] for a in artists])
    dead = rng.random(DIM) < 0.25

    def batches():
        for start in range(0, n, 256):
            rows = np.arange(start, min(n, start + 256))
            x = centroid[[GENRES.index(genre[i]) for i in rows]]
            offsets = np.stack(
                [np.random.default_rng(1000 + s).standard_normal(DIM, dtype=np.float32) for s in artist_seed[rows]]
            )
            x = x + 0.5 * offsets + 1.5 * rng.standard_normal((len(rows), DIM), dtype=np.float32)
            x = np.maximum(x, 0)
            x[:, dead] = 0
            yield start, x

    p = SpectrogramParams()
    t = np.arange(p.n_samples) / p.sample_rate
    stats = []
    for i in range(8):  # eight distinct 60 s clips' statistics, tiled
        y = (0.1 * np.sin(2 * np.pi * 110 * (i + 1) * t) + 0.02 * rng.standard_normal(len(t))).astype(np.float32)
        stats.append(decode_statistics(y, mel_power(y, p), p))
    decode = np.stack([stats[i % 8] for i in range(n)]).astype(np.float32)
    index = {"track_id": list(range(1, n + 1)), "genre": genre, "path": [f"synthetic/{i}.mp3" for i in range(n)]}
    attrs = {"layer": "pool5", "pooling": "flatten", "synthetic": 1}
    write_feature_h5(path, index, batches(), attrs, extra={"decode_stats": decode})
    tracks = {"track_id": index["track_id"], "genre": genre, "artist": artists}
    (path.parent / "tracks.json").write_text(json.dumps(tracks))


def peak_rss_gb() -> float:
    """This process's peak resident set (VmHWM; ru_maxrss would carry the parent's over exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def stage(name: str, work: Path, repeats: int, ablation_repeats: int, permutations: int, threads: int) -> dict:
    import numpy as np
    import pandas as pd
    from threadpoolctl import threadpool_limits

    from emotify_pipeline.core.emotify import EMOTIONS
    from emotify_pipeline.neighbours.geometry import Rankings, compute_rankings, write_rankings
    from emotify_pipeline.neighbours.splits import read_splits, resampled_splits, split_table

    store = work / "vgg19.h5"
    tracks = pd.DataFrame(json.loads((work / "tracks.json").read_text()))
    ids = tracks["track_id"].to_numpy(dtype=np.int64)
    n = len(ids)
    rng = np.random.default_rng(1)
    splits = resampled_splits(tracks["genre"].to_numpy(), repeats, 0.3, seed=0)
    table = split_table(tracks, splits, 5, list(range(repeats)))
    depth = 15
    mu = np.round(rng.beta(1.2, 3.0, size=(n, len(EMOTIONS))) * 20) / 20  # shares of about 20 ratings
    extra: dict = {}
    t0, c0 = time.perf_counter(), time.process_time()
    with threadpool_limits(limits=threads):
        if name == "production":
            from emotify_pipeline.features.production import descriptor_table
            from emotify_pipeline.features.spectrogram import SpectrogramParams

            table_ = descriptor_table(store, tracks, SpectrogramParams())
            table_.to_csv(work / "production.csv", index=False)
            extra["descriptors"] = table_.shape[1] - 1
        elif name == "neighbours_audio":
            from emotify_pipeline.neighbours.columns import open_columns

            with open_columns(store, ids) as x:
                items = compute_rankings(x, ids, read_splits(table, ids), "audio", inner=True, depth=depth)
                extra["scratch"] = type(x).__name__
            write_rankings(work / "audio.h5", items, {"repeats": repeats})
            extra["rankings"] = len(items)
            extra["file_mb"] = round((work / "audio.h5").stat().st_size / 2**20, 1)
        elif name == "neighbours_ratings":
            items = compute_rankings(mu, ids, read_splits(table, ids), "ratings", inner=False, depth=depth)
            write_rankings(work / "ratings.h5", items, {"repeats": repeats})
            extra["rankings"] = len(items)
        elif name == "ablation":
            from emotify_pipeline.neighbours.ablation_rankings import ablation_rankings
            from emotify_pipeline.neighbours.columns import open_columns

            production = pd.read_csv(work / "production.csv")
            sub = read_splits(table[table["repeat"] < ablation_repeats], ids)
            with open_columns(store, ids) as x:
                items, dims = ablation_rankings(x, production, ids, sub, [2, 9, 50, 0], depth)
            extra["rankings"] = len(items)
        elif name == "pca":
            from emotify_pipeline.neighbours.columns import open_columns
            from emotify_pipeline.study.pca import gram_pca_frame

            with open_columns(store, ids) as x:
                _, explained = gram_pca_frame(x, tracks)
            extra["explained"] = [round(v, 4) for v in explained]
        elif name == "evaluate":
            from emotify_pipeline.study.evaluation import evaluate_all

            labels = pd.DataFrame((mu > np.median(mu, axis=0)).astype(int), columns=list(EMOTIONS))
            labels.insert(0, "track_id", ids)
            cfg = {
                "k": 5,
                "ties": "sklearn",
                "permutations": permutations,
                "permutation_splits": min(10, repeats),
                "confidence": 0.95,
                "seed": 0,
            }
            summary, _ = evaluate_all(
                tracks[["track_id", "genre"]],
                labels,
                {"random": Rankings(work / "audio.h5")},
                cfg,
                ratings=Rankings(work / "ratings.h5"),
                artists=tracks["artist"].to_numpy(),
            )
            extra["rows"] = len(summary)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = peak_rss_gb()
    return {"stage": name, "seconds": round(seconds, 2), "cpu_s": round(cpu, 2), "peak_rss_gb": round(peak, 3), **extra}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[400, 2000, 10000])
    parser.add_argument("--repeats", type=int, default=2, help="random splits (each with five inner folds)")
    parser.add_argument("--ablation-repeats", type=int, default=1)
    parser.add_argument("--permutations", type=int, default=1000)
    parser.add_argument("--stages", nargs="+", default=STAGES, choices=STAGES)
    parser.add_argument("--work", type=Path, default=Path("/tmp/emotify-scale"))
    parser.add_argument("--threads", type=int, default=2, help="BLAS threads of every stage")
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        result = stage(args.stage, args.work, args.repeats, args.ablation_repeats, args.permutations, args.threads)
        print(json.dumps(result))
        return
    print(f"synthetic features {DIM} wide; {args.repeats} random split(s) x 5 inner folds; {args.threads} thread(s)")
    for n in args.sizes:
        work = args.work / str(n)
        work.mkdir(parents=True, exist_ok=True)
        if not (work / "vgg19.h5").exists():
            t0 = time.perf_counter()
            make_store(work / "vgg19.h5", n)
            print(f"N = {n}: feature file written in {time.perf_counter() - t0:.0f} s")
        for name in args.stages:
            cmd = [sys.executable, __file__, "--stage", name, "--work", str(work), "--repeats", str(args.repeats)]
            cmd += ["--ablation-repeats", str(args.ablation_repeats), "--permutations", str(args.permutations)]
            cmd += ["--threads", str(args.threads)]
            out = subprocess.run(cmd, capture_output=True, text=True)
            if out.returncode:
                print(f"N = {n} {name}: failed\n{out.stderr[-3000:]}")
                break
            result = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"N = {n:>6} " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
