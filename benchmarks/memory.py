"""Peak memory of the classifier stage at the full Emotify scale, on a synthetic feature store.

Writes an HDF5 store shaped like ``results/features/vgg19.h5`` (``--n`` tracks x ``--dim``
features, 4 balanced genres, chunked one row per chunk) and runs, each in a fresh process:

- ``neighbours`` the neighbour rankings of ``--repeats`` random 70/30 splits and their five
  inner folds, as the ``neighbours`` rule computes them (read the rows, float64 Gram);
- ``reduce`` the streamed random projection of ``features.reduce`` to ``--components``.

Usage::

    python benchmarks/memory.py                      # 400 x 163 840 (pool5/flatten, float32)
    python benchmarks/memory.py --dim 21168128 --n 40 --dtype float16 --modes reduce   # conv1_1
"""

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow" / "scripts"))


def make_store(path: Path, n: int, dim: int, dtype: str) -> None:
    import h5py
    import numpy as np

    rng = np.random.default_rng(0)
    genres = ["classical", "rock", "electronic", "pop"]
    with h5py.File(path, "w") as h5:
        dset = h5.create_dataset("features", shape=(n, dim), dtype=dtype, chunks=(1, dim))
        for i in range(n):
            row = rng.standard_normal(dim, dtype=np.float32)
            row[: min(dim, 1000)] += 3.0 * (i % 4)  # a little genre signal
            dset[i] = np.maximum(row, 0)
        h5["track_id"] = np.arange(1, n + 1)
        h5.create_dataset("genre", data=[genres[i % 4] for i in range(n)], dtype=h5py.string_dtype())


def run_mode(mode: str, store: Path, components: int, repeats: int) -> dict:
    import h5py
    import pandas as pd

    t0 = time.perf_counter()
    if mode == "neighbours":
        from emotify_pipeline.features.store import read_feature_h5
        from emotify_pipeline.neighbours.geometry import compute_rankings
        from emotify_pipeline.neighbours.splits import read_splits, resampled_splits, split_table

        with h5py.File(store) as h5:
            tracks = pd.DataFrame({"track_id": h5["track_id"][:], "genre": h5["genre"].asstr()[:]})
        x, ids, _ = read_feature_h5(store)
        splits = resampled_splits(tracks["genre"].to_numpy(), repeats, 0.3, seed=0)
        table = split_table(tracks, splits, 5, list(range(repeats)))
        items = compute_rankings(x, ids, read_splits(table, ids), "audio", inner=True)
        extra = {"rankings": len(items), "splits": repeats}
    else:
        from emotify_pipeline.features.reduce import reduce_file

        with tempfile.TemporaryDirectory() as tmp:
            extra = reduce_file(store, Path(tmp) / "r.h5", "random_projection", components, 0)
    return {
        "mode": mode,
        "wall_s": time.perf_counter() - t0,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        **extra,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--dim", type=int, default=163_840)
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--components", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=10, help="random splits of the neighbours mode")
    parser.add_argument("--modes", default="neighbours,reduce")
    parser.add_argument("--mode", help=argparse.SUPPRESS)
    parser.add_argument("--store", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mode:
        print(json.dumps(run_mode(args.mode, Path(args.store), args.components, args.repeats)))
        return
    with tempfile.TemporaryDirectory(dir=".") as tmp:
        store = Path(tmp) / "features.h5"
        t0 = time.perf_counter()
        make_store(store, args.n, args.dim, args.dtype)
        size = store.stat().st_size / 2**20
        print(f"store: {args.n} x {args.dim} {args.dtype}, {size:.0f} MB, written in {time.perf_counter() - t0:.1f} s")
        for mode in args.modes.split(","):
            cmd = [
                sys.executable,
                __file__,
                "--mode",
                mode,
                "--store",
                str(store),
                "--components",
                str(args.components),
                "--repeats",
                str(args.repeats),
            ]
            r = json.loads(
                subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
            )
            print(
                f"{mode:7s} peak RSS {r['peak_rss_mb']:8.0f} MB  wall {r['wall_s']:7.1f} s  {json.dumps({k: v for k, v in r.items() if k not in ('mode', 'wall_s', 'peak_rss_mb')})}"
            )


if __name__ == "__main__":
    main()
