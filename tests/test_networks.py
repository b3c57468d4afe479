"""The feature networks behind one interface: the registry and the schema agree, every network
declares its value settings, and a network registered by a test -- a few-parameter convolution
on the spectrogram image, seeded -- runs on real clips through the shard runner, the merge and
the neighbour rankings without any of them knowing it by name."""

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import REPO, SHARED, needs_shared

from emotify_pipeline.core.emotify import GENRES
from emotify_pipeline.core.errors import EmotifyError
from emotify_pipeline.features import networks
from emotify_pipeline.features.execution import execution_settings
from emotify_pipeline.features.merge import merge_shards
from emotify_pipeline.features.networks.base import VALUE_SETTINGS, Forward, Network, state_dict_sha256
from emotify_pipeline.features.networks.inputs import ClipImages, Collate, collate_images
from emotify_pipeline.features.shards import run_shard
from emotify_pipeline.features.spectrogram import SpectrogramParams, clip_image
from emotify_pipeline.features.store import (
    features_label,
    network_name,
    network_provenance,
    read_attrs,
    read_feature_h5,
    shard_of,
)
from emotify_pipeline.neighbours.geometry import Rankings, compute_rankings, write_rankings
from emotify_pipeline.neighbours.splits import resampled_splits

SCHEMA = yaml.safe_load((REPO / "config" / "schema.yaml").read_text())
#: the configuration's features block with the schema's defaults
FEATURES = {
    "weights": "random",
    "weights_file": "resources/models/vgg19-dcbb9e9d.pth",
    "weights_sha256": None,
    "seed": 0,
    "layer": "pool5",
    "pooling": "flatten",
    "precision": "auto",
    "store_dtype": "float32",
    "musicnn": {"layer": "penultimate", "pooling": "mean"},
}
TINY_WARNING = "a test network with seeded weights: its numbers say nothing about music"


