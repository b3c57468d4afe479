"""CI does not pass by skipping: under CI=true an unmarked skip fails the run (a test's, a whole
module's, an expected failure's), a skip marked as something CI cannot have (TensorFlow, a GPU)
passes and is counted."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import REPO

PROBE = """
import pytest

def test_runs():
    pass

def test_needs_a_missing_wheel():
    pytest.skip("the musicnn wheel is neither in resources/models nor fetchable")

@pytest.mark.needs_tensorflow
def test_needs_tensorflow():
    pytest.skip("TensorFlow is not installed")
"""


MODULE_SKIP = """
import pytest

no_such = pytest.importorskip("no_such_module_for_the_probe")

def test_never_collected():
    pass
"""

MARKED_MODULE_SKIP = """
import pytest

pytestmark = pytest.mark.needs_tensorflow
tf = pytest.importorskip("no_such_module_for_the_probe")

def test_never_collected():
    pass
"""

XFAIL = """
import pytest

@pytest.mark.xfail(reason="a known failure")
def test_known_to_fail():
    assert False
"""


def _run(tmp_path: Path, ci: str, probe: str = PROBE) -> subprocess.CompletedProcess:
    shutil.copy(REPO / "tests" / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "test_probe.py").write_text(probe)
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    needs_tensorflow: x\n    needs_gpu: x\n")
    env = {**os.environ, "CI": ci}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_an_unmarked_skip_fails_in_ci(tmp_path: Path) -> None:
    out = _run(tmp_path, "true")
    text = out.stdout + out.stderr
    assert out.returncode == 1, text
    assert "1 failed, 1 passed, 1 skipped" in text, text
    assert "skipped in CI without a marker" in text and "musicnn wheel" in text
    assert "skipped for what CI cannot have: 1 needs_tensorflow" in text


def test_outside_ci_a_skip_is_a_skip(tmp_path: Path) -> None:
    out = _run(tmp_path, "")
    assert out.returncode == 0 and "1 passed, 2 skipped" in out.stdout, out.stdout + out.stderr


def test_a_module_skipped_at_collection_fails_in_ci(tmp_path: Path) -> None:
    out = _run(tmp_path, "true", MODULE_SKIP)
    text = out.stdout + out.stderr
    assert out.returncode != 0, text
    assert "skipped in CI without a marker" in text and "no_such_module_for_the_probe" in text, text
    outside = _run(tmp_path, "", MODULE_SKIP)
    assert outside.returncode == 5 and "1 skipped" in outside.stdout, outside.stdout  # 5: nothing else collected


def test_an_expected_failure_fails_in_ci(tmp_path: Path) -> None:
    out = _run(tmp_path, "true", XFAIL)
    text = out.stdout + out.stderr
    assert out.returncode == 1 and "1 failed" in text, text
    assert "xfail (a known failure)" in text, text
    assert _run(tmp_path, "", XFAIL).returncode == 0


def test_a_module_marked_as_needing_what_ci_cannot_have_may_skip_at_collection(tmp_path: Path) -> None:
    out = _run(tmp_path, "true", MARKED_MODULE_SKIP)
    text = out.stdout + out.stderr
    assert out.returncode == 5 and "1 skipped" in text, text  # 5: nothing else collected
    assert "skipped for what CI cannot have: 1 needs_tensorflow" in text, text
