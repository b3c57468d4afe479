"""Digests of files and of code (its syntax tree without comments or docstrings), and the
versions of the libraries that shape the results."""

import functools
import hashlib
import os
import platform
from pathlib import Path


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
