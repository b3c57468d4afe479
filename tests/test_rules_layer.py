"""The rule files hold rules, and input functions that are one call into the package.

Each ``.smk`` file (and the Snakefile) is compiled to Python with Snakemake's own parser and
read as a syntax tree and a symbol table: no file defines a function (an input function is a
lambda that makes one call into the package), nothing is checked or filled in at include time
except the Snakefile's one call of the checks, and every name a file uses is its own, the
package's (imported in that file), Python's or Snakemake's -- never another rule file's.
"""

import ast
import builtins
import re
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
#: what the arguments of a rule file's lambda may be: a wildcard, the config, a constant, or a
#: Snakemake object (``checkpoints``) -- nothing computed
ARGUMENT_NODES = (ast.Name, ast.Attribute, ast.Subscript, ast.Load, ast.Constant, ast.Slice)
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
    """The lambdas of ``tree`` that do more than one call of a name the file imports, with
    arguments that are wildcards, the config, constants or Snakemake objects."""
    imported = {bound for bound, node in bindings(tree).items() if isinstance(node, ast.ImportFrom)}
    heavy = []
    for function in (node for node in ast.walk(tree) if isinstance(node, ast.Lambda)):
        call = function.body
        simple = isinstance(call, ast.Call) and all(
            isinstance(n, ARGUMENT_NODES)
            for arg in [*call.args, *(k.value for k in call.keywords)]
            for n in ast.walk(arg)
        )
        root = ast.unparse(call.func).split(".")[0] if isinstance(call, ast.Call) else None
        if not simple or root not in imported:
            heavy.append(f"line {function.lineno}: {ast.unparse(function)[:70]}")
    return heavy


def include_time_problems(tree: ast.Module, checks_allowed: bool) -> list[str]:
    """What ``tree`` does at include time besides declaring: a call that is not Snakemake's (the
    one call of the checks where ``checks_allowed``), an empty container to be filled later, a
    try block, an assignment into ``config``, a module-level name or ``config`` filled by a
    method call anywhere."""
    module_names = set(bindings(tree)) | {"config"}
    empty = ("dict", "list", "set", "defaultdict")
    problems = []
    for top in tree.body:
        if isinstance(top, ast.Expr) and isinstance(top.value, ast.Call):
            called = ast.unparse(top.value.func).split(".")[0]
            if called not in INCLUDE_TIME_CALLS and not (checks_allowed and called == CHECKS):
                problems.append(f"line {top.lineno}: {ast.unparse(top)[:60]} runs at include time")
        if isinstance(top, ast.Assign) and (
            (isinstance(top.value, (ast.Dict, ast.List, ast.Set)) and not ast.unparse(top.value)[1:-1].strip())
            or (isinstance(top.value, ast.Call) and ast.unparse(top.value.func) in empty and not top.value.args)
        ):
            problems.append(f"line {top.lineno}: an empty container to be filled later")
        if isinstance(top, ast.Try):
            problems.append(f"line {top.lineno}: checks at include time are the package's (check_workflow)")
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign):
            targets = [node.target]
        else:
            targets = []
        if any(isinstance(t, ast.Subscript) and ast.unparse(t).startswith("config[") for t in targets):
            problems.append(f"line {node.lineno}: config changed at include time")
        target = node.func.value if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) else None
        if (
            isinstance(target, ast.Name)
            and target.id in module_names
            and node.func.attr in ("update", "append", "extend", "add", "setdefault", "clear", "pop")
        ):
            problems.append(f"line {node.lineno}: fills the module-level {target.id}")
    return problems


@pytest.mark.parametrize("name", list(CODE))
def test_a_rule_file_defines_no_function_and_its_lambdas_make_one_package_call(name: str) -> None:
    """Snakemake's linter flags a file that holds both rules and functions; here an input or
    params function is a lambda whose work is one call of a name the file imports."""
    assert not [f.name for f in own_functions(TREES[name])], f"{name}: a function belongs in emotify_pipeline.plumbing"
    heavy = heavy_lambdas(TREES[name])
    assert not heavy, f"{name}: move the logic into emotify_pipeline.plumbing: {heavy}"


@pytest.mark.parametrize("name", list(CODE))
def test_nothing_is_checked_or_filled_at_include_time_but_the_one_check(name: str) -> None:
    problems = include_time_problems(TREES[name], checks_allowed=name == "Snakefile")
    assert not problems, f"{name}: {problems}"


def test_the_checks_run_once_from_the_snakefile_before_any_rule_file() -> None:
    calls = {
        name: [node for node in ast.walk(tree) if isinstance(node, ast.Call) and ast.unparse(node.func) == CHECKS]
        for name, tree in TREES.items()
    }
    assert {name: len(found) for name, found in calls.items() if found} == {"Snakefile": 1}
    calls = [node for node in ast.walk(TREES["Snakefile"]) if isinstance(node, ast.Call)]
    checks = [node.lineno for node in calls if ast.unparse(node.func) == CHECKS]
    includes = [node.lineno for node in calls if ast.unparse(node.func) == "workflow.include"]
    assert includes and checks[0] < min(includes)


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
    """The readers above see a function, lambdas that compute, include-time state, a changed
    config and a name from elsewhere; a plain delegating lambda passes."""
    bad = tmp_path / "bad.smk"
    bad.write_text(
        "from os.path import join\n_SEEN = {}\nSTATE = dict()\n\n\ndef fill(wildcards):\n    return OTHER\n\n\n"
        "fill(None)\nconfig['run_label'] = 'x'\nGOOD = lambda w: join(config['a'], w.x, checkpoints)\n"
        "LOOP = lambda w: [join(p) for p in w]\nNESTED = lambda w: join(sorted(w))\n"
    )
    code = compile_rule_file(bad)
    tree = ast.parse(code)
    assert [f.name for f in own_functions(tree)] == ["fill"]
    assert [h.split(":")[0] for h in heavy_lambdas(tree)] == ["line 13", "line 14"]
    assert "OTHER" in global_names(code, "bad.smk") - set(bindings(tree))
    found = " | ".join(include_time_problems(tree, checks_allowed=False))
    for problem in ("line 2: an empty", "line 3: an empty", "line 10: fill(None)", "line 11: config changed"):
        assert problem in found, found


def path_literals() -> dict[str, list[str]]:
    """Every string constant naming a file under results/ or resources/ (a rule's own log and
    benchmark aside) in the rule files and the plumbing package -> where it is written."""
    files = {name: tree for name, tree in TREES.items()}
    files |= {
        p.name: ast.parse(p.read_text()) for p in (REPO / "workflow/scripts/emotify_pipeline/plumbing").glob("*.py")
    }
    found: dict[str, list[str]] = {}
    for name, tree in files.items():
        inner = {id(v) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for v in node.values}
        for node in ast.walk(tree):
            if id(node) in inner:
                continue
            parts = node.values if isinstance(node, ast.JoinedStr) else [node]
            text = "".join(p.value if isinstance(p, ast.Constant) and isinstance(p.value, str) else "{}" for p in parts)
            if isinstance(node, (ast.Constant, ast.JoinedStr)) and re.match(r"(results|resources)/\S", text):
                if not text.startswith("results/benchmarks/"):
                    found.setdefault(text, []).append(f"{name}:{node.lineno}")
    return found


def test_every_file_path_is_spelled_once() -> None:
    """A path that several rules or modules name lives in plumbing/paths.py (FILES, or a function
    such as split_table), so that a rename cannot leave a reader behind."""
    repeated = {path: where for path, where in path_literals().items() if len(set(where)) > 1}
    assert not repeated, repeated
