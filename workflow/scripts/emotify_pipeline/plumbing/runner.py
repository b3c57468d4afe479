"""How an entry script runs its job: one clean message for the user's errors, one sentence for
a failure of the machine (full disk, memory, a dead worker), a traceback only for a bug."""

import logging
import re
import sys
from pathlib import Path
from typing import Any

from ..core.errors import EmotifyError
from ..core.files import setup_logging


def run_main(main: Any, smk: Any) -> None:
    """Run a script's job: ``main`` is ``main(smk, logger)``, or a dict rule name -> such a
    function; a rule the dict does not name is an error, never some default branch."""
    if isinstance(main, dict):
        jobs = main
        rule = getattr(smk, "rule", None)

        # a rule imported from a module carries the importer's prefix (use rule * as emotify_*)
        rule = max((name for name in jobs if rule == name or str(rule).endswith(f"_{name}")), key=len, default=rule)

        def main(smk: Any, logger: logging.Logger) -> None:
            if rule not in jobs:
                raise EmotifyError(
                    f"{Path(sys.argv[0]).name}: no job for rule {rule!r} (this script runs {', '.join(sorted(jobs))})"
                )
            jobs[rule](smk, logger)

    _run(main, smk)


def _nearly_full(folder: Path, margin: int = 16 << 20) -> bool:
    """Whether the file system holding ``folder`` has less than ``margin`` bytes free (an
    OSError there is most likely a full disk, whatever the library made of it)."""
    import shutil

    for candidate in (folder, *folder.parents):
        try:
            return shutil.disk_usage(candidate).free < margin
        except OSError:
            continue
    return False


def explain_failure(err: BaseException, outputs: list[str] | None = None) -> str | None:
    """One sentence for a failure of the machine rather than of the code -- a full disk, a
    decoding worker that died, memory exhausted -- saying what happened and what to do; None
    for anything else (a bug, whose traceback is kept)."""
    import errno

    text = str(err)
    where = Path(outputs[0]).parent if outputs else Path(".")
    if isinstance(err, OSError) and (
        err.errno in (errno.ENOSPC, errno.EDQUOT)
        or "No space left on device" in text
        or "errno = 28" in text
        or re.search(r"\d+ requested and \d+ written", text)  # numpy's short write
        or _nearly_full(where)
    ):
        return (
            f"the disk is full (or the quota is reached) while writing {err.filename or where}: nothing was written "
            f"under a final name. Free space where {where} lives (df -h {where}) and run again; an extraction "
            "resumes from the batches it had finished"
        )
    if isinstance(err, RuntimeError) and "DataLoader worker" in text:
        return (
            f"a decoding worker process died ({text.splitlines()[0].strip()}): killed from outside, or out of "
            "memory. The batches finished so far are kept: run again to resume; if it recurs, lower "
            "features.num_workers or give the job more memory (mem_mb in the profile)"
        )
    if type(err).__name__ == "BrokenProcessPool":
        return (
            "a decoding worker process died (killed from outside, or out of memory): nothing was written under a "
            "final name. Run again; if it recurs, give the job more memory (mem_mb in the profile) or fewer threads"
        )
    if isinstance(err, MemoryError):
        return (
            "out of memory: nothing was written under a final name. Give the job more memory (mem_mb in the "
            "profile), fewer threads, or smaller feature blocks, and run again"
        )
    return None


def _run(main: Any, smk: Any) -> None:
    """Run a script's ``main(snakemake)``; a :class:`EmotifyError` becomes one clean message.

    The message goes to the rule's log and to stderr, and the process exits with status 1
    instead of printing a traceback from inside a library. Ctrl-C exits with 130 and one line.
    Any other exception is a bug: its traceback goes to the rule's log (so
    ``--show-failed-logs`` shows it) and it is raised again.
    """
    log_files = list(getattr(smk, "log", []) or [])
    logger = setup_logging(log_files[0] if log_files else None)
    try:
        main(smk, logger)
    except EmotifyError as err:
        logger.error("%s", err)
        sys.exit(1)
    except KeyboardInterrupt:
        logger.error("interrupted (Ctrl-C); nothing was written under a final name, rerun to continue")
        sys.exit(130)
    except Exception as err:
        message = explain_failure(err, [str(p) for p in (getattr(smk, "output", []) or [])])
        if message:
            logger.error("rule %s: %s", getattr(smk, "rule", "?"), message)
            sys.exit(1)
        # not the user's input: keep the whole traceback, in the rule's log too
        logger.exception("unexpected error in rule %s", getattr(smk, "rule", "?"))
        raise
