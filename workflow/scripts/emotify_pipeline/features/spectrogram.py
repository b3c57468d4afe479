"""Audio decoding and the log-mel spectrogram "image" that VGG19 sees.

Crop/pad policy: every clip is decoded (librosa, resampled to ``sample_rate``, mixed to mono)
from ``offset`` seconds for ``duration`` seconds. A longer clip is cut there; a shorter, whole
clip (the real archive has four classical clips of 25.8-42.4 s) is zero-padded at the end to
exactly ``round(duration * sample_rate)`` samples, so every spectrogram has the same number of
frames; the track table records the seconds padded. Whether a file is whole, truncated or
corrupt is decided before extraction from its MPEG frames (``audio_check``); here a clip that
decodes to nothing, or to less than ``min_duration`` seconds, is an error naming the file.
"""

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import EmotifyError

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


@dataclass(frozen=True)
class SpectrogramParams:
    """Every parameter that shapes the image fed to VGG19 (recorded in the HDF5 attributes)."""

    sample_rate: int = 22050
    offset: float = 0.0
    duration: float = 60.0
    min_duration: float = 0.0
    n_fft: int = 2048
    hop_length: int = 512
    n_mels: int = 128
    fmin: float = 0.0
    fmax: float | None = None
    top_db: float = 80.0
    colormap: str = "gray"

    @property
    def n_samples(self) -> int:
        return int(round(self.duration * self.sample_rate))

    @property
    def n_frames(self) -> int:
        """Frames of a centred STFT over exactly ``n_samples`` samples."""
        return 1 + self.n_samples // self.hop_length


SILENCE = 1e-4
"""Peak amplitude below which a decoded excerpt counts as silent (-80 dBFS; the quietest real
clip peaks far above it)."""


def mel_problem(sample_rate: int, n_fft: int, n_mels: int, fmin: float, fmax: float | None) -> str:
    """'' when the mel filterbank is sound, else why not: fmin at or above fmax, fmax above the
    Nyquist frequency, or more mel bands than the FFT bins between fmin and fmax can fill (the
    empty filters librosa only warns about, which make every clip's image alike)."""
    nyquist = sample_rate / 2
    top = nyquist if fmax is None else fmax
    if top > nyquist:
        return f"spectrogram.fmax = {fmax} Hz is above the Nyquist frequency {nyquist:g} Hz of audio.sample_rate = {sample_rate}"
    if fmin >= top:
        return f"spectrogram.fmin = {fmin} Hz is not below fmax = {top:g} Hz"

    def mel(f: np.ndarray) -> np.ndarray:  # Slaney's scale, as librosa's default
        f = np.asarray(f, dtype=float)
        lin = f / (200.0 / 3)
        log = 15.0 + np.log(np.maximum(f, 1e-9) / 1000.0) / (np.log(6.4) / 27.0)
        return np.where(f >= 1000.0, log, lin)

    def hz(m: np.ndarray) -> np.ndarray:
        return np.where(m >= 15.0, 1000.0 * np.exp((np.log(6.4) / 27.0) * (m - 15.0)), m * 200.0 / 3)

    edges = hz(np.linspace(mel(np.array(fmin)), mel(np.array(top)), n_mels + 2))
    bins = np.fft.rfftfreq(n_fft, 1.0 / sample_rate)
    empty = sum(not np.any((bins > lo) & (bins < hi)) for lo, hi in zip(edges[:-2], edges[2:], strict=True))
    if empty:
        return (
            f"spectrogram.n_mels = {n_mels} leaves {empty} mel band(s) without an FFT bin between fmin = {fmin} Hz "
            f"and fmax = {top:g} Hz (n_fft = {n_fft} at {sample_rate} Hz): lower n_mels or raise n_fft"
        )
    return ""


def load_clip(path: str | Path, p: SpectrogramParams) -> np.ndarray:
    """Decode ``path`` to mono float32 at ``p.sample_rate``, cropped/padded to ``p.n_samples``.

    Raises :class:`EmotifyError` naming the file when it is missing, empty, not decodable,
    or shorter than ``p.min_duration`` seconds after ``p.offset``.
    """
    return decode_clip(path, p)[0]


