"""The docs hold to their sources: every generated block is current, every test a page names
exists and is collected, every "tested" names its test, and the site builds with warnings as
errors."""

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

spec = importlib.util.spec_from_file_location("docs_render", REPO / "docs" / "render.py")
render = importlib.util.module_from_spec(spec)
spec.loader.exec_module(render)

TEST_REF = re.compile(r"tests/(test_\w+\.py)::(\w+)")


def _pages() -> list[Path]:
    return render.pages()


def test_every_generated_block_is_current() -> None:
    stale = {str(p.relative_to(REPO)): names for p in _pages() if (names := render.stale_blocks(p))}
    assert not stale, f"stale generated blocks (run python docs/render.py): {stale}"


def test_a_hand_edited_number_is_caught() -> None:
    """Changing one digit inside a generated block makes the page stale."""
    page = next(p for p in _pages() if render.BLOCK.search(p.read_text()))
    text = page.read_text()
    block = render.BLOCK.search(text)
    body = block.group("body")
    digit = re.search(r"\d", body)
    assert digit, f"{page}: the block {block.group('name')} holds no number to tamper with"
    i = block.start("body") + digit.start()
    tampered = text[:i] + str((int(text[i]) + 1) % 10) + text[i + 1 :]
    assert render.render_text(tampered) != tampered
    assert render.render_text(text) == text


def _named_tests() -> dict[str, set[str]]:
    named: dict[str, set[str]] = {}
    for page in _pages():
        for file, test in TEST_REF.findall(page.read_text()):
            named.setdefault(file, set()).add(test)
    return named


def test_every_named_test_exists_and_is_collected() -> None:
    named = _named_tests()
    assert named, "no page names a test"
    missing_files = sorted(f for f in named if not (REPO / "tests" / f).is_file())
    assert not missing_files, f"pages name test files that do not exist: {missing_files}"
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            *(f"tests/{f}" for f in named),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    collected = {tuple(line.split("::")[:2]) for line in out.stdout.splitlines() if "::" in line}
    collected = {(Path(f).name, t.split("[")[0]) for f, t in collected}
    missing = sorted(f"tests/{f}::{t}" for f, tests in named.items() for t in tests if (f, t) not in collected)
    assert not missing, f"pages name tests that pytest does not collect: {missing}"


# "tested", or a test said to do something ("a test checks", "the tests hold", "tests confirm")
CLAIM = re.compile(
    r"\btested\b"
    r"|\b(a|an|the|one|each|every|this|these|two|three) ([\w-]+ )?tests?\b (checks?|holds?|keeps?|fails?|runs?|proves?"
    r"|shows?|finds?|confirms?|catches|compares?|renders?|reads?)\b"
    r"|\btests (check|hold|keep|show|confirm|prove|compare)\b",
    re.I,
)


def _bare_claims(pages: list[Path]) -> list[str]:
    bare = []
    for page in pages:
        for para in re.split(r"\n\s*\n", page.read_text()):
            if CLAIM.search(para) and not TEST_REF.search(para):
                where = page.relative_to(REPO) if page.is_relative_to(REPO) else page
                bare.append(f"{where}: {' '.join(para.split())[:100]}")
    return bare


def test_every_tested_claim_names_its_test() -> None:
    """A paragraph that says "tested", or that a test does something, names the test
    (tests/test_x.py::test_y)."""
    bare = _bare_claims(_pages())
    assert not bare, "\n".join(bare)


@pytest.mark.parametrize(
    "claim",
    [
        "The order is tested.",
        "A test checks that the order holds.",
        "The tests hold this true.",
        "Two real-SLURM tests run it.",
    ],
)
def test_a_claim_without_its_test_is_caught(tmp_path: Path, claim: str) -> None:
    page = tmp_path / "page.md"
    page.write_text(f"# A page\n\n{claim}\n")
    assert _bare_claims([page]), claim
    page.write_text(f"# A page\n\n{claim} (`tests/test_docs.py::test_the_readme_is_a_front_door`)\n")
    assert not _bare_claims([page])


