"""Fault handling through the workflow: exact rerun plans, bad input, kill and resume."""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
from conftest import copy_workflow, planned_jobs, snakemake

from emotify_pipeline.plumbing.reruns import AUDIO_GEOMETRY, AUDIO_JOBS, EVALUATION, REPORTING, RERUNS
from emotify_pipeline.plumbing.reruns import EXPERIMENTS as ALL_EXPERIMENTS

pytestmark = pytest.mark.slow
AUDIO_CLASSIFIERS = ALL_EXPERIMENTS


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        *[pytest.param(r.example, r.jobs, id=r.key) for r in RERUNS],
        # several execution settings at once still rerun nothing
        pytest.param("features={device: cpu, batch_size: 2, num_workers: 2, compression: lzf}", set(), id="execution"),
    ],
)
def test_each_parameter_group_reruns_exactly_its_jobs(demo_run: Path, config: str, expected: set[str]) -> None:
    out = snakemake(demo_run, "-n", "--configfile", "config/demo.yaml", "--config", config)
    assert set(planned_jobs(out.stdout + out.stderr)) == expected


LOCAL = ("--configfile", "config/demo.yaml", "--config", "data={source: local, root: mydata}")


@pytest.fixture
def local_copy(demo_run: Path, tmp_path: Path) -> Path:
    work = copy_workflow(tmp_path / "wf")
    shutil.copytree(demo_run / "resources" / "demo", work / "mydata")
    return work


def _edit_csv(work: Path, edit) -> None:
    csv = work / "mydata" / "data.csv"
    csv.write_text(edit(csv.read_text()))


