"""Nothing silently wrong: checksummed feature values, damaged files named and moved aside,
one sentence for machine failures, the live-run guard, tag and duplicate checks."""

import errno
import os
import stat
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

from emotify_pipeline.core.errors import EmotifyError
from emotify_pipeline.features.checkpoint import ShardCheckpoint
from emotify_pipeline.features.merge import merge_shards
from emotify_pipeline.features.store import (
    CheckedFeatures,
    DamagedFeatures,
    open_features,
    read_feature_h5,
    write_feature_h5,
)
from emotify_pipeline.plumbing.runner import explain_failure


def flip_byte_in_row(path: Path, row: int, offset: int = 40) -> None:
    """Flip one bit inside ``features`` row ``row`` so that the values stay finite."""
    with h5py.File(path, "r") as h5:
        info = h5["features"].id.get_chunk_info(row)
    data = bytearray(path.read_bytes())
    data[info.byte_offset + offset] ^= 0x01
    path.write_bytes(bytes(data))


def _shard(path: Path, paths: list[str], values: np.ndarray) -> None:
    write_feature_h5(path, {"path": paths}, iter([(0, values)]), {"layer": "pool5", "precision": "fp32"})


def test_a_flipped_byte_in_the_feature_values_is_caught_and_the_file_moved_aside(tmp_path: Path) -> None:
    values = np.arange(5 * 64, dtype="float32").reshape(5, 64) / 7
    ids = [1, 2, 3, 4, 5]
    path = tmp_path / "vgg19.h5"
    write_feature_h5(path, {"track_id": ids, "path": [f"c/{i}.mp3" for i in ids]}, iter([(0, values)]), {})
    np.testing.assert_array_equal(read_feature_h5(path)[0], values)  # intact: read as written
    flip_byte_in_row(path, 3)
    with pytest.raises(
        DamagedFeatures, match=r"vgg19.h5: 1 row\(s\) of 'features' fail their checksum: rows 3 \(track ids \[4\]\)"
    ):
        read_feature_h5(path, [1, 4])
    assert not path.exists() and (tmp_path / "vgg19.h5.damaged").exists()  # the next run rebuilds it


def test_rows_not_asked_for_are_not_blamed_and_block_readers_are_checked(tmp_path: Path) -> None:
    values = np.ones((4, 16), dtype="float32")
    path = tmp_path / "f.h5"
    write_feature_h5(path, {"track_id": [1, 2, 3, 4]}, iter([(0, values)]), {})
    flip_byte_in_row(path, 2, offset=8)
    x, ids, _ = read_feature_h5(path, [1, 2])
    assert ids.tolist() == [1, 2] and path.exists()
    with open_features(path) as h5, pytest.raises(DamagedFeatures, match=r"rows 2 \(track ids \[3\]\)"):
        CheckedFeatures(h5, path)[0:4]


def test_a_corrupt_shard_header_stops_the_merge_naming_the_shard(tmp_path: Path) -> None:
    good, bad = tmp_path / "vgg19_0-of-2.h5", tmp_path / "vgg19_1-of-2.h5"
    _shard(good, ["m/pop/1.mp3"], np.ones((1, 8), dtype="float32"))
    _shard(bad, ["m/pop/2.mp3"], np.ones((1, 8), dtype="float32"))
    data = bytearray(bad.read_bytes())
    data[0:8] = b"garbage!"
    bad.write_bytes(bytes(data))
    tracks = pd.DataFrame({"track_id": [301, 302], "genre": ["pop"] * 2, "path": ["m/pop/1.mp3", "m/pop/2.mp3"]})
    with pytest.raises(DamagedFeatures, match=r"vgg19_1-of-2.h5: HDF5 cannot open it.*moved aside"):
        merge_shards(tmp_path / "vgg19.h5", [str(good), str(bad)], tracks)
    assert good.exists() and not bad.exists() and not (tmp_path / "vgg19.h5").exists()


def test_a_damaged_shard_row_stops_the_merge_naming_shard_and_row(tmp_path: Path) -> None:
    shard = tmp_path / "vgg19_0-of-1.h5"
    _shard(shard, ["m/pop/1.mp3", "m/pop/2.mp3"], np.ones((2, 32), dtype="float32"))
    flip_byte_in_row(shard, 1)
    tracks = pd.DataFrame({"track_id": [301, 302], "genre": ["pop"] * 2, "path": ["m/pop/1.mp3", "m/pop/2.mp3"]})
    with pytest.raises(DamagedFeatures, match=r"vgg19_0-of-1.h5: 1 row\(s\) of 'features' fail their checksum: rows 1"):
        merge_shards(tmp_path / "vgg19.h5", [str(shard)], tracks)
    assert not shard.exists() and not (tmp_path / "vgg19.h5").exists()


