"""Code provenance: the digest of exactly the code a rule runs.

A rule runs one entry script (``workflow/scripts/<rule>.py``) that imports functions of this
package; :func:`rule_code_digest` covers that entry and every package module it imports,
directly or through another one (lazy imports inside functions included), each as its syntax
tree without comments or docstrings (:func:`common_io.code_text`). In a rule's ``params`` it
reruns the rule exactly when code it runs changes -- not after a comment, and not after an
edit to a module it never imports.
"""

import ast
import functools
from pathlib import Path

from .common_io import source_digest

PACKAGE = Path(__file__).resolve().parent


def _imported_modules(path: Path) -> set[str]:
    """Names of the package modules one file imports (absolute ``emotify_pipeline.x`` or relative)."""
    stat = path.stat()
    return set(_imports(str(path.resolve()), stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=512)
def _imports(path_name: str, mtime_ns: int, size: int) -> frozenset[str]:
    """:func:`_imported_modules` once per version of a file in a process."""
    path = Path(path_name)
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 and node.module:  # from .x import ...
                found.add(node.module.split(".")[0])
            elif node.level == 1:  # from . import x, y
                found.update(alias.name for alias in node.names)
            elif node.level == 0 and node.module and node.module.startswith(f"{PACKAGE.name}."):
                found.add(node.module.split(".")[1])
            elif node.level == 0 and node.module == PACKAGE.name:
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == PACKAGE.name and len(parts) > 1:
                    found.add(parts[1])
    return frozenset(name for name in found if (PACKAGE / f"{name}.py").is_file())


def package_closure(path: str | Path) -> list[Path]:
    """The package modules ``path`` imports, at any depth, sorted."""
    todo, seen = [Path(path)], set()
    while todo:
        for name in _imported_modules(todo.pop()) - seen:
            seen.add(name)
            todo.append(PACKAGE / f"{name}.py")
    return [PACKAGE / f"{name}.py" for name in sorted(seen - {"quiet_interrupt"})]


@functools.cache
def rule_code_digest(entry: str | Path) -> str:
    """sha256 of an entry script and the package modules it imports (see the module docstring)."""
    return source_digest(Path(entry), *package_closure(entry))
