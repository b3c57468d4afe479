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

import logging
from typing import Any

import numpy as np
import pandas as pd

from .common_io import EmotifyError, write_csv
from .spectrogram import SpectrogramParams, load_clip

FEATURE_SETS = ("ltas", "mfcc", "loudness")


def production_features(y: np.ndarray, p: SpectrogramParams, n_mfcc: int = 20) -> dict[str, float]:
    """The three production descriptor groups of one decoded clip, as a flat dict."""
    import librosa

    mel = librosa.feature.melspectrogram(
        y=y, sr=p.sample_rate, n_fft=p.n_fft, hop_length=p.hop_length, n_mels=p.n_mels, fmin=p.fmin, fmax=p.fmax
    )
    db = librosa.power_to_db(mel, ref=1.0, amin=1e-10)
    out = {f"ltas_{i:03d}": float(v) for i, v in enumerate(db.mean(axis=1))}
    mfcc = librosa.feature.mfcc(S=db, n_mfcc=n_mfcc)
    out |= {f"mfcc_mean_{i:02d}": float(v) for i, v in enumerate(mfcc.mean(axis=1))}
    out |= {f"mfcc_std_{i:02d}": float(v) for i, v in enumerate(mfcc.std(axis=1))}
    rms = librosa.feature.rms(y=y, frame_length=p.n_fft, hop_length=p.hop_length)[0]
    rms_db = 20 * np.log10(np.maximum(rms, 1e-10))
    peak = float(np.max(np.abs(y))) or 1e-10
    out |= {
        "loudness_rms_mean_db": float(rms_db.mean()),
        "loudness_rms_std_db": float(rms_db.std()),
        "loudness_rms_p95_db": float(np.percentile(rms_db, 95)),
        "loudness_peak_db": float(20 * np.log10(peak)),
        "loudness_crest_db": float(20 * np.log10(peak) - 10 * np.log10(np.mean(y.astype(np.float64) ** 2) + 1e-20)),
    }
    return out


def feature_columns(frame: pd.DataFrame, feature_set: str) -> list[str]:
    """Columns of ``frame`` that belong to one of :data:`FEATURE_SETS` (or ``production`` = all)."""
    prefixes = FEATURE_SETS if feature_set == "production" else (feature_set,)
    return [c for c in frame.columns if c.split("_")[0] in prefixes]


def clip_descriptors(item: tuple[int, str, SpectrogramParams]) -> tuple[int, dict[str, float] | str]:
    """Decode one clip and compute its descriptors: ``(track id, descriptors or the decoder's
    error message)``. Runs in a worker process."""
    tid, path, sp = item
    try:
        return tid, production_features(load_clip(path, sp), sp)
    except EmotifyError as err:
        return tid, str(err)


def descriptor_table(
    tracks: pd.DataFrame, sp: SpectrogramParams, workers: int, skip: bool, logger: logging.Logger | None = None
) -> pd.DataFrame:
    """The descriptors of every track (rows in track order), decoded by ``workers`` processes.
    A clip the decoder refuses is an error naming it, or is left out and logged with ``skip``."""
    from concurrent.futures import ProcessPoolExecutor

    from . import production_features as module  # by module name, so worker processes can import it

    items = [(int(t), str(p), sp) for t, p in zip(tracks["track_id"], tracks["path"], strict=True)]
    if workers > 1 and len(items) > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(module.clip_descriptors, items, chunksize=4))
    else:
        results = [clip_descriptors(item) for item in items]
    rows = []
    for tid, out in results:
        if isinstance(out, str):
            if not skip:
                raise EmotifyError(out)
            if logger:
                logger.warning("skipping track %d, which the decoder refused: %s", tid, out)
            continue
        rows.append({"track_id": tid, **out})
    return pd.DataFrame(rows)


def main(smk: Any, logger: logging.Logger) -> None:
    from .common_io import usable_tracks

    sp = SpectrogramParams(**smk.params.audio, **smk.params.spectrogram)
    tracks = usable_tracks(pd.read_csv(smk.input.tracks))
    skip = smk.config["data"]["on_bad_audio"] == "skip"
    table = descriptor_table(tracks, sp, smk.threads, skip, logger)
    write_csv(table, smk.output.csv)
    logger.info("production descriptors of %d clips (%d processes) -> %s", len(table), smk.threads, smk.output.csv)
