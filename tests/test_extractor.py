"""The VGG19 extractor on tiny inputs, and the HDF5 cache."""

from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
import torch

from common_io import EmotifyError
from demo_data import write_mp3
from spectrogram import SpectrogramParams, clip_image
from vgg_extract import (
    LAYERS,
    build_vgg19,
    extract_features,
    pool_activations,
    read_feature_h5,
    write_feature_h5,
)


@pytest.fixture(scope="module")
def pool5_model():
    return build_vgg19("random", seed=3, layer="pool5")


def test_layer_table_matches_torchvision() -> None:
    from torchvision.models import vgg19

    features = vgg19(weights=None).features
    for name, idx in LAYERS.items():
        kind = type(features[idx]).__name__
        assert kind == ("MaxPool2d" if name.startswith("pool") else "ReLU"), name
        if name.startswith("conv"):
            assert type(features[idx - 1]).__name__ == "Conv2d"
    assert LAYERS["pool5"] == 36 and LAYERS["conv1_1"] == 1


def test_random_weights_are_seeded_and_labelled(pool5_model) -> None:
    model, prov = pool5_model
    _, again = build_vgg19("random", seed=3, layer="pool5")
    _, other = build_vgg19("random", seed=4, layer="pool5")
    assert prov["weights_sha256"] == again["weights_sha256"] != other["weights_sha256"]
    assert "random-init VGG19" in prov["weights_label"]
    x = torch.zeros(1, 3, 64, 96)
    assert tuple(model(x).shape) == (1, 512, 2, 3)


def test_pooling_dimensions() -> None:
    act = torch.arange(2 * 4 * 3 * 5, dtype=torch.float32).reshape(2, 4, 3, 5)
    assert pool_activations(act, "flatten").shape == (2, 60)
    assert pool_activations(act, "mean").shape == (2, 12)
    assert pool_activations(act, "max").shape == (2, 12)
    ms = pool_activations(act, "mean_std")
    assert ms.shape == (2, 24)
    torch.testing.assert_close(ms[:, :12], act.mean(dim=3).flatten(1))
    with pytest.raises(EmotifyError, match="unknown pooling"):
        pool_activations(act, "median")


def test_missing_imagenet_weights_say_which_file_to_put_where(tmp_path: Path) -> None:
    target = tmp_path / "vgg19-dcbb9e9d.pth"
    with pytest.raises(EmotifyError, match=rf"put vgg19-dcbb9e9d.pth .*download.pytorch.org.* at {target}"):
        build_vgg19("imagenet", seed=0, layer="pool5", weights_file=target)
    bogus = tmp_path / "mine.pth"
    bogus.write_bytes(b"not a state dict")
    with pytest.raises(EmotifyError, match="expected 00ff"):
        build_vgg19(str(bogus), seed=0, layer="pool5", weights_file=bogus, weights_sha256="00ff")
    with pytest.raises(EmotifyError, match="not a VGG19 state dict"):
        build_vgg19(str(bogus), seed=0, layer="pool5", weights_file=bogus)


def test_extract_and_cache_roundtrip(tmp_path: Path, pool5_model) -> None:
    model, prov = pool5_model
    sp = SpectrogramParams(duration=1.0, min_duration=0.5, n_mels=64)
    tags = {"title": "t", "artist": "a", "album": "b", "year": "2001", "genre": "Pop", "track": "1"}
    rng = np.random.default_rng(0)
    paths = []
    for i in range(3):
        path = tmp_path / f"{i}.mp3"
        write_mp3(path, (0.2 * rng.standard_normal(22050)).astype("float32"), 22050, tags)
        paths.append(str(path))
    batches = list(extract_features(paths, sp, model, "flatten", batch_size=2))
    assert [b[0] for b in batches] == [0, 2]
    feats = np.concatenate([b[1] for b in batches])
    assert feats.shape == (3, 512 * 2 * (sp.n_frames // 32))
    # a batch gives what one clip at a time gives
    with torch.inference_mode():
        single = model(torch.from_numpy(clip_image(paths[1], sp))[None]).flatten(1).numpy()
    np.testing.assert_allclose(feats[1], single[0], rtol=1e-4, atol=1e-5)

    tracks = pd.DataFrame({"track_id": [7, 3, 5], "genre": ["pop", "rock", "pop"]})
    out = tmp_path / "features.h5"
    n, dim = write_feature_h5(
        out, tracks, iter(batches), {**prov, "layer": "pool5", "spectrogram_params": {"n_mels": 64}}
    )
    assert (n, dim) == feats.shape
    with h5py.File(out) as h5:
        assert h5["features"].shape == feats.shape and h5["features"].dtype == np.float32
        assert h5["track_id"][:].tolist() == [7, 3, 5]
        assert h5.attrs["weights_label"].startswith("random-init VGG19")
        assert list(h5.attrs["activation_shape"]) == [512, 2, sp.n_frames // 32]
        assert "created_utc" in h5.attrs
    x, ids, attrs = read_feature_h5(out, [5, 7])
    np.testing.assert_array_equal(x, feats[[2, 0]])
    assert ids.tolist() == [5, 7] and attrs["layer"] == "pool5"
    with pytest.raises(EmotifyError, match=r"no features for track id\(s\) \[99\]"):
        read_feature_h5(out, [99])
    assert not list(tmp_path.glob(".features.h5*"))  # no temporary file left behind
