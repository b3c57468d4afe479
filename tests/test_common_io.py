"""The scripts' entry: explicit dispatch by rule name, every failure in the rule's log."""

from pathlib import Path
from types import SimpleNamespace

import pytest

from emotify_pipeline.core.errors import EmotifyError
from emotify_pipeline.plumbing.runner import run_main


def _job(smk, logger) -> None:
    logger.info("ran %s", smk.rule)


def test_an_unknown_rule_name_runs_nothing_and_says_so(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    with pytest.raises(SystemExit) as exit_:
        run_main({"known_rule": _job}, SimpleNamespace(rule="renamed_rule", log=[str(log)]))
    assert exit_.value.code == 1
    text = log.read_text()
    assert "no job for rule 'renamed_rule' (this script runs known_rule)" in text and "ran" not in text
    run_main({"known_rule": _job}, SimpleNamespace(rule="known_rule", log=[str(log)]))
    assert "ran known_rule" in log.read_text()


def test_every_failure_reaches_the_rule_log(tmp_path: Path) -> None:
    log = tmp_path / "x.log"

    def user_error(smk, logger) -> None:
        raise EmotifyError("data.csv: line 3 is wrong")

    def bug(smk, logger) -> None:
        raise ZeroDivisionError("a bug")

    with pytest.raises(SystemExit):
        run_main({"r": user_error}, SimpleNamespace(rule="r", log=[str(log)]))
    assert "data.csv: line 3 is wrong" in log.read_text() and "Traceback" not in log.read_text()
    with pytest.raises(ZeroDivisionError):
        run_main({"r": bug}, SimpleNamespace(rule="r", log=[str(log)]))
    text = log.read_text()
    assert "unexpected error in rule r" in text and "Traceback" in text and "ZeroDivisionError: a bug" in text
