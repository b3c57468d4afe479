"""Code provenance: the digest of exactly the code a rule runs.

A rule runs one entry script (``workflow/scripts/<rule>.py``) that imports functions of this
package; :func:`rule_code_digest` covers that entry and every package module it imports,
directly or through another one (lazy imports inside functions included), each as its syntax
tree without comments or docstrings (:func:`core.digests.code_text`). In a rule's ``params`` it
reruns the rule exactly when code it runs changes -- not after a comment, and not after an
edit to a module it never imports.
"""

import ast
import functools
from pathlib import Path

from ..core.digests import source_digest

PACKAGE = Path(__file__).resolve().parents[1]
#: imported first by every entry script, for Ctrl-C during the imports; it computes nothing
NOT_CODE = frozenset({"plumbing.quiet_interrupt"})


def module_file(name: str) -> Path | None:
    """The file of package module ``name`` (dotted, without the package's own name), or None."""
    base = PACKAGE.joinpath(*name.split(".")) if name else PACKAGE
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def module_name(path: str | Path) -> str | None:
    """The dotted name of a file inside the package (``neighbours.geometry``), None outside it."""
    try:
        parts = list(Path(path).resolve().relative_to(PACKAGE).with_suffix("").parts)
    except ValueError:
        return None
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: str | Path) -> set[str]:
    """The package modules one file imports, at any place in it (inside functions too), as
    dotted names: ``from ..core.files import write_csv`` gives ``core.files``, ``from ..study
    import table`` gives ``study.table``; absolute ``emotify_pipeline.x`` imports likewise."""
    stat = Path(path).stat()
    return set(_imports(str(Path(path).resolve()), stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=1024)
def _imports(path_name: str, mtime_ns: int, size: int) -> frozenset[str]:
    """:func:`imported_modules` once per version of a file in a process."""
    path = Path(path_name)
    here = module_name(path)
    package = ([] if here is None else here.split(".")[: None if path.name == "__init__.py" else -1]) or []
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                if here is None:
                    continue
                base = package[: len(package) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            elif node.module and (node.module == PACKAGE.name or node.module.startswith(f"{PACKAGE.name}.")):
                source = node.module[len(PACKAGE.name) + 1 :]
            else:
                continue
            for alias in node.names:
                child = f"{source}.{alias.name}" if source else alias.name
                found.add(child if module_file(child) else source)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(f"{PACKAGE.name}."):
                    found.add(alias.name[len(PACKAGE.name) + 1 :])
    return frozenset(name for name in found if name and module_file(name) is not None)


def package_closure(path: str | Path) -> list[Path]:
    """The package modules ``path`` imports, at any depth, sorted by dotted name."""
    todo, seen = [Path(path)], set()
    while todo:
        for name in imported_modules(todo.pop()) - seen:
            seen.add(name)
            todo.append(module_file(name))
    return [module_file(name) for name in sorted(seen - NOT_CODE)]


@functools.cache
def rule_code_digest(entry: str | Path) -> str:
    """sha256 of an entry script and the package modules it imports (see the module docstring)."""
    return source_digest(Path(entry), *package_closure(entry))


def code_digest(rule: str) -> str:
    """The digest of the code that runs for ``rule``: its entry script
    (``workflow/scripts/<rule>.py``) and the package modules it imports (:func:`rule_code_digest`).
    In ``params``, it reruns the rule exactly when that code changes; the profiles turn off
    Snakemake's own trigger on the script's mtime."""
    return rule_code_digest(PACKAGE.parent / f"{rule}.py")
