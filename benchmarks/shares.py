"""The rating shares on real data, for docs/statistics.md: each network's R^2 of mu beside its
reliability, and the networks' paired difference, from a run of the workflow.

Copies the workflow into ``--work`` (as ``study_times.py`` does), runs ``snakemake --cores N``
with ``--configfile`` and ``features.compare`` to the rating-share tables of every network and
their comparison, then prints the rows of those tables, the time of the rules that made them
(Snakemake's own benchmark files) and, as the yardstick of docs/performance.md, the time of
VGG19's fp32 forward pass on the same clips (``extract.py --modes forward``), as one JSON object::

    python benchmarks/record.py shares_real40 -- python benchmarks/shares.py --work ../shares40 \
        --real ../shared/emotify --configfile config/real40.yaml      # about 10 min on 2 cores
    python benchmarks/record.py shares_demo -- python benchmarks/shares.py --work ../sharesdemo \
        --configfile config/demo.yaml
"""

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import yaml
from study_times import ROOT, copy_workflow, run

#: the columns of each network's rating-share table the docs show
KEPT = [
    "network",
    "split",
    "emotion",
    "r2",
    "r2_ci_low",
    "r2_ci_high",
    "genre_r2",
    "r2_gain",
    "r2_gain_ci_low",
    "r2_gain_ci_high",
    "within_genre_p_holm",
    "reliability",
    "reliability_song_bootstrap_low",
    "reliability_song_bootstrap_high",
    "r2_of_reliability",
]
COMPARED = ["network", "split", "emotion", "r2_difference", "r2_difference_ci_low", "r2_difference_ci_high"]
#: the rules whose time is reported
RULES = ("share_reliability", "rating_shares", "model_rating_shares")


def rule_seconds(work: Path) -> dict[str, float]:
    """Seconds of every job of :data:`RULES`, from Snakemake's benchmark files."""
    times = {}
    for rule in RULES:
        for tsv in sorted((work / "results" / "benchmarks").glob(f"{rule}*")):
            for path in [tsv] if tsv.is_file() else sorted(tsv.glob("*.tsv")):
                name = rule if path == tsv else f"{rule}/{path.stem}"
                times[name] = float(pd.read_csv(path, sep="\t")["s"].iloc[0])
    return times


def forward_seconds(clips: Path, n: int, seconds: float, cores: int) -> float:
    """VGG19's fp32 forward pass per clip on ``n`` of the clips (``extract.py --modes forward``)."""
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "extract.py"), "--modes", "forward"]
        + ["--clips", str(clips / "*" / "*.mp3"), "--n", str(n), "--duration", str(seconds), "--threads", str(cores)],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])["results"][0]
    return result["wall_s"] / result["clips"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, required=True, help="directory to run in (the workflow is copied there)")
    parser.add_argument("--configfile", default="config/real40.yaml")
    parser.add_argument("--real", type=Path, help="a real Emotify folder (data.csv, emotifymusic/), copied first")
    parser.add_argument("--compare", default="MSD_musicnn", help="the network compared with the study's")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--forward-clips", type=int, default=40)
    args = parser.parse_args()
    copy_workflow(args.work)
    config = [f"features={{compare: [{args.compare}]}}"]
    if args.real:
        if not (args.work / "realdata").is_dir():
            shutil.copytree(args.real, args.work / "realdata")
        config.append("data={source: local, root: realdata}")
    targets = ("results/tables/model_comparison_shares.csv", "results/evaluation/rating_shares.csv")
    wall = run(args.work, args.cores, config, ["--configfile", args.configfile], targets)
    results = args.work / "results"
    tables = [pd.read_csv(results / "evaluation" / "rating_shares.csv")]
    tables += [pd.read_csv(p) for p in sorted((results / "evaluation" / "models").glob("*/rating_shares.csv"))]
    shares = pd.concat(tables, ignore_index=True)
    comparison = pd.read_csv(results / "tables" / "model_comparison_shares.csv")
    clips = (args.work / "realdata" if args.real else args.work / "resources" / "demo") / "emotifymusic"
    duration = float(pd.read_csv(results / "tables" / "tracks.csv")["decoded_s"].max())
    forward = forward_seconds(clips, args.forward_clips, duration, args.cores)
    n_clips = len(list(clips.glob("*/*.mp3")))
    summary = {
        "run_label": yaml.safe_load((args.work / args.configfile).read_text())["run_label"],
        "clips": n_clips,
        "wall_s": wall,
        "forward_s_per_clip": forward,
        "forward_s": forward * n_clips,
        "rule_s": rule_seconds(args.work),
        "shares": json.loads(shares[[c for c in KEPT if c in shares]].to_json(orient="records")),
        "comparison": json.loads(comparison[COMPARED].to_json(orient="records")),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
