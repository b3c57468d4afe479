"""What each job asks for under the shipped profiles, read from Snakemake's own dry runs.

Snakemake loads ``profiles/default`` as the workflow profile on every run, beside any
``--profile``, and that profile's keys win; a key on the command line replaces the profile's
whole list of that key. These tests hold the README's cluster command and its "How settings
combine" paragraph to what Snakemake does.
"""

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
import yte
from conftest import REPO, copy_workflow, job_resources, readme_cluster_command

#: a rule or checkpoint of a rule file: its name and its indented body
RULE = r"^(?:rule|checkpoint) (\w+):\n((?:    .*\n|\n)*?)(?=^\S|\Z)"

# the demo's data, on top of the README's config/config.yaml (a later --configfile wins)
DEMO = "config/demo.yaml"
TARGET = "results/features/vgg19.h5"


def slurm_profile(env: dict[str, str]) -> dict:
    """profiles/slurm/config.yaml as Snakemake reads it under ``env`` (its yte expressions read
    SBATCH_ACCOUNT, SBATCH_PARTITION and EMOTIFY_SHARD_GPUS)."""
    saved = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update(env)
        with open(REPO / "profiles" / "slurm" / "config.yaml") as handle:
            return yte.process_yaml(handle, require_use_yte=True)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def expected_slurm_resources(profile: dict, rule: str) -> dict[str, str]:
    """The resources a job of ``rule`` should carry under the SLURM profile: its defaults, then
    the rule's own set-resources."""
    want = {**profile["default-resources"], **profile["set-resources"].get(rule, {})}
    # account and partition are quoted Python strings in the profile, as Snakemake evaluates them
    return {key: str(ast.literal_eval(value) if isinstance(value, str) else value) for key, value in want.items()}


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_workflow(tmp_path_factory.mktemp("profiles"))


def dry_run(work: Path, args: list[str], env: dict[str, str]) -> str:
    """``snakemake -n`` with exactly ``args`` (no --cores added), forcing the extraction so that
    its job is listed."""
    base = {
        k: v for k, v in os.environ.items() if k not in ("SBATCH_ACCOUNT", "SBATCH_PARTITION", "EMOTIFY_SHARD_GPUS")
    }
    cmd = [sys.executable, "-m", "snakemake", TARGET, "-n", "--forcerun", "extract_shard", *args]
    proc = subprocess.run(cmd, cwd=work, env={**base, **env}, capture_output=True, text=True, timeout=300)
    text = proc.stdout + proc.stderr
    assert proc.returncode == 0, text[-4000:]
    return text


def readme_args(account: str, partition: str) -> tuple[dict[str, str], list[str]]:
    env, args = readme_cluster_command(account, partition)
    assert args[args.index("--configfile") + 1] == "config/config.yaml"
    args.insert(args.index("--configfile") + 2, DEMO)
    return env, args


def test_the_readme_cluster_command_gives_the_profiles_resources(work: Path) -> None:
    env, args = readme_args("lab42", "gpuq")
    assert env == {"SBATCH_ACCOUNT": "lab42", "SBATCH_PARTITION": "gpuq"}
    jobs = job_resources(dry_run(work, args, env))
    profile = slurm_profile(env)
    shard = jobs["extract_shard"]
    # the shipped profile: one GPU, 8 CPUs, 32 GB, 2 h per shard, the account and the partition
    assert (shard["gpu"], shard["cpus_per_task"], shard["mem_mb"], shard["runtime"]) == ("1", "8", "32000", "120")
    assert (shard["slurm_account"], shard["slurm_partition"]) == ("lab42", "gpuq")
    for rule, got in jobs.items():
        if rule == "all":
            continue
        want = expected_slurm_resources(profile, rule)
        assert {key: got.get(key) for key in want} == want, rule
    # a job the profile does not single out keeps every default
    assert jobs["track_table"]["mem_mb"] == "4000" and jobs["track_table"]["runtime"] == "30"


def test_unset_account_and_partition_are_left_to_the_plugin(work: Path) -> None:
    env, args = readme_args("", "")
    jobs = job_resources(dry_run(work, args, env))
    assert "slurm_account" not in jobs["extract_shard"] and "slurm_partition" not in jobs["extract_shard"]
    assert jobs["extract_shard"]["mem_mb"] == "32000" and jobs["extract_shard"]["gpu"] == "1"


