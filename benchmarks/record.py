"""Run a benchmark and keep what it printed, with where and when it ran, for the docs.

    python benchmarks/record.py NAME -- python benchmarks/extract.py --modes forward pipeline

runs the command after ``--``, reads the JSON object it prints last on stdout and writes
``docs/benchmarks/NAME.json``: ``{"meta": {...}, "result": <that object>, "stdout": [...]}``, where
``meta`` holds the machine (CPU model, cores, GPU if any), the date (UTC), the commit the code came
from (with ``+dirty`` when the tree had changes), the command and the machine's load averages when
it started and ended, and ``stdout`` the lines the
command printed. A benchmark that prints text rather than a last JSON object (``calibration.py``'s
Markdown table, ``study_times.py``'s timings, ``scale.py``'s ``N = ... {...}`` lines) is recorded
too, with ``result`` null: its renderer reads the lines. Every measured number in the docs is
rendered from such a file (``docs/render.py``), so it names its machine, date and commit beside it.
"""

import argparse
import datetime as dt
import json
import os
import platform
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "benchmarks"


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo``), else what the platform says."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def gpu_name() -> str:
    """The first CUDA device's name, '' without one (nvidia-smi absent or failing)."""
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"], capture_output=True, text=True, timeout=20
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return out.stdout.strip().splitlines()[0] if out.returncode == 0 and out.stdout.strip() else ""


def commit() -> str:
    """The commit of the working tree, ``+dirty`` when its code has uncommitted changes (the
    recorded results under docs/benchmarks/ are outputs, not code: another benchmark's fresh
    record does not make the tree dirty)."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    sha = git("rev-parse", "--short=12", "HEAD") or "unknown"
    changed = git("status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)docs/benchmarks")
    return sha + ("+dirty" if changed else "")


def machine() -> dict:
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "gpu": gpu_name(),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.machine()}",
    }


def last_json_object(stdout: str) -> dict | None:
    """The last line of ``stdout`` that parses as a JSON object, None when no line does."""
    for line in reversed(stdout.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                continue
    return None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--" not in argv:
        raise SystemExit("usage: record.py NAME -- COMMAND ...")
    split = argv.index("--")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", help="docs/benchmarks/NAME.json")
    args = parser.parse_args(argv[:split])
    command = argv[split + 1 :]
    started = dt.datetime.now(dt.UTC).replace(microsecond=0)
    load_before = os.getloadavg()
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    load_after = os.getloadavg()
    sys.stderr.write(proc.stderr[-4000:])
    if proc.returncode != 0:
        raise SystemExit(f"{shlex.join(command)} failed with status {proc.returncode}")
    record = {
        "meta": {
            "machine": machine(),
            "date": started.isoformat(),
            "commit": commit(),
            "command": shlex.join(command),
            # the 1-, 5- and 15-minute load averages when it started and ended: on a shared machine
            # the absolute times depend on them
            "load": {"start": [round(x, 2) for x in load_before], "end": [round(x, 2) for x in load_after]},
        },
        "result": last_json_object(proc.stdout),
        "stdout": proc.stdout.splitlines(),
    }
    if record["result"] is None and not proc.stdout.strip():
        raise SystemExit("the benchmark printed nothing on stdout")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{args.name}.json").write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    print(f"wrote {OUT / f'{args.name}.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
