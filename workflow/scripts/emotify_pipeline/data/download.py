"""Fetching files that the workflow cannot ship: the Emotify archive, VGG19 ImageNet weights.

Every download streams to a temporary file, is checked against a sha256 when one is
configured, and only then is renamed into place. Offline, the error names the URL and where
to put the file by hand.
"""

import hashlib
import logging
import os
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Mapping
from pathlib import Path

from ..core.digests import sha256_file
from ..core.emotify import GENRES
from ..core.errors import EmotifyError
from ..core.files import atomic_path


def verify_sha256(path: str | Path, expected: str | None) -> str:
    """Return the file's sha256; raise :class:`EmotifyError` if ``expected`` is set and differs."""
    actual = sha256_file(path)
    if expected and actual.lower() != expected.lower():
        raise EmotifyError(f"{path}: sha256 is {actual}, expected {expected} (corrupt or wrong file)")
    return actual


def fetch(
    url: str,
    dest: str | Path,
    sha256: str | None = None,
    timeout: float = 30.0,
    logger: logging.Logger | None = None,
) -> str:
    """Download ``url`` to ``dest`` atomically, verify ``sha256``; return the file's sha256."""
    dest = Path(dest)
    try:
        with atomic_path(dest) as tmp:
            digest = hashlib.sha256()
            with urllib.request.urlopen(url, timeout=timeout) as response, open(tmp, "wb") as out:
                while block := response.read(1 << 20):
                    digest.update(block)
                    out.write(block)
            actual = digest.hexdigest()
            if sha256 and actual.lower() != sha256.lower():
                raise EmotifyError(f"{url}: downloaded file has sha256 {actual}, expected {sha256}")
    except (urllib.error.URLError, OSError, TimeoutError) as err:
        raise EmotifyError(
            f"cannot download {url} ({err}). If this machine is offline, fetch the file elsewhere and put it at {dest}"
        ) from None
    if logger:
        logger.info("downloaded %s -> %s (sha256 %s)", url, dest, actual)
    return actual


def fetch_or_copy(
    url: str,
    dest: str | Path,
    candidates: list[Path],
    sha256: str | None = None,
    logger: logging.Logger | None = None,
) -> str:
    """Copy the first existing file of ``candidates`` to ``dest``, else :func:`fetch` ``url``."""
    for cand in candidates:
        if cand.is_file():
            digest = verify_sha256(cand, sha256)
            with atomic_path(dest) as tmp:
                shutil.copyfile(cand, tmp)
            if logger:
                logger.info("copied %s -> %s (sha256 %s)", cand, dest, digest)
            return digest
    return fetch(url, dest, sha256=sha256, logger=logger)


def unpack_audio_archive(archive: str | Path, dest: str | Path) -> None:
    """Unzip an Emotify audio archive so that ``dest/<genre>/<n>.mp3`` exist (atomically).

    Accepts archives whose top level is ``emotifymusic/<genre>/`` or the genre folders.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".unpack.") as tmp:
        try:
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(tmp)
        except zipfile.BadZipFile as err:
            raise EmotifyError(f"{archive}: not a valid zip archive ({err})") from None
        candidates = [Path(tmp), *sorted(p for p in Path(tmp).rglob("*") if p.is_dir())]
        top = next((c for c in candidates if all((c / g).is_dir() for g in GENRES)), None)
        if top is None:
            raise EmotifyError(f"{archive}: no folder with the genre sub-folders {list(GENRES)} inside")
        if dest.exists():
            shutil.rmtree(dest)
        shutil.move(str(top), dest)


def download_audio(
    url: str, archive: str | Path, dest: str | Path, sha256: str | None = None, logger: logging.Logger | None = None
) -> str:
    """Download the audio archive from ``url`` to ``archive`` (:func:`fetch`, checked against
    ``sha256`` when given, else its sha256 logged as a warning) and unpack it to
    ``dest/<genre>/<n>.mp3`` (:func:`unpack_audio_archive`). Returns the archive's sha256."""
    digest = fetch(url, archive, sha256=sha256, logger=logger)
    if not sha256 and logger:
        logger.warning("no data.download.audio_sha256 configured; the archive's sha256 is %s", digest)
    unpack_audio_archive(archive, dest)
    return digest


def torch_hub_checkpoints(environ: Mapping[str, str] = os.environ) -> Path:
    """The folder where torch keeps downloaded weights: ``$TORCH_HOME/hub/checkpoints``
    (``TORCH_HOME`` defaults to ``~/.cache/torch``)."""
    return Path(environ.get("TORCH_HOME", Path.home() / ".cache" / "torch")) / "hub" / "checkpoints"


def fetch_weights(
    url: str,
    dest: str | Path,
    sha256: str | None = None,
    logger: logging.Logger | None = None,
    hub: str | Path | None = None,
) -> str:
    """Weights from ``url`` to ``dest``: copied from torch's own download (the file of the
    URL's name in ``hub``, default :func:`torch_hub_checkpoints`) when it is there, else
    downloaded; checked against ``sha256`` either way (:func:`fetch_or_copy`)."""
    folder = Path(hub) if hub is not None else torch_hub_checkpoints()
    return fetch_or_copy(url, dest, [folder / Path(url).name], sha256=sha256, logger=logger)
