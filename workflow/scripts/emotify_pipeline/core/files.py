"""Atomic writes of tables, text and JSON; logging; timestamps.

Every job writes its outputs through :func:`atomic_path`, so a crash or a kill never leaves a
half-written file under a final name.
"""

import contextlib
import datetime as _dt
import json
import logging
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd


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


def utc_now() -> str:
    """The current UTC time in ISO 8601, for provenance attributes."""
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()
