"""End to end: the workflow on the embedded demo, its targets, and what a rerun plans."""

import json
from pathlib import Path

import h5py
import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest
from conftest import planned_jobs, snakemake

from emotify_pipeline.core.emotify import EMOTIONS, PAPER_TABLE1

pytestmark = pytest.mark.slow

FIGURES = [
    "fig1_audio_pca_by_genre",
    "fig2_audio_genre_confusion",
    "fig3_emotion_confusion_grid",
    "fig4_ratings_pca_by_genre",
    "fig5_ratings_genre_confusion",
    "fig6_predicted_emotions_pca_by_genre",
    "fig7_predicted_emotions_genre_confusion",
    "fig8_genre_repeated_splits",
    "fig9_emotions_repeated_vs_paper",
    "fig10_ablation_genre",
    "fig11_k_sensitivity",
]
EXPERIMENTS = [
    "exp1_genre_from_audio",
    "exp2_emotion_from_audio",
    "exp3_genre_from_ratings",
    "exp4_genre_from_predicted_emotions",
]


def test_demo_data_has_the_real_layout(demo_run: Path) -> None:
    header = (demo_run / "resources/demo/data.csv").read_text().splitlines()[0]
    assert header.startswith("track id, genre, amazement, ") and header.count(", ") == 16
    mp3s = sorted((demo_run / "resources/demo/emotifymusic").glob("*/*.mp3"))
    assert len(mp3s) == 40
    import mutagen

    for mp3 in mp3s:  # as every real clip: 44.1 kHz stereo, 128 kbit/s constant bitrate
        info = mutagen.File(mp3).info
        assert (info.sample_rate, info.channels, round(info.bitrate / 1000)) == (44100, 2, 128), mp3


def test_tables(demo_run: Path) -> None:
    tracks = pd.read_csv(demo_run / "results/tables/tracks.csv")
    assert len(tracks) == 40 and (tracks["status"] == "ok").all()
    assert tracks["artist"].notna().all() and tracks["album"].notna().all()
    assert tracks.set_index("track_id").loc[101, "path"].endswith("rock/1.mp3")
    ratings = pd.read_csv(demo_run / "results/tables/gems_ratings.csv")
    labels = pd.read_csv(demo_run / "results/tables/gems_labels.csv")
    assert len(ratings) == len(labels) == 40
    assert set(labels[list(EMOTIONS)].stack().unique()) <= {0, 1}
    t1 = pd.read_csv(demo_run / "results/tables/table1_emotion_accuracy.csv")
    assert t1["emotion"].tolist() == list(EMOTIONS)
    assert t1["paper_accuracy"].tolist() == [PAPER_TABLE1[e] for e in EMOTIONS]
    assert t1["accuracy"].between(0, 1).all()
    md = (demo_run / "results/tables/table1_emotion_accuracy.md").read_text()
    assert "random-init VGG19" in md and md.count("\n|") >= 10
    summary = (demo_run / "results/summary.md").read_text()
    assert "random-init VGG19" in summary and "synthetic demo" in summary


def test_experiment_outputs(demo_run: Path) -> None:
    for name in EXPERIMENTS:
        base = demo_run / "results/experiments" / name
        metrics = json.loads((base / "metrics.json").read_text())
        acc = metrics.get("accuracy", metrics.get("mean_accuracy"))
        assert 0.0 <= acc <= 1.0, name
        assert len(pd.read_csv(base / "predictions.csv")) > 0
        assert pd.read_csv(base / "confusion.csv")["count"].sum() > 0
    exp1 = json.loads((demo_run / "results/experiments/exp1_genre_from_audio/metrics.json").read_text())
    assert exp1["n_test"] == 12 and exp1["k"] == 5
    # the votes came from the cached rankings of the paper's split (geometry once)
    from emotify_pipeline.neighbours import geometry

    table = pd.read_csv(demo_run / "results/splits/paper.csv")
    ranking = geometry.Rankings(demo_run / "results/neighbours/paper/audio.h5").get(0, "audio")
    assert set(ranking.test) == set(table.loc[table["subset"] == "test", "track_id"])
    assert len(set(table["inner_fold"][table["subset"] == "train"])) == 5
    # kept to the depth any configured k can use (the largest of knn.k and the k sweep), ties whole
    depth = int(geometry.Rankings(demo_run / "results/neighbours/paper/audio.h5").attrs["depth"])
    assert depth == 15 and ranking.order.shape[0] == 12 and ranking.order.shape[1] >= depth + 1
    assert (ranking.order[:, : depth + 1] >= 0).all() and ranking.train.shape == (28,)


