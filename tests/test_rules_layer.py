"""The rule files hold rules and thin input functions, nothing else.

Each ``.smk`` file (and the Snakefile) is compiled to Python with Snakemake's own parser and
read as a syntax tree and a symbol table: a ``def`` only delegates to the package, nothing is
checked or filled in at include time except the one preflight call in rules/common.smk, and a
name one file uses is its own, the package's (imported in that file), Snakemake's, or one of
common.smk's that the file's header names (``# from common.smk: A, b``).
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
COMMON = REPO / "rules" / "common.smk"
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
#: a rule file's function: a docstring and at most this many statements, none of them a loop,
#: a comprehension, an import or a nested function -- the work is the package's
MAX_STATEMENTS = 5
#: the network-specific input functions beside the ``model`` wildcard constraint in common.smk:
#: leaky_models reads the networks' registry (LEAKY_MODELS) itself
NETWORK_FUNCTIONS = frozenset({"leaky_models"})
NOT_DELEGATION = (
    ast.For,
    ast.While,
    ast.With,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
    ast.Lambda,
    ast.Import,
    ast.ImportFrom,
    ast.FunctionDef,
    ast.Global,
    ast.Nonlocal,
)
#: calls at include time that change no state of the rule files: Snakemake's directives and
#: the package's path
INCLUDE_TIME_CALLS = frozenset({"workflow", "min_version", "sys"})


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


def statements(function: ast.FunctionDef) -> list[ast.stmt]:
    """Every statement in ``function``'s body, nested ones too, its docstring left out."""
    body = function.body[1:] if ast.get_docstring(function) is not None else function.body
    return [node for top in body for node in ast.walk(top) if isinstance(node, ast.stmt)]


def bindings(tree: ast.Module) -> dict[str, ast.stmt]:
    """Names a rule file binds at module level (imports, assignments, defs), with the statement.
    Names bound inside a try block (common.smk's checks) count as the file's."""
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


def announced(path: Path) -> set[str]:
    """The names a file's header says it takes from common.smk."""
    for line in path.read_text().splitlines():
        if not line.startswith("#"):
            break
        match = re.match(r"# from common\.smk: (.+)$", line)
        if match:
            return {n.strip() for n in match.group(1).split(",")}
    return set()


def foreign_names(name: str) -> set[str]:
    """Names file ``name`` reads that neither it, Python nor Snakemake defines."""
    own = set(bindings(TREES[name]))
    return global_names(CODE[name], name) - own - set(dir(builtins)) - SNAKEMAKE_NAMES


@pytest.mark.parametrize("name", list(CODE))
def test_a_rule_file_function_only_delegates_to_the_package(name: str) -> None:
    heavy = {}
    for function in own_functions(TREES[name]):
        if function.name in NETWORK_FUNCTIONS and name == "common.smk":
            continue
        body = statements(function)
        kinds = sorted(
            {type(node).__name__ for node in ast.walk(function) if isinstance(node, NOT_DELEGATION)} - {"FunctionDef"}
        )
        nested = [
            node.name for node in ast.walk(function) if isinstance(node, ast.FunctionDef) and node is not function
        ]
        if len(body) > MAX_STATEMENTS or kinds or nested:
            heavy[function.name] = f"{len(body)} statements, {kinds + nested}"
    assert not heavy, f"{name}: move the logic into emotify_pipeline.plumbing: {heavy}"


@pytest.mark.parametrize("name", list(CODE))
def test_nothing_is_checked_or_filled_at_include_time_but_the_one_preflight(name: str) -> None:
    tree = TREES[name]
    module_names = set(bindings(tree))
    problems = []
    for top in tree.body:
        if isinstance(top, ast.Expr) and isinstance(top.value, ast.Call):
            called = ast.unparse(top.value.func).split(".")[0]
            if called not in INCLUDE_TIME_CALLS:
                problems.append(f"line {top.lineno}: {ast.unparse(top)[:60]} runs at include time")
        if (
            isinstance(top, ast.Assign)
            and isinstance(top.value, (ast.Dict, ast.List, ast.Set))
            and not (top.value.keys if isinstance(top.value, ast.Dict) else top.value.elts)
        ):
            problems.append(f"line {top.lineno}: an empty {type(top.value).__name__.lower()} to be filled later")
        if isinstance(top, ast.Try) and name != "common.smk":
            problems.append(f"line {top.lineno}: checks at include time belong to common.smk's one block")
    for function in own_functions(tree):
        for node in ast.walk(function):
            if isinstance(node, (ast.Global, ast.Nonlocal)):
                problems.append(f"{function.name}: {type(node).__name__.lower()} state")
            target = node.func.value if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) else None
            if (
                isinstance(target, ast.Name)
                and target.id in module_names
                and node.func.attr
                in (
                    "update",
                    "append",
                    "extend",
                    "add",
                    "setdefault",
                    "clear",
                    "pop",
                )
            ):
                problems.append(f"{function.name}: fills the module-level {target.id}")
    assert not problems, f"{name}: {problems}"


def test_the_checks_run_once_from_common_smk_and_give_one_value() -> None:
    calls = {
        name: [node for node in ast.walk(tree) if isinstance(node, ast.Call) and ast.unparse(node.func) == "preflight"]
        for name, tree in TREES.items()
    }
    assert {name: len(found) for name, found in calls.items() if found} == {"common.smk": 1}
    checks = next(top for top in TREES["common.smk"].body if isinstance(top, ast.Try))
    assigned = [node for node in checks.body if isinstance(node, ast.Assign)]
    assert [ast.unparse(node.targets[0]) for node in assigned] == ["PREFLIGHT"]
    assert [ast.unparse(h.type) for h in checks.handlers] == ["EmotifyError"]


@pytest.mark.parametrize("name", [n for n in CODE if n != "common.smk"])
def test_a_name_from_another_rule_file_is_common_smks_and_announced(name: str) -> None:
    foreign = foreign_names(name)
    path = next(p for p in FILES if p.name == name)
    shared = set(bindings(TREES["common.smk"]))
    assert not foreign - shared, f"{name} uses {sorted(foreign - shared)}, defined in no file it imports from"
    assert foreign == announced(path), f"{name}: its header must say '# from common.smk: {', '.join(sorted(foreign))}'"


def test_common_smk_reads_only_its_own_names() -> None:
    assert not foreign_names("common.smk")


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


def test_input_functions_and_rules_live_in_different_files() -> None:
    """Snakemake's linter flags a file that holds both (it reads the text: these two patterns):
    the input functions are common.smk's, the rules the other files'."""
    both = [p.name for p in FILES if re.search(r"rule .+?:", p.read_text()) and re.search(r"def .+?:", p.read_text())]
    assert not both


def test_the_checks_see_a_violation(tmp_path: Path) -> None:
    """The readers above see a long function, include-time state and an unannounced name."""
    bad = tmp_path / "bad.smk"
    bad.write_text(
        "_SEEN = {}\n\n\ndef fill(wildcards):\n    for x in range(3):\n        _SEEN.update({x: 1})\n"
        "    return OTHER\n\n\nfill(None)\n"
    )
    code = compile_rule_file(bad)
    tree = ast.parse(code)
    function = own_functions(tree)[0]
    assert any(isinstance(node, ast.For) for node in ast.walk(function))
    assert "OTHER" in global_names(code, "bad.smk") - set(bindings(tree))
    assert any(isinstance(top, ast.Expr) for top in tree.body)
