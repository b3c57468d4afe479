"""Optional reduction of very high-dimensional features before the classifiers.

``features.reduce.method``:

- ``none``: the classifiers read the merged features as they are.
- ``random_projection``: standardise every column (streaming mean/std over row blocks), then
  project with a seeded sparse random matrix (Achlioptas / Li et al., scikit-learn's
  ``SparseRandomProjection``) to ``n_components`` dimensions. Distances are preserved up to a
  small distortion (Johnson-Lindenstrauss), which is what KNN needs; memory is a few row
  blocks plus the sparse matrix, so it scales to the ~10^7-dimensional ``conv1_1`` vectors.
- ``pca``: standardise, then ``IncrementalPCA`` over row blocks. Its components take
  n_components x dim x 8 bytes, so use it for moderate dimensions (pool5 and above).

Rows are read block by block, each verified by its checksum and refused when not finite
(:class:`store.CheckedFeatures`); the full matrix is never in memory.
"""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import EmotifyError
from ..core.files import atomic_path, utc_now
from .store import CheckedFeatures, open_features


def row_blocks(dset: Any, max_bytes: int = 256 << 20, min_rows: int = 1) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(start, rows float32)`` blocks of an (n, d) dataset of at most ``max_bytes``."""
    n, d = dset.shape
    rows = max(min_rows, max_bytes // max(1, 4 * d))
    for start in range(0, n, rows):
        yield start, np.asarray(dset[start : start + rows], dtype=np.float32)


def column_stats(dset: Any, max_bytes: int = 256 << 20) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation (population) of every column, streamed; std 0 -> 1."""
    n, d = dset.shape
    total = np.zeros(d)
    total_sq = np.zeros(d)
    for _, block in row_blocks(dset, max_bytes):
        total += block.sum(axis=0, dtype=np.float64)
        total_sq += np.square(block, dtype=np.float64).sum(axis=0)
    mean = total / n
    std = np.sqrt(np.maximum(total_sq / n - mean**2, 0.0))
    std[std == 0] = 1.0
    return mean.astype(np.float32), std.astype(np.float32)


def reduce_matrix(
    dset: Any, method: str, n_components: int, seed: int, max_bytes: int = 256 << 20
) -> tuple[np.ndarray, dict[str, Any]]:
    """Reduce an (n, d) dataset to (n, n_components) float32; return it with a description."""
    from scipy import sparse
    from sklearn.decomposition import IncrementalPCA
    from sklearn.random_projection import SparseRandomProjection

    n, d = dset.shape
    if n_components > d:
        raise EmotifyError(f"features.reduce.n_components = {n_components} exceeds the {d} feature dimensions")
    mean, std = column_stats(dset, max_bytes)
    out = np.empty((n, n_components), dtype=np.float32)
    if method == "random_projection":
        rp = SparseRandomProjection(n_components=n_components, dense_output=True, random_state=seed)
        rp.fit(sparse.csr_matrix((1, d), dtype=np.float32))
        for start, block in row_blocks(dset, max_bytes):
            out[start : start + len(block)] = rp.transform((block - mean) / std)
        info = {"density": float(rp.density_)}
    elif method == "pca":
        if n_components > n:
            raise EmotifyError(f"features.reduce.n_components = {n_components} exceeds the {n} tracks (pca)")
        ipca = IncrementalPCA(n_components=n_components)
        step = max(n_components, max_bytes // max(1, 4 * d))
        bounds = list(range(0, n, step)) + [n]
        if len(bounds) > 2 and bounds[-1] - bounds[-2] < n_components:
            del bounds[-2]  # every partial_fit needs at least n_components rows
        for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
            ipca.partial_fit((np.asarray(dset[lo:hi], dtype=np.float32) - mean) / std)
        for start, block in row_blocks(dset, max_bytes):
            out[start : start + len(block)] = ipca.transform((block - mean) / std)
        info = {"explained_variance": float(ipca.explained_variance_ratio_.sum())}
    else:
        raise EmotifyError(f"features.reduce.method: unknown method {method!r}")
    return out, {"method": method, "n_components": n_components, "seed": seed, "input_dim": d, **info}


def reduce_file(in_path: str | Path, out_path: str | Path, method: str, n_components: int, seed: int) -> dict[str, Any]:
    """Write the reduced features of ``in_path`` (same index and attributes) to ``out_path``."""
    import h5py

    with open_features(in_path) as src:
        reduced, info = reduce_matrix(CheckedFeatures(src, in_path), method, n_components, seed)
        with atomic_path(out_path, suffix=".h5") as tmp, h5py.File(tmp, "w") as dst:
            dst.create_dataset("features", data=reduced, chunks=(1, reduced.shape[1]), fletcher32=True)
            for name in ("track_id", "genre", "path", "excerpt_s"):
                if name in src:
                    dst.create_dataset(name, data=src[name][:], dtype=src[name].dtype)
            for key, value in src.attrs.items():
                dst.attrs[key] = value
            dst.attrs["reduction"] = json.dumps(info, sort_keys=True)
            dst.attrs["feature_dim"] = reduced.shape[1]
            dst.attrs["created_utc"] = utc_now()
    return info
