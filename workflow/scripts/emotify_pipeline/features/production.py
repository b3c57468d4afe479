"""Hand-made descriptors of the spectrum, timbre and loudness of a clip (the ablation's second
feature set beside VGG19).

- ``ltas``: long-term average spectrum -- the time average of the log-mel power in absolute dB
  (not normalised to the clip's peak), one value per mel band;
- ``mfcc``: mean and standard deviation over time of 20 MFCCs (spectral envelope / timbre);
- ``loudness``: frame RMS level in dBFS (mean, standard deviation, 95th percentile), peak
  level and crest factor (peak over RMS, dB) -- what mastering compresses and limits.

Loudness statistics and the long-term spectrum are shaped by mixing and mastering, but also by
instrumentation and style; MFCCs are classic timbre features. If these descriptors recognise
genre nearly as well as VGG19 features, a few global properties of the sound suffice -- which
does not separate production from musical content.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from ..core.emotify import usable_tracks
from ..core.errors import EmotifyError
from .spectrogram import SpectrogramParams, decode_statistics, mel_power, statistics_layout
from .store import checked_rows, open_features, read_attrs

FEATURE_SETS = ("ltas", "mfcc", "loudness")
N_MFCC = 20


def production_features(y: np.ndarray, p: SpectrogramParams, n_mfcc: int = N_MFCC) -> dict[str, float]:
    """The three production descriptor groups of one decoded clip, as a flat dict."""
    return descriptors_from_statistics(decode_statistics(y, mel_power(y, p), p), p, n_mfcc)


def descriptors_from_statistics(stats: np.ndarray, p: SpectrogramParams, n_mfcc: int = N_MFCC) -> dict[str, float]:
    """The descriptors of one clip from its :func:`spectrogram.decode_statistics` (what
    extraction stores beside the features), as a flat dict.

    MFCCs are librosa's (``dct`` type 2, orthonormal, of the absolute-dB bands): a linear map
    ``D`` of the bands, so their time mean is ``D @ mean`` and their standard deviation
    ``sqrt(diag(D C D^T))`` with ``C`` the band covariance -- the same numbers as computing
    them frame by frame (the tests check this against librosa).
    """
    import scipy.fft

    at = statistics_layout(p.n_mels, p.n_frames)
    if stats.shape != (at["ms"].stop,):
        raise EmotifyError(
            f"decode statistics of length {stats.shape} do not match {p.n_mels} mel bands and {p.n_frames} frames "
            "(stale feature file? rerun merge_features)"
        )
    mean = stats[at["band_mean_db"]]
    cov = np.zeros((p.n_mels, p.n_mels))
    cov[np.triu_indices(p.n_mels)] = stats[at["band_cov_db"]]
    cov = cov + np.triu(cov, 1).T
    dct = scipy.fft.dct(np.eye(p.n_mels), type=2, norm="ortho", axis=0)[:n_mfcc]
    mfcc_std = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", dct, cov, dct), 0.0))
    out = {f"ltas_{i:03d}": float(v) for i, v in enumerate(mean)}
    out |= {f"mfcc_mean_{i:02d}": float(v) for i, v in enumerate(dct @ mean)}
    out |= {f"mfcc_std_{i:02d}": float(v) for i, v in enumerate(mfcc_std)}
    rms_db = stats[at["rms_db"]]
    peak = float(stats[at["peak"]][0]) or 1e-10
    ms = float(stats[at["ms"]][0])
    out |= {
        "loudness_rms_mean_db": float(rms_db.mean()),
        "loudness_rms_std_db": float(rms_db.std()),
        "loudness_rms_p95_db": float(np.percentile(rms_db, 95)),
        "loudness_peak_db": float(20 * np.log10(peak)),
        "loudness_crest_db": float(20 * np.log10(peak) - 10 * np.log10(ms + 1e-20)),
    }
    return out


def feature_columns(frame: pd.DataFrame, feature_set: str) -> list[str]:
    """Columns of ``frame`` that belong to one of :data:`FEATURE_SETS` (or ``production`` = all)."""
    prefixes = FEATURE_SETS if feature_set == "production" else (feature_set,)
    return [c for c in frame.columns if c.split("_")[0] in prefixes]


def descriptor_table(h5_path: str, tracks: pd.DataFrame, p: SpectrogramParams) -> pd.DataFrame:
    """The descriptors of every track the merged feature file holds (rows in its order), from
    the decode statistics extraction stored there: no clip is decoded again."""
    with open_features(h5_path) as h5:
        if "decode_stats" not in h5:
            raise EmotifyError(f"{h5_path}: holds no 'decode_stats' (made by an older release? rerun extract_shard)")
        ids = h5["track_id"][:].astype(np.int64)
        rows = []
        for start in range(0, len(ids), 256):
            block = checked_rows(h5, slice(start, start + 256), h5_path, "decode_stats")
            rows += [
                {"track_id": int(t), **descriptors_from_statistics(b, p)}
                for t, b in zip(ids[start : start + len(block)], block, strict=True)
            ]
    wanted = set(tracks["track_id"].astype(int))
    return pd.DataFrame([r for r in rows if r["track_id"] in wanted])


def production_table(features_path: str | Path, tracks_path: str | Path) -> pd.DataFrame:
    """The descriptors of the usable tracks of the track table ``tracks_path`` (one row per
    track the merged feature file ``features_path`` holds), computed with the spectrogram
    settings the statistics were computed with: the feature file's own provenance."""
    sp = SpectrogramParams(**read_attrs(features_path)["spectrogram_params"])
    tracks = usable_tracks(pd.read_csv(tracks_path))
    return descriptor_table(str(features_path), tracks, sp)