def test_feature_cache(demo_run: Path) -> None:
    with h5py.File(demo_run / "results/features/vgg19.h5") as h5:
        # 6 s at 22.05 kHz, hop 512 -> 259 frames; pool5 -> 512 x 4 x 8
        assert h5["features"].shape == (40, 512 * 4 * 8)
        assert sorted(h5["track_id"][:].tolist())[:2] == [1, 2]
        attrs = dict(h5.attrs)
    assert attrs["weights"] == "random" and attrs["weights_label"].startswith("random-init VGG19")
    assert len(attrs["weights_sha256"]) == 64 and attrs["layer"] == "pool5" and attrs["device"] == "cpu"
    versions = json.loads(attrs["versions"])
    assert {"torch", "torchvision", "librosa"} <= set(versions)
    assert json.loads(attrs["spectrogram_params"])["n_mels"] == 128
    # the merged file says which precision made it, and why (auto: fp32 everywhere)
    assert attrs["precision"] == "fp32" and attrs["precision_reason"].startswith("auto: fp32")


@pytest.mark.parametrize("name", FIGURES)
def test_figures_are_real_images(demo_run: Path, name: str) -> None:
    img = mpimg.imread(demo_run / "results/figures" / f"{name}.png")
    assert img.shape[0] > 400 and img.shape[1] > 400
    assert float(np.std(img[..., :3])) > 0.05  # not blank
    assert len(np.unique(img[..., :3].reshape(-1, 3), axis=0)) > 50  # text, marks, colours


def test_nothing_to_do_when_nothing_changed(demo_run: Path) -> None:
    out = snakemake(demo_run, "-n", "--configfile", "config/demo.yaml")
    assert planned_jobs(out.stdout + out.stderr) == {}, out.stdout


def test_changing_k_only_votes_again(demo_run: Path) -> None:
    out = snakemake(demo_run, "-n", "--configfile", "config/demo.yaml", "--config", "knn={k: 7}")
    jobs = planned_jobs(out.stdout + out.stderr)
    # no extraction, no split, no neighbour ranking: only the votes, the figures that show them,
    # and the PCA of Experiment IV's inputs (the emotion probabilities depend on k)
    votes = {
        "evaluate_repeated",
        "ablation_genre",
        "emotion_beyond_genre",
        "genre_claims",
        "rating_shares",
    }  # not k_sensitivity
    assert set(jobs) == {"experiment", *votes, "pca", "figures", "summary", "all"}, jobs
    assert jobs["experiment"] == len(EXPERIMENTS) and jobs["figures"] == 1 and jobs["pca"] == 1


def test_changing_the_layer_reruns_extraction_but_not_the_data(demo_run: Path) -> None:
    out = snakemake(demo_run, "-n", "--configfile", "config/demo.yaml", "--config", "features={layer: conv5_4}")
    jobs = planned_jobs(out.stdout + out.stderr)
    assert "extract_shard" in jobs and jobs["experiment"] == len(EXPERIMENTS) - 1  # not Experiment III (ratings)
    assert not {"make_demo", "track_table", "gems_labels", "split"} & set(jobs), jobs


def test_bad_config_stops_before_any_job(demo_run: Path) -> None:
    out = snakemake(demo_run, "-n", "--configfile", "config/demo.yaml", "--config", "knn={kk: 7}", check=False)
    assert out.returncode != 0
    assert "unknown key 'knn.kk'; did you mean 'knn.k'?" in out.stdout + out.stderr


