"""Shared helpers: the project's error type, atomic writes, logging and provenance.

Every script in ``workflow/scripts`` writes its outputs through :func:`atomic_path` so a
crash or a kill never leaves a half-written file under a final name.
"""

import contextlib
import datetime as _dt
import functools
import hashlib
import json
import logging
import os
import platform
import re
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

GENRES: tuple[str, ...] = ("classical", "rock", "electronic", "pop")
"""The four Emotify genres, in track-id order (classical 1-100, rock 101-200, ...)."""

GENRE_ID_BASE: dict[str, int] = {"classical": 0, "rock": 100, "electronic": 200, "pop": 300}
"""The archive's id ranges: track id ``GENRE_ID_BASE[genre] + n`` is ``<genre>/<n>.mp3``, n = 1..100."""
CLIPS_PER_GENRE = 100
"""Clips per genre in the archive (the width of each genre's id range)."""

EMOTIONS: tuple[str, ...] = (
    "amazement",
    "solemnity",
    "tenderness",
    "nostalgia",
    "calmness",
    "power",
    "joyful_activation",
    "tension",
    "sadness",
)
"""The nine GEMS emotions, in data.csv column order."""

ANNOTATION_COLUMNS: tuple[str, ...] = (
    "track id",
    "genre",
    *EMOTIONS,
    "mood",
    "liked",
    "disliked",
    "age",
    "gender",
    "mother tongue",
)
"""The 17 columns of Emotify's data.csv (the file's header has a space after each comma)."""

PAPER_TABLE1: dict[str, float] = {
    "amazement": 0.52,
    "solemnity": 0.67,
    "tenderness": 0.67,
    "nostalgia": 0.63,
    "calmness": 0.57,
    "power": 0.62,
    "joyful_activation": 0.52,
    "tension": 0.63,
    "sadness": 0.43,
}
"""Table 1 of Pereira & Tavares: accuracy of each emotion predicted from audio (one split)."""


IMAGENET_URL = "https://download.pytorch.org/models/vgg19-dcbb9e9d.pth"
CATALOGUE_PATH = Path(__file__).resolve().parents[3] / "resources" / "emotify_catalogue.csv"
"""The archive's 400 tracks with their file, ID3 artist and album (see resources/README.md)."""
"""torchvision's ImageNet VGG19 weights (IMAGENET1K_V1); the file name starts with its sha256 prefix."""
IMAGENET_FILE = "vgg19-dcbb9e9d.pth"


class EmotifyError(Exception):
    """A problem with the user's input or configuration, reported as one clear message."""


def setup_logging(log_path: str | os.PathLike[str] | None = None) -> logging.Logger:
    """Log to ``log_path`` (the rule's ``log:``) and to stderr; return the project logger."""
    logger = logging.getLogger("emotify")
    logger.setLevel(logging.INFO)
    logger.handlers.clear()
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(message)s")
    stream = logging.StreamHandler(sys.stderr)
    stream.setFormatter(fmt)
    logger.addHandler(stream)
    if log_path:
        Path(log_path).parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(log_path, mode="w")
        handler.setFormatter(fmt)
        logger.addHandler(handler)
    logger.propagate = False
    return logger


