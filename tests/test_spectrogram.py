"""Decoding with the crop/pad policy and the spectrogram image."""

from pathlib import Path

import numpy as np
import pytest
from conftest import SHARED, needs_shared

from emotify_pipeline.core.errors import EmotifyError
from emotify_pipeline.data.demo import write_mp3
from emotify_pipeline.features.spectrogram import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    SpectrogramParams,
    clip_image,
    load_clip,
    log_mel,
    to_image,
)

TAGS = {"title": "t", "artist": "a", "album": "b", "year": "2001", "genre": "Pop", "track": "1"}


def _mp3(tmp_path: Path, seconds: float, sr: int = 22050) -> Path:
    t = np.arange(int(seconds * sr)) / sr
    path = tmp_path / f"{seconds}.mp3"
    write_mp3(path, (0.3 * np.sin(2 * np.pi * 440 * t)).astype("float32"), sr, TAGS)
    return path


def test_shapes_follow_the_parameters() -> None:
    p = SpectrogramParams(sample_rate=22050, duration=2.0, min_duration=0.0, n_mels=64, hop_length=256)
    y = np.random.default_rng(0).standard_normal(p.n_samples).astype("float32")
    db = log_mel(y, p)
    assert db.shape == (64, p.n_frames) == (64, 1 + 44100 // 256)
    assert db.max() == pytest.approx(0.0) and db.min() >= -p.top_db
    img = to_image(db, p)
    assert img.shape == (3, 64, p.n_frames) and img.dtype == np.float32
    # the loudest pixel maps to 1.0 before the ImageNet normalisation
    assert img[0].max() == pytest.approx((1.0 - IMAGENET_MEAN[0]) / IMAGENET_STD[0], rel=1e-5)
    # rows are flipped: the top row of the image is the highest mel band
    np.testing.assert_allclose(img[0, 0], ((db[-1] + 80) / 80 - IMAGENET_MEAN[0]) / IMAGENET_STD[0], rtol=1e-5)
    colour = to_image(db, SpectrogramParams(n_mels=64, colormap="viridis"))
    assert colour.shape == img.shape and not np.allclose(colour[0], colour[2])


def test_short_clip_is_padded_long_clip_is_cut(tmp_path: Path) -> None:
    p = SpectrogramParams(duration=3.0, min_duration=1.0)
    short = load_clip(_mp3(tmp_path, 2.0), p)
    assert short.shape == (p.n_samples,)
    assert np.abs(short[-int(0.5 * 22050) :]).max() == 0.0  # zero padding at the end
    long = load_clip(_mp3(tmp_path, 4.0), p)
    assert long.shape == (p.n_samples,) and np.abs(long[-100:]).max() > 0.0


def test_truncated_empty_and_non_audio_files_are_named(tmp_path: Path) -> None:
    p = SpectrogramParams(duration=3.0, min_duration=2.5)
    short = _mp3(tmp_path, 1.0)
    with pytest.raises(EmotifyError, match=rf"{short}.*less than audio.min_duration"):
        load_clip(short, p)
    empty = tmp_path / "empty.mp3"
    empty.write_bytes(b"")
    with pytest.raises(EmotifyError, match=rf"{empty}: audio file is empty"):
        load_clip(empty, p)
    junk = tmp_path / "junk.mp3"
    junk.write_bytes(b"not audio " * 100)
    with pytest.raises(EmotifyError, match=rf"{junk}"):
        load_clip(junk, p)


@needs_shared
def test_real_clip_decodes_to_the_documented_image() -> None:
    p = SpectrogramParams()  # 22.05 kHz, 60 s, 128 mels, hop 512
    img = clip_image(SHARED / "emotifymusic" / "rock" / "1.mp3", p)
    assert img.shape == (3, 128, 2584)
    assert np.isfinite(img).all() and img.std() > 0.1