def test_reduction_reruns_no_extraction(demo_run: Path) -> None:
    cfg = "features={reduce: {method: random_projection, n_components: 64}}"
    jobs = planned_jobs(
        (r := snakemake(demo_run, "-n", "--configfile", "config/demo.yaml", "--config", cfg)).stdout + r.stderr
    )
    assert "reduce_features" in jobs and jobs["experiment"] == len(EXPERIMENTS) - 1  # not Experiment III
    assert not {"extract_shard", "merge_features"} & set(jobs), jobs


def test_sharded_equals_unsharded_and_one_changed_clip_reruns_one_shard(demo_run: Path, tmp_path: Path) -> None:
    import shutil

    from conftest import copy_workflow

    work = copy_workflow(tmp_path / "sharded")
    shutil.copytree(demo_run / "resources/demo", work / "mydata", copy_function=shutil.copy2)
    with h5py.File(demo_run / "results/features/vgg19.h5") as h5:
        single, single_ids = h5["features"][:], h5["track_id"][:]
    args = [
        "--configfile",
        "config/demo.yaml",
        "--config",
        "features={shards: 3}",
        "data={source: local, root: mydata}",
    ]
    snakemake(work, "results/features/vgg19.h5", *args)
    assert len(list((work / "results/features/shards").glob("vgg19_*-of-3.h5"))) == 3
    with h5py.File(work / "results/features/vgg19.h5") as h5:
        assert h5.attrs["n_shards"] == 3
        np.testing.assert_array_equal(h5["track_id"][:], single_ids)
        np.testing.assert_array_equal(h5["features"][:], single)  # a clip's features do not depend on its batch
    assert planned_jobs((r := snakemake(work, "-n", "results/features/vgg19.h5", *args)).stdout + r.stderr) == {}
    from mutagen.id3 import ID3, TIT2

    clip = work / "mydata/emotifymusic/rock/2.mp3"
    original = tmp_path / "rock2.mp3"
    shutil.copy2(clip, original)
    tags = ID3(clip)
    tags.add(TIT2(encoding=3, text="Retitled"))
    tags.save(clip)  # new bytes in one clip
    expected = {"track_table": 1, "extract_shard": 1, "merge_features": 1}
    assert planned_jobs((r := snakemake(work, "-n", "results/features/vgg19.h5", *args)).stdout + r.stderr) == expected
    snakemake(work, "results/features/vgg19.h5", *args)
    shutil.copy2(original, clip)  # restored with its old timestamp, as cp -p or rsync do
    assert planned_jobs((r := snakemake(work, "-n", "results/features/vgg19.h5", *args)).stdout + r.stderr) == expected


