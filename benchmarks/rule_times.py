"""Per-rule wall time and peak memory of a finished run, from Snakemake's benchmark files.

Every rule writes ``benchmark:`` TSVs (``s`` = wall seconds, ``max_rss`` = peak resident MB).
This prints one Markdown row per rule: jobs, total and largest wall time, largest peak RSS.

    python benchmarks/rule_times.py /path/to/run/benchmarks [--since-mtime FILE]

``--since-mtime FILE`` keeps only benchmark files newer than FILE (e.g. to time a rerun).
"""

import argparse
import csv
from collections import defaultdict
from pathlib import Path


def collect(root: Path, since: float = 0.0) -> dict[str, list[tuple[float, float]]]:
    """rule -> [(wall s, max RSS MB)] for every benchmark TSV under ``root`` newer than ``since``."""
    rows: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for tsv in sorted(root.rglob("*.tsv")):
        if tsv.stat().st_mtime <= since:
            continue
        rule = tsv.parent.name if tsv.parent != root else tsv.stem
        with open(tsv, newline="") as handle:
            for rec in csv.DictReader(handle, delimiter="\t"):
                rss = rec.get("max_rss", "NA")
                rows[rule].append((float(rec["s"]), float(rss) if rss not in ("NA", "-", "") else float("nan")))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="the run's benchmark folder")
    parser.add_argument("--since-mtime", type=Path, default=None, help="only files newer than this file")
    args = parser.parse_args()
    since = args.since_mtime.stat().st_mtime if args.since_mtime else 0.0
    rows = collect(args.root, since)
    print("| rule | jobs | wall, total | wall, largest job | peak RSS, largest job |")
    print("|---|---|---|---|---|")
    total = 0.0
    for rule, values in sorted(rows.items(), key=lambda kv: -sum(v[0] for v in kv[1])):
        walls = [w for w, _ in values]
        rss = max(r for _, r in values)
        total += sum(walls)
        print(f"| {rule} | {len(values)} | {sum(walls):.1f} s | {max(walls):.1f} s | {rss:.0f} MB |")
    print(f"\nsum of job wall times: {total:.1f} s")


if __name__ == "__main__":
    main()
