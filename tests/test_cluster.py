"""The demo workflow through a real SLURM scheduler (single node, started by the test)."""

import os
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from conftest import REPO, copy_workflow, snakemake

pytestmark = pytest.mark.slow

SLURM_DIR = REPO / "tests" / "slurm"
QUICK = "evaluation={repeats: 4, permutations: 5, permutation_splits: 2, ceiling_splits: 5, ablation_repeats: 3}"
# Through the scheduler, the paper's chain from the demo's audio to Experiments I and III, one
# on each kind of input (audio and ratings): demo, track table, extraction (its own cpus and
# memory), merge, split, rankings, the two experiments and Fig. 1's PCA. The figures are one job
# that reads the whole study, which runs locally in demo_run; under SLURM each of its ~45 jobs
# pays the executor's status-poll back-off, which made the full study the suite's slowest test
# (530 s) without testing anything more of the executor.
TARGETS = [
    "results/experiments/exp1_genre_from_audio/metrics.json",
    "results/experiments/exp1_genre_from_audio/pca.csv",
    "results/experiments/exp3_genre_from_ratings/metrics.json",
]


def _can_run_slurm() -> str:
    if os.geteuid() != 0:
        return "starting slurmctld/slurmd/munged needs root"
    if not (shutil.which("slurmctld") or shutil.which("apt-get")):
        return "neither SLURM nor apt-get is available to install it"
    return ""


@pytest.fixture(scope="module")
def slurm_cluster(tmp_path_factory: pytest.TempPathFactory):
    reason = _can_run_slurm()
    if reason:
        pytest.skip(reason)
    state = tmp_path_factory.mktemp("slurm")
    proc = subprocess.run([SLURM_DIR / "start_cluster.sh", state], capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        subprocess.run([SLURM_DIR / "stop_cluster.sh", state], check=False)
        logs = "\n".join(p.read_text()[-2000:] for p in (state / "log").glob("*.log"))
        raise AssertionError(f"SLURM did not start:\n{proc.stdout}\n{proc.stderr}\n{logs}")
    env = {**os.environ, "SLURM_CONF": "/etc/slurm/slurm.conf"}
    yield env
    subprocess.run([SLURM_DIR / "stop_cluster.sh", state], check=False)


def test_the_paper_chain_runs_through_the_slurm_executor(slurm_cluster: dict, tmp_path: Path) -> None:
    work = copy_workflow(tmp_path / "wf")
    cmd_env = slurm_cluster
    out = subprocess.run(
        [
            "python",
            "-m",
            "snakemake",
            *TARGETS,  # before --config, which takes every argument after it
            "--profile",
            "profiles/slurm-single-node",
            "--configfile",
            "config/demo.yaml",
            "--config",
            QUICK,
        ],
        cwd=work,
        env=cmd_env,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    text = out.stdout + out.stderr
    assert out.returncode == 0, text[-6000:]
    assert "Job " in text and "has been submitted with SLURM jobid" in text, text[-3000:]
    assert "extract_shard" in text and "rule pca" in text and "rule experiment" in text, text[-3000:]
    assert all((work / target).is_file() for target in TARGETS)
    assert not (work / "results/figures").exists() and not (work / "results/summary.md").exists()
    assert len(pd.read_csv(work / "results/tables/tracks.csv")) == 40
    # nothing left to do afterwards
    dry = snakemake(work, "-n", *TARGETS, "--configfile", "config/demo.yaml", "--config", QUICK)
    assert "Nothing to be done" in dry.stdout + dry.stderr
