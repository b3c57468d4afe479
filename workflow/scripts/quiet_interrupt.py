"""Imported first by every workflow script: Ctrl-C (SIGINT) ends the job with one line.

A script spends its first second importing numpy, pandas, torch...; a Ctrl-C then would print
a long traceback from inside those imports. This handler prints one line and exits with 130
(once the script's own code runs, :func:`common_io.run_main` also logs it to the rule's log).
"""

import os
import signal
import sys


def _interrupted(signum: int, frame: object) -> None:
    sys.stderr.write(f"{os.path.basename(sys.argv[0])}: interrupted (Ctrl-C); nothing written under a final name\n")
    raise SystemExit(130)


if "snakemake" in sys.modules.get("__main__", sys).__dict__:
    signal.signal(signal.SIGINT, _interrupted)
