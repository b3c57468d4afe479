"""Ingestion through the workflow: bad input stops early, and the 40 real clips run end to end."""

import json
import shutil
from pathlib import Path

import h5py
import pandas as pd
import pytest
from conftest import SHARED, copy_workflow, needs_shared, planned_jobs, snakemake

from emotify_pipeline.core.emotify import EMOTIONS

pytestmark = pytest.mark.slow


@pytest.fixture
def local_copy(demo_run: Path, tmp_path: Path) -> Path:
    """A fresh workflow whose data.source is a local copy of the demo data set."""
    work = copy_workflow(tmp_path / "wf")
    shutil.copytree(demo_run / "resources" / "demo", work / "mydata")
    return work


def _local(*targets: str, data: str = "") -> list[str]:
    return [*targets, "--configfile", "config/demo.yaml", "--config", f"data={{source: local, root: mydata{data}}}"]


def test_invalid_annotations_stop_before_anything_downstream(local_copy: Path) -> None:
    csv = local_copy / "mydata" / "data.csv"
    lines = csv.read_text().splitlines()
    lines[5] = lines[5].replace(",classical,", ",jazz,", 1)
    csv.write_text("\n".join(lines) + "\n")
    out = snakemake(local_copy, *_local(), check=False)
    text = out.stdout + out.stderr
    assert out.returncode != 0
    assert "mydata/data.csv: 1 row(s) with an unknown genre" in text and "line 6: 'jazz'" in text
    assert not (local_copy / "results" / "tables").exists()
    assert not (local_copy / "results" / "data" / "annotations.csv").exists()


def test_truncated_mp3_stops_or_is_recorded(local_copy: Path) -> None:
    mp3 = local_copy / "mydata" / "emotifymusic" / "pop" / "3.mp3"
    mp3.write_bytes(mp3.read_bytes()[: mp3.stat().st_size // 4])
    out = snakemake(local_copy, *_local("results/tables/tracks.csv"), check=False)
    assert out.returncode != 0
    assert "mydata/emotifymusic/pop/3.mp3: truncated file" in out.stdout + out.stderr
    assert not (local_copy / "results" / "tables" / "tracks.csv").exists()
    snakemake(
        local_copy,
        *_local("results/tables/tracks.csv"),
        "--config",
        "data={source: local, root: mydata, on_bad_audio: skip}",
    )
    tracks = pd.read_csv(local_copy / "results" / "tables" / "tracks.csv").set_index("track_id")
    assert tracks.loc[303, "status"] == "skipped" and "truncated" in tracks.loc[303, "reason"]
    assert (tracks["status"] == "ok").sum() == 39
    log = (local_copy / "logs" / "track_table.log").read_text()
    assert "skipping track 303" in log


def test_offline_download_names_the_url(tmp_path: Path) -> None:
    work = copy_workflow(tmp_path / "wf")
    url = "http://127.0.0.1:9/data.csv"
    cfg = f"data={{source: download, download: {{annotations_url: '{url}'}}}}"
    out = snakemake(work, "results/data/annotations.csv", "--config", cfg, check=False)
    text = out.stdout + out.stderr
    assert out.returncode != 0
    assert f"cannot download {url}" in text and "put it at resources/emotify/data.csv" in text
    assert not (work / "resources" / "emotify" / "data.csv").exists()


@needs_shared
def test_the_whole_dag_runs_on_the_40_real_clips(tmp_path: Path) -> None:
    work = copy_workflow(tmp_path / "wf")
    quick = "evaluation={repeats: 10, permutations: 20, ablation_repeats: 5, ceiling_splits: 20}"
    args = ["--configfile", "config/real40.yaml", "--config", f"data={{root: '{SHARED}'}}", quick]
    snakemake(work, *args)
    tracks = pd.read_csv(work / "results/tables/tracks.csv").set_index("track_id")
    assert len(tracks) == 400 and (tracks["status"] == "ok").sum() == 40
    assert tracks.loc[101, "path"].endswith("rock/1.mp3") and tracks.loc[301, "path"].endswith("pop/1.mp3")
    labels = pd.read_csv(work / "results/tables/gems_labels.csv")
    assert len(labels) == 400  # medians over all 400 songs of the real data.csv
    with h5py.File(work / "results/features/vgg19.h5") as h5:
        assert h5["features"].shape == (40, 163840)
        assert list(h5.attrs["activation_shape"]) == [512, 4, 80]
    exp2 = json.loads((work / "results/experiments/exp2_emotion_from_audio/metrics.json").read_text())
    assert set(exp2["emotions"]) == set(EMOTIONS) and exp2["n_test"] == 12
    summary = (work / "results/summary.md").read_text()
    assert "40-clip sample" in summary and "random-init VGG19" in summary
    for fig in (work / "results/figures").glob("*.png"):
        assert fig.stat().st_size > 20_000
    assert planned_jobs((r := snakemake(work, "-n", *args)).stdout + r.stderr) == {}