def test_a_damaged_checkpoint_part_is_extracted_again(tmp_path: Path) -> None:
    cp = ShardCheckpoint(tmp_path / "s.h5", {"layer": "pool5"})
    cp.load({})
    cp.save(["a.mp3", "b.mp3"], ["da", "db"], np.ones((2, 4), dtype="float32"), [1.0, 1.0], ["", ""], np.ones((2, 3)))
    part = tmp_path / "s.partial" / "part_000000.npy"
    raw = bytearray(part.read_bytes())
    raw[-1] ^= 0x10
    part.write_bytes(bytes(raw))
    assert ShardCheckpoint(tmp_path / "s.h5", {"layer": "pool5"}).load({"a.mp3": "da", "b.mp3": "db"}) == {}


@pytest.mark.parametrize(
    ("err", "message"),
    [
        (OSError(errno.ENOSPC, "No space left on device", "results/x.h5"), "the disk is full"),
        (OSError("Can't write data (file write failed: errno = 28, error message = 'No space left')"), "disk is full"),
        (RuntimeError("DataLoader worker (pid(s) 4242) exited unexpectedly"), "a decoding worker process died"),
        (MemoryError(), "out of memory"),
    ],
)
def test_machine_failures_become_one_sentence(err: BaseException, message: str) -> None:
    assert message in explain_failure(err, ["results/features/x.h5"])


def test_a_bug_keeps_its_traceback() -> None:
    assert explain_failure(ValueError("bug")) is None
    assert explain_failure(OSError(errno.EACCES, "denied")) is None


def test_a_killed_pool_worker_is_one_sentence() -> None:
    from concurrent.futures.process import BrokenProcessPool

    assert "decoding worker process died" in explain_failure(BrokenProcessPool("gone"))


def test_the_run_guard_tells_a_live_run_from_stale_locks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json
    import socket

    from emotify_pipeline.plumbing.run_guard import guard_message, invocation, live_run

    locks = tmp_path / "locks"
    locks.mkdir()
    record = tmp_path / "run.json"
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        info = {"pid": child.pid, "host": socket.gethostname(), "started_utc": "now", "command": "snakemake -c2"}
        record.write_text(json.dumps(info))
        assert live_run(record, locks) is None  # no locks: nothing to guard
        (locks / "0.input.lock").write_text("x")
        found = live_run(record, locks)
        assert found and found["pid"] == child.pid
        assert "--unlock would remove the locks of a live run" in guard_message(found, unlocking=True)
        assert "Do not use --unlock while it runs" in guard_message(found, unlocking=False)
    finally:
        child.kill()
        child.wait()
    assert live_run(record, locks) is None  # killed: the locks are stale, Snakemake's advice is right
    assert invocation(["--unlock"]) == "unlock"
    assert invocation(["-n", "--cores", "2"]) == "read-only" and invocation(["-np"]) == "read-only"
    assert invocation(["--summary"]) == "read-only" and invocation(["--cores", "2"]) == "run"
    assert invocation(["--configfile", "config/demo.yaml"]) == "run"


