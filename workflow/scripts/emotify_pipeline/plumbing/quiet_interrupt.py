"""Imported first by every workflow script: a failure before the script's own code runs still
reaches the rule's log, and Ctrl-C ends the job with one line.

A script spends its first second importing numpy, pandas, torch...; a Ctrl-C then would print
a long traceback from inside those imports, and an import error would reach stderr only (not
``logs/...``, so ``--show-failed-logs`` would show nothing). Once the script's code runs,
:func:`plumbing.runner.run_main` takes over both.
"""

import os
import signal
import sys
import traceback

_MAIN = sys.modules.get("__main__", sys).__dict__


def _interrupted(signum: int, frame: object) -> None:
    sys.stderr.write(f"{os.path.basename(sys.argv[0])}: interrupted (Ctrl-C); nothing written under a final name\n")
    raise SystemExit(130)


def _to_rule_log(kind: type, value: BaseException, tb: object) -> None:
    text = "".join(traceback.format_exception(kind, value, tb))
    try:
        log = list(getattr(_MAIN["snakemake"], "log", []) or [])
        if log:
            with open(log[0], "a", encoding="utf-8") as handle:
                handle.write(text)
    except Exception:  # noqa: BLE001 - never hide the original error behind a logging one
        pass
    sys.__excepthook__(kind, value, tb)


if "snakemake" in _MAIN:
    signal.signal(signal.SIGINT, _interrupted)
    sys.excepthook = _to_rule_log
