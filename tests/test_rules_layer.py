"""The rule files hold rules, and input functions that are one call into the package.

Each ``.smk`` file (and the Snakefile) is compiled to Python with Snakemake's own parser and
read as a syntax tree and a symbol table: no file defines a function (an input function is a
lambda that makes one call into the package), nothing is checked or filled in at include time
except the Snakefile's one call of the checks, and every name a file uses is its own, the
package's (imported in that file), Python's or Snakemake's -- never another rule file's.
"""

import ast
import builtins
import symtable
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import REPO
from snakemake import parser
from snakemake.sourcecache import LocalSourceFile

FILES = [REPO / "Snakefile", *sorted((REPO / "rules").glob("*.smk"))]
#: what Snakemake puts in a rule file's namespace (the rest is imported by each file)
SNAKEMAKE_NAMES = frozenset(
    {
        "workflow",
        "config",
        "rules",
        "checkpoints",
        "scatter",
        "gather",
        "storage",
        "expand",
        "temp",
        "temporary",
        "directory",
        "unpack",
        "report",
        "protected",
        "ancient",
        "touch",
        "pipe",
        "service",
        "multiext",
        "glob_wildcards",
        "flag",
        "ensure",
        "local",
        "repeat",
        "from_queue",
        "script",
        "shell",
        "notebook",
        "wrapper",
        "cwl",
        "render_template",
    }
)
#: what a lambda of a rule file may do besides its one call: read a wildcard, the config or a
#: constant, and combine them (``a or []``)
LAMBDA_NODES = (
    ast.Lambda,
    ast.arguments,
    ast.arg,
    ast.Call,
    ast.Name,
    ast.Attribute,
    ast.Subscript,
    ast.Load,
    ast.Constant,
    ast.keyword,
)
#: calls at include time that change no state of the rule files: Snakemake's directives and
#: the package's path (the Snakefile's call of the checks is held by its own test)
INCLUDE_TIME_CALLS = frozenset({"workflow", "min_version", "sys"})
CHECKS = "check_workflow"


def compile_rule_file(path: Path) -> str:
    """``path`` as the Python Snakemake runs (rules become decorated functions)."""
    files = SimpleNamespace(open=lambda source: open(source.get_path_or_uri(secret_free=True), encoding="utf-8"))
    code, _ = parser.parse(LocalSourceFile(str(path)), SimpleNamespace(sourcecache=files), {})
    return code


CODE = {path.name: compile_rule_file(path) for path in FILES}
TREES = {name: ast.parse(code) for name, code in CODE.items()}


def own_functions(tree: ast.Module) -> list[ast.FunctionDef]:
    """The functions a rule file defines itself (not Snakemake's rule bodies and hooks)."""
    return [node for node in tree.body if isinstance(node, ast.FunctionDef) and not node.name.startswith("__")]


def bindings(tree: ast.Module) -> dict[str, ast.stmt]:
    """Names a rule file binds at module level (imports, assignments, defs), with the statement.
    Names bound inside a try block count as the file's."""
    found: dict[str, ast.stmt] = {}
    for top in tree.body:
        for node in ast.walk(top) if isinstance(top, ast.Try) else [top]:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                found.update({(a.asname or a.name).split(".")[0]: node for a in node.names})
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                found.update({t.id: node for t in targets if isinstance(t, ast.Name)})
            elif isinstance(node, ast.FunctionDef) and not node.name.startswith("__"):
                found[node.name] = node
            elif isinstance(node, ast.ExceptHandler) and node.name:
                found[node.name] = node
    return found


def global_names(code: str, name: str) -> set[str]:
    """Names the file's code reads from the module namespace, in any scope."""
    used: set[str] = set()
    todo = [symtable.symtable(code, name, "exec")]
    while todo:
        table = todo.pop()
        for sym in table.get_symbols():
            if not sym.is_referenced():
                continue
            if table.get_type() == "module" or sym.is_global():
                used.add(sym.get_name())
        todo += table.get_children()
    return used


def foreign_names(name: str) -> set[str]:
    """Names file ``name`` reads that neither it, Python nor Snakemake defines."""
    own = set(bindings(TREES[name]))
    return global_names(CODE[name], name) - own - set(dir(builtins)) - SNAKEMAKE_NAMES


def heavy_lambdas(tree: ast.Module) -> list[str]:
    """The lambdas of ``tree`` that do more than one call of a name the file imports (reading
    wildcards, the config and constants, and ``x or []``)."""
    imported = {bound for bound, node in bindings(tree).items() if isinstance(node, ast.ImportFrom)}
    heavy = []
    for function in (node for node in ast.walk(tree) if isinstance(node, ast.Lambda)):
        outer = function.body.values[0] if isinstance(function.body, ast.BoolOp) else function.body
        other = {type(n).__name__ for n in ast.walk(function.body) if not isinstance(n, LAMBDA_NODES)}
        root = ast.unparse(outer.func).split(".")[0] if isinstance(outer, ast.Call) else None
        if other - {"BoolOp", "Or", "List"} or root not in imported:
            heavy.append(f"line {function.lineno}: {ast.unparse(function)[:70]}")
    return heavy