def decode_clip(path: str | Path, p: SpectrogramParams) -> tuple[np.ndarray, float]:
    """:func:`load_clip` and the seconds of audio decoded after ``p.offset`` (before padding)."""
    return decode_clip_at(path, p)[:2]


def decode_clip_at(path: str | Path, p: SpectrogramParams, also: int | None = None) -> tuple[np.ndarray, float, Any]:
    """:func:`decode_clip`, and with ``also`` the same decode resampled to that rate too (third,
    not padded; None without ``also``). One decode at the file's own rate, resampled to each rate
    as ``librosa.load(sr=...)`` resamples, so each equals a ``librosa.load`` at that rate -- the
    musicnn port's 16 kHz input is then exactly the package's own."""
    import librosa
    import soundfile as sf

    path = Path(path)
    if not path.is_file():
        raise EmotifyError(f"{path}: audio file not found")
    if path.stat().st_size == 0:
        raise EmotifyError(f"{path}: audio file is empty (0 bytes)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rate = None if also else p.sample_rate
            y, native = librosa.load(path, sr=rate, mono=True, offset=p.offset, duration=p.duration)
            extra = None
            if also:
                extra = librosa.resample(y, orig_sr=native, target_sr=also)
                y = librosa.resample(y, orig_sr=native, target_sr=p.sample_rate)
    except (sf.LibsndfileError, RuntimeError, EOFError, ValueError) as err:
        raise EmotifyError(f"{path}: cannot decode audio ({decoder_message(path, err)})") from None
    except Exception as err:  # audioread's backends raise their own types
        if err.__class__.__module__.startswith(("audioread", "soundfile")):
            raise EmotifyError(f"{path}: cannot decode audio ({decoder_message(path, err)})") from None
        raise
    if len(y) == 0 or len(y) < p.min_duration * p.sample_rate:
        raise EmotifyError(
            f"{path}: decodes to {len(y) / p.sample_rate:.2f} s after offset {p.offset} s, less than "
            f"audio.min_duration = {p.min_duration} s (truncated or broken file?)"
        )
    if not np.all(np.isfinite(y)):
        raise EmotifyError(f"{path}: decoded audio contains NaN or infinite samples")
    if float(np.max(np.abs(y))) < SILENCE:
        raise EmotifyError(
            f"{path}: decodes to digital silence (peak below {SILENCE:g}) for the whole excerpt: an empty or broken "
            "recording, whose features would say nothing about the song"
        )
    out = np.zeros(p.n_samples, dtype=np.float32)
    n = min(len(y), p.n_samples)
    out[:n] = y[:n]
    return out, len(y) / p.sample_rate, extra


def decoder_message(path: str | Path, err: Exception) -> str:
    """What the decoders said. librosa tries libsndfile first and, when it fails, falls back to
    audioread, whose error (``NoBackendError``, empty) hides libsndfile's: ask libsndfile again."""
    import soundfile as sf

    said = f"{err.__class__.__name__}: {err}".rstrip(": ")
    if err.__class__.__module__.startswith("audioread"):
        try:
            with sf.SoundFile(path) as handle:
                handle.read(frames=-1, dtype="float32")
        except Exception as sf_err:  # noqa: BLE001 - we only want its message
            said = (
                f"libsndfile: {sf_err}; the fallback decoder audioread found no backend to try "
                "(no ffmpeg or gstreamer installed)"
            )
    return said


def mel_power(y: np.ndarray, p: SpectrogramParams) -> np.ndarray:
    """The mel power spectrogram of a decoded clip: float32 (n_mels, n_frames)."""
    import librosa

    return librosa.feature.melspectrogram(
        y=y,
        sr=p.sample_rate,
        n_fft=p.n_fft,
        hop_length=p.hop_length,
        n_mels=p.n_mels,
        fmin=p.fmin,
        fmax=p.fmax,
        power=2.0,
    )


def log_mel(y: np.ndarray, p: SpectrogramParams, mel: np.ndarray | None = None) -> np.ndarray:
    """Log-mel power spectrogram in dB relative to the clip's peak, clipped at ``-top_db``
    (from ``mel``, :func:`mel_power`, when it is already computed).

    Returns float32 of shape (n_mels, n_frames), values in [-top_db, 0].
    """
    import librosa

    mel = mel_power(y, p) if mel is None else mel
    db = librosa.power_to_db(mel, ref=np.max, top_db=p.top_db)
    return db.astype(np.float32)


def statistics_layout(n_mels: int, n_frames: int) -> dict[str, slice]:
    """Where each part of a :func:`decode_statistics` vector sits."""
    sizes = {"band_mean_db": n_mels, "band_cov_db": n_mels * (n_mels + 1) // 2, "rms_db": n_frames, "peak": 1, "ms": 1}
    out, start = {}, 0
    for name, size in sizes.items():
        out[name] = slice(start, start + size)
        start += size
    return out


def decode_statistics(y: np.ndarray, mel: np.ndarray, p: SpectrogramParams) -> np.ndarray:
    """What the production descriptors need from a decoded clip, computed where the clip is
    decoded for VGG19 -- so that no clip is decoded twice.

    The absolute-dB log-mel (``power_to_db(mel, ref=1)``): its per-band time mean and the
    upper triangle of its band covariance over frames (population; MFCCs are a linear map of
    the bands, so their means and standard deviations follow exactly); the frame RMS level in
    dBFS (``n_fft`` frames, ``hop_length`` hop); the peak amplitude and the mean square. One
    float64 vector laid out by :func:`statistics_layout`.
    """
    import librosa

    db = librosa.power_to_db(mel, ref=1.0, amin=1e-10).astype(np.float64)
    mean = db.mean(axis=1)
    centred = db - mean[:, None]
    cov = centred @ centred.T / db.shape[1]
    rms = librosa.feature.rms(y=y, frame_length=p.n_fft, hop_length=p.hop_length)[0]
    rms_db = 20 * np.log10(np.maximum(rms.astype(np.float64), 1e-10))
    peak = float(np.max(np.abs(y)))
    ms = float(np.mean(y.astype(np.float64) ** 2))
    upper = cov[np.triu_indices(len(mean))]
    return np.concatenate([mean, upper, rms_db, [peak, ms]])


def to_image(db: np.ndarray, p: SpectrogramParams) -> np.ndarray:
    """Turn a dB spectrogram into an ImageNet-normalised 3-channel image.

    The dB range [-top_db, 0] maps to [0, 1]; rows are flipped so that low frequencies are at
    the bottom, as in a plotted spectrogram; ``colormap`` ``gray`` repeats the grey level on
    the three channels, any matplotlib colormap name (e.g. ``viridis``) renders it in colour.
    Finally the ImageNet mean/std normalisation that torchvision's VGG19 expects.

    Returns float32 of shape (3, n_mels, n_frames).
    """
    grey = np.clip((db + p.top_db) / p.top_db, 0.0, 1.0)[::-1]
    if p.colormap == "gray":
        rgb = np.repeat(grey[None], 3, axis=0)
    else:
        from matplotlib import colormaps

        try:
            cmap = colormaps[p.colormap]
        except KeyError:
            raise EmotifyError(f"spectrogram.colormap: unknown colormap {p.colormap!r}") from None
        rgb = np.moveaxis(cmap(grey)[..., :3], -1, 0)
    rgb = (rgb - IMAGENET_MEAN[:, None, None]) / IMAGENET_STD[:, None, None]
    return np.ascontiguousarray(rgb, dtype=np.float32)


def clip_image(path: str | Path, p: SpectrogramParams) -> np.ndarray:
    """Decode → log-mel → image for one file: float32 (3, n_mels, n_frames)."""
    return to_image(log_mel(load_clip(path, p), p), p)


def clip_image_and_statistics(path: str | Path, p: SpectrogramParams) -> tuple[np.ndarray, float, np.ndarray]:
    """One decode, everything extraction keeps: the image, the seconds decoded after the offset
    (before padding) and the :func:`decode_statistics` of the production descriptors."""
    y, seconds = decode_clip(path, p)
    mel = mel_power(y, p)
    return to_image(log_mel(y, p, mel), p), seconds, decode_statistics(y, mel, p)
