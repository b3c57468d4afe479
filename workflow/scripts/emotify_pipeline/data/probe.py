"""What an audio file says about itself, independent of any setting: its size and sha256, the
stream info and ID3 tags mutagen reads, and for an MP3 whether it is whole, truncated or
corrupt and how many seconds a decoder will output (:mod:`audio_check`). Probes are cached by
the file's size, mtime, ctime and inode, and by the code of this module and :mod:`audio_check`."""

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import mutagen

from ..core.digests import source_digest
from ..core.errors import EmotifyError
from ..core.files import write_json
from . import audio_check


def read_tags(path: str | Path) -> dict[str, Any]:
    """Stream info and ID3/metadata tags of one audio file, via mutagen.

    Raises :class:`EmotifyError` naming the file when it is empty or not a readable audio
    file. Missing tags come back as empty strings. ``declared_s`` is the duration the file's
    headers state (for an MP3 without a VBR header, mutagen estimates it from the file size).

    Returns
    -------
    dict
        declared_s (seconds), sample_rate (Hz), channels, frame_offset (bytes to the first MPEG
        frame, or None), format (``MP3``, ``WAVE``, ...), title, artist, album, year.
    """
    path = Path(path)
    if path.stat().st_size == 0:
        raise EmotifyError(f"{path}: audio file is empty (0 bytes)")
    try:
        audio = mutagen.File(path, easy=True)
    except mutagen.MutagenError as err:
        raise EmotifyError(f"{path}: not a readable audio file ({err})") from None
    if audio is None or getattr(audio, "info", None) is None:
        raise EmotifyError(f"{path}: not a recognised audio file")
    info = audio.info
    tags = audio.tags or {}

    def tag(key: str) -> str:
        value = tags.get(key) if hasattr(tags, "get") else None
        return str(value[0]).strip() if value else ""

    return {
        "declared_s": round(float(getattr(info, "length", 0.0) or 0.0), 3),
        "sample_rate": int(getattr(info, "sample_rate", 0) or 0),
        "channels": int(getattr(info, "channels", 0) or 0),
        "frame_offset": getattr(info, "frame_offset", None),
        "format": type(audio).__name__.removeprefix("Easy").upper(),
        "title": tag("title"),
        "artist": tag("artist"),
        "album": tag("album"),
        "year": tag("date")[:4],
    }


def probe_audio(path: str | Path) -> dict[str, Any]:
    """What the file itself says, independent of any setting: size, sha256, tags, durations.

    Reads the whole file once (a one-minute MP3 is about 1 MB): size, sha256, mutagen's tags
    and header, and for MP3 a walk over the frames (:mod:`audio_check`) that tells a truncated
    or corrupt file from a whole short one and gives the seconds a decoder will output.

    Returns
    -------
    dict
        The track table's file columns plus ``problem``: '' for a whole, readable file, else
        one line naming the file and what is wrong. Raises nothing for a bad file.
    """
    path = Path(path)
    rec: dict[str, Any] = {"problem": ""}
    if path.is_symlink() and not path.exists():
        rec["problem"] = f"{path}: a symbolic link to {os.readlink(path)}, which does not exist"
        return rec
    try:
        data = path.read_bytes()
    except OSError as err:
        rec["problem"] = f"{path}: cannot read ({err.strerror or err})"
        return rec
    rec["size_bytes"] = len(data)
    rec["sha256"] = hashlib.sha256(data).hexdigest()
    try:
        rec.update(read_tags(path))
    except EmotifyError as err:
        rec["problem"] = str(err)
        return rec
    if path.suffix.lower() == ".mp3" and rec.get("format") not in ("MP3", None):
        rec["problem"] = f"{path}: a {rec['format']} file named .mp3, not an MPEG audio stream"
        return rec
    rec.pop("format", None)
    offset = rec.pop("frame_offset")
    rec["decoded_s"] = rec["declared_s"]
    rec["integrity"] = "unchecked (not MP3)"
    if path.suffix.lower() == ".mp3" and offset is not None:
        try:
            scan = audio_check.scan_mpeg(data, int(offset))
        except ValueError as err:
            rec["problem"] = f"{path}: not an MPEG audio stream ({err})"
            return rec
        rec["decoded_s"] = round(scan.decoded_s, 3)
        rec["integrity"] = scan.integrity
        if scan.problem:
            rec["problem"] = f"{path}: {scan.kind} file: {scan.problem}"
    return rec


def probe_code_version() -> str:
    """sha256 of the code that decides a probe (this module and :mod:`audio_check`): a cached
    probe made by other code is read again."""
    return source_digest(__file__, audio_check.__file__)


def _file_key(path: str) -> list[int] | None:
    """What identifies one version of a file: size, mtime, ctime and inode (None if unreadable)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def probe_audio_files(paths: list[str], cache: str | Path | None = None) -> dict[str, dict[str, Any]]:
    """:func:`probe_audio` for every path, reusing ``cache`` (JSON) for unchanged files.

    A cached probe is reused only while the file's size, mtime, ctime and inode are all the
    same (``cp -p`` or rsync can restore an old mtime, never an old ctime or inode, so a
    restored or replaced file is read again) and the probing code is the same
    (:func:`probe_code_version`). The cache is rewritten atomically.

    Returns
    -------
    dict
        path -> its probe (a fresh copy each).
    """
    version = probe_code_version()
    old: dict[str, Any] = {}
    if cache and Path(cache).is_file():
        try:
            stored = json.loads(Path(cache).read_text())
            old = stored["probes"] if stored.get("version") == version else {}
        except (OSError, ValueError, KeyError, AttributeError):
            old = {}
    new: dict[str, Any] = {}
    for path in paths:
        key = _file_key(path)
        hit = old.get(path)
        new[path] = {"key": key, "probe": hit["probe"] if key and hit and hit["key"] == key else probe_audio(path)}
    if cache and any(old.get(p) != v for p, v in new.items()):
        try:
            write_json({"version": version, "probes": {**old, **new}}, cache)
        except OSError:
            pass  # a read-only checkout still works; it only reads the files again next time
    return {path: dict(value["probe"]) for path, value in new.items()}
