"""Downloads: checksums, clear offline errors, no partial files, archive unpacking."""

import hashlib
import zipfile
from pathlib import Path

import pytest

from emotify_pipeline.core.errors import EmotifyError
from emotify_pipeline.data.download import fetch, fetch_or_copy, unpack_audio_archive


def test_fetch_verifies_the_checksum(tmp_path: Path) -> None:
    src = tmp_path / "src.csv"
    src.write_bytes(b"track id, genre\n")
    digest = hashlib.sha256(src.read_bytes()).hexdigest()
    dest = tmp_path / "out" / "data.csv"
    assert fetch(src.as_uri(), dest, sha256=digest) == digest
    assert dest.read_bytes() == src.read_bytes()
    other = tmp_path / "other.csv"
    with pytest.raises(EmotifyError, match=f"expected {'0' * 64}"):
        fetch(src.as_uri(), other, sha256="0" * 64)
    assert not other.exists() and not list(tmp_path.glob(".other.csv*"))


def test_offline_error_names_the_url_and_where_to_put_the_file(tmp_path: Path) -> None:
    dest = tmp_path / "emotify" / "emotifymusic.zip"
    url = "http://127.0.0.1:9/emotifymusic.zip"  # the discard port: nothing listens
    with pytest.raises(EmotifyError, match=rf"cannot download {url}.*put it at {dest}"):
        fetch(url, dest, timeout=5)
    assert not dest.exists() and not list(dest.parent.glob(".*"))


def test_fetch_or_copy_prefers_a_local_cache(tmp_path: Path) -> None:
    cached = tmp_path / "hub" / "vgg19-dcbb9e9d.pth"
    cached.parent.mkdir()
    cached.write_bytes(b"weights")
    dest = tmp_path / "models" / "vgg19-dcbb9e9d.pth"
    fetch_or_copy("http://127.0.0.1:9/never", dest, [tmp_path / "missing", cached])
    assert dest.read_bytes() == b"weights"
    with pytest.raises(EmotifyError, match="expected abc"):
        fetch_or_copy("http://127.0.0.1:9/never", tmp_path / "x", [cached], sha256="abc")


@pytest.mark.parametrize("prefix", ["emotifymusic/", "", "release/emotifymusic/"])
def test_unpack_finds_the_genre_folders(tmp_path: Path, prefix: str) -> None:
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for genre in ("classical", "rock", "electronic", "pop"):
            zf.writestr(f"{prefix}{genre}/1.mp3", b"x")
    dest = tmp_path / "emotify" / "emotifymusic"
    unpack_audio_archive(archive, dest)
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*.mp3")) == [
        "classical/1.mp3",
        "electronic/1.mp3",
        "pop/1.mp3",
        "rock/1.mp3",
    ]


def test_unpack_rejects_bad_archives(tmp_path: Path) -> None:
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"not a zip")
    with pytest.raises(EmotifyError, match="not a valid zip"):
        unpack_audio_archive(bad, tmp_path / "out")
    wrong = tmp_path / "wrong.zip"
    with zipfile.ZipFile(wrong, "w") as zf:
        zf.writestr("jazz/1.mp3", b"x")
    with pytest.raises(EmotifyError, match="no folder with the genre sub-folders"):
        unpack_audio_archive(wrong, tmp_path / "out")
    assert not (tmp_path / "out").exists()