def test_a_cpu_partition_drops_only_the_gpu(work: Path) -> None:
    env, args = readme_args("lab42", "cpuq")
    jobs = job_resources(dry_run(work, args, {**env, "EMOTIFY_SHARD_GPUS": "0"}))
    shard = jobs["extract_shard"]
    assert (shard["gpu"], shard["cpus_per_task"], shard["mem_mb"], shard["runtime"]) == ("0", "8", "32000", "120")


def test_an_empty_gpu_variable_means_the_default_one_gpu(work: Path) -> None:
    env, args = readme_args("lab42", "gpuq")
    jobs = job_resources(dry_run(work, args, {**env, "EMOTIFY_SHARD_GPUS": ""}))
    assert jobs["extract_shard"]["gpu"] == "1"


def test_a_local_run_gets_the_local_settings(work: Path) -> None:
    text = dry_run(work, ["--cores", "2", "--configfile", DEMO], {})
    assert "workflow specific profile profiles/default" in text
    jobs = job_resources(text)
    shard = jobs["extract_shard"]
    assert shard["threads"] == "2" and shard["mem_mb"] == "8000"
    assert not {"runtime", "cpus_per_task", "gpu", "slurm_account", "slurm_partition"} & set(shard)
    for rule in ("neighbours", "pca", "ablation_neighbours"):
        if rule in jobs:
            assert jobs[rule]["mem_mb"] == "8000", rule


def test_the_workflow_profile_only_holds_shared_settings() -> None:
    """Every key of profiles/default is in every other profile with the same value, so the
    workflow profile (which wins over --profile) changes nothing of a cluster run."""
    shared = yaml.safe_load((REPO / "profiles" / "default" / "config.yaml").read_text())
    assert not {"cores", "jobs", "executor", "default-resources", "set-resources", "set-threads", "resources"} & set(
        shared
    )
    others = [p for p in (REPO / "profiles").iterdir() if p.name != "default"]
    assert others
    for profile in others:
        values = slurm_profile({}) if profile.name == "slurm" else yaml.safe_load((profile / "config.yaml").read_text())
        assert {key: values.get(key) for key in shared} == shared, profile.name


def test_rule_memory_caps_are_all_overridden_by_the_slurm_profile() -> None:
    """A rule's own `resources:` (a local cap) never reaches a cluster job: the SLURM profile sets
    the same resource for each such rule."""
    profile = slurm_profile({})
    declared = {}
    for smk in (REPO / "rules").glob("*.smk"):
        for match in re.finditer(RULE, smk.read_text(), re.M):
            body = match.group(2)
            if "    resources:\n" in body:
                block = re.match(r"((?:        .*\n)*)", body.split("    resources:\n", 1)[1]).group(1)
                declared[match.group(1)] = re.findall(r"^        (\w+)=", block, re.M)
    assert {"extract_shard", "neighbours", "pca"} <= set(declared)
    for rule, keys in declared.items():
        assert set(keys) <= set(profile["set-resources"].get(rule, {})), rule


def test_command_line_set_resources_replaces_the_whole_list(work: Path) -> None:
    """What the README warns of: one job's memory on the command line drops every other
    set-resources entry of the profile (the shard's GPU and CPUs, merge_features's memory)."""
    env, args = readme_args("lab42", "gpuq")
    jobs = job_resources(dry_run(work, [*args, "--set-resources", "extract_shard:mem_mb=64000"], env))
    shard = jobs["extract_shard"]
    assert shard["mem_mb"] == "64000"
    assert "gpu" not in shard and shard["cpus_per_task"] == "1" and shard["runtime"] == "30"
    assert jobs["merge_features"]["mem_mb"] == "4000"


def test_command_line_default_resources_replace_the_profiles_defaults(work: Path) -> None:
    """Why the README gives the account by a variable: --default-resources on the command line
    replaces the profile's default memory, time and CPUs; a job keeps only what the profile's
    set-resources gives it by name."""
    env, args = readme_args("", "")
    jobs = job_resources(dry_run(work, [*args, "--default-resources", "slurm_account=lab42"], env))
    track_table = jobs["track_table"]
    assert track_table["slurm_account"] == "lab42"
    assert "runtime" not in track_table and "cpus_per_task" not in track_table
    assert track_table.get("mem_mb") != "4000"  # Snakemake's own default, from the input size
    shard = jobs["extract_shard"]  # named in set-resources
    assert (shard["mem_mb"], shard["runtime"], shard["cpus_per_task"]) == ("32000", "120", "8")


