"""The README's before/after table: the whole study, then a change of knn.k, timed.

Copies the workflow into ``--work`` (or reuses it), runs ``snakemake --cores N`` with the given
config, then again with ``knn.k`` changed, and prints each run's wall-clock time and the per-rule
table of Snakemake's own benchmark files (``rule_times.py``). The default is the demo generator at
the real archive's size (400 clips x 60 s, random-init VGG19), as in the README::

    python benchmarks/study_times.py --work ../study            # about 15 min on 2 cores
    python benchmarks/study_times.py --work ../study --demo-size 10 6   # the small demo
"""

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PARTS = ("Snakefile", "rules", "workflow", "config", "envs", "report", "profiles")


def run(work: Path, cores: int, config: list[str]) -> float:
    cmd = [sys.executable, "-m", "snakemake", "--cores", str(cores), "--config", *config]
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=work, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, required=True, help="directory to run in (the workflow is copied there)")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--demo-size", type=float, nargs=2, default=(100, 60), metavar=("PER_GENRE", "SECONDS"))
    parser.add_argument("--k", type=int, default=7, help="the new knn.k of the second run")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    for part in PARTS:
        dest = args.work / part
        if dest.is_dir():
            shutil.rmtree(dest)
        (shutil.copytree if (ROOT / part).is_dir() else shutil.copy)(ROOT / part, dest)
    per_genre, seconds = int(args.demo_size[0]), args.demo_size[1]
    config = [
        "data={source: demo}",
        f"demo={{n_per_genre: {per_genre}, duration: {seconds}}}",
        f"audio={{duration: {seconds}}}",
        "features={weights: random}",
        f"run_label=synthetic demo ({4 * per_genre} x {seconds:g} s, not Emotify)",
    ]
    rule_times = [sys.executable, str(ROOT / "benchmarks" / "rule_times.py"), "results/benchmarks"]
    wall = run(args.work, args.cores, config)
    print(f"## whole study: {wall:.0f} s wall\n")
    print(subprocess.run(rule_times, cwd=args.work, capture_output=True, text=True, check=True).stdout)
    marker = args.work / ".k_rerun_started"
    marker.touch()
    time.sleep(1.0)  # benchmark files of the rerun are strictly newer than the marker
    wall = run(args.work, args.cores, [*config, f"knn={{k: {args.k}}}"])
    print(f"## knn.k -> {args.k}: {wall:.0f} s wall\n")
    since = [*rule_times, "--since-mtime", str(marker)]
    print(subprocess.run(since, cwd=args.work, capture_output=True, text=True, check=True).stdout)


if __name__ == "__main__":
    main()
