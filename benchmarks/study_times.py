"""The targets of docs/performance.md: the whole study, a change of knn.k and one rating edit, timed against
the fp32 forward pass of the same clips on the same machine.

Copies the workflow into ``--work`` (or reuses it), runs ``snakemake --cores N`` with the given
config, then everything after extraction again (forced from the rules that read the feature
shards), then again with ``knn.k`` changed, then again after one rating of the demo's data.csv
is flipped, and prints each run's wall-clock time and the per-rule table of Snakemake's own
benchmark files (``rule_times.py``). Last, ``benchmarks/extract.py --modes forward`` times VGG19
alone on ``--forward-clips`` of the demo's clips (every image has the same size, so the forward
pass of all clips is that time per clip x their number), and every time is printed as a ratio
to it. The default is the demo generator at the real archive's size (400 clips x 60 s,
random-init VGG19), as in docs/performance.md::

    python benchmarks/study_times.py --work ../study            # about 15 min on 2 cores
    python benchmarks/study_times.py --work ../study --demo-size 10 6   # the small demo
    python benchmarks/study_times.py --work ../real40 --real ../shared/emotify   # the 40 real clips

With ``--real``, the data (data.csv, groups.csv and the clips) is copied into ``--work`` first, so
that the rating edit never touches the original, and the study runs with ``config/real40.yaml``.
With ``--real DIR --replicate P`` the clips are not copied but linked: ids 1..P of every genre
(P = 100: all 400 of data.csv) each point at one of the real clips present, in turn, so that a
machine with only the 40 real clips runs a study of the archive's size on the archive's own audio
format (timing only: the duplicates are flagged in tracks.csv, the accuracies mean nothing)::

    python benchmarks/study_times.py --work /tmp/gpu400 --real ../shared/emotify --replicate 100 \
        --cores 16 --forward-clips 400 --extra 'features={num_workers: 15}'   # a GPU machine
"""

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PARTS = ("Snakefile", "rules", "workflow", "config", "envs", "report", "profiles", "resources")
# what a fresh clone lacks under resources/: the generated demo, a downloaded archive, model files
# the rules that read the feature shards: forced, they rerun everything after extraction
AFTER_EXTRACTION = ("merge_features", "production_features")
UNTRACKED = shutil.ignore_patterns("demo", "emotify", "*.pth", "*.pt", "*.whl", "*.npz", "__pycache__")


def run(
    work: Path,
    cores: int,
    config: list[str],
    base: list[str],
    targets: tuple[str, ...] = (),
    extra: tuple[str, ...] = (),
) -> float:
    cmd = [sys.executable, "-m", "snakemake", *targets, "--cores", str(cores), *base, *extra, "--config", *config]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=work, capture_output=True, text=True)
    if proc.returncode:
        sys.exit(f"{' '.join(cmd)} failed in {work}:\n{(proc.stdout + proc.stderr)[-3000:]}")
    return time.perf_counter() - t0