@contextlib.contextmanager
def atomic_path(final: str | os.PathLike[str], suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``final``; rename it onto ``final`` only on success.

    The temporary file lives in the same directory, so the rename is atomic on POSIX file
    systems. On any exception the temporary file is removed and ``final`` is untouched.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    # a job killed with SIGKILL cannot clean up: drop its leftovers (one job owns each output)
    for stale in final.parent.glob(f".{final.name}.*"):
        stale.unlink(missing_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=suffix or final.suffix or ".tmp", dir=final.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_path, 0o666 & ~umask)
        os.replace(tmp_path, final)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def usable_tracks(tracks: pd.DataFrame) -> pd.DataFrame:
    """The rows of a track table (tracks.csv) whose audio is present and usable."""
    return tracks[tracks["status"] == "ok"].reset_index(drop=True)


def write_csv(df: pd.DataFrame, path: str | os.PathLike[str], **kwargs: Any) -> None:
    """Write ``df`` as CSV atomically, with a fixed float format for reproducible bytes."""
    kwargs.setdefault("index", False)
    kwargs.setdefault("float_format", "%.6g")
    with atomic_path(path) as tmp:
        df.to_csv(tmp, **kwargs)


def with_leakage_warning(df: pd.DataFrame, warning: Any) -> pd.DataFrame:
    """``df`` with a ``leakage_warning`` column repeating ``warning`` on every row -- the features
    came from a network trained on the data's own audio (musicnn's MTT models on Magnatune) --
    so that every table showing its numbers says so; ``df`` unchanged when there is none."""
    text = "" if warning is None or (isinstance(warning, float) and pd.isna(warning)) else str(warning)
    return df.assign(leakage_warning=text) if text else df


def markdown_table(df: pd.DataFrame, floatfmt: str = ".3f") -> str:
    """A GitHub-flavoured Markdown table of ``df`` (floats formatted with ``floatfmt``)."""

    def cell(v: Any) -> str:
        if isinstance(v, float):
            return "" if pd.isna(v) else format(v, floatfmt)
        return str(v)

    head = "| " + " | ".join(map(str, df.columns)) + " |"
    rule = "|" + "|".join("---" for _ in df.columns) + "|"
    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join([head, rule, *rows]) + "\n"


def write_text(text: str, path: str | os.PathLike[str]) -> None:
    """Write ``text`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(obj: Any, path: str | os.PathLike[str]) -> None:
    """Write ``obj`` as indented, key-sorted JSON atomically."""
    write_text(json.dumps(obj, indent=2, sort_keys=True, default=_json_default) + "\n", path)


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "item"):
        return obj.item()
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def sha256_file(path: str | os.PathLike[str], chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def code_text(path: str | os.PathLike[str]) -> bytes:
    """What a source file's behaviour depends on: for Python, its syntax tree without comments,
    docstrings, line numbers or formatting (``ast.dump``); for anything else, its bytes. A
    comment- or docstring-only edit leaves it unchanged, so it reruns nothing. Computed once per
    version of the file in a process (planning the workflow digests ~30 rules' closures, which
    share their modules)."""
    stat = os.stat(path)
    return _code_text(str(Path(path).resolve()), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=512)
def _code_text(path_name: str, mtime_ns: int, size: int) -> bytes:
    import ast

    path = Path(path_name)
    data = path.read_bytes()
    if path.suffix != ".py":
        return data
    try:
        tree = ast.parse(data)
    except SyntaxError:
        return data
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree, include_attributes=False).encode()


def source_digest(*paths: str | os.PathLike[str]) -> str:
    """sha256 over files' names and code (:func:`code_text`): the version of the code they hold."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(Path(path).name.encode() + code_text(path))
    return digest.hexdigest()


def library_versions(names: tuple[str, ...] | None = None) -> dict[str, str]:
    """Versions of Python and the libraries that shape the results."""
    from importlib.metadata import PackageNotFoundError, version

    names = names or (
        "numpy",
        "pandas",
        "scikit-learn",
        "librosa",
        "soundfile",
        "torch",
        "torchvision",
        "h5py",
        "mutagen",
        "snakemake",
    )
    out = {"python": platform.python_version()}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def utc_now() -> str:
    """The current UTC time in ISO 8601, for provenance attributes."""
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()


def weights_label(weights: str) -> str:
    """Human label for the VGG19 weights, used in every figure title and table caption."""
    if weights == "random":
        return "random-init VGG19 (NOT ImageNet)"
    if weights == "imagenet":
        return "ImageNet VGG19"
    return f"VGG19 weights from {Path(weights).name}"


def run_main(main: Any, smk: Any) -> None:
    """Run a script's job: ``main`` is ``main(smk, logger)``, or a dict rule name -> such a
    function; a rule the dict does not name is an error, never some default branch."""
    if isinstance(main, dict):
        jobs = main
        rule = getattr(smk, "rule", None)

        # a rule imported from a module carries the importer's prefix (use rule * as emotify_*)
        rule = max((name for name in jobs if rule == name or str(rule).endswith(f"_{name}")), key=len, default=rule)

        def main(smk: Any, logger: logging.Logger) -> None:
            if rule not in jobs:
                raise EmotifyError(
                    f"{Path(sys.argv[0]).name}: no job for rule {rule!r} (this script runs {', '.join(sorted(jobs))})"
                )
            jobs[rule](smk, logger)

    _run(main, smk)


def _nearly_full(folder: Path, margin: int = 16 << 20) -> bool:
    """Whether the file system holding ``folder`` has less than ``margin`` bytes free (an
    OSError there is most likely a full disk, whatever the library made of it)."""
    import shutil

    for candidate in (folder, *folder.parents):
        try:
            return shutil.disk_usage(candidate).free < margin
        except OSError:
            continue
    return False


def explain_failure(err: BaseException, outputs: list[str] | None = None) -> str | None:
    """One sentence for a failure of the machine rather than of the code -- a full disk, a
    decoding worker that died, memory exhausted -- saying what happened and what to do; None
    for anything else (a bug, whose traceback is kept)."""
    import errno

    text = str(err)
    where = Path(outputs[0]).parent if outputs else Path(".")
    if isinstance(err, OSError) and (
        err.errno in (errno.ENOSPC, errno.EDQUOT)
        or "No space left on device" in text
        or "errno = 28" in text
        or re.search(r"\d+ requested and \d+ written", text)  # numpy's short write
        or _nearly_full(where)
    ):
        return (
            f"the disk is full (or the quota is reached) while writing {err.filename or where}: nothing was written "
            f"under a final name. Free space where {where} lives (df -h {where}) and run again; an extraction "
            "resumes from the batches it had finished"
        )
    if isinstance(err, RuntimeError) and "DataLoader worker" in text:
        return (
            f"a decoding worker process died ({text.splitlines()[0].strip()}): killed from outside, or out of "
            "memory. The batches finished so far are kept: run again to resume; if it recurs, lower "
            "features.num_workers or give the job more memory (mem_mb in the profile)"
        )
    if type(err).__name__ == "BrokenProcessPool":
        return (
            "a decoding worker process died (killed from outside, or out of memory): nothing was written under a "
            "final name. Run again; if it recurs, give the job more memory (mem_mb in the profile) or fewer threads"
        )
    if isinstance(err, MemoryError):
        return (
            "out of memory: nothing was written under a final name. Give the job more memory (mem_mb in the "
            "profile), fewer threads, or smaller feature blocks, and run again"
        )
    return None


def _run(main: Any, smk: Any) -> None:
    """Run a script's ``main(snakemake)``; a :class:`EmotifyError` becomes one clean message.

    The message goes to the rule's log and to stderr, and the process exits with status 1
    instead of printing a traceback from inside a library. Ctrl-C exits with 130 and one line.
    Any other exception is a bug: its traceback goes to the rule's log (so
    ``--show-failed-logs`` shows it) and it is raised again.
    """
    log_files = list(getattr(smk, "log", []) or [])
    logger = setup_logging(log_files[0] if log_files else None)
    try:
        main(smk, logger)
    except EmotifyError as err:
        logger.error("%s", err)
        sys.exit(1)
    except KeyboardInterrupt:
        logger.error("interrupted (Ctrl-C); nothing was written under a final name, rerun to continue")
        sys.exit(130)
    except Exception as err:
        message = explain_failure(err, [str(p) for p in (getattr(smk, "output", []) or [])])
        if message:
            logger.error("rule %s: %s", getattr(smk, "rule", "?"), message)
            sys.exit(1)
        # not the user's input: keep the whole traceback, in the rule's log too
        logger.exception("unexpected error in rule %s", getattr(smk, "rule", "?"))
        raise