def test_evaluation_outputs(demo_run: Path) -> None:
    summary = pd.read_csv(demo_run / "results/evaluation/repeated_summary.csv")
    assert set(summary["split"]) == {"random", "artist", "album"}
    assert (summary["n_repeats"] == 10).all()
    assert summary["permutation_p"].between(0, 1).all()
    ceiling = pd.read_csv(demo_run / "results/evaluation/human_ceiling.csv")
    assert ceiling["emotion"].tolist() == list(EMOTIONS)
    assert set(summary["permutation"]) == {"by artist among artists with the same album sizes, album by album"}
    assert (summary["permutations"] == 1000).all() and np.allclose(summary["permutation_p_floor"], 1 / 1001, atol=1e-4)
    sizes = pd.read_csv(demo_run / "results/splits/artist_sizes.csv")
    assert len(sizes) == 10 and sizes["test_share"].between(0.1, 0.5).all()
    ext = pd.read_csv(demo_run / "results/tables/table1_extended.csv")
    assert {"paper_accuracy", "random_mean", "artist_mean", "genre_baseline", "ceiling", "half_panel_agreement"} <= set(
        ext.columns
    )
    ablation = pd.read_csv(demo_run / "results/tables/ablation_genre.csv")
    assert {"VGG19 PCA 2", "VGG19 all features", "ltas", "mfcc", "loudness"} <= set(ablation["features"])
    shares = pd.read_csv(demo_run / "results/evaluation/rating_shares.csv")
    assert len(shares) == 3 * 9 and set(shares["split"]) == {"random", "artist", "album"}
    assert (shares["network"] == "VGG19").all() and (shares["n_repeats"] == 10).all()
    tested = shares["within_genre_p_holm"].notna()
    assert set(shares.loc[tested, "split"]) == {"artist"} and tested.sum() == 9  # the test runs on artist splits
    assert shares["reliability"].notna().all() and (shares["r2_ci_low"] <= shares["r2"]).all()
    reliability = pd.read_csv(demo_run / "results/evaluation/share_reliability.csv")
    assert reliability["emotion"].tolist() == list(EMOTIONS) and (reliability["n_songs"] == 40).all()
    predicted = pd.read_csv(demo_run / "results/evaluation/rating_share_predictions.csv")
    per_kind = predicted.groupby("split").size()  # a song no split of a kind tests has no row there
    assert per_kind.max() <= 40 * 9 and per_kind.min() >= 30 * 9 and predicted["predicted"].between(0, 1).all()
    for name in ("emotion_beyond_genre", "genre_claims", "k_sensitivity"):
        assert len(pd.read_csv(demo_run / f"results/evaluation/{name}.csv")) > 0, name
    text = (demo_run / "results/summary.md").read_text()
    assert "Genre over resampled splits" in text and "Ablation" in text and "Choice of k" in text
    assert "All numbers come from one random" not in text and "direct test" not in text


def test_report_holds_every_figure_and_table(demo_run: Path) -> None:
    snakemake(demo_run, "--configfile", "config/demo.yaml", "--report", "results/report.html")
    html = (demo_run / "results/report.html").read_text(errors="replace")
    for name in [
        *FIGURES,
        "table1_emotion_accuracy",
        "table1_extended",
        "repeated_summary",
        "human_ceiling",
        "ablation_genre",
        "emotion_beyond_genre",
        "genre_claims",
        "k_sensitivity",
    ]:
        assert name in html, name


def test_same_config_gives_identical_tables(demo_run: Path, tmp_path: Path) -> None:
    import shutil

    work = tmp_path / "again"
    shutil.copytree(demo_run, work, symlinks=True)
    snakemake(work, "--configfile", "config/demo.yaml", "--forceall")
    tables = [
        p.relative_to(demo_run)
        for d in ("tables", "experiments", "evaluation", "splits")
        for p in (demo_run / "results" / d).rglob("*")
        if p.suffix in (".csv", ".md", ".json")
    ]
    assert len(tables) > 20
    for rel in tables:
        assert (work / rel).read_bytes() == (demo_run / rel).read_bytes(), rel
    strip = lambda text: [line for line in text.splitlines() if "created (UTC)" not in line]  # noqa: E731
    assert strip((work / "results/summary.md").read_text()) == strip((demo_run / "results/summary.md").read_text())


def test_feature_labels_come_from_the_feature_file(demo_run: Path) -> None:
    from emotify_pipeline.features.store import features_label, read_attrs

    h5 = demo_run / "results/features/vgg19.h5"
    assert features_label(read_attrs(h5)) == "random-init VGG19 (NOT ImageNet), pool5/flatten in fp32"
    md = (demo_run / "results/tables/ablation_genre.md").read_text()
    assert "random-init VGG19 (NOT ImageNet), pool5/flatten in fp32 (from the feature file)" in md
    exp1 = json.loads((demo_run / "results/experiments/exp1_genre_from_audio/metrics.json").read_text())
    assert exp1["feature_layer"] == "pool5" and exp1["weights_label"].startswith("random-init")


