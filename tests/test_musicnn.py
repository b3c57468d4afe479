"""The musicnn port: the checkpoint read without TensorFlow, the converted state dict, and the
port's outputs against the original TensorFlow graph on the 40 real clips -- live where
TensorFlow is installed, through tests/data/musicnn_reference.npz (made by the original graph:
tests/data/make_musicnn_reference.py) everywhere."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO

from emotify_pipeline.core.errors import EmotifyError
from emotify_pipeline.features.networks import musicnn, musicnn_weights, network

REFERENCE = REPO / "tests" / "data" / "musicnn_reference.npz"
CLIPS = REPO.parent / "shared" / "emotify" / "emotifymusic"
# the port and the graph run the same float32 arithmetic in another order: measured 5.6e-6
# (taggram) and 1.5e-5 (penultimate, values up to 6) on the 40 real clips
TOLERANCE = {"taggram": 1e-4, "penultimate": 1e-4}
HAS_TF = importlib.util.find_spec("tensorflow") is not None


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package's wheel: resources/models/ when put there, else fetched from the registry."""
    for folder in (REPO / "resources" / "models", tmp_path_factory.mktemp("models")):
        try:
            return musicnn_weights.fetch_wheel(folder)
        except EmotifyError as err:
            reason = str(err)
    pytest.skip(f"the musicnn wheel is neither in resources/models nor fetchable: {reason}")