def copy_workflow(work: Path) -> None:
    """The workflow's files into ``work`` (a made demo under resources/ is kept)."""
    work.mkdir(parents=True, exist_ok=True)
    for part in PARTS:
        dest = work / part
        if dest.is_dir() and part != "resources":
            shutil.rmtree(dest)
        if (ROOT / part).is_dir():
            shutil.copytree(ROOT / part, dest, ignore=UNTRACKED, dirs_exist_ok=True)
        else:
            shutil.copy(ROOT / part, dest)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, required=True, help="directory to run in (the workflow is copied there)")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--demo-size", type=float, nargs=2, default=(100, 60), metavar=("PER_GENRE", "SECONDS"))
    parser.add_argument("--k", type=int, default=7, help="the new knn.k of the second run")
    parser.add_argument("--forward-clips", type=int, default=40, help="clips the forward pass is timed on")
    parser.add_argument(
        "--real", type=Path, help="a real Emotify folder (data.csv, emotifymusic/): run config/real40.yaml on a copy"
    )
    parser.add_argument(
        "--replicate", type=int, metavar="P", help="with --real: ids 1..P per genre over the clips present"
    )
    parser.add_argument("--extra", nargs="*", default=[], help="more --config items (KEY=VALUE), e.g. features={...}")
    args = parser.parse_args()
    copy_workflow(args.work)
    if args.real:
        data = args.work / "realdata"
        seconds = 60.0
        if args.replicate:
            replicate_archive(args.real, data, args.replicate)
            config = [
                f"data={{source: local, root: realdata, require_all_audio: {str(args.replicate == 100).lower()}, "
                "check_catalogue: false}",
                f"run_label=Emotify labels, {4 * args.replicate} ids over the real clips repeated (timing only)",
            ]
        else:
            if not data.is_dir():
                shutil.copytree(args.real, data)
            config = ["data={source: local, root: realdata}"]
        base = ["--configfile", "config/real40.yaml"]
        csv, clips_glob = data / "data.csv", data / "emotifymusic"
    else:
        per_genre, seconds = int(args.demo_size[0]), args.demo_size[1]
        config = [
            "data={source: demo}",
            f"demo={{n_per_genre: {per_genre}, duration: {seconds}}}",
            f"audio={{duration: {seconds}}}",
            "features={weights: random}",
            f"run_label=synthetic demo ({4 * per_genre} x {seconds:g} s, not Emotify)",
        ]
        base = []
        csv, clips_glob = (
            args.work / "resources" / "demo" / "data.csv",
            args.work / "resources" / "demo" / "emotifymusic",
        )
    config += args.extra
    rule_times = [sys.executable, str(ROOT / "benchmarks" / "rule_times.py"), "results/benchmarks"]
    # the demo's audio is made first and timed apart: a study of real data has none to make
    if not args.real:
        demo = run(args.work, args.cores, config, base, ("resources/demo/data.csv",))
        print(f"## making the demo (not part of the study): {demo:.0f} s wall\n")
    wall = run(args.work, args.cores, config, base)
    print(f"## whole study: {wall:.0f} s wall\n")
    print(subprocess.run(rule_times, cwd=args.work, capture_output=True, text=True, check=True).stdout)
    marker = args.work / ".k_rerun_started"
    # after extraction, timed on its own: everything downstream of the feature shards, forced
    marker.touch()
    time.sleep(1.0)  # benchmark files of the rerun are strictly newer than the marker
    wall_after = run(args.work, args.cores, config, base, extra=("--forcerun", *AFTER_EXTRACTION))
    print(f"## after extraction (--forcerun {' '.join(AFTER_EXTRACTION)}): {wall_after:.0f} s wall\n")
    since = [*rule_times, "--since-mtime", str(marker)]
    print(subprocess.run(since, cwd=args.work, capture_output=True, text=True, check=True).stdout)
    marker.touch()
    time.sleep(1.0)
    wall_k = run(args.work, args.cores, [*config, f"knn={{k: {args.k}}}"], base)
    print(f"## knn.k -> {args.k}: {wall_k:.0f} s wall\n")
    print(subprocess.run(since, cwd=args.work, capture_output=True, text=True, check=True).stdout)
    run(args.work, args.cores, config, base)  # back to the default k
    marker.touch()
    time.sleep(1.0)
    flip_one_rating(csv)
    wall_edit = run(args.work, args.cores, config, base)
    print(f"## one rating flipped in data.csv: {wall_edit:.0f} s wall\n")
    print(subprocess.run(since, cwd=args.work, capture_output=True, text=True, check=True).stdout)
    clips = sorted(clips_glob.glob("*/*.mp3"))
    forward = json.loads(
        subprocess.run(
            [sys.executable, str(ROOT / "benchmarks" / "extract.py"), "--modes", "forward"]
            + ["--clips", str(clips_glob / "*" / "*.mp3"), "--n", str(args.forward_clips)]
            + ["--duration", str(seconds), "--threads", str(args.cores)],
            capture_output=True,
            text=True,
            check=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )["results"][0]
    forward = forward["wall_s"] / forward["clips"]
    total = forward * len(clips)
    print(f"## fp32 forward pass: {forward:.3f} s per clip x {len(clips)} clips = {total:.0f} s")
    for label, value in (
        ("whole study", wall),
        ("after extraction", wall_after),
        (f"knn.k -> {args.k}", wall_k),
        ("rating edit", wall_edit),
    ):
        print(f"{label}: {value:.0f} s = {value / total:.2f}x the forward pass")


def replicate_archive(real: Path, dest: Path, per_genre: int) -> None:
    """``dest``: data.csv and groups.csv copied from ``real``; ``emotifymusic/<genre>/<n>.mp3`` for
    n = 1..``per_genre`` linked to the real clips of that genre present, in turn."""
    if dest.is_dir():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for name in ("data.csv", "groups.csv"):
        if (real / name).is_file():
            shutil.copy(real / name, dest / name)
    for genre_dir in sorted(p for p in (real / "emotifymusic").iterdir() if p.is_dir()):
        present = sorted((p for p in genre_dir.glob("*.mp3") if p.stem.isdigit()), key=lambda p: int(p.stem))
        if not present:
            sys.exit(f"no clips in {genre_dir}")
        out = dest / "emotifymusic" / genre_dir.name
        out.mkdir(parents=True)
        for n in range(1, per_genre + 1):
            (out / f"{n}.mp3").symlink_to(present[(n - 1) % len(present)].resolve())


def flip_one_rating(path: Path) -> None:
    """Flip the first listener's 'calmness' rating of the first track in data.csv (the
    header's spaces after the commas kept)."""
    lines = path.read_text().splitlines(keepends=True)
    header = [h.strip() for h in lines[0].split(",")]
    at = header.index("calmness")
    cells = lines[1].rstrip("\n").split(",")
    cells[at] = cells[at].replace("1", "0") if "1" in cells[at] else cells[at].replace("0", "1")
    lines[1] = ",".join(cells) + "\n"
    path.write_text("".join(lines))


if __name__ == "__main__":
    main()
