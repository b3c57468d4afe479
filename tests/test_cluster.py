"""The demo workflow through a real SLURM scheduler (single node, started by the test)."""

import base64
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import REPO, copy_workflow, readme_cluster_command, snakemake
from test_profiles import slurm_profile as yaml_profile

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


# records what the SLURM executor asks sbatch for, one file per call (the executor submits in
# parallel: appends to one file could interleave), then submits it
SBATCH_RECORDER = """#!/bin/sh
"{python}" -c 'import json, sys, tempfile
with tempfile.NamedTemporaryFile("w", dir=sys.argv[1], suffix=".json", delete=False) as out:
    json.dump(sys.argv[2:], out)' "{record}" "$@"
exec "{sbatch}" "$@"
"""


def sbatch_requests(record: Path) -> dict[str, list[dict[str, str]]]:
    """{rule: [{flag: value}, ...]} of every sbatch call the recorder saw (a file each)."""
    calls: dict[str, list[dict[str, str]]] = {}
    for path in sorted(record.glob("*.json")):
        args = json.loads(path.read_text())
        flags: dict[str, str] = {}
        for i, arg in enumerate(args):
            if arg.startswith("--") and "=" in arg:
                key, value = arg.split("=", 1)
                flags[key] = value
            elif arg in ("--mem", "-t", "-p", "-A", "--comment") and i + 1 < len(args):
                flags[arg] = args[i + 1]
        rule = re.match(r"rule_(\w+?)(_wildcards_|$)", flags["--comment"]).group(1)
        calls.setdefault(rule, []).append(flags)
    return calls


def test_the_readme_cluster_command_runs_with_the_profiles_resources(slurm_cluster: dict, tmp_path: Path) -> None:
    """The README's cluster command, word for word (no account: the test cluster has no
    accounting; its partition), plus what this one node lacks: a GPU (EMOTIFY_SHARD_GPUS=0, the
    README's override) and sacct (--slurm-status-command squeue). Every job's sbatch request
    is checked against profiles/slurm/config.yaml."""
    work = copy_workflow(tmp_path / "wf")
    env_words, args = readme_cluster_command("", "debug")
    args.insert(args.index("--configfile") + 2, "config/demo.yaml")  # the demo's data on top
    record, bindir = tmp_path / "sbatch_calls", tmp_path / "bin"
    record.mkdir()
    bindir.mkdir()
    recorder = bindir / "sbatch"
    recorder.write_text(SBATCH_RECORDER.format(python=sys.executable, record=record, sbatch=shutil.which("sbatch")))
    recorder.chmod(0o755)
    env = {**slurm_cluster, **env_words, "EMOTIFY_SHARD_GPUS": "0", "PATH": f"{bindir}:{slurm_cluster['PATH']}"}
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            *TARGETS,  # before --config, which takes every argument after it
            *args,
            "--slurm-status-command",
            "squeue",
            "--slurm-init-seconds-before-status-checks",
            "1",
            "--config",
            QUICK,
        ],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    text = out.stdout + out.stderr
    assert out.returncode == 0, text[-6000:]
    assert "has been submitted with SLURM jobid" in text, text[-3000:]
    assert all((work / target).is_file() for target in TARGETS)
    assert not (work / "results/figures").exists() and not (work / "results/summary.md").exists()
    assert len(pd.read_csv(work / "results/tables/tracks.csv")) == 40

    with_env = {**os.environ, **env_words, "EMOTIFY_SHARD_GPUS": "0"}
    profile = yaml_profile(with_env)
    calls = sbatch_requests(record)
    assert {"extract_shard", "merge_features", "neighbours", "experiment", "pca"} <= set(calls), sorted(calls)
    for rule, requests in calls.items():
        want = {**profile["default-resources"], **profile["set-resources"].get(rule, {})}
        for flags in requests:
            got = {
                "mem_mb": int(flags["--mem"]),
                "runtime": int(flags["-t"]),
                "cpus_per_task": int(flags["--cpus-per-task"]),
                "gpu": int(flags.get("--gpus", 0)),
            }
            assert got == {key: int(want.get(key, 0)) for key in got}, rule
            assert flags["-p"] == "debug" and "-A" not in flags, (rule, flags)
    shard = calls["extract_shard"][0]
    assert (shard["--cpus-per-task"], shard["--mem"], shard["-t"]) == ("8", "32000", "120")
    # inside its allocation the job is told the profile's 8 threads, and runs with as many as the
    # node lets it see (--cores all: this one-machine test node has fewer cores than it declares)
    wrap = next(v for k, v in shard.items() if k == "--wrap")
    told = [base64.b64decode(w.removeprefix("base64//")).decode() for w in wrap.split("--set-threads ")[1].split()[:1]]
    assert told == ["extract_shard=8"], told
    threads = min(8, os.cpu_count() or 1)
    assert f", {threads} torch threads," in (work / "logs/extract_shard/vgg19_0.log").read_text()
    # nothing left to do afterwards
    dry = snakemake(work, "-n", *TARGETS, "--configfile", "config/demo.yaml", "--config", QUICK)
    assert "Nothing to be done" in dry.stdout + dry.stderr
