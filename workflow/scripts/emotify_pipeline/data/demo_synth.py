"""The demo's synthetic audio: each genre has its own instrumentation and tempo range (so genre is
learnable), each artist its own "mastering" (gain and spectral tilt, a stand-in for the production
bias the paper suspects), and each clip draws latent musical properties (:class:`ClipTraits`)
that also drive the simulated listeners' GEMS choices (:mod:`demo`)."""

from dataclasses import dataclass

import numpy as np
from scipy.signal import lfilter

#: each genre's tempo range (beats per minute) that a clip's tempo is drawn from
TEMPO_BPM = {"classical": (56, 84), "rock": (108, 144), "electronic": (122, 132), "pop": (92, 118)}
SLOWEST_BPM = min(lo for lo, _ in TEMPO_BPM.values())
FASTEST_BPM = max(hi for _, hi in TEMPO_BPM.values())


@dataclass(frozen=True)
class ClipTraits:
    """Latent musical properties of one synthetic clip, each in [0, 1] unless stated."""

    major: bool
    tempo_bpm: float
    loudness: float
    brightness: float
    roughness: float
    root_hz: float


def _env(n: int, sr: int, attack: float, decay: float) -> np.ndarray:
    """An amplitude envelope of ``n`` samples at ``sr`` Hz: a linear attack of ``attack``
    seconds, an exponential decay of time constant ``decay`` seconds. Shape (n,)."""
    t = np.arange(n) / sr
    return np.minimum(1.0, t / max(attack, 1e-4)) * np.exp(-t / max(decay, 1e-4))


def _tone(freq: float, n: int, sr: int, brightness: float, kind: str, vibrato: float = 0.0) -> np.ndarray:
    """A harmonic tone of ``freq`` Hz, ``n`` samples at ``sr`` Hz, shape (n,); ``brightness``
    (0-1) sets how slowly the partials decay, ``kind`` the instrument, ``vibrato`` its depth (radians)."""
    t = np.arange(n) / sr
    phase = 2 * np.pi * freq * t + vibrato * np.sin(2 * np.pi * 5.5 * t)
    n_partials = {"strings": 10, "saw": 14, "square": 9, "pluck": 8}[kind]
    out = np.zeros(n)
    for p in range(1, n_partials + 1):
        if kind == "square" and p % 2 == 0:
            continue
        if p * freq > sr / 2.2:
            break
        amp = p ** -(2.2 - 1.4 * brightness)
        out += amp * np.sin(p * phase)
    return out


def _noise_burst(rng: np.random.Generator, n: int, sr: int, decay: float, highpass: bool) -> np.ndarray:
    """A decaying white-noise hit (snare, hi-hat with ``highpass``) of ``n`` samples, shape (n,);
    draws ``n`` normals from ``rng``."""
    burst = rng.standard_normal(n) * _env(n, sr, 0.001, decay)
    if highpass:
        burst = np.diff(burst, prepend=0.0)
    return burst


def _kick(n: int, sr: int) -> np.ndarray:
    """A kick drum: a sine gliding from 140 Hz down to 50 Hz, ``n`` samples at ``sr`` Hz, shape (n,)."""
    t = np.arange(n) / sr
    freq = 50 + 90 * np.exp(-t / 0.03)
    return np.sin(2 * np.pi * np.cumsum(freq) / sr) * _env(n, sr, 0.001, 0.12)


def synth_clip(genre: str, traits: ClipTraits, duration: float, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Render one mono clip of ``duration`` seconds at ``sr`` Hz for ``genre``.

    Returns float32 samples in [-1, 1].
    """
    n = int(round(duration * sr))
    beat = int(sr * 60.0 / traits.tempo_bpm)
    third = 4 if traits.major else 3
    chord = [0, third, 7]
    progression = [0, 5, 7, 0] if traits.major else [0, 8, 3, 7]
    y = np.zeros(n)
    kind = {"classical": "strings", "rock": "saw", "electronic": "square", "pop": "pluck"}[genre]
    bar = 4 * beat if genre != "classical" else 8 * beat
    for i, start in enumerate(range(0, n, bar)):
        seg = min(bar, n - start)
        root = traits.root_hz * 2 ** (progression[i % len(progression)] / 12)
        for interval in chord:
            f = root * 2 ** (interval / 12)
            if genre == "classical":
                env = _env(seg, sr, 0.35, 6.0)
                y[start : start + seg] += 0.35 * env * _tone(f, seg, sr, traits.brightness, kind, vibrato=0.6)
            elif genre == "pop":
                for b in range(0, seg, beat // 2):
                    m = min(beat // 2, seg - b)
                    note = f * (2 if (b // (beat // 2)) % 4 == 3 else 1)
                    y[start + b : start + b + m] += (
                        0.3 * _env(m, sr, 0.005, 0.25) * _tone(note, m, sr, traits.brightness, kind)
                    )
            else:
                env = _env(seg, sr, 0.01, 3.0 if genre == "rock" else 1.0)
                y[start : start + seg] += 0.3 * env * _tone(f, seg, sr, traits.brightness, kind)
        if genre == "electronic":
            bass = _tone(root / 2, seg, sr, 0.2, "square")
            gate = (np.arange(seg) % (beat // 2)) < beat // 4
            y[start : start + seg] += 0.4 * bass * gate
    if genre == "rock":
        y = np.tanh((1.5 + 4 * traits.roughness) * y)
    # drums
    for b_idx, b in enumerate(range(0, n, beat)):
        m = min(beat, n - b)
        if genre == "electronic":
            y[b : b + m] += 0.9 * _kick(m, sr)
            off = b + beat // 2
            if off < n:
                mm = min(beat // 2, n - off)
                y[off : off + mm] += 0.15 * _noise_burst(rng, mm, sr, 0.03, highpass=True)
        elif genre == "rock":
            if b_idx % 2 == 0:
                y[b : b + m] += 0.8 * _kick(m, sr)
            else:
                y[b : b + m] += 0.5 * _noise_burst(rng, m, sr, 0.09, highpass=False)
        elif genre == "pop" and b_idx % 2 == 1:
            y[b : b + m] += 0.35 * _noise_burst(rng, m, sr, 0.05, highpass=True)
    y += 0.02 * traits.roughness * rng.standard_normal(n)
    peak = float(np.max(np.abs(y))) or 1.0
    return (y / peak * (0.25 + 0.7 * traits.loudness)).astype(np.float32)


def master(y: np.ndarray, gain_db: float, tilt: float) -> np.ndarray:
    """Apply an artist's "mastering": a one-pole spectral tilt and a gain, then clip to [-1, 1]."""
    alpha = 0.6  # one-pole low-pass; y mixed with it sets the tilt
    smoothed = lfilter([1 - alpha], [1.0, -alpha], y)
    mixed = (1 - tilt) * y + tilt * smoothed
    return np.clip(mixed * 10 ** (gain_db / 20), -1.0, 1.0).astype(np.float32)