class TinyNet(Network):
    """Four 8x8 convolutions with stride 8 and a ReLU on the spectrogram image, pooled over time:
    (4, n_mels // 8) per clip, flattened."""

    name = "tiny_test"
    table_name = "TinyNet"
    layers = ("conv",)
    poolings = ("mean", "max")
    settings_key = "features.tiny_test"
    leakage_warning = TINY_WARNING
    label_suffix = " (a test network)"

    def value_settings(self, features: dict[str, Any]) -> dict[str, Any]:
        return {
            "model": self.name,
            "weights": "seeded",
            "weights_sha256": None,
            "seed": features["seed"],
            "layer": "conv",
            "pooling": "max",
            "precision": "fp32",
            "store_dtype": features["store_dtype"],
        }

    def weights_file(self, features: dict[str, Any]) -> str:
        return ""

    def training_data(self, settings: dict[str, Any]) -> str:
        return ""

    def load_weights(self, settings: dict[str, Any], weights_file: str | Path | None) -> tuple[Any, dict[str, str]]:
        import torch

        torch.manual_seed(settings["seed"])
        model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 8, stride=8), torch.nn.ReLU()).eval()
        return model, {
            "weights": "seeded",
            "weights_label": f"tiny test network (seed {settings['seed']})",
            "weights_source": f"torch.manual_seed({settings['seed']})",
            "weights_sha256": state_dict_sha256(model.state_dict()),
        }

    def activation_shape(self, layer: str, sp: SpectrogramParams) -> list[int]:
        return [4, (sp.n_mels - 8) // 8 + 1, (sp.n_frames - 8) // 8 + 1]

    def inputs(self, paths: list[str], sp: SpectrogramParams) -> tuple[ClipImages, Collate]:
        return ClipImages(paths, sp), collate_images

    def batcher(
        self,
        model: Any,
        settings: dict[str, Any],
        device: str,
        precision: str,
        batch_size: int,
        logger: logging.Logger | None = None,
    ) -> Forward:
        import torch

        model = model.to(device)

        def forward(images: Any) -> np.ndarray:
            act = model(images.to(device))
            pooled = act.amax(dim=3) if settings["pooling"] == "max" else act.mean(dim=3)
            return pooled.flatten(1).float().cpu().numpy()

        return torch.inference_mode()(forward)


@pytest.fixture
def tiny() -> Any:
    net = networks.register(TinyNet())
    try:
        yield net
    finally:
        networks.unregister(net.name)


def _schema_block(key: str) -> dict[str, Any]:
    block: dict[str, Any] = {"properties": SCHEMA["properties"]}
    for part in key.split("."):
        block = block["properties"][part]
    return block["properties"]


def test_the_schema_names_exactly_the_registered_networks_and_their_layers() -> None:
    assert SCHEMA["$defs"]["network"]["enum"] == list(networks.names())
    features = SCHEMA["properties"]["features"]["properties"]
    assert features["model"]["$ref"] == features["compare"]["items"]["$ref"] == "#/$defs/network"
    assert features["model"]["default"] == networks.DEFAULT_NETWORK
    for name in networks.names():
        net = networks.network(name)
        block = _schema_block(net.settings_key)
        assert block["layer"]["enum"] == list(net.layers), name
        assert block["pooling"]["enum"] == list(net.poolings), name


def test_every_network_declares_its_value_settings_and_weights() -> None:
    for name in networks.names():
        net = networks.network(name)
        settings = net.value_settings(FEATURES)
        assert set(settings) == set(VALUE_SETTINGS), name
        assert settings["model"] == name
        net.check_settings(settings["layer"], settings["pooling"])
    assert networks.network("vgg19").weights_file(FEATURES) == ""  # random weights: no file
    assert networks.network("vgg19").weights_file({**FEATURES, "weights": "imagenet"}) == FEATURES["weights_file"]
    assert networks.network("MTT_musicnn").weights_file(FEATURES) == "resources/models/MTT_musicnn.pt"
    leaky = [name for name in networks.names() if networks.network(name).leakage_warning]
    assert leaky == ["MTT_musicnn"]


def test_the_registry_takes_a_network_once_and_names_the_unknown(tiny: Network) -> None:
    assert networks.network("tiny_test") is tiny and "tiny_test" in networks.names()
    with pytest.raises(EmotifyError, match="'tiny_test' is already registered"):
        networks.register(TinyNet())
    with pytest.raises(EmotifyError, match="'vgg19' is a built-in network"):
        networks.unregister("vgg19")
    with pytest.raises(EmotifyError, match=r"features.model: 'resnet' is not one of \['vgg19', 'MSD_musicnn'"):
        networks.network("resnet")
    with pytest.raises(EmotifyError, match=r"features.tiny_test.pooling: 'flatten' is not one of \['mean', 'max'\]"):
        tiny.check_settings("conv", "flatten")


@needs_shared
def test_a_network_of_its_own_runs_through_shards_merge_and_rankings(tiny: Network, tmp_path: Path) -> None:
    """Two shards of eight real clips (two per genre, their first 5 s) through the real shard
    runner, the merge and the neighbour rankings: the rows are the network's forward pass on the
    spectrogram images, and its provenance and warning travel into every file."""
    clips = [SHARED / "emotifymusic" / genre / f"{i}.mp3" for genre in GENRES for i in (1, 2)]
    missing = [c for c in clips if not c.is_file()]
    if missing:
        pytest.skip(f"real clips missing from {SHARED}: {missing}")
    paths = [str(c) for c in clips]
    settings = tiny.value_settings(FEATURES)
    spectrogram_params = {"sample_rate": 22050, "offset": 0.0, "duration": 5.0}
    execution = execution_settings({"features": {"device": "cpu", "batch_size": 3, "num_workers": 0}})
    logger = logging.getLogger("test_networks")
    shard_files = []
    for s in range(2):
        mine = [p for p in paths if shard_of(p, 2) == s]
        out = tmp_path / "shards" / f"tiny_test_{s}-of-2.h5"
        run_shard(mine, out, settings, spectrogram_params, execution, threads=1, shard=s, logger=logger)
        shard_files.append(str(out))
        assert not (tmp_path / "shards" / f"tiny_test_{s}-of-2.partial").exists()  # checkpoint cleared
    tracks = pd.DataFrame(
        {"track_id": range(1, 9), "genre": [g for g in GENRES for _ in (1, 2)], "path": paths},
    )
    merged = tmp_path / "tiny_test.h5"
    sp = SpectrogramParams(**spectrogram_params)
    dim = 4 * ((sp.n_mels - 8) // 8 + 1)
    assert merge_shards(merged, shard_files, tracks) == (8, dim)

    x, ids, _ = read_feature_h5(merged)
    attrs = read_attrs(merged)
    assert x.shape == (8, dim) and ids.tolist() == list(range(1, 9)) and np.isfinite(x).all()
    model, _ = tiny.load_weights(settings, None)
    images = np.stack([clip_image(p, sp) for p in paths])
    np.testing.assert_allclose(x, tiny.batcher(model, settings, "cpu", "fp32", 8)(_tensor(images)), rtol=1e-5)
    assert attrs["model"] == "tiny_test" and attrs["n_shards"] == 2 and attrs["layer"] == "conv"
    assert attrs["activation_shape"] == tiny.activation_shape("conv", sp)
    assert attrs["leakage_warning"] == TINY_WARNING and attrs["training_data"] == ""
    assert features_label(attrs) == "tiny test network (seed 0), conv/max (a test network) in fp32"
    assert network_name(attrs) == "TinyNet"
    assert network_provenance(merged) == {"model": "tiny_test", "leakage_warning": TINY_WARNING}

    splits = resampled_splits(tracks["genre"].to_numpy(), repeats=3, test_size=0.5, seed=0)
    items = compute_rankings(x.astype(np.float64), ids, splits, "audio", inner=False, depth=3)
    neighbours = tmp_path / "audio.h5"
    write_rankings(neighbours, items, {"repeats": 3, "depth": 3, **network_provenance(merged)})
    back = Rankings(neighbours)
    assert back.repeats == 3 and back.attrs["model"] == "tiny_test" and back.attrs["leakage_warning"] == TINY_WARNING
    for r, split in enumerate(splits):
        ranking = back.get(r, "audio")
        assert ranking.test.tolist() == ids[split.test].tolist() and len(ranking.order) == len(split.test)
        assert ranking.order.shape[1] >= 3 and (ranking.order[:, :3] < len(split.train)).all()


def _tensor(images: np.ndarray) -> Any:
    import torch

    return torch.from_numpy(images)