@pytest.mark.parametrize("name", list(CODE))
def test_a_rule_file_defines_no_function_and_its_lambdas_make_one_package_call(name: str) -> None:
    """Snakemake's linter flags a file that holds both rules and functions; here an input or
    params function is a lambda whose work is one call of a name the file imports."""
    assert not [f.name for f in own_functions(TREES[name])], f"{name}: a function belongs in emotify_pipeline.plumbing"
    heavy = heavy_lambdas(TREES[name])
    assert not heavy, f"{name}: move the logic into emotify_pipeline.plumbing: {heavy}"


@pytest.mark.parametrize("name", list(CODE))
def test_nothing_is_checked_or_filled_at_include_time_but_the_one_check(name: str) -> None:
    tree = TREES[name]
    module_names = set(bindings(tree))
    problems = []
    for top in tree.body:
        if isinstance(top, ast.Expr) and isinstance(top.value, ast.Call):
            called = ast.unparse(top.value.func).split(".")[0]
            if called not in INCLUDE_TIME_CALLS and not (name == "Snakefile" and called == CHECKS):
                problems.append(f"line {top.lineno}: {ast.unparse(top)[:60]} runs at include time")
        if (
            isinstance(top, ast.Assign)
            and isinstance(top.value, (ast.Dict, ast.List, ast.Set))
            and not (top.value.keys if isinstance(top.value, ast.Dict) else top.value.elts)
        ):
            problems.append(f"line {top.lineno}: an empty {type(top.value).__name__.lower()} to be filled later")
        if isinstance(top, ast.Try):
            problems.append(f"line {top.lineno}: checks at include time are the package's (check_workflow)")
    for node in ast.walk(tree):
        target = node.func.value if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) else None
        if (
            isinstance(target, ast.Name)
            and target.id in module_names
            and node.func.attr in ("update", "append", "extend", "add", "setdefault", "clear", "pop")
        ):
            problems.append(f"line {node.lineno}: fills the module-level {target.id}")
    assert not problems, f"{name}: {problems}"


def test_the_checks_run_once_from_the_snakefile_before_any_rule_file() -> None:
    calls = {
        name: [node for node in ast.walk(tree) if isinstance(node, ast.Call) and ast.unparse(node.func) == CHECKS]
        for name, tree in TREES.items()
    }
    assert {name: len(found) for name, found in calls.items() if found} == {"Snakefile": 1}
    text = (REPO / "Snakefile").read_text()
    assert text.index(f"{CHECKS}(config") < text.index("include:")


@pytest.mark.parametrize("name", list(CODE))
def test_a_rule_file_uses_no_name_another_rule_file_defines(name: str) -> None:
    foreign = foreign_names(name)
    assert not foreign, f"{name} uses {sorted(foreign)}, defined in no file it imports from"


def test_no_two_rule_files_define_the_same_name() -> None:
    """A later include would replace the earlier file's definition for every file. The same
    package name imported by several files is one definition."""
    owners: dict[str, set[str]] = {}
    for name, tree in TREES.items():
        for bound, node in bindings(tree).items():
            if isinstance(node, ast.ImportFrom):
                source = f"from {node.module} import"
            elif isinstance(node, ast.Import):
                source = "import"
            else:
                source = f"{name}:{bound}"
            owners.setdefault(bound, set()).add(source)
    assert not {bound: sources for bound, sources in owners.items() if len(sources) > 1}


def test_the_checks_see_a_violation(tmp_path: Path) -> None:
    """The readers above see a function, a lambda that computes, include-time state and a name
    from elsewhere."""
    bad = tmp_path / "bad.smk"
    bad.write_text(
        "from os.path import join\n_SEEN = {}\n\n\ndef fill(wildcards):\n    return OTHER\n\n\n"
        "fill(None)\nGOOD = lambda w: join(config['a'], w.x) or []\n"
        "LOOP = lambda w: [join(p) for p in w]\n"
    )
    code = compile_rule_file(bad)
    tree = ast.parse(code)
    assert [f.name for f in own_functions(tree)] == ["fill"]
    assert [h.split(":")[0] for h in heavy_lambdas(tree)] == ["line 11"]
    assert "OTHER" in global_names(code, "bad.smk") - set(bindings(tree))
    assert any(isinstance(top, ast.Expr) for top in tree.body)