def test_every_renderer_and_benchmark_result_is_on_a_page(monkeypatch: pytest.MonkeyPatch) -> None:
    """A generated block cannot leave its page unnoticed (its table then free to be edited by
    hand): every renderer fills a block of some page, and every benchmark result under
    docs/benchmarks/ is read by one."""
    used = {m.group("name") for page in _pages() for m in render.BLOCK.finditer(page.read_text())}
    assert used == set(render.RENDERERS), f"renderers on no page: {sorted(set(render.RENDERERS) - used)}"
    read: set[str] = set()
    load = render.load_result
    monkeypatch.setattr(render, "load_result", lambda name: read.add(name) or load(name))
    for page in _pages():
        render.render_text(page.read_text(), str(page))
    results = {p.stem for p in render.BENCHMARKS.glob("*.json")}
    assert results <= read, f"benchmark results no page shows: {sorted(results - read)}"


def test_the_site_builds_with_warnings_as_errors(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(tmp_path / "site")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert (tmp_path / "site" / "index.html").is_file()


# --------------------------------------------------------------------------- reference pages

DOCS = REPO / "docs"
CODE_FILES = [*(REPO / "workflow").rglob("*.py"), *(REPO / "rules").glob("*.smk"), REPO / "Snakefile"]
HISTORY = re.compile(r"\b(this|the previous|an earlier|earlier|previous) release\b|\bsessions?\b|\bissue \d+", re.I)


def _table_rows(text: str) -> list[dict[str, str]]:
    """The rows of every Markdown table in ``text``, as {header: cell} (header rows skipped)."""
    rows, header = [], None
    for line in text.splitlines():
        if not line.startswith("|"):
            header = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
        elif not set("".join(cells)) <= set("-: "):
            rows.append(dict(zip(header, cells, strict=False)))
    return rows


def test_the_docs_speak_in_the_present() -> None:
    """No history in the README or the site (no releases, sessions or issue numbers): it goes to
    CHANGELOG.md."""
    found = [
        f"{page.relative_to(REPO)}: {m.group(0)!r}" for page in _pages() for m in HISTORY.finditer(page.read_text())
    ]
    assert not found, found


def test_the_readme_is_a_front_door() -> None:
    lines = (REPO / "README.md").read_text().splitlines()
    assert len(lines) <= 160, f"README.md has {len(lines)} lines: move the detail into docs/"


def test_the_faults_page_quotes_messages_the_code_writes() -> None:
    """Every quote in a "message" column of docs/faults.md is in the code that writes it (the
    run's values, written <...>, and elisions, ..., left out)."""
    code = "\n".join(p.read_text() for p in CODE_FILES)
    missing = []
    # the generated list of every message is read from the code itself
    for row in _table_rows(render.BLOCK.sub("", (DOCS / "faults.md").read_text())):
        for quote in re.findall(r"`([^`]+)`", row.get("message", "")):
            for piece in re.split(r"<[^>]*>|\.\.\.", quote):
                if len(piece.strip()) >= 4 and piece.strip() not in code:
                    missing.append(f"{quote!r} ({piece.strip()!r})")
    assert not missing, f"docs/faults.md quotes messages the code does not write: {missing}"


def _bad_input_cases() -> set[str]:
    import ast

    tree = ast.parse((REPO / "tests" / "test_faults.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "BAD_INPUTS" for t in node.targets):
            return {ast.literal_eval(k) for k in node.value.keys}
    raise AssertionError("tests/test_faults.py has no BAD_INPUTS")


def test_the_faults_page_covers_every_bad_input_case() -> None:
    listed = {
        case.strip()
        for row in _table_rows((DOCS / "faults.md").read_text())
        for case in row.get("case", "").split(";")
        if case.strip()
    }
    cases = _bad_input_cases()
    assert listed == cases, f"not on the page: {sorted(cases - listed)}; not a case: {sorted(listed - cases)}"


def _expand(path: str) -> list[str]:
    """``a/{b,c}.csv`` -> ``a/b.csv``, ``a/c.csv`` (one brace group)."""
    m = re.search(r"\{([^}]*)\}", path)
    return [path[: m.start()] + alt + path[m.end() :] for alt in m.group(1).split(",")] if m else [path]


def _documented(page: str, label: str) -> dict[str, list[str]]:
    """{path heading: the backticked names of its "<label>:" line} of a reference page."""
    out, heading = {}, None
    for line in (DOCS / page).read_text().splitlines():
        if m := re.match(r"^##+ `([^`]+)`\s*$", line):
            heading = m.group(1)
        elif heading and line.startswith(f"{label}:"):
            out[heading] = re.findall(r"`([^`]+)`", line)
    return out


def _column_pattern(name: str) -> re.Pattern[str]:
    from emotify_pipeline.core.emotify import EMOTIONS, GENRES

    text = re.escape(name)
    text = text.replace(re.escape("<emotion>"), "(?:" + "|".join(EMOTIONS) + ")")
    text = text.replace(re.escape("<genre>"), "(?:" + "|".join(GENRES) + ")")
    text = text.replace(re.escape("<i>"), r"\d+")
    return re.compile(text + r"\Z")


def _matches(documented: list[str], header: list[str]) -> bool:
    """Does ``header`` read as ``documented``, in order, each pattern taking one or more columns?
    A last ``leakage_warning`` column is the one an MTT network's tables add (see the page)."""
    if header[-1:] == ["leakage_warning"] and "leakage_warning" not in documented:
        header = header[:-1]
    i = 0
    for name in documented:
        pattern, start = _column_pattern(name), i
        while i < len(header) and pattern.match(header[i]):
            i += 1
            if not any(p in name for p in ("<emotion>", "<genre>", "<i>")):
                break
        if i == start:
            return False
    return i == len(header)


def outputs_problems(results: Path) -> list[str]:
    """How docs/outputs.md's "Columns:" lines differ from the CSV headers under ``results``, and
    which CSVs the page does not cover."""
    import csv

    problems, covered = [], set()
    for heading, columns in _documented("outputs.md", "Columns").items():
        for path in _expand(heading):
            # a compared network's own tables (evaluation/models/<model>/) have the study's columns
            compared = path.replace("results/evaluation/", "results/evaluation/models/*/", 1)
            for csv_path in sorted({*results.parent.glob(path), *results.parent.glob(compared)}):
                covered.add(csv_path)
                with open(csv_path, newline="") as handle:
                    header = next(csv.reader(handle))
                if not _matches(columns, header):
                    problems.append(f"{csv_path.relative_to(results.parent)}: page {columns}, file {header}")
    for csv_path in sorted(results.rglob("*.csv")):
        if csv_path not in covered:
            problems.append(f"{csv_path.relative_to(results.parent)}: not on docs/outputs.md")
    return problems


def hdf5_problems(results: Path) -> list[str]:
    """How docs/hdf5.md's "Datasets:" and "Attributes:" lines differ from the feature files."""
    import h5py

    problems = []
    for label, read in (("Datasets", lambda h5: set(h5.keys())), ("Attributes", lambda h5: set(h5.attrs.keys()))):
        for heading, names in _documented("hdf5.md", label).items():
            files = sorted(results.parent.glob(re.sub(r"<[^>]*>", "*", heading)))
            if not files:
                problems.append(f"{heading}: no such file under {results}")
            for path in files:
                with h5py.File(path, "r") as h5:
                    actual = read(h5)
                if actual != set(names):
                    problems.append(
                        f"{path.name} {label}: page lacks {actual - set(names)}, file lacks {set(names) - actual}"
                    )
    return problems


@pytest.mark.slow
def test_the_outputs_page_lists_the_columns_of_every_csv_the_demo_writes(demo_run: Path) -> None:
    problems = outputs_problems(demo_run / "results")
    assert not problems, "\n".join(problems)


@pytest.mark.slow
def test_the_hdf5_page_lists_every_dataset_and_attribute_of_the_demo_files(demo_run: Path) -> None:
    problems = hdf5_problems(demo_run / "results")
    assert not problems, "\n".join(problems)
