"""The VGG19 extractor on tiny inputs, and the HDF5 cache."""

from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from emotify_pipeline.core.errors import EmotifyError
from emotify_pipeline.data.demo import write_mp3
from emotify_pipeline.features.extract import extract_features
from emotify_pipeline.features.networks.vgg19 import LAYERS, NETWORK, build_vgg19, pool_activations
from emotify_pipeline.features.spectrogram import SpectrogramParams, clip_image
from emotify_pipeline.features.store import read_feature_h5, write_feature_h5


@pytest.fixture(scope="module")
def pool5_model():
    return build_vgg19("random", seed=3, layer="pool5")


def vgg19_rows(paths: list[str], sp: SpectrogramParams, model, pooling: str, batch_size: int, **kwargs):
    """:func:`extract_features` of VGG19's inputs and forward pass (on the CPU, fp32)."""
    dataset, collate = NETWORK.inputs(paths, sp)
    batcher = NETWORK.batcher(model, {"pooling": pooling}, "cpu", "fp32", batch_size)
    return extract_features(dataset, collate, batcher, batch_size, **kwargs)


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
    batches = list(vgg19_rows(paths, sp, model, "flatten", batch_size=2))
    assert [b[0] for b in batches] == [0, 2]
    # decoding in a worker process gives the same rows
    with_worker = np.concatenate([b[1] for b in vgg19_rows(paths, sp, model, "flatten", batch_size=3, num_workers=1)])
    feats = np.concatenate([b[1] for b in batches])
    assert feats.shape == (3, 512 * 2 * (sp.n_frames // 32))
    # a batch gives what one clip at a time gives
    with torch.inference_mode():
        single = model(torch.from_numpy(clip_image(paths[1], sp))[None]).flatten(1).numpy()
    np.testing.assert_allclose(feats[1], single[0], rtol=1e-4, atol=1e-5)
    # bit for bit whatever the batch size or the decoding worker (a lone clip runs as a pair):
    # what makes a resumed extraction equal an uninterrupted one
    assert with_worker.tobytes() == feats.tobytes()
    one_by_one = np.concatenate([b[1] for b in vgg19_rows(paths, sp, model, "flatten", batch_size=1)])
    assert one_by_one.tobytes() == feats.tobytes()

    index = {"track_id": [7, 3, 5], "genre": ["pop", "rock", "pop"]}
    out = tmp_path / "features.h5"
    attrs = {
        **prov,
        "layer": "pool5",
        "spectrogram_params": {"n_mels": 64},
        "activation_shape": [512, 2, sp.n_frames // 32],
    }
    n, dim = write_feature_h5(out, index, iter(batches), attrs)
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


def test_analytic_shapes_match_the_network() -> None:
    from emotify_pipeline.features.networks.vgg19 import activation_shape, feature_dim

    model, _ = build_vgg19("random", seed=0, layer="fc7")
    for layer in ("conv1_1", "pool1", "conv3_2", "pool4", "pool5"):
        net, _ = build_vgg19("random", seed=0, layer=layer)
        with torch.inference_mode():
            out = net(torch.zeros(1, 3, 64, 100))
        assert tuple(out.shape[1:]) == activation_shape(layer, 64, 100), layer
        assert feature_dim(layer, "mean_std", 64, 100) == 2 * out.shape[1] * out.shape[2]
    with torch.inference_mode():
        assert tuple(model(torch.zeros(1, 3, 64, 100)).shape) == (1, 4096)
    assert feature_dim("pool5", "flatten", 128, 2584) == 163_840
    assert feature_dim("conv1_1", "flatten", 128, 2584) == 21_168_128


def test_out_of_memory_halves_the_batch_and_continues() -> None:
    from emotify_pipeline.features.networks.base import AdaptiveBatcher

    calls: list[int] = []

    def forward(images: torch.Tensor) -> np.ndarray:
        calls.append(len(images))
        if len(images) > 2:
            raise torch.OutOfMemoryError("CUDA out of memory (simulated)")
        return images.flatten(1).numpy()

    batcher = AdaptiveBatcher(forward, size=8)
    x = torch.arange(7 * 3, dtype=torch.float32).reshape(7, 3)
    np.testing.assert_array_equal(batcher(x), x.numpy())
    assert batcher.size == 2 and calls[:3] == [7, 4, 2]
    np.testing.assert_array_equal(batcher(x[:5]), x[:5].numpy())  # stays at the reduced size
    assert calls[-3:] == [2, 2, 1]

    def always_oom(images: torch.Tensor) -> np.ndarray:
        raise torch.OutOfMemoryError("CUDA out of memory (simulated)")

    with pytest.raises(EmotifyError, match="even for a batch of one clip"):
        AdaptiveBatcher(always_oom, size=4)(x)


def test_shards_merge_into_the_unsharded_view(tmp_path: Path) -> None:
    import pandas as pd

    from emotify_pipeline.features.merge import merge_shards
    from emotify_pipeline.features.store import shard_of

    rng = np.random.default_rng(0)
    paths = [f"music/{g}/{i}.mp3" for g in ("rock", "pop") for i in range(1, 6)]
    feats = {p: rng.normal(size=6).astype("float32") for p in paths}
    assert [shard_of(p, 3) for p in paths] == [shard_of(p, 3) for p in paths]  # stable
    attrs = {
        "layer": "pool5",
        "precision": "fp32",
        "weights_label": "random-init VGG19 (NOT ImageNet)",
        "activation_shape": [1, 2, 3],
    }
    shard_files = []
    for s in range(3):
        mine = [p for p in paths if shard_of(p, 3) == s]
        rows = iter([(0, np.stack([feats[p] for p in mine]))]) if mine else iter([])
        out = tmp_path / "shards" / f"vgg19_{s}-of-3.h5"
        # execution settings may differ between shards: where, how fast, how compressed
        run = {"device": f"dev{s}", "batch_size": 2 + s, "num_workers": s, "compression": ["none", "gzip", "lzf"][s]}
        write_feature_h5(out, {"path": mine}, rows, {**attrs, **run})
        shard_files.append(str(out))
    tracks = pd.DataFrame(
        {
            "track_id": [101 + i for i in range(5)] + [301 + i for i in range(5)],
            "genre": ["rock"] * 5 + ["pop"] * 5,
            "path": paths,
        }
    )
    merged = tmp_path / "vgg19.h5"
    assert merge_shards(merged, shard_files, tracks) == (10, 6)
    x, ids, got = read_feature_h5(merged, [303, 101])
    np.testing.assert_array_equal(x, np.stack([feats[paths[7]], feats[paths[0]]]))
    assert got["n_shards"] == 3 and got["layer"] == "pool5" and got["device"] == "dev0,dev1,dev2"
    import shutil

    moved = tmp_path / "elsewhere.h5"
    shutil.copy(merged, moved)
    shutil.move(tmp_path / "shards", tmp_path / "shards_moved")  # the merged file does not need the shards
    np.testing.assert_array_equal(read_feature_h5(moved, [303, 101])[0], x)
    shutil.move(tmp_path / "shards_moved", tmp_path / "shards")
    with h5py.File(merged) as h5:
        assert not h5["features"].is_virtual
    with pytest.raises(EmotifyError, match=r"1 track\(s\) have no features"):
        extra = pd.concat([tracks, pd.DataFrame({"track_id": [999], "genre": ["pop"], "path": ["music/pop/9.mp3"]})])
        merge_shards(tmp_path / "bad.h5", shard_files, extra)
    for key, value in (("layer", "pool4"), ("precision", "bf16")):
        other = tmp_path / f"other_{key}.h5"
        write_feature_h5(other, {"path": []}, iter([]), {**attrs, key: value})
        with pytest.raises(
            EmotifyError, match=rf"different value-changing settings.*other_{key}.h5 has {key} = '{value}'"
        ):
            merge_shards(tmp_path / "bad.h5", [*shard_files, str(other)], tracks)
    assert not (tmp_path / "bad.h5").exists()


@pytest.mark.parametrize("method", ["random_projection", "pca"])
def test_reduction_streams_rows_and_keeps_the_geometry(tmp_path: Path, method: str) -> None:
    from emotify_pipeline.features.reduce import column_stats, reduce_file

    rng = np.random.default_rng(1)
    centres = rng.normal(0, 5, size=(4, 3000))
    x = np.concatenate([c + rng.normal(size=(10, 3000)) for c in centres]).astype("float32")
    src = tmp_path / "in.h5"
    with h5py.File(src, "w") as h5:
        h5["features"] = x
        h5["track_id"] = np.arange(40)
        h5.attrs["layer"] = "pool5"
    with h5py.File(src) as h5:
        mean, std = column_stats(h5["features"], max_bytes=3000 * 4 * 7)  # blocks of 7 rows
    np.testing.assert_allclose(mean, x.mean(axis=0), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(std, x.std(axis=0), rtol=1e-4)
    out = tmp_path / "out.h5"
    info = reduce_file(src, out, method, 16, seed=0)
    assert info["method"] == method and info["input_dim"] == 3000
    y, ids, attrs = read_feature_h5(out)
    assert y.shape == (40, 16) and ids.tolist() == list(range(40)) and attrs["layer"] == "pool5"
    # nearest neighbours stay within the same cluster
    d = ((y[:, None] - y[None]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    assert (d.argmin(1) // 10 == np.arange(40) // 10).all()


def test_undecodable_clip_stops_or_is_recorded_with_skip(tmp_path: Path, pool5_model) -> None:
    model, _ = pool5_model
    sp = SpectrogramParams(duration=1.0, min_duration=0.5, n_mels=64)
    tags = {"title": "t", "artist": "a", "album": "b", "year": "2001", "genre": "Pop", "track": "1"}
    good = tmp_path / "good.mp3"
    write_mp3(good, (0.1 * np.random.default_rng(0).standard_normal(22050)).astype("float32"), 22050, tags)
    bad = tmp_path / "bad.mp3"
    bad.write_bytes(b"")
    paths = [str(good), str(bad), str(good)]
    with pytest.raises(EmotifyError, match="bad.mp3: audio file is empty"):
        list(vgg19_rows(paths, sp, model, "mean", batch_size=3))
    failures: dict[int, str] = {}
    out = tmp_path / "shard.h5"
    batches = vgg19_rows(paths, sp, model, "mean", batch_size=3, failures=failures)
    write_feature_h5(out, {"path": paths}, batches, {"layer": "pool5"}, failures=failures)
    assert list(failures) == [1]
    with h5py.File(out) as h5:
        x = h5["features"][:]
        assert np.isnan(x[1]).all() and np.isfinite(x[[0, 2]]).all()
        assert h5["failed"].asstr()[1].endswith("audio file is empty (0 bytes)") and h5["failed"].asstr()[0] == ""


def test_a_weights_file_is_loaded_and_checked(tmp_path: Path) -> None:
    from torchvision.models import vgg19

    from emotify_pipeline.core.digests import sha256_file

    torch.manual_seed(11)
    path = tmp_path / "my_vgg19.pth"
    torch.save(vgg19(weights=None).state_dict(), path)
    loaded, prov = build_vgg19(str(path), seed=0, layer="pool3", weights_file=path, weights_sha256=sha256_file(path))
    reference, _ = build_vgg19("random", seed=11, layer="pool3")
    x = torch.randn(1, 3, 32, 48)
    with torch.inference_mode():
        torch.testing.assert_close(loaded(x), reference(x))
    assert prov["weights_sha256"] == sha256_file(path) and prov["weights_source"] == str(path)
    assert prov["weights_label"] == "VGG19 weights from my_vgg19.pth"


def test_decoder_refusals_stop_the_merge_or_are_left_out_and_nan_is_never_read(tmp_path: Path) -> None:
    import pandas as pd

    from emotify_pipeline.features.merge import merge_shards
    from emotify_pipeline.features.store import skipped_at_extraction, tracks_with_features

    paths = ["m/pop/1.mp3", "m/pop/2.mp3", "m/pop/3.mp3"]
    feats = np.arange(12, dtype="float32").reshape(3, 4)
    feats[1] = np.nan  # the row of a clip the decoder refused
    shard = tmp_path / "vgg19_0-of-1.h5"
    failures = {1: "m/pop/2.mp3: cannot decode audio (LibsndfileError: Unspecified internal error)"}
    write_feature_h5(shard, {"path": paths}, iter([(0, feats)]), {"layer": "pool5"}, failures=failures)
    tracks = pd.DataFrame({"track_id": [301, 302, 303], "genre": ["pop"] * 3, "path": paths})
    merged = tmp_path / "vgg19.h5"
    with pytest.raises(
        EmotifyError, match=r"(?s)1 track\(s\) passed the track table's checks.*track 302: .*Libsndfile"
    ):
        merge_shards(merged, [str(shard)], tracks)
    assert not merged.exists()
    assert merge_shards(merged, [str(shard)], tracks, on_bad_audio="skip") == (2, 4)
    x, kept, attrs = tracks_with_features(merged, tracks)
    assert kept["track_id"].tolist() == [301, 303] and skipped_at_extraction(attrs) == {302: failures[1]}
    np.testing.assert_array_equal(x, feats[[0, 2]])
    with h5py.File(merged, "a") as h5:  # damage one row
        h5["features"][1, 2] = np.inf
    with pytest.raises(
        EmotifyError, match=r"vgg19.h5: 1 row\(s\) hold NaN or infinite feature values \(track ids \[303\]"
    ):
        read_feature_h5(merged, [301, 303])


def test_workers_follow_the_jobs_threads_not_the_nodes_cpus(monkeypatch: pytest.MonkeyPatch) -> None:
    from emotify_pipeline.features.execution import resolve_workers

    monkeypatch.setattr("os.cpu_count", lambda: 64)  # a big node; the job holds fewer CPUs
    assert resolve_workers("auto", "cuda", 8) == 7  # the SLURM profile's 8 CPUs per shard
    assert resolve_workers("auto", "cuda", 2) == 1 and resolve_workers("auto", "cuda", 1) == 1
    assert resolve_workers("auto", "cuda", 32) == 8
    assert resolve_workers("auto", "cpu", 2) == 1 and resolve_workers("auto", "cpu", 1) == 0
    assert resolve_workers(3, "cuda", 8) == 3


def test_a_cuda_request_without_cuda_is_one_message(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    from emotify_pipeline.features.execution import resolve_device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(EmotifyError, match="features.device is 'cuda' but torch sees no CUDA device"):
        resolve_device("cuda")
    assert resolve_device("auto") == "cpu"


def test_bf16_support_is_detected_and_auto_stays_fp32_on_the_cpu() -> None:
    from emotify_pipeline.features.execution import cpu_bf16_support, resolve_precision

    avx = "processor\t: 0\nflags\t\t: fpu sse avx512f avx512_bf16 avx512_vnni\n"
    amx = "flags\t\t: fpu avx512f amx_bf16 amx_tile\n"
    old = "flags\t\t: fpu sse avx2\n"
    assert cpu_bf16_support(avx) == "avx512_bf16" and cpu_bf16_support(amx) == "amx_bf16"
    assert cpu_bf16_support(old) == ""
    assert resolve_precision("auto", "cpu") == "fp32"  # bf16 moved the neighbour lists: opt-in
    assert resolve_precision("auto", "cuda") == "fp32"  # the same bf16 format: the same lists move
    assert resolve_precision("bf16", "cpu") == "bf16"
    with pytest.raises(EmotifyError, match="fp16 needs CUDA"):
        resolve_precision("fp16", "cpu")
