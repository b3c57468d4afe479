"""Ingestion: data.csv validation, the per-genre rank mapping, ID3 tags, bad audio files."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import SHARED, needs_shared

from emotify_pipeline.core.emotify import ANNOTATION_COLUMNS, EMOTIONS
from emotify_pipeline.core.errors import EmotifyError
from emotify_pipeline.data.annotations import read_annotations
from emotify_pipeline.data.mapping import expected_audio_paths
from emotify_pipeline.data.probe import read_tags
from emotify_pipeline.data.tracks import AudioPolicy, build_track_table

SHORT = AudioPolicy(duration=1.0, min_duration=0.5)  # the 1 s test clips are whole and usable

HEADER = ", ".join(ANNOTATION_COLUMNS)


def _row(track_id: object, genre: str = "rock", sadness: object = 0) -> str:
    emotions = ["0"] * (len(EMOTIONS) - 1) + [str(sadness)]
    return ",".join([str(track_id), genre, *emotions, "3", "1", "0", "30", "1", "English"])


def _write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "data.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_reads_the_real_header_with_spaces(tmp_path: Path) -> None:
    data = read_annotations(_write(tmp_path, [HEADER, _row(101), _row(101, sadness=1), _row(5, "classical")]))
    assert list(data.columns) == list(ANNOTATION_COLUMNS)
    assert data["track id"].tolist() == [101, 101, 5]
    assert data["sadness"].tolist() == [0, 1, 0]


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([], "empty"),
        ([HEADER], "no rows"),
        ([HEADER.replace(", sadness", "")], r"missing column\(s\) \['sadness'\]"),
        ([HEADER + ", extra", _row(1) + ",x"], r"unknown column\(s\) \['extra'\]"),
        ([HEADER, _row(101, sadness=2)], r"line 2 sadness='2'"),
        ([HEADER, _row(101), _row(102, "jazz")], r"unknown genre.*line 3: 'jazz'"),
        ([HEADER, _row(101), HEADER], r"header is repeated at line 3"),
        ([HEADER, _row("x1")], r"not a positive integer: line 2: 'x1'"),
        ([HEADER, _row(101, "rock"), _row(101, "pop")], r"more than one genre: 101"),
        ([HEADER, _row(101), _row(102) + ",x,y"], r"not a readable CSV file \(ParserError: .*line 3"),
    ],
)
def test_bad_annotations_give_one_clear_message(tmp_path: Path, lines: list[str], message: str) -> None:
    path = _write(tmp_path, lines) if lines else tmp_path / "data.csv"
    if not lines:
        path.write_text("")
    with pytest.raises(EmotifyError, match=message) as err:
        read_annotations(path)
    assert str(path) in str(err.value)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(EmotifyError, match="not found"):
        read_annotations(tmp_path / "nope.csv")


def test_id_rule_is_the_archive_block_not_folder_order_nor_the_rows_present() -> None:
    data = pd.DataFrame(
        {"track id": [150, 101, 120, 7, 3, 301], "genre": ["rock", "rock", "rock", "classical", "classical", "pop"]}
    )
    mapped = expected_audio_paths(data, "music", "mp3").set_index("track_id")
    assert mapped.loc[101, "path"] == str(Path("music/rock/1.mp3"))
    assert mapped.loc[120, "path"] == str(Path("music/rock/20.mp3"))
    assert mapped.loc[150, "path"] == str(Path("music/rock/50.mp3"))
    assert mapped.loc[3, "path"] == str(Path("music/classical/3.mp3"))
    assert mapped.loc[301, "rank"] == 1
    # dropping rows moves no other id onto another file
    fewer = expected_audio_paths(data[data["track id"] != 101], "music", "mp3").set_index("track_id")
    assert (fewer["path"] == mapped.loc[fewer.index, "path"]).all()


@pytest.mark.parametrize(("track_id", "genre"), [(101, "classical"), (401, "pop"), (100, "rock")])
def test_an_id_outside_its_genre_block_stops_naming_the_line(tmp_path: Path, track_id: int, genre: str) -> None:
    csv = tmp_path / "data.csv"
    row = f"{track_id}, {genre}, " + ", ".join(["0"] * 9) + ", 1, 0, 0, 30, 1, English"
    csv.write_text(", ".join(ANNOTATION_COLUMNS) + "\n" + row + "\n")
    with pytest.raises(EmotifyError, match=rf"outside its genre's id range.*line 2: track {track_id} \({genre}"):
        read_annotations(csv)


@needs_shared
def test_every_remaining_id_keeps_its_own_file_when_rows_and_files_go(tmp_path: Path) -> None:
    """Remove tracks' rows from data.csv, drop one file and put another under a second id's
    name: no remaining id is paired with another song (the catalogue names the swap)."""

    lines = (SHARED / "data.csv").read_text().splitlines()
    kept = [lines[0], *(ln for ln in lines[1:] if ln.split(",")[0].strip() not in ("4", "105", "301"))]
    (tmp_path / "data.csv").write_text("\n".join(kept) + "\n")
    audio = tmp_path / "emotifymusic"
    for src in (SHARED / "emotifymusic").glob("*/*.mp3"):
        (audio / src.parent.name).mkdir(parents=True, exist_ok=True)
        (audio / src.parent.name / src.name).symlink_to(src)
    (audio / "classical" / "4.mp3").unlink()  # its rows are gone too
    (audio / "pop" / "1.mp3").unlink()  # its rows are gone too
    # rock/5.mp3 stays: track 105 has no rows, so its file is left out (logged), not given to 106
    (audio / "electronic" / "9.mp3").unlink()  # rows kept, file dropped: no_audio
    data = read_annotations(tmp_path / "data.csv")

    table = build_track_table(data, audio, "mp3", require_all_audio=False, check_catalogue="auto")
    ok = table[table["status"] == "ok"].set_index("track_id")
    assert len(ok) == 36 and 209 not in ok.index and {4, 105, 301}.isdisjoint(table["track_id"])
    truth = pd.read_csv(SHARED / "groups.csv").set_index("track_id")
    for track_id, row in ok.iterrows():  # every id's audio is its own song: artist, album, file
        assert row["path"].endswith(truth.loc[track_id, "file"]), (track_id, row["path"])
        assert (row["artist"], row["album"]) == (truth.loc[track_id, "artist"], truth.loc[track_id, "album"])
    # a file renamed onto another id's name is another song: named, never paired silently
    (audio / "classical" / "6.mp3").unlink()
    (audio / "classical" / "6.mp3").symlink_to(SHARED / "emotifymusic" / "classical" / "7.mp3")
    with pytest.raises(EmotifyError, match=r"classical/6.mp3: the file's tags say .*but track 6 of the archive"):
        build_track_table(data, audio, "mp3", require_all_audio=False, check_catalogue="auto")
    skipped = build_track_table(data, audio, "mp3", require_all_audio=False, on_bad_audio="skip")
    assert skipped.set_index("track_id").loc[6, "status"] == "skipped"


@needs_shared
def test_a_cut_copy_with_its_id3v1_tag_appended_again_is_caught_by_the_archive_duration(tmp_path: Path) -> None:
    from emotify_pipeline.data.catalogue import catalogue_problem, read_catalogue
    from emotify_pipeline.data.probe import probe_audio

    data = (SHARED / "emotifymusic" / "rock" / "3.mp3").read_bytes()
    assert data[-128:-125] == b"TAG"
    from mutagen.mp3 import MP3

    from emotify_pipeline.data.audio_check import parse_header

    pos = MP3(SHARED / "emotifymusic" / "rock" / "3.mp3").info.frame_offset
    for _ in range(1000):  # whole frames, cut between two of them, then the tag again
        pos += parse_header(data, pos).length
    cut = data[:pos] + data[-128:]
    path = tmp_path / "rock" / "3.mp3"
    path.parent.mkdir()
    path.write_bytes(cut)
    rec = probe_audio(path)
    assert rec["problem"] == "" and rec["integrity"] == "whole: closing tag"  # the file alone cannot tell
    assert "a cut (truncated) or different file" in catalogue_problem(rec, path, read_catalogue())
    whole = probe_audio(SHARED / "emotifymusic" / "rock" / "3.mp3")
    assert catalogue_problem(whole, SHARED / "emotifymusic" / "rock" / "3.mp3", read_catalogue()) == ""
    assert whole["integrity"] == "verified: archive duration and tags"


def test_orphan_audio_and_missing_audio_are_errors(tmp_path: Path) -> None:
    from emotify_pipeline.data.demo import write_mp3

    audio = tmp_path / "music"
    tone = np.sin(np.linspace(0, 800, 22050)).astype("float32") * 0.3
    tags = {"title": "t", "artist": "a", "album": "b", "year": "2001", "genre": "Rock", "track": "1"}
    write_mp3(audio / "rock" / "1.mp3", tone, 22050, tags)
    data = pd.DataFrame({"track id": [101, 102], "genre": ["rock", "rock"]})
    with pytest.raises(EmotifyError, match=r"1 track id\(s\).*no audio file: track 102"):
        build_track_table(data, audio, "mp3", policy=SHORT)
    table = build_track_table(data, audio, "mp3", require_all_audio=False, policy=SHORT)
    assert table.set_index("track_id")["status"].to_dict() == {101: "ok", 102: "no_audio"}
    assert table.loc[0, "artist"] == "a" and table.loc[0, "year"] == "2001"
    write_mp3(audio / "rock" / "5.mp3", tone, 22050, tags)
    with pytest.raises(EmotifyError, match=r"1 audio file\(s\) have no rows in the annotations: \S*rock/5.mp3"):
        build_track_table(data, audio, "mp3", policy=SHORT)  # the complete archive must match
    assert set(build_track_table(data, audio, "mp3", require_all_audio=False, policy=SHORT)["track_id"]) == {101, 102}
    write_mp3(audio / "rock" / "101.mp3", tone, 22050, tags)
    with pytest.raises(EmotifyError, match=r"not named as the archive names its clips.*rock/101.mp3"):
        build_track_table(data, audio, "mp3", require_all_audio=False, policy=SHORT)


@pytest.mark.parametrize("content", [b"", b"this is not an mp3 file at all" * 50])
def test_bad_audio_stops_or_is_recorded_as_skipped(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "pop").mkdir()
    bad = tmp_path / "pop" / "1.mp3"
    bad.write_bytes(content)
    data = pd.DataFrame({"track id": [301], "genre": ["pop"]})
    with pytest.raises(EmotifyError, match=str(bad)):
        build_track_table(data, tmp_path, "mp3")
    with pytest.raises(EmotifyError, match="no usable audio"):
        build_track_table(data, tmp_path, "mp3", on_bad_audio="skip")
    from emotify_pipeline.data.demo import write_mp3

    tags = {"title": "t", "artist": "a", "album": "b", "year": "2001", "genre": "Rock", "track": "1"}
    write_mp3(tmp_path / "rock" / "1.mp3", np.zeros(22050, dtype="float32"), 22050, tags)
    both = pd.DataFrame({"track id": [101, 301], "genre": ["rock", "pop"]})
    table = build_track_table(both, tmp_path, "mp3", on_bad_audio="skip", policy=SHORT).set_index("track_id")
    assert table.loc[101, "status"] == "ok"
    assert table.loc[301, "status"] == "skipped" and str(bad) in table.loc[301, "reason"]


@needs_shared
def test_real_clips_map_by_rank_and_tags_are_read() -> None:
    data = read_annotations(SHARED / "data.csv")
    table = build_track_table(data, SHARED / "emotifymusic", "mp3", require_all_audio=False).set_index("track_id")
    ok = table[table["status"] == "ok"]
    assert len(ok) == 40 and (table["status"] == "no_audio").sum() == 360
    assert table.loc[101, "path"].endswith("rock/1.mp3")
    assert table.loc[301, "path"].endswith("pop/1.mp3")
    assert table.loc[201, "path"].endswith("electronic/1.mp3")
    assert sorted(ok.index) == [*range(1, 11), *range(101, 111), *range(201, 211), *range(301, 311)]
    assert (ok["sample_rate"] == 44100).all() and (ok["channels"] == 2).all()
    assert ok["declared_s"].between(55, 65).all() and ok["decoded_s"].between(55, 65).all()
    assert (ok["padded_s"] == 0).all() and ok["sha256"].str.len().eq(64).all()
    assert (ok["artist"] != "").all() and (ok["album"] != "").all()
    tags = read_tags(SHARED / "emotifymusic" / "rock" / "1.mp3")
    assert tags["title"] and tags["artist"] == table.loc[101, "artist"]


def test_duplicate_rows_are_counted_and_dropped_only_on_request() -> None:
    from emotify_pipeline.data.annotations import handle_duplicate_rows

    rows = pd.DataFrame({"track id": [1, 1, 1, 2, 2], "genre": ["classical"] * 3 + ["pop"] * 2, "x": [0, 0, 1, 5, 5]})
    kept, report = handle_duplicate_rows(rows, "keep")
    assert len(kept) == 5 and report["duplicate_rows"] == 2 and report["duplicate_lines"] == [3, 6]
    assert report["tracks_with_duplicates"] == 2 and report["rows_used"] == 5
    dropped, report = handle_duplicate_rows(rows, "drop")
    assert dropped["x"].tolist() == [0, 1, 5] and report["rows_used"] == 3


@needs_shared
def test_the_real_data_csv_has_its_verbatim_duplicates_counted() -> None:
    from emotify_pipeline.data.annotations import handle_duplicate_rows

    data = read_annotations(SHARED / "data.csv")
    _, report = handle_duplicate_rows(data, "keep")
    assert report["rows"] == 8407 and report["duplicate_rows"] == 140
    assert report["distinct_repeated_rows"] == 74 and report["most_copies"] == 21


def test_validate_annotations_writes_the_rows_to_use_and_the_duplicate_report(tmp_path: Path) -> None:
    import json

    from emotify_pipeline.data.annotations import validate_annotations

    source = _write(tmp_path, [HEADER, _row(101), _row(101), _row(5, "classical")])
    out, report = tmp_path / "annotations.csv", tmp_path / "report.json"
    data = validate_annotations(source, out, report, duplicate_rows="drop")
    assert pd.read_csv(out)["track id"].tolist() == [101, 5] == data["track id"].tolist()
    written = json.loads(report.read_text())
    assert written["file"] == str(source) and written["duplicate_lines"] == [3] and written["rows_used"] == 2


def test_the_track_table_reads_its_ids_from_the_params_or_else_the_annotations(tmp_path: Path) -> None:
    from emotify_pipeline.data.annotations import annotated_tracks

    given = annotated_tracks("101:rock;5:classical")
    assert given["track id"].tolist() == [101, 5] and given["genre"].tolist() == ["rock", "classical"]
    read = annotated_tracks("", _write(tmp_path, [HEADER, _row(102)]))
    assert read["track id"].tolist() == [102]
    with pytest.raises(EmotifyError, match="neither"):
        annotated_tracks("")