def test_the_merged_feature_file_does_not_need_the_shards(demo_run: Path, tmp_path: Path) -> None:
    import shutil

    work = tmp_path / "moved"
    shutil.copytree(demo_run, work, symlinks=True)
    shutil.rmtree(work / "results/features/shards")
    assert planned_jobs((r := snakemake(work, "-n", "--configfile", "config/demo.yaml")).stdout + r.stderr) == {}
    snakemake(work, "--configfile", "config/demo.yaml", "--forcerun", "experiment", "evaluate_repeated")
    for rel in ("results/experiments/exp1_genre_from_audio/metrics.json", "results/evaluation/repeated_summary.csv"):
        assert (work / rel).read_bytes() == (demo_run / rel).read_bytes(), rel


def test_ranking_jobs_gather_the_rankings_one_job_computes(demo_run: Path, tmp_path: Path) -> None:
    """evaluation.ranking_jobs spreads a split table's rankings over jobs (repeat r to job
    r mod jobs); the gathered file holds exactly the rankings one job computes, and the jobs'
    own files are removed."""
    import shutil

    from emotify_pipeline.neighbours.geometry import Rankings

    work = tmp_path / "jobs"
    shutil.copytree(demo_run, work, symlinks=True, copy_function=shutil.copy2)
    target = "results/neighbours/random/audio.h5"
    args = ["--configfile", "config/demo.yaml", "--config", "evaluation={ranking_jobs: 3}"]
    planned = planned_jobs((r := snakemake(work, "-n", target, *args)).stdout + r.stderr)
    assert planned == {"neighbours_part": 3, "neighbours": 1}, planned
    snakemake(work, target, *args)
    one, gathered = Rankings(demo_run / target), Rankings(work / target)
    assert gathered.repeats == one.repeats == 10 and set(gathered.items) == set(one.items)
    for key, item in one.items.items():
        for field in ("train", "test", "order", "tied"):
            np.testing.assert_array_equal(getattr(gathered.items[key], field), getattr(item, field), err_msg=key)
    assert not list((work / "results/neighbours/random").glob("*.part*"))


def test_the_summary_opens_with_findings(demo_run: Path) -> None:
    """The first section of results/summary.md is what the run found (at most 15 lines), and no
    table in it is wider than a dozen columns."""
    text = (demo_run / "results/summary.md").read_text()
    sections = text.split("\n## ")
    assert sections[1].startswith("Findings\n"), sections[1][:200]
    body = [line for line in sections[1].splitlines()[1:] if line.strip()]
    assert 3 <= len(body) <= 15 and body[0].startswith("- **Genre from audio**")
    widths = [line.count("|") - 1 for line in text.splitlines() if line.startswith("|")]
    assert widths and max(widths) <= 12


def test_the_html_report_opens_on_the_findings_in_a_browser(demo_run: Path, tmp_path: Path) -> None:
    """snakemake --report, rendered by headless Chromium (Debian's package): the page a reader
    lands on shows the findings, and the report holds every figure as an image."""
    import re
    import shutil
    import subprocess

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    report = demo_run / "results/report.html"
    if not report.exists():
        snakemake(demo_run, "--configfile", "config/demo.yaml", "--report", "results/report.html")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]
    flags += ["--disable-background-networking", "--disable-component-update", "--disable-sync"]
    out = subprocess.run(
        [browser, *flags, f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=20000", "--dump-dom"]
        + [report.resolve().as_uri()],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    dom = out.stdout
    visible = re.sub(r"<script\b.*?</script>", "", dom, flags=re.S)
    assert '<div id="app">' in visible  # the report's app ran
    findings = [line for line in (demo_run / "results/findings.rst").read_text().splitlines() if line.startswith("- ")]
    assert "<h1>Findings</h1>" in visible and "Genre from audio" in visible
    assert all(re.sub(r"\*\*", "", line[2:])[:40] in re.sub(r"<[^>]+>", "", visible) for line in findings)
    for name in FIGURES:  # each figure's entry, with the PNG itself inlined
        assert re.search(rf'"results/figures/{name}\.png": \{{"name": "{name}\.png"', dom), name
        assert re.search(rf'"data_uri": "data:image/png;[^"]*filename={name}\.png;base64,iVBORw0KGgo', dom), name
