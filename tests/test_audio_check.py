"""Short is not broken: whole short clips are padded and flagged; truncated and corrupt files are
told apart by their MPEG frames; every bad file is reported in one message."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import SHARED, needs_shared

from emotify_pipeline.core.errors import EmotifyError
from emotify_pipeline.data.audio_check import scan_mpeg
from emotify_pipeline.data.demo import write_mp3
from emotify_pipeline.data.probe import read_tags
from emotify_pipeline.data.tracks import AudioPolicy, build_track_table, inspect_audio

POLICY = AudioPolicy(offset=0.0, duration=3.0, min_duration=0.5)
TAGS = {"title": "t", "artist": "a", "album": "b", "year": "2001", "genre": "Rock", "track": "1"}


def _clip(path: Path, seconds: float, sr: int = 22050) -> Path:
    t = np.arange(int(seconds * sr)) / sr
    write_mp3(path, (0.3 * np.sin(2 * np.pi * 440 * t)).astype("float32"), sr, TAGS)
    return path


def _truncate(path: Path, share: float = 0.6) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * share)])


def _corrupt_middle(path: Path, share: float = 0.2, seed: int = 0) -> None:
    data = bytearray(path.read_bytes())
    n = int(len(data) * share)
    start = len(data) // 2 - n // 2
    data[start : start + n] = np.random.default_rng(seed).integers(0, 256, n, dtype=np.uint8).tobytes()
    path.write_bytes(bytes(data))


def _scan(path: Path):
    return scan_mpeg(path.read_bytes(), int(read_tags(path)["frame_offset"]))


def test_a_whole_short_clip_is_usable_padded_and_flagged(tmp_path: Path) -> None:
    (tmp_path / "rock").mkdir()
    _clip(tmp_path / "rock" / "1.mp3", 3.1)
    _clip(tmp_path / "rock" / "2.mp3", 1.3)
    data = pd.DataFrame({"track id": [101, 102], "genre": ["rock", "rock"]})
    table = build_track_table(data, tmp_path, "mp3", policy=POLICY).set_index("track_id")
    assert (table["status"] == "ok").all()
    assert table.loc[102, "decoded_s"] == pytest.approx(1.3, abs=0.03)
    assert table.loc[102, "padded_s"] == pytest.approx(1.7, abs=0.03)
    assert table.loc[101, "padded_s"] == 0.0  # longer than the excerpt: cut, not padded
    assert table.loc[102, "declared_s"] == pytest.approx(table.loc[102, "decoded_s"], abs=0.05)
    assert table["sha256"].str.len().eq(64).all() and (table["size_bytes"] > 0).all()


def test_the_lower_bound_still_refuses_a_useless_clip(tmp_path: Path) -> None:
    clip = _clip(tmp_path / "tiny.mp3", 0.3)
    rec = inspect_audio(clip, POLICY)
    assert "a whole file, but only 0.30 s" in rec["problem"] and "audio.min_duration = 0.5" in rec["problem"]
    assert inspect_audio(clip, AudioPolicy(duration=3.0, min_duration=0.2))["problem"] == ""


def test_truncated_and_corrupt_files_are_told_from_whole_ones(tmp_path: Path) -> None:
    whole = _clip(tmp_path / "whole.mp3", 3.0)
    assert _scan(whole).kind == "whole" and _scan(whole).decoded_s == pytest.approx(3.0, abs=0.01)
    cut = _clip(tmp_path / "cut.mp3", 3.0)
    _truncate(cut)
    scan = _scan(cut)
    assert scan.kind == "truncated" and scan.decoded_s < 2.0
    bad = _clip(tmp_path / "bad.mp3", 3.0)
    _corrupt_middle(bad)
    assert _scan(bad).kind == "corrupt" and "frame chain breaks" in _scan(bad).problem
    rec = inspect_audio(cut, POLICY)
    assert rec["problem"].startswith(f"{cut}: truncated file")


def test_every_bad_file_is_named_in_one_message(tmp_path: Path) -> None:
    (tmp_path / "pop").mkdir()
    for n in range(1, 6):
        _clip(tmp_path / "pop" / f"{n}.mp3", 2.0)
    _truncate(tmp_path / "pop" / "2.mp3")
    _corrupt_middle(tmp_path / "pop" / "4.mp3")
    (tmp_path / "pop" / "5.mp3").write_text("<html>not audio</html>" * 50)
    data = pd.DataFrame({"track id": [301, 302, 303, 304, 305], "genre": ["pop"] * 5})
    with pytest.raises(EmotifyError) as err:
        build_track_table(data, tmp_path, "mp3", policy=POLICY)
    text = str(err.value)
    assert text.startswith("3 of 5 audio file(s) cannot be used")
    for n, what in ((2, "truncated file"), (4, "corrupt file"), (5, "not a")):
        assert f"pop/{n}.mp3: {what}" in text, text
    table = build_track_table(data, tmp_path, "mp3", on_bad_audio="skip", policy=POLICY).set_index("track_id")
    assert table["status"].to_dict() == {301: "ok", 302: "skipped", 303: "ok", 304: "skipped", 305: "skipped"}


def test_no_audio_folder_or_no_usable_clip_is_one_message_naming_the_folder(tmp_path: Path) -> None:
    data = pd.DataFrame({"track id": [301, 302], "genre": ["pop", "pop"]})
    with pytest.raises(EmotifyError, match=r"nowhere: audio folder not found \(expected <genre>/<n>\.mp3 inside\)"):
        build_track_table(data, tmp_path / "nowhere", "mp3", policy=POLICY)
    (tmp_path / "pop").mkdir()
    for n in (1, 2):
        (tmp_path / "pop" / f"{n}.mp3").write_text("<html>not audio</html>" * 50)
    with pytest.raises(EmotifyError, match="no usable audio file for any track id in the annotations") as err:
        build_track_table(data, tmp_path, "mp3", on_bad_audio="skip", policy=POLICY)
    assert str(tmp_path) in str(err.value)


@needs_shared
def test_every_real_clip_is_whole_and_a_damaged_one_is_not(tmp_path: Path) -> None:
    clips = sorted((SHARED / "emotifymusic").glob("*/*.mp3"))
    assert len(clips) == 40
    for clip in clips:  # constant-bitrate MP3s without a VBR header: the frames must add up
        scan = _scan(clip)
        assert scan.kind == "whole" and 55 < scan.decoded_s < 62, (clip, scan)
    cut = tmp_path / "cut.mp3"
    cut.write_bytes(clips[0].read_bytes())
    _truncate(cut, 0.5)
    assert "last frame cut" in _scan(cut).problem
    bad = tmp_path / "bad.mp3"
    bad.write_bytes(clips[0].read_bytes())
    data = bytearray(bad.read_bytes())
    data[400_000:450_000] = bytes(50_000)  # 50 KB overwritten in the middle
    bad.write_bytes(bytes(data))
    assert _scan(bad).kind == "corrupt"


@needs_shared
def test_frame_boundary_cuts_junk_and_trailers(tmp_path: Path) -> None:
    from emotify_pipeline.data.audio_check import parse_header

    data = (SHARED / "emotifymusic" / "rock" / "1.mp3").read_bytes()
    offset = int(read_tags(SHARED / "emotifymusic" / "rock" / "1.mp3")["frame_offset"])
    whole = scan_mpeg(data, offset)
    assert whole.kind == "whole" and whole.verified  # a constant-bitrate clip closed by its ID3v1 tag

    pos = offset  # walk to the start of the frame at about 40 s
    for _ in range(1530):
        pos += parse_header(data, pos).length
    cut = scan_mpeg(data[:pos], offset)  # cut exactly between two frames: looks whole, not provable
    assert cut.kind == "whole" and not cut.verified and cut.decoded_s == pytest.approx(39.97, abs=0.05)
    assert scan_mpeg(data[: pos + 2], offset).kind == "truncated"  # 2 bytes of the next header left

    n = 20_000  # zeros between the ID3v2 tag and the first frame: mutagen skips them, decoders may not
    junk = data[:offset] + bytes(n) + data[offset:]
    assert scan_mpeg(junk, offset + n).kind == "corrupt"

    lyrics = b"LYRICSBEGIN" + b"IND0000210" + b"EAL00005Title"
    trailers = {
        "Lyrics3v2 before ID3v1": data[:-128] + lyrics + f"{len(lyrics):06d}".encode() + b"LYRICS200" + data[-128:],
        "300 zero bytes after ID3v1": data + bytes(300),
        "appended ID3v2.4 with footer": data
        + b"ID3\x04\x00\x10\x00\x00\x00\x05"
        + bytes(5)
        + b"3DI\x04\x00\x10\x00\x00\x00\x05",
    }
    for what, variant in trailers.items():
        scan = scan_mpeg(variant, offset)
        assert scan.kind == "whole" and scan.decoded_s == pytest.approx(whole.decoded_s), what