@pytest.fixture(scope="session")
def ports(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("ports")
    return {m: musicnn.load_port(_converted(wheel, m, out)) for m in musicnn.MODELS}


def _converted(wheel: Path, model: str, folder: Path) -> Path:
    path = folder / f"{model}.pt"
    musicnn_weights.convert(wheel, model, path)
    return path


# every fifth of the 40 clips (two per genre) keeps the test near 25 s; the reference holds all 40
# (tests/data/make_musicnn_reference.py, run where TensorFlow is installed)
SUBSET = slice(None, None, 5)


def _patch_rows(ref) -> np.ndarray:
    """The reference rows (patches) of the clips in SUBSET."""
    starts = np.concatenate([[0], np.cumsum(ref["n_patches"])])
    clips = range(len(ref["clips"]))[SUBSET]
    return np.concatenate([np.arange(starts[c], starts[c + 1]) for c in clips])


def _real_inputs() -> list[np.ndarray]:
    import librosa

    ref = np.load(REFERENCE)
    return [
        musicnn.patches(musicnn.log_mel(librosa.load(CLIPS / c, sr=musicnn.SAMPLE_RATE, mono=True)[0]))
        for c in ref["clips"][SUBSET]
    ]


def _outputs(port, inputs: list[np.ndarray]) -> dict[str, np.ndarray]:
    import torch

    with torch.no_grad():
        outs = [port(torch.from_numpy(x)) for x in inputs]
    return {key: np.concatenate([o[key].numpy() for o in outs]) for key in ("taggram", "penultimate")}


def test_the_checkpoint_reads_without_tensorflow_into_every_tensor_of_the_port(wheel: Path) -> None:
    tensors = musicnn_weights.read_model_checkpoint(wheel, "MSD_musicnn")
    model = {k: v for k, v in tensors.items() if "Adam" not in k and "_power" not in k}
    assert len(model) == 64 and sum(v.size for v in model.values()) == 792_079
    assert tensors["conv2d/kernel"].shape == (7, 38, 1, 204) and tensors["conv2d/kernel"].dtype == np.float32
    state = musicnn_weights.state_dict_from_checkpoint(tensors)
    port = musicnn.build_musicnn().state_dict()
    assert {k for k in port if not k.endswith("num_batches_tracked")} == set(state)
    assert all(tuple(port[k].shape) == state[k].shape for k in state)
    # a layout slip (HWIO not transposed, an interleave undone) is caught by the reference test;
    # here: the values arrive unchanged
    np.testing.assert_array_equal(state["dense.weight"], tensors["dense/kernel"].T)


def test_a_conversion_writes_the_same_bytes_every_time(wheel: Path, tmp_path: Path) -> None:
    """The converted file's sha256 is recorded in every feature file and compared by the merge:
    converting the same weights again must not change it."""
    from emotify_pipeline.core.digests import sha256_file

    files = []
    for run in ("first", "second"):
        (tmp_path / run).mkdir()
        files.append(sha256_file(_converted(wheel, "MSD_musicnn", tmp_path / run)))
    assert files[0] == files[1]


def test_a_bad_wheel_or_model_gives_one_clear_message(tmp_path: Path) -> None:
    bad = tmp_path / musicnn.WHEEL
    bad.write_bytes(b"not a wheel")
    with pytest.raises(EmotifyError, match=r"sha256 is .*expected f38a4890.*pip download --no-deps musicnn"):
        musicnn_weights.fetch_wheel(tmp_path)
    with pytest.raises(EmotifyError, match="features.model: 'MSD_vgg' is not one of"):
        musicnn_weights.read_model_checkpoint(bad, "MSD_vgg")


@pytest.mark.skipif(not REFERENCE.is_file(), reason="tests/data/musicnn_reference.npz is missing")
@pytest.mark.skipif(not CLIPS.is_dir(), reason="../shared/emotify (the 40 real clips) is not beside the repository")
def test_the_port_equals_the_original_graph_on_the_real_clips(ports: dict) -> None:
    ref = np.load(REFERENCE)
    inputs, rows = _real_inputs(), _patch_rows(ref)
    # the inputs first: a librosa or decoder change would show here, not as a network difference
    assert [len(x) for x in inputs] == ref["n_patches"][SUBSET].tolist()
    np.testing.assert_allclose(
        np.concatenate([x.mean(axis=(1, 2)) for x in inputs]), ref["input_mean"][rows], atol=1e-3
    )
    for model, port in ports.items():
        out = _outputs(port, inputs)
        for key, tol in TOLERANCE.items():
            err = np.abs(out[key] - ref[f"{model}/{key}"][rows]).max()
            assert err <= tol, f"{model} {key}: max abs difference {err:.2e} > {tol:g}"
        # and it tags like a music model: the classical clips' top MSD/MTT tags are classical-like
    top = ref["MTT_musicnn/taggram"][: 10 * 20].mean(axis=0).argmax()
    assert musicnn.MTT_LABELS[top] in ("classical", "strings", "violin", "classic", "piano", "slow", "cello")


@pytest.mark.needs_tensorflow
@pytest.mark.skipif(not HAS_TF, reason="TensorFlow is not installed (the stored reference covers the port)")
def test_the_checkpoint_reader_equals_tensorflow(wheel: Path) -> None:
    import tempfile
    import zipfile

    import tensorflow as tf

    with tempfile.TemporaryDirectory() as tmp:
        zipfile.ZipFile(wheel).extractall(tmp)
        for model in musicnn.MODELS:
            reader = tf.compat.v1.train.NewCheckpointReader(f"{tmp}/musicnn/{model}/")
            ours = musicnn_weights.read_model_checkpoint(wheel, model)
            assert set(reader.get_variable_to_shape_map()) == set(ours)
            for name, value in ours.items():
                np.testing.assert_array_equal(value, reader.get_tensor(name))


@pytest.mark.needs_tensorflow
@pytest.mark.skipif(not HAS_TF, reason="TensorFlow is not installed (the stored reference covers the port)")
@pytest.mark.skipif(not CLIPS.is_dir(), reason="../shared/emotify (the 40 real clips) is not beside the repository")
def test_the_port_equals_the_live_original_graph(wheel: Path, ports: dict, tmp_path: Path) -> None:
    import sys
    import zipfile

    sys.path.insert(0, str(REPO / "tests" / "data"))
    from make_musicnn_reference import original_graph

    inputs = _real_inputs()[::2]  # one clip of each genre
    zipfile.ZipFile(wheel).extractall(tmp_path)
    for model, port in ports.items():
        sess, x, training, outputs = original_graph(tmp_path / "musicnn" / model)
        graph = [
            np.concatenate(p) for p in zip(*(sess.run(outputs, {x: b, training: False}) for b in inputs), strict=True)
        ]
        ours = _outputs(port, inputs)
        for key, theirs in zip(("taggram", "penultimate"), graph, strict=True):
            assert np.abs(ours[key] - theirs).max() <= TOLERANCE[key]


@pytest.mark.slow
def test_the_rules_fetch_and_convert_once(wheel: Path, tmp_path: Path) -> None:
    import shutil

    from conftest import copy_workflow, planned_jobs, snakemake

    work = copy_workflow(tmp_path / "wf")
    target = "resources/models/MSD_musicnn.pt"
    # a wrong file put by hand: one message, naming the file and what to do
    (work / "resources" / "models" / musicnn.WHEEL).write_bytes(b"damaged")
    out = snakemake(work, target, "--configfile", "config/demo.yaml", check=False)
    assert (
        out.returncode != 0
        and "sha256 is" in out.stdout + out.stderr
        and musicnn.FETCH_COMMAND in out.stdout + out.stderr
    )
    shutil.copy(wheel, work / "resources" / "models" / musicnn.WHEEL)  # put by hand
    snakemake(work, target, "--configfile", "config/demo.yaml")
    port = musicnn.load_port(work / target)
    assert sum(p.numel() for p in port.state_dict().values() if p.dtype.is_floating_point) == 792_079
    dry = snakemake(work, "-n", target, "--configfile", "config/demo.yaml")
    assert planned_jobs(dry.stdout + dry.stderr) == {}


def test_a_clip_shorter_than_a_patch_gives_one_patch_completed_with_silence() -> None:
    rep = np.full((100, musicnn.N_MELS), 2.0, dtype=np.float32)
    out = musicnn.patches(rep)
    assert out.shape == (1, musicnn.PATCH_FRAMES, musicnn.N_MELS)
    assert (out[0, :100] == 2.0).all() and (out[0, 100:] == 0.0).all()  # log10(10000 * 0 + 1) = 0
    assert musicnn.patches(np.ones((2 * musicnn.PATCH_FRAMES + 5, musicnn.N_MELS))).shape[0] == 2


def test_patches_pool_clip_by_clip() -> None:
    values = np.array([[1.0, 4.0], [3.0, 0.0], [5.0, 5.0]])
    np.testing.assert_allclose(musicnn.pool_patches(values, [2, 1], "mean"), [[2, 2], [5, 5]])
    np.testing.assert_allclose(musicnn.pool_patches(values, [2, 1], "max"), [[3, 4], [5, 5]])
    np.testing.assert_allclose(musicnn.pool_patches(values, [2, 1], "mean_std"), [[2, 2, 1, 2], [5, 5, 0, 0]])
    assert musicnn.feature_dim("penultimate", "mean_std") == 400 and musicnn.feature_dim("pools", "mean") == 1506


def test_a_model_trained_on_magnatune_is_labelled_with_its_warning() -> None:
    assert "WARNING" in musicnn.model_label("MTT_musicnn") and "WARNING" not in musicnn.model_label("MSD_musicnn")
    assert "Million Song Dataset" in musicnn.model_label("MSD_musicnn")
    with pytest.raises(EmotifyError, match="features.musicnn.layer: 'pool5' is not one of"):
        network("MTT_musicnn").check_settings("pool5", "mean")


@pytest.mark.skipif(not CLIPS.is_dir(), reason="../shared/emotify (the 40 real clips) is not beside the repository")
def test_the_workflow_extraction_is_the_port_on_the_package_input(wheel: Path, tmp_path: Path) -> None:
    """The extraction's musicnn rows equal the port run on the package's own input
    (``librosa.load(sr=16000)``), pooled over patches: the proof against the original graph
    carries over to the workflow's features."""
    import librosa
    import torch

    from emotify_pipeline.features.extract import extract_features
    from emotify_pipeline.features.spectrogram import SpectrogramParams

    weights = _converted(wheel, "MSD_musicnn", tmp_path)
    msd = network("MSD_musicnn")
    settings = msd.value_settings(
        {"musicnn": {"layer": "penultimate", "pooling": "mean_std"}, "store_dtype": "float32"}
    )
    net, provenance = msd.load(settings, weights)
    assert provenance["checkpoint_sha256"] == musicnn.WHEEL_SHA256 and not provenance["leakage_warning"]
    clips = [str(CLIPS / "classical" / "4.mp3"), str(CLIPS / "rock" / "1.mp3")]  # 25.8 s and 60 s
    sp = SpectrogramParams(duration=60.0)
    dataset, collate = msd.inputs(clips, sp)
    forward = msd.batcher(net, settings, "cpu", "fp32", 2)
    stats: dict[int, np.ndarray] = {}
    rows = np.concatenate([f for _, f in extract_features(dataset, collate, forward, 2, statistics=stats)])
    assert rows.shape == (2, 400) and sorted(stats) == [0, 1]
    for clip, row in zip(clips, rows, strict=True):
        x = musicnn.patches(musicnn.log_mel(librosa.load(clip, sr=musicnn.SAMPLE_RATE, mono=True, duration=60.0)[0]))
        with torch.no_grad():
            per_patch = net(torch.from_numpy(x))["penultimate"].numpy()
        expected = np.concatenate([per_patch.mean(axis=0), per_patch.std(axis=0)])
        np.testing.assert_allclose(row, expected, atol=1e-5)


@pytest.mark.slow
def test_the_study_on_a_magnatune_trained_network_beside_vgg19(demo_run: Path, wheel: Path, tmp_path: Path) -> None:
    """One switch runs the study on MTT_musicnn; VGG19 (the demo's features, not extracted again)
    is compared on the same splits; every output that shows the MTT numbers carries the warning."""
    import shutil

    import matplotlib.image as mpimg
    import pandas as pd
    from conftest import planned_jobs, snakemake

    work = tmp_path / "mtt"
    shutil.copytree(demo_run, work, symlinks=True)
    shutil.copy(wheel, work / "resources" / "models" / musicnn.WHEEL)  # put by hand
    config = ("--configfile", "config/demo.yaml", "--config", "features={model: MTT_musicnn, compare: [vgg19]}")
    vgg19 = (work / "results/features/vgg19.h5").stat().st_mtime_ns
    dry = snakemake(work, "-n", *config)
    jobs = planned_jobs(dry.stdout + dry.stderr)
    assert "fetch_musicnn" not in jobs and jobs["extract_shard"] == 1 and "evaluate_model" in jobs
    run = snakemake(work, *config)
    assert f"WARNING: features: MTT_musicnn was {musicnn.LEAKAGE_WARNING}" in run.stdout + run.stderr
    from emotify_pipeline.features.store import read_attrs

    attrs = read_attrs(work / "results/features/MTT_musicnn.h5")
    assert attrs["model"] == "MTT_musicnn" and attrs["leakage_warning"] == musicnn.LEAKAGE_WARNING
    assert attrs["checkpoint_sha256"] == musicnn.WHEEL_SHA256 and attrs["feature_dim"] == 200
    summary = (work / "results/summary.md").read_text()
    assert summary.count(musicnn.LEAKAGE_WARNING) >= 2  # the study's features, and the comparison
    assert "## Networks side by side, on the same splits" in summary
    for table in ("table1_emotion_accuracy.md", "table1_extended.md", "ablation_genre.md", "model_comparison.md"):
        assert "WARNING" in (work / "results/tables" / table).read_text(), table
    comparison = pd.read_csv(work / "results/tables/model_comparison.csv")
    assert list(dict.fromkeys(comparison["model"])) == ["MTT_musicnn", "vgg19"]
    assert comparison.loc[comparison["model"] == "vgg19", "difference"].notna().all()
    assert (comparison.loc[comparison["model"] == "MTT_musicnn", "leakage_warning"] == musicnn.LEAKAGE_WARNING).all()
    beyond = pd.read_csv(work / "results/tables/model_comparison_beyond_genre.csv")
    assert list(dict.fromkeys(beyond["model"])) == ["MTT_musicnn", "vgg19"] and len(beyond) == 18
    assert "Emotion beyond genre (artist splits), vgg19: Holm-adjusted p" in summary
    assert "## Emotion beyond genre, artist splits" in (work / "results/tables/model_comparison.md").read_text()
    shares = pd.read_csv(work / "results/tables/model_comparison_shares.csv")
    assert list(dict.fromkeys(shares["network"])) == ["MTT_musicnn", "VGG19"] and len(shares) == 2 * 3 * 9
    assert shares.loc[shares["network"] == "VGG19", "r2_difference"].notna().all()
    assert (shares.loc[shares["network"] == "MTT_musicnn", "leakage_warning"] == musicnn.LEAKAGE_WARNING).all()
    assert mpimg.imread(work / "results/figures/fig14_networks_compared.png").shape[0] > 400
    from test_docs import outputs_problems

    problems = outputs_problems(work / "results")  # the comparison's CSVs, which the demo lacks
    assert not problems, "\n".join(problems)
    metrics = (work / "results/experiments/exp1_genre_from_audio/metrics.json").read_text()
    assert "MTT_musicnn audio features" in metrics and "may have heard these very songs" in metrics
    # every CSV that shows the MTT network's numbers repeats the warning on every row
    shown = [
        "tables/table1_emotion_accuracy.csv",
        "tables/table1_extended.csv",
        "evaluation/repeated_summary.csv",
        "evaluation/repeated_accuracies.csv",
        "evaluation/emotion_beyond_genre.csv",
        "evaluation/genre_claims.csv",
        "evaluation/k_sensitivity.csv",
        *(f"experiments/{e}/{f}.csv" for e in ("exp1_genre_from_audio", "exp2_emotion_from_audio",
                                                "exp4_genre_from_predicted_emotions")
          for f in ("predictions", "confusion", "probabilities")),
        "experiments/exp1_genre_from_audio/pca.csv",
        "experiments/exp4_genre_from_predicted_emotions/pca.csv",
        "evaluation/rating_shares.csv",
        "evaluation/rating_shares_splits.csv",
        "evaluation/rating_share_predictions.csv",
    ]  # fmt: skip
    for name in shown:
        table = pd.read_csv(work / "results" / name)
        assert (table["leakage_warning"] == musicnn.LEAKAGE_WARNING).all(), name
    assert "MTT_musicnn" in (work / "results/experiments/exp4_genre_from_predicted_emotions/metrics.json").read_text()
    ablation = pd.read_csv(work / "results/tables/ablation_genre.csv")
    network = ablation["features"].str.startswith("MTT_musicnn")
    assert (ablation.loc[network, "leakage_warning"] == musicnn.LEAKAGE_WARNING).all() and network.any()
    assert ablation.loc[~network, "leakage_warning"].isna().all()  # hand-made descriptors: no network, no warning
    # ... and no table of the VGG19 beside it, nor of the ratings alone
    for name in ("evaluation/models/vgg19/repeated_summary.csv", "experiments/exp3_genre_from_ratings/confusion.csv"):
        assert "leakage_warning" not in pd.read_csv(work / "results" / name), name
    assert mpimg.imread(work / "results/figures/fig1_audio_pca_by_genre.png").shape[0] > 400
    # the study's VGG19 features were reused, not extracted again
    assert (work / "results/features/vgg19.h5").stat().st_mtime_ns == vgg19
