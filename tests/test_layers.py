"""The package's architecture, read from its code: the stages import only themselves and the
stages before them, no import cycle, no package import hidden inside a function, and modules and
functions short enough to read."""

import ast
from collections import defaultdict
from pathlib import Path

import pytest

from emotify_pipeline import STAGES
from emotify_pipeline.plumbing.provenance import PACKAGE, imported_modules, module_name

MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
#: a module of about this many lines is split; a function of about this many is broken up
MAX_MODULE_LINES = 420
MAX_FUNCTION_LINES = 85


def stage_of(name: str) -> int:
    return STAGES.index(name.split(".")[0]) if name else -1


def graph() -> dict[str, set[str]]:
    return {name: imported_modules(path) - {name} for name, path in MODULES.items()}


def test_every_module_belongs_to_a_declared_stage() -> None:
    top = {name.split(".")[0] for name in MODULES if name}
    assert top == set(STAGES)


@pytest.mark.parametrize("name", [n for n in MODULES if n])
def test_a_module_imports_only_its_own_stage_and_those_below(name: str) -> None:
    upward = sorted(m for m in imported_modules(MODULES[name]) if stage_of(m) > stage_of(name))
    assert not upward, f"{name} (stage {name.split('.')[0]}) imports a later stage: {upward}"


def find_cycle(edges: dict[str, set[str]]) -> list[str]:
    """One import cycle of ``edges`` (a list of module names, first == last), or []."""
    colour: dict[str, int] = defaultdict(int)  # 0 new, 1 on the stack, 2 done
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        colour[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if colour[nxt] == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if colour[nxt] == 0 and (found := visit(nxt)):
                return found
        stack.pop()
        colour[node] = 2
        return []

    for node in sorted(edges):
        if colour[node] == 0 and (found := visit(node)):
            return found
    return []


def test_no_import_cycle() -> None:
    assert find_cycle(graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) == []


def in_function_package_imports(path: Path) -> list[str]:
    """Package imports inside a function or method of ``path`` (``name:line``)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for inner in ast.walk(node):
                if isinstance(inner, ast.ImportFrom) and (inner.level or (inner.module or "").startswith("emotify")):
                    found.append(f"{node.name}:{inner.lineno}")
    return found


def test_no_package_import_inside_a_function() -> None:
    """Imports inside functions are kept for optional heavy dependencies (torch, TensorFlow,
    librosa), never for the package's own modules: those would hide the layering."""
    hidden = {name: found for name, path in MODULES.items() if (found := in_function_package_imports(path))}
    assert not hidden


def test_modules_and_functions_are_short() -> None:
    long_modules = {n: len(p.read_text().splitlines()) for n, p in MODULES.items()}
    assert not {n: k for n, k in long_modules.items() if k > MAX_MODULE_LINES}
    long_functions = {}
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long_functions[f"{name}.{node.name}"] = length
    assert not long_functions


def test_the_checks_see_a_violation(tmp_path: Path) -> None:
    """The import reader these tests rest on sees a relative import of a later stage."""
    bad = PACKAGE / "core" / "_layer_probe.py"
    bad.write_text("from ..report import summary\n")
    try:
        assert "report.summary" in imported_modules(bad)
        assert stage_of("report.summary") > stage_of(module_name(bad))
    finally:
        bad.unlink()