def test_a_copied_profile_changes_one_jobs_memory_and_keeps_the_rest(work: Path) -> None:
    """The docs' way to change one job's resources: copy the profile, edit the copy."""
    import shutil

    mine = work / "profiles" / "mysite"
    shutil.rmtree(mine, ignore_errors=True)
    shutil.copytree(work / "profiles" / "slurm", mine)
    config = mine / "config.yaml"
    text = config.read_text()
    assert text.count("mem_mb: 32000") == 1
    config.write_text(text.replace("mem_mb: 32000", "mem_mb: 64000"))
    try:
        env, args = readme_args("lab42", "gpuq")
        args[args.index("profiles/slurm")] = "profiles/mysite"
        jobs = job_resources(dry_run(work, args, env))
    finally:
        shutil.rmtree(mine)
    shard = jobs["extract_shard"]
    assert (shard["mem_mb"], shard["gpu"], shard["cpus_per_task"], shard["runtime"]) == ("64000", "1", "8", "120")
    assert shard["slurm_account"] == "lab42" and jobs["merge_features"]["mem_mb"] == "2000"
    assert jobs["track_table"]["mem_mb"] == "4000" and jobs["track_table"]["runtime"] == "30"


def test_the_workflow_profile_wins_over_the_given_profile(tmp_path: Path) -> None:
    """Why profiles/default holds no resources: a set-resources there replaces the whole list of
    the profile given with --profile (the shard loses its GPU, CPUs and memory)."""
    work = copy_workflow(tmp_path / "clone")
    default = work / "profiles" / "default" / "config.yaml"
    default.write_text(default.read_text() + "set-resources:\n  track_table:\n    mem_mb: 1234\n")
    env, args = readme_args("lab42", "gpuq")
    jobs = job_resources(dry_run(work, args, env))
    assert jobs["track_table"]["mem_mb"] == "1234"
    shard = jobs["extract_shard"]
    assert "gpu" not in shard and shard["mem_mb"] != "32000" and shard["cpus_per_task"] != "8"


def test_the_jobs_that_reach_the_internet_run_on_the_submitting_host() -> None:
    """Compute nodes often have no internet: every rule that downloads (download_*, fetch_*) is
    a localrule, with the cheap jobs."""
    snakefile = (REPO / "Snakefile").read_text()
    block = re.search(r"^localrules:\n((?:    .*\n)+)", snakefile, re.M).group(1)
    local = set(re.findall(r"(\w+),", block))
    rules = {m.group(1) for smk in (REPO / "rules").glob("*.smk") for m in re.finditer(RULE, smk.read_text(), re.M)}
    fetching = {rule for rule in rules if rule.startswith(("download_", "fetch_"))}
    assert fetching == {"download_annotations", "download_audio", "fetch_vgg19_weights", "fetch_musicnn"}
    assert fetching | {"all", "validate_annotations", "split", "summary"} <= local
    assert local <= rules | {"all"}


def test_every_rule_gets_as_many_cpus_as_it_runs_threads() -> None:
    """On the cluster a job asks for at least the threads it will run: a rule's ``threads:`` (or
    the profile's set-threads) is matched by the profile's cpus_per_task for that rule."""
    profile = slurm_profile({})
    default_cpus = int(profile["default-resources"]["cpus_per_task"])
    short = {}
    for smk in (REPO / "rules").glob("*.smk"):
        for match in re.finditer(RULE, smk.read_text(), re.M):
            rule, body = match.group(1), match.group(2)
            threads = re.search(r"^    threads: (\d+)", body, re.M)
            want = int(profile.get("set-threads", {}).get(rule, threads.group(1) if threads else 1))
            cpus = int(profile["set-resources"].get(rule, {}).get("cpus_per_task", default_cpus))
            if cpus < want:
                short[rule] = (want, cpus)
    assert not short, f"rule: (threads, cpus_per_task) {short}"