def _cut(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _overwrite_middle(path: Path) -> None:
    data = bytearray(path.read_bytes())
    n = len(data) // 3
    data[n : 2 * n] = bytes(range(256)) * (n // 256) + bytes(n % 256)
    path.write_bytes(bytes(data))


def _replace_with_link(path: Path, target: str) -> None:
    shutil.rmtree(path) if path.is_dir() else path.unlink()
    path.symlink_to(target)


def _strip_artist(path: Path) -> None:
    from mutagen.id3 import ID3

    tags = ID3(path)
    tags.delall("TPE1")
    tags.save(path)


def _lines(fn):
    return lambda text: "\n".join(fn(text.splitlines())) + "\n"


BAD_INPUTS = {
    "missing audio file": (lambda w: (w / "mydata/emotifymusic/pop/3.mp3").unlink(), r"no audio file: track 303"),
    "zero-byte mp3": (
        lambda w: (w / "mydata/emotifymusic/pop/3.mp3").write_bytes(b""),
        "pop/3.mp3: audio file is empty",
    ),
    "non-audio mp3": (
        lambda w: (w / "mydata/emotifymusic/pop/3.mp3").write_text("<html>not audio</html>" * 100),
        r"pop/3.mp3: (not a|cannot decode)",
    ),
    "empty data.csv": (lambda w: _edit_csv(w, lambda t: ""), "data.csv: annotations file is empty"),
    "missing column": (
        lambda w: _edit_csv(w, _lines(lambda ls: [",".join(x.split(",")[:-1]) for x in ls])),
        r"missing column\(s\) \['mother tongue'\]",
    ),
    "non-0/1 value": (
        lambda w: _edit_csv(w, _lines(lambda ls: [ls[0], ls[1].replace(",0,", ",7,", 1), *ls[2:]])),
        "not 0/1: line 2",
    ),
    "unknown genre": (
        lambda w: _edit_csv(w, _lines(lambda ls: [ls[0], ls[1].replace("classical", "jazz"), *ls[2:]])),
        "unknown genre",
    ),
    "duplicated header": (
        lambda w: _edit_csv(w, _lines(lambda ls: [*ls[:4], ls[0], *ls[4:]])),
        "header is repeated at line 5",
    ),
    "id without audio": (
        lambda w: _edit_csv(w, _lines(lambda ls: [*ls, ls[-1].replace("310,", "399,", 1)])),
        "no audio file: track 399",
    ),
    "truncated mp3": (lambda w: _cut(w / "mydata/emotifymusic/pop/3.mp3"), r"pop/3.mp3: truncated file"),
    "corrupt frames in the middle": (
        lambda w: _overwrite_middle(w / "mydata/emotifymusic/pop/3.mp3"),
        r"pop/3.mp3: corrupt file: frame chain breaks",
    ),
    "several bad files, one message": (
        lambda w: (
            _cut(w / "mydata/emotifymusic/pop/3.mp3"),
            _overwrite_middle(w / "mydata/emotifymusic/rock/5.mp3"),
            (w / "mydata/emotifymusic/classical/2.mp3").write_bytes(b""),
        ),
        r"3 of 40 audio file\(s\) cannot be used:\n  \S*classical/2.mp3: audio file is empty.*\n  \S*pop/3.mp3: truncated"
        r".*\n  \S*rock/5.mp3: corrupt",
    ),
    "dangling symlink": (
        lambda w: _replace_with_link(w / "mydata/emotifymusic/pop/3.mp3", "/nonexistent/3.mp3"),
        r"pop/3.mp3: a symbolic link to /nonexistent/3.mp3, which does not exist",
    ),
    "genre folder linked to another genre": (
        lambda w: _replace_with_link(w / "mydata/emotifymusic/pop", "rock"),
        r"emotifymusic/pop: is a link to \S*/rock, a folder of another genre",
    ),
    "uppercase extension": (
        lambda w: (w / "mydata/emotifymusic/pop/3.mp3").rename(w / "mydata/emotifymusic/pop/3.MP3"),
        r"not named as the archive names its clips.*pop/3.MP3",
    ),
    "data.csv missing (earlier results would be stale)": (
        lambda w: (w / "mydata/data.csv").unlink(),
        r"mydata/data.csv not found",
    ),
    "no ID3 artist tag where grouped splits need it": (
        lambda w: _strip_artist(w / "mydata/emotifymusic/pop/3.mp3"),
        r"1 clip\(s\) have no ID3 artist tag: \S*pop/3.mp3",
    ),
    "Latin-1 bytes in data.csv": (
        lambda w: (w / "mydata/data.csv").write_bytes(
            (w / "mydata/data.csv").read_bytes().replace(b"\n", b"\n\xe9", 2).replace(b"\n\xe9", b"\n", 1)
        ),
        r"data.csv: 1 line\(s\) are not valid UTF-8.*line 3",
    ),
    "id outside its genre's block": (
        lambda w: _edit_csv(w, _lines(lambda ls: [ls[0], ls[1].replace("1,", "150,", 1), *ls[2:]])),
        r"outside its genre's id range.*line 2: track 150",
    ),
    "a genre without clips or rows": (
        lambda w: (
            _edit_csv(w, _lines(lambda ls: [x for x in ls if ",rock," not in x])),
            [f.unlink() for f in (w / "mydata/emotifymusic/rock").glob("*.mp3")],
        ),
        r"for 3 of the four genres; none for rock",
    ),
    "a WAV name among the MP3s": (
        lambda w: (w / "mydata/emotifymusic/pop/3.mp3").rename(w / "mydata/emotifymusic/pop/3.wav"),
        r"not named as the archive names its clips.*pop/3.wav",
    ),
    "orphan audio file": (
        lambda w: shutil.copy(w / "mydata/emotifymusic/pop/1.mp3", w / "mydata/emotifymusic/pop/11.mp3"),
        r"1 audio file\(s\) have no rows in the annotations: \S*pop/11.mp3 \(track 311\)",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_stops_with_one_clear_message_and_no_outputs(local_copy: Path, case: str) -> None:
    break_it, message = BAD_INPUTS[case]
    shutil.copytree(local_copy / "mydata", local_copy.parent / "pristine")
    break_it(local_copy)
    out = snakemake(local_copy, *LOCAL, check=False)
    text = out.stdout + out.stderr
    assert out.returncode != 0
    assert re.search(message, text), text[-3000:]
    assert "Traceback" not in text, text[-3000:]
    assert "Traceback" not in "\n".join(p.read_text() for p in (local_copy / "logs").rglob("*.log"))
    assert not (local_copy / "results" / "features").exists()
    assert not list((local_copy / "results").rglob("*.png")) if (local_copy / "results").exists() else True
    # the fix: put the data back; the rerun is clean (nothing stale reused)
    data = local_copy / "mydata"
    shutil.rmtree(data)
    shutil.copytree(local_copy.parent / "pristine", data)
    snakemake(local_copy, "results/tables/tracks.csv", *LOCAL)
    tracks = pd.read_csv(local_copy / "results/tables/tracks.csv")
    assert len(tracks) == 40 and (tracks["status"] == "ok").all()


def test_config_errors_name_the_key(demo_run: Path) -> None:
    for config, message in (
        ("knn={k: five}", "'five' is not of type 'integer'"),
        ("knnn={k: 5}", "unknown key 'knnn'; did you mean 'knn'?"),
        ("features={weigths: random}", "unknown key 'features.weigths'; did you mean 'features.weights'?"),
        ("features={weights: /tmp/nope.pth}", "features.weights = '/tmp/nope.pth' is not a file"),
        ("knn={k: 40}", "knn.k = 40 exceeds the smallest training set of the workflow: 40 usable clips"),
        ("audio={min_duration: 9}", "audio.min_duration = 9.0 s exceeds audio.duration = 6.0 s"),
        ("evaluation={k_values: [1, 40]}", "evaluation.k_values holds k = 40, more than the 28 training songs"),
        ("evaluation={ablation_repeats: 11}", "evaluation.ablation_repeats = 11 exceeds evaluation.repeats = 10"),
        ("knn={ties: coin}", "'coin' is not one of ['sklearn', 'random']"),
        ("split={test_size: 0.01}", "split.test_size = 0.01 gives 1 test and 39 training songs"),
        ("spectrogram={fmin: 8000, fmax: 4000}", "spectrogram.fmin = 8000.0 Hz is not below fmax = 4000 Hz"),
        ("spectrogram={fmax: 50000}", "spectrogram.fmax = 50000.0 Hz is above the Nyquist frequency"),
        ("features={compare: [vgg19]}", "features.compare lists features.model (vgg19) itself"),
    ):
        out = snakemake(demo_run, "-n", "--configfile", "config/demo.yaml", "--config", config, check=False)
        text = out.stdout + out.stderr
        assert out.returncode != 0 and message in text, text[-2000:]
        assert len(text.splitlines()) < 15 and "Traceback" not in text  # one message, not the schema


def test_weights_with_a_wrong_hash_stop_the_extraction(local_copy: Path) -> None:
    (local_copy / "mine.pth").write_bytes(b"not really weights")
    cfg = "features={weights: mine.pth, weights_sha256: '00ff'}"
    out = snakemake(local_copy, "--configfile", "config/demo.yaml", "--config", cfg, check=False)
    assert out.returncode != 0
    assert "mine.pth: sha256 is" in out.stdout + out.stderr and "expected 00ff" in out.stdout + out.stderr
    assert not list((local_copy / "results" / "features").rglob("*.h5"))


def test_kill_mid_shard_then_resume_from_the_checkpoint(demo_run: Path, tmp_path: Path) -> None:
    """A real SIGKILL once some batches are done: the rerun reuses them, and the resumed shard
    equals an uninterrupted one byte for byte in the feature values."""
    work = copy_workflow(tmp_path / "wf")
    shutil.copytree(demo_run / "resources" / "demo", work / "resources" / "demo", copy_function=shutil.copy2)
    cmd = [sys.executable, "-m", "snakemake", "--cores", "2", "--configfile", "config/demo.yaml"]
    proc = subprocess.Popen(cmd, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    partial = work / "results/features/shards/vgg19_0-of-1.partial"
    deadline = time.time() + 300
    while time.time() < deadline and len(list(partial.glob("part_*.json"))) < 2:
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done = len(list(partial.glob("part_*.json")))
    assert done >= 2, "extraction never wrote its checkpoint"
    shard = work / "results/features/shards/vgg19_0-of-1.h5"
    assert not shard.exists()  # written to a temporary file, renamed only when complete
    snakemake(work, "--unlock", "--configfile", "config/demo.yaml")
    snakemake(work, "--configfile", "config/demo.yaml")
    log = (work / "logs/extract_shard/vgg19_0.log").read_text()
    reused = int(re.search(r"reusing (\d+) clip\(s\) already extracted", log).group(1))
    assert reused >= 2 * 8, log  # at least the two finished batches of 8
    assert not partial.exists()  # cleared once the shard is complete
    with h5py.File(shard) as resumed, h5py.File(demo_run / "results/features/shards/vgg19_0-of-1.h5") as whole:
        assert resumed.attrs["resumed_clips"] == reused
        assert resumed["features"][:].tobytes() == whole["features"][:].tobytes()
        assert list(resumed["path"][:]) == list(whole["path"][:])
    leftovers = [p for p in (work / "results").rglob(".*") if p.is_file()]
    assert not leftovers, leftovers


def test_a_checkpoint_is_used_only_for_the_same_settings_and_files(tmp_path: Path) -> None:
    from emotify_pipeline.features.checkpoint import ShardCheckpoint

    shard = tmp_path / "vgg19_0-of-1.h5"
    settings = {"layer": "pool5", "precision": "fp32"}
    ckpt = ShardCheckpoint(shard, settings)
    assert ckpt.load({"a.mp3": "h1", "b.mp3": "h2", "c.mp3": "h3"}) == {}
    feats = np.arange(6, dtype="float32").reshape(3, 2)
    stats = np.ones((3, 5))
    ckpt.save(
        ["a.mp3", "b.mp3", "c.mp3"], ["h1", "h2", "h3"], feats, [60.0, 25.8, 0.0], ["", "", "cannot decode"], stats
    )
    rows = ShardCheckpoint(shard, settings).load({"a.mp3": "h1", "b.mp3": "CHANGED", "c.mp3": "h3"})
    assert sorted(rows) == ["a.mp3", "c.mp3"]  # b.mp3's bytes changed: recomputed
    np.testing.assert_array_equal(rows["a.mp3"].features, [0, 1])
    assert rows["c.mp3"].features is None and rows["c.mp3"].failed == "cannot decode"
    assert ShardCheckpoint(shard, {**settings, "precision": "bf16"}).load({"a.mp3": "h1"}) == {}
    assert ShardCheckpoint(shard, settings).load({"a.mp3": "h1"}) == {}  # the bf16 run discarded it


LABEL_JOBS = {"gems_ratings", "gems_labels"}


@pytest.mark.parametrize(
    ("module", "must", "must_not"),
    [
        # a module reruns every rule whose script imports it (directly or through another module)
        ("neighbours/knn.py", ALL_EXPERIMENTS | EVALUATION | REPORTING, AUDIO_JOBS | LABEL_JOBS | {"track_table"}),
        (
            "neighbours/geometry.py",
            {"neighbours", "ablation_neighbours"} | ALL_EXPERIMENTS | EVALUATION,
            AUDIO_JOBS | {"split"},
        ),
        (
            "features/spectrogram.py",
            AUDIO_JOBS | AUDIO_CLASSIFIERS | EVALUATION | REPORTING,
            LABEL_JOBS | {"track_table"},
        ),
        ("data/labels.py", LABEL_JOBS | {"human_ceiling", "evaluate_repeated"} | REPORTING, AUDIO_JOBS),
        ("data/audio_check.py", {"track_table"} | AUDIO_CLASSIFIERS | REPORTING, {"extract_shard"}),
        # the summary writer reruns the summary alone
        (
            "report/summary.py",
            {"summary", "all"},
            AUDIO_JOBS
            | LABEL_JOBS
            | ALL_EXPERIMENTS
            | EVALUATION
            | AUDIO_GEOMETRY
            | {"figures", "split", "track_table"},
        ),
    ],
)
def test_a_change_in_an_imported_module_reruns_what_it_shapes(
    demo_run: Path, tmp_path: Path, module: str, must: set[str], must_not: set[str]
) -> None:
    work = tmp_path / "edited"
    shutil.copytree(demo_run, work, symlinks=True)
    source = work / "workflow/scripts/emotify_pipeline" / module
    source.write_text(source.read_text() + "\n_AN_EDIT = 1\n")  # code, not a comment
    planned = set(planned_jobs((r := snakemake(work, "-n", "--configfile", "config/demo.yaml")).stdout + r.stderr))
    assert must <= planned, must - planned
    assert not planned & must_not, planned & must_not


def _flip_feature_byte(path: Path, row: int) -> None:
    with h5py.File(path, "r") as h5:
        offset = h5["features"].id.get_chunk_info(row).byte_offset + 64
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01  # one bit of one float: the values stay finite
    path.write_bytes(bytes(data))


def _no_traceback(work: Path, text: str) -> None:
    assert "Traceback" not in text, text[-3000:]
    assert "Traceback" not in "\n".join(p.read_text() for p in (work / "logs").rglob("*.log"))


def test_damaged_feature_bytes_stop_naming_file_and_rows_and_a_plain_rerun_rebuilds_exactly_them(
    demo_run: Path, tmp_path: Path
) -> None:
    work = tmp_path / "wf"
    shutil.copytree(demo_run, work, symlinks=True)
    shard = work / "results/features/shards/vgg19_0-of-1.h5"
    merged = work / "results/features/vgg19.h5"
    _flip_feature_byte(shard, 7)
    out = snakemake(work, "--configfile", "config/demo.yaml", "--forcerun", "merge_features", check=False)
    text = out.stdout + out.stderr
    assert out.returncode != 0
    assert re.search(r"vgg19_0-of-1.h5: 1 row\(s\) of 'features' fail their checksum: rows 7", text), text[-3000:]
    _no_traceback(work, text)
    assert not shard.exists() and not merged.exists()  # moved aside; nothing stale left for a later run
    plan = planned_jobs(snakemake(work, "-n", "--configfile", "config/demo.yaml").stdout)
    assert plan.get("extract_shard") == 1 and plan.get("merge_features") == 1 and "make_demo" not in plan
    snakemake(work, "results/features/vgg19.h5", "--configfile", "config/demo.yaml")
    with h5py.File(merged) as rebuilt, h5py.File(demo_run / "results/features/vgg19.h5") as original:
        assert rebuilt["features"][:].tobytes() == original["features"][:].tobytes()  # the same values again
    # the merged file itself, damaged with its mtime restored: the next job that reads it stops
    _flip_feature_byte(merged, 3)
    out = snakemake(
        work, "results/experiments/exp1_genre_from_audio/metrics.json", "--configfile", "config/demo.yaml",
        "--forcerun", "experiment", check=False,
    )  # fmt: skip
    text = out.stdout + out.stderr
    assert out.returncode != 0 and re.search(r"vgg19.h5: 1 row\(s\) of 'features' fail their checksum: rows 3", text)
    _no_traceback(work, text)
    plan = planned_jobs(snakemake(work, "-n", "--configfile", "config/demo.yaml").stdout)
    assert plan.get("merge_features") == 1 and "extract_shard" not in plan  # only the merged file is rebuilt


def test_a_killed_forced_merge_is_planned_again(demo_run: Path, tmp_path: Path) -> None:
    """vgg19.h5 deleted by a kill (Snakemake removes it before a forced rerun): a plain dry
    run plans its merge again, though every consumer is up to date."""
    work = tmp_path / "wf"
    shutil.copytree(demo_run, work, symlinks=True)
    (work / "results/features/vgg19.h5").unlink()
    plan = planned_jobs(snakemake(work, "-n", "--configfile", "config/demo.yaml").stdout)
    assert plan.get("merge_features") == 1 and "extract_shard" not in plan, plan


def test_a_broken_weights_file_fails_before_any_shard_is_touched(demo_run: Path, tmp_path: Path) -> None:
    work = tmp_path / "wf"
    shutil.copytree(demo_run, work, symlinks=True)
    shard = work / "results/features/shards/vgg19_0-of-1.h5"
    before = shard.read_bytes()
    (work / "mine.pth").write_bytes(b"not a state dict")
    out = snakemake(work, "--configfile", "config/demo.yaml", "--config", "features={weights: mine.pth}", check=False)
    text = out.stdout + out.stderr
    assert out.returncode != 0 and "mine.pth: not a VGG19 state dict" in text, text[-3000:]
    _no_traceback(work, text)
    assert shard.read_bytes() == before  # the good shard is still there
    plan = planned_jobs(snakemake(work, "-n", "--configfile", "config/demo.yaml").stdout)
    assert "extract_shard" not in plan, plan  # back to random weights: nothing to extract


def test_unlock_is_refused_while_another_run_is_alive(demo_run: Path, tmp_path: Path) -> None:
    work = copy_workflow(tmp_path / "wf")
    shutil.copytree(demo_run / "resources" / "demo", work / "resources" / "demo", copy_function=shutil.copy2)
    cmd = [sys.executable, "-m", "snakemake", "--cores", "1", "--configfile", "config/demo.yaml"]
    proc = subprocess.Popen(cmd, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        record = work / ".snakemake/emotify/run.json"
        deadline = time.time() + 120
        while time.time() < deadline and not (record.exists() and any((work / ".snakemake/locks").glob("*"))):
            time.sleep(0.2)
        assert record.exists(), "the run never recorded itself"
        for args in (("--unlock",), ()):
            out = snakemake(work, *args, "--configfile", "config/demo.yaml", check=False)
            text = out.stdout + out.stderr
            assert out.returncode != 0 and f"pid {proc.pid}" in text, text[-2000:]
            assert "It can be removed with the --unlock argument" not in text
            assert "Traceback" not in text
        assert "another Snakemake" in text and "Do not use --unlock" in text
        assert proc.poll() is None  # the first run goes on
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    # killed: its locks are stale now, and --unlock is allowed
    snakemake(work, "--unlock", "--configfile", "config/demo.yaml")


@pytest.fixture
def small_disk(tmp_path: Path):
    """A 24 MB tmpfs (root only), unmounted afterwards."""
    mount = tmp_path / "small"
    mount.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mount)]).returncode:
        pytest.skip("a full disk is simulated with a small tmpfs, which needs root and mount")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_during_extraction_is_one_sentence_and_resumes(small_disk: Path) -> None:
    work = copy_workflow(small_disk / "wf")
    tiny = ("--configfile", "config/demo.yaml", "--config", "demo={n_per_genre: 6, duration: 3.0}")
    snakemake(work, "results/tables/tracks.csv", *tiny)
    free = shutil.disk_usage(small_disk).free
    filler = small_disk / "filler"
    filler.write_bytes(b"\0" * (free - 600_000))  # room for a batch or two of checkpoint, not the shard
    out = snakemake(work, "results/features/vgg19.h5", *tiny, check=False)
    text = out.stdout + out.stderr
    assert out.returncode != 0 and "the disk is full" in text, text[-3000:]
    assert "Traceback" not in (work / "logs/extract_shard/vgg19_0.log").read_text()
    assert not (work / "results/features/shards/vgg19_0-of-1.h5").exists()
    filler.unlink()
    snakemake(work, "results/features/vgg19.h5", *tiny)
    assert (work / "results/features/vgg19.h5").is_file()


def test_a_comment_or_docstring_edit_anywhere_reruns_nothing(demo_run: Path, tmp_path: Path) -> None:
    work = tmp_path / "edited"
    shutil.copytree(demo_run, work, symlinks=True)
    for source in sorted((work / "workflow/scripts").rglob("*.py")):
        text = source.read_text()
        edited = text.replace('"""', '"""An edited docstring. ', 1) if '"""' in text else text
        source.write_text(edited + "\n# a comment appended\n")
    planned = planned_jobs((r := snakemake(work, "-n", "--configfile", "config/demo.yaml")).stdout + r.stderr)
    assert planned == {}, planned


def test_a_rating_edit_reruns_the_labels_and_their_consumers_only(demo_run: Path, tmp_path: Path) -> None:
    work = tmp_path / "edited"
    shutil.copytree(demo_run, work, symlinks=True)
    csv = work / "resources/demo/data.csv"
    lines = csv.read_text().splitlines()
    cells = lines[1].split(",")
    cells[2] = "1" if cells[2].strip() == "0" else "0"  # one listener's amazement
    lines[1] = ",".join(cells)
    csv.write_text("\n".join(lines) + "\n")
    planned = set(planned_jobs((r := snakemake(work, "-n", "--configfile", "config/demo.yaml")).stdout + r.stderr))
    assert {"validate_annotations", "gems_ratings", "gems_labels", "experiment", "summary"} <= planned
    assert {"share_reliability", "rating_shares", "figures"} <= planned  # mu changed: its prediction and reliability
    assert not planned & (AUDIO_JOBS | {"track_table", "make_demo", "resample_splits", "split"}), planned
    # the audio rankings stay; only the ratings' own rankings (Experiment III) are recomputed
    jobs = (r.stdout + r.stderr).split("rule neighbours:")[1:]
    assert all("audio.h5" not in job.split("\n\n")[0] for job in jobs), jobs


def test_a_failed_re_extraction_never_leaves_the_old_merged_file_looking_up_to_date(
    demo_run: Path, tmp_path: Path
) -> None:
    """A feature setting changed, then its extraction failed or was interrupted: Snakemake has
    removed the shard, the old vgg19.h5 is still there. The next run with the new setting plans
    the extraction and the merge again (the merge's params hold the value settings)."""
    work = tmp_path / "wf"
    shutil.copytree(demo_run, work, symlinks=True)
    (work / "results/features/shards/vgg19_0-of-1.h5").unlink()
    plan = planned_jobs(
        snakemake(work, "-n", "--configfile", "config/demo.yaml", "--config", "features={layer: pool4}").stdout
    )
    assert plan.get("extract_shard") == 1 and plan.get("merge_features") == 1, plan


def test_a_file_that_on_bad_audio_skip_leaves_out_is_never_decoded(local_copy: Path) -> None:
    """``data.on_bad_audio: skip``: the unusable file is recorded in tracks.csv and is no input of
    the extraction -- not decoded, not named in its log, absent from the feature file."""
    (local_copy / "mydata/emotifymusic/pop/3.mp3").write_bytes(b"")
    skip = ("--configfile", "config/demo.yaml", "--config", "data={source: local, root: mydata, on_bad_audio: skip}")
    snakemake(local_copy, "results/features/vgg19.h5", *skip)
    tracks = pd.read_csv(local_copy / "results/tables/tracks.csv").set_index("track_id")
    assert tracks.loc[303, "status"] != "ok"
    logs = "\n".join(p.read_text() for p in (local_copy / "logs" / "extract_shard").glob("*.log"))
    assert logs and "pop/3.mp3" not in logs
    with h5py.File(local_copy / "results/features/vgg19.h5") as h5:
        ids = h5["track_id"][:].tolist()
    assert 303 not in ids and len(ids) == 39
