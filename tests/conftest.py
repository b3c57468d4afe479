"""Shared fixtures: paths, the real Emotify sample beside the repo, a workflow copy runner."""

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "emotify"
WORKFLOW_PARTS = ("Snakefile", "rules", "workflow", "config", "envs", "report", "profiles", "resources")

needs_shared = pytest.mark.skipif(
    not (SHARED / "data.csv").is_file(),
    reason=f"the real Emotify sample is not at {SHARED} (it lives beside the repository, never inside it)",
)


def _untracked(folder: str, names: list[str]) -> set[str]:
    """What a fresh clone lacks: caches, and the generated demo, downloaded archive and weights
    that resources/ holds but git ignores."""
    skip = {n for n in names if n in ("__pycache__", ".snakemake")}
    if Path(folder) == REPO / "resources":
        skip |= {n for n in names if n in ("demo", "emotify")}
    if Path(folder) == REPO / "resources" / "models":
        skip |= {n for n in names if n.endswith((".pth", ".pt", ".whl", ".npz"))}
    return skip


def copy_workflow(dest: Path) -> Path:
    """Copy the workflow (no results, no caches) to ``dest``, as a fresh clone would have it."""
    dest.mkdir(parents=True, exist_ok=True)
    for part in WORKFLOW_PARTS:
        src = REPO / part
        if src.is_dir():
            shutil.copytree(src, dest / part, ignore=_untracked)
        else:
            shutil.copy2(src, dest / part)
    return dest


def snakemake(workdir: Path, *args: str, check: bool = True, timeout: int = 1200) -> subprocess.CompletedProcess:
    """Run ``snakemake`` in ``workdir`` with this interpreter; return the completed process."""
    cmd = [sys.executable, "-m", "snakemake", "--cores", "2", *args]
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}"
        )
    return proc


def planned_jobs(dry_run_output: str) -> dict[str, int]:
    """Parse the 'Job stats' table of ``snakemake -n`` into {rule: count}."""
    jobs: dict[str, int] = {}
    lines = dry_run_output.splitlines()
    if "Job stats:" not in lines:
        return jobs
    for line in lines[lines.index("Job stats:") + 3 :]:
        parts = line.split()
        if len(parts) != 2 or parts[0] == "total":
            break
        jobs[parts[0]] = int(parts[1])
    return jobs


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The whole workflow run once on the demo config in a fresh directory."""
    work = copy_workflow(tmp_path_factory.mktemp("demo"))
    snakemake(work, "--configfile", "config/demo.yaml")
    return work


def readme_cluster_command(account: str, partition: str) -> tuple[dict[str, str], list[str]]:
    """The README's cluster command, word for word, with its placeholders filled: the variables
    its ``export`` line sets and the ``snakemake`` command's arguments (after ``snakemake``)."""
    text = (REPO / "README.md").read_text()
    section = text[text.index("## Running on a cluster") :]
    block = section[section.index("```bash\n") + len("```bash\n") :]
    lines = block[: block.index("```")].strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("export ") and lines[1].startswith("snakemake "), lines
    filled = [line.replace("<account>", account).replace("<partition>", partition) for line in lines]
    env = dict(word.split("=", 1) for word in shlex.split(filled[0])[1:])
    return env, shlex.split(filled[1])[1:]


def job_resources(dry_run_output: str) -> dict[str, dict[str, str]]:
    """{rule: {resource: value}} of the first job of each rule in a ``snakemake -n`` listing,
    threads included (Snakemake prints threads only above 1)."""
    jobs: dict[str, dict[str, str]] = {}
    rule = None
    for line in dry_run_output.splitlines():
        if line.startswith(("rule ", "localrule ")) and line.endswith(":"):
            rule = line.split()[1].rstrip(":")
            if rule in jobs:
                rule = None
                continue
            jobs[rule] = {"threads": "1"}
        elif rule and line.startswith("    threads: "):
            jobs[rule]["threads"] = line.split(":", 1)[1].strip()
        elif rule and line.startswith("    resources: "):
            for item in line.split(":", 1)[1].split(", "):
                key, _, value = item.strip().partition("=")
                jobs[rule][key] = value
    return jobs


# What CI cannot have is declared by a marker; every other skip fails a CI run (CI=true), so that
# a missing wheel or a missing ../shared makes CI red instead of green-by-skipping.
CI_CANNOT_HAVE = {
    "needs_tensorflow": "TensorFlow (1.6 GB) is not installed in CI; tests/data/musicnn_reference.npz stands in",
    "needs_gpu": "CI has no GPU",
}


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _module_marks(node: pytest.Item | pytest.Collector) -> str:
    """The source of a module's ``pytestmark = ...`` (read from the file: a module skipped while it
    is imported, by ``pytest.importorskip``, never gets its marks read by pytest)."""
    if not isinstance(node, pytest.Module):
        return ""
    import ast

    tree = ast.parse(node.path.read_text())
    return " ".join(
        ast.unparse(stmt.value)
        for stmt in tree.body
        if isinstance(stmt, ast.Assign) and any(getattr(t, "id", "") == "pytestmark" for t in stmt.targets)
    )


def _fail_a_skip_in_ci(node: pytest.Item | pytest.Collector, report: pytest.TestReport | pytest.CollectReport) -> None:
    """Under CI=true, turn ``report``'s skip (or expected failure) into a failure unless ``node``
    carries a marker of what CI cannot have, which is recorded for the summary's count."""
    if not (_in_ci() and report.skipped):
        return
    if hasattr(report, "wasxfail"):  # an expected failure is a test that cannot fail
        reason = f"xfail ({report.wasxfail})"
        del report.wasxfail
    else:
        declared = [name for name in CI_CANNOT_HAVE if node.get_closest_marker(name) or name in _module_marks(node)]
        if declared:
            report.user_properties.append(("ci_cannot_have", declared[0]))
            return
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    report.outcome = "failed"
    report.longrepr = f"skipped in CI without a marker saying CI cannot run it ({', '.join(CI_CANNOT_HAVE)}): {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    _fail_a_skip_in_ci(item, outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector):
    """A module skipped while it is collected (``pytest.importorskip``, ``allow_module_level``)."""
    outcome = yield
    report = outcome.get_result()
    if not hasattr(report, "user_properties"):
        report.user_properties = []
    _fail_a_skip_in_ci(collector, report)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    counts: dict[str, int] = {}
    for report in terminalreporter.stats.get("skipped", []):
        for key, value in getattr(report, "user_properties", []):
            if key == "ci_cannot_have":
                counts[value] = counts.get(value, 0) + 1
    if counts:
        terminalreporter.write_line(
            "skipped for what CI cannot have: "
            + ", ".join(f"{n} {name} ({CI_CANNOT_HAVE[name]})" for name, n in sorted(counts.items()))
        )