def test_a_sacct_without_accounting_is_named_before_any_job(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from emotify_pipeline.plumbing.run_guard import sacct_problem, slurm_status_message

    fake = tmp_path / "sacct"
    fake.write_text("#!/bin/sh\necho 'Slurm accounting storage is disabled' >&2\nexit 1\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    problem = sacct_problem()
    assert problem == "sacct fails (Slurm accounting storage is disabled)"
    message = slurm_status_message("slurm", "sacct", problem)
    assert "--slurm-status-command squeue" in message and "accounting storage is disabled" in message
    assert slurm_status_message("slurm", "squeue", problem) == ""
    assert slurm_status_message("local", None, problem) == ""


def test_missing_group_tags_are_listed_before_any_job() -> None:
    from emotify_pipeline.data.tracks import missing_group_tags

    probes = {"m/pop/1.mp3": {"artist": "A", "album": "X"}, "m/pop/2.mp3": {"artist": "", "album": "Y"}}
    message = missing_group_tags(probes, ["artist", "album"])
    assert "1 clip(s) have no ID3 artist tag: m/pop/2.mp3" in message and "album" not in message.split(".")[0]
    assert missing_group_tags(probes, ["album"]) == "" and missing_group_tags(probes, []) == ""


def test_two_ids_with_the_same_audio_bytes_are_flagged() -> None:
    from emotify_pipeline.data.tracks import flag_duplicate_audio

    table = pd.DataFrame(
        {
            "track_id": [1, 2, 3, 4],
            "status": ["ok", "ok", "ok", "no_audio"],
            "sha256": ["aa", "bb", "aa", np.nan],
        }
    )
    flagged = flag_duplicate_audio(table).set_index("track_id")["duplicate_of"].to_dict()
    assert flagged == {1: "3", 2: "", 3: "1", 4: ""}


def test_a_latin1_data_csv_names_the_line(tmp_path: Path) -> None:
    from emotify_pipeline.core.emotify import ANNOTATION_COLUMNS
    from emotify_pipeline.data.annotations import read_annotations

    csv = tmp_path / "data.csv"
    row = "1, classical, " + ", ".join(["0"] * 9) + ", 1, 0, 0, 30, 1, "
    csv.write_bytes(
        (", ".join(ANNOTATION_COLUMNS) + "\n" + row + "English\n" + row).encode() + "Français\n".encode("latin-1")
    )
    with pytest.raises(EmotifyError, match=r"data.csv: 1 line\(s\) are not valid UTF-8.*line 3 byte"):
        read_annotations(csv)


def test_the_catalogue_applies_to_the_archive_not_to_a_demo_or_re_tagged_copy() -> None:
    from emotify_pipeline.data.catalogue import catalogue_for

    catalogue = {"rock/1": {"track_id": "101", "artist": "A", "album": "X", "duration_s": "60.0"}}
    archive = {"m/rock/1.mp3": {"artist": "A", "album": "X"}, "m/rock/2.mp3": {"artist": "Z", "album": "?"}}
    demo = {"m/rock/1.mp3": {"artist": "Demo Artist", "album": "Demo"}}
    assert catalogue_for(archive, "auto", catalogue) is catalogue
    assert catalogue_for(demo, "auto", catalogue) is None
    assert catalogue_for(demo, True, catalogue) is catalogue and catalogue_for(archive, False, catalogue) is None


def test_a_mel_filterbank_without_bands_is_a_configuration_error() -> None:
    from emotify_pipeline.features.spectrogram import mel_problem

    assert mel_problem(22050, 2048, 128, 0.0, None) == ""
    assert "is not below fmax" in mel_problem(22050, 2048, 128, 8000, 4000)
    assert "above the Nyquist frequency 11025" in mel_problem(22050, 2048, 128, 0, 50000)
    assert "without an FFT bin" in mel_problem(22050, 256, 128, 0, None)


def test_a_silent_clip_is_refused_by_the_decoder(tmp_path: Path) -> None:
    from emotify_pipeline.data.demo import write_mp3
    from emotify_pipeline.features.spectrogram import SpectrogramParams, load_clip

    tags = {"title": "t", "artist": "a", "album": "b", "year": "2001", "genre": "Rock", "track": "1"}
    path = tmp_path / "rock" / "1.mp3"
    write_mp3(path, np.zeros(44100 * 2, dtype="float32"), 44100, tags)
    with pytest.raises(EmotifyError, match=r"rock/1.mp3: decodes to digital silence"):
        load_clip(path, SpectrogramParams(duration=2.0, min_duration=1.0))


def test_an_uppercase_extension_or_another_format_is_named_not_dropped(tmp_path: Path) -> None:
    from emotify_pipeline.data.demo import write_mp3
    from emotify_pipeline.data.probe import probe_audio
    from emotify_pipeline.data.tracks import build_track_table

    tags = {"title": "t", "artist": "a", "album": "b", "year": "2001", "genre": "Rock", "track": "1"}
    tone = (np.sin(np.linspace(0, 900, 44100 * 2)) * 0.3).astype("float32")
    write_mp3(tmp_path / "rock" / "1.mp3", tone, 44100, tags)
    write_mp3(tmp_path / "rock" / "2.MP3", tone, 44100, tags)
    data = pd.DataFrame({"track id": [101, 102], "genre": ["rock", "rock"]})
    with pytest.raises(EmotifyError, match=r"not named as the archive names its clips.*rock/2.MP3"):
        build_track_table(data, tmp_path, "mp3", require_all_audio=False)
    import soundfile as sf

    wav = tmp_path / "pop" / "1.mp3"
    wav.parent.mkdir()
    sf.write(wav, tone, 44100, format="WAV")
    assert probe_audio(wav)["problem"].endswith("pop/1.mp3: a WAVE file named .mp3, not an MPEG audio stream")
