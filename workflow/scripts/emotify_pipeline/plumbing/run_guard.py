"""Who holds this working directory: so that Snakemake's ``--unlock`` advice is never followed
while another run is alive.

Snakemake's lock files (``.snakemake/locks/``) say which files are locked, not by whom, and a
run that finds them advises ``--unlock`` -- which, while the other run is still alive, lets two
runs write the same files. The workflow therefore records its own process (``onstart``: pid,
host, start time, command line) and removes the record when it ends (``onsuccess`` /
``onerror``). While the workflow is parsed, :func:`live_run` tells whether locks exist *and*
the run that made them is still alive on this host; :func:`guard_against_a_live_run` then stops
with :func:`guard_message` instead of letting the advice through. A run killed with SIGKILL leaves
a record whose process is gone: then the locks really are stale, and Snakemake's own advice
(``--unlock``) is right.
"""

import datetime as _dt
import json
import os
import socket
import sys
from pathlib import Path
from typing import Any

from ..core.errors import EmotifyError

RECORD = Path(".snakemake") / "emotify" / "run.json"
LOCKS = Path(".snakemake") / "locks"


def record_run(path: str | Path = RECORD) -> None:
    """Write this process's record (called from ``onstart``, once the lock is held)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started_utc": _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat(),
        "command": " ".join(sys.argv),
    }
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(record))
    os.replace(tmp, path)


def clear_run(path: str | Path = RECORD) -> None:
    """Remove this process's record (``onsuccess`` / ``onerror``); another process's stays."""
    record = read_record(path)
    if record and record.get("pid") == os.getpid() and record.get("host") == socket.gethostname():
        Path(path).unlink(missing_ok=True)


def read_record(path: str | Path = RECORD) -> dict[str, Any] | None:
    try:
        return dict(json.loads(Path(path).read_text()))
    except (OSError, ValueError, TypeError):
        return None


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this host and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by another user
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def live_run(record_path: str | Path = RECORD, locks: str | Path = LOCKS) -> dict[str, Any] | None:
    """The record of another run that holds locks here and is alive on this host, else None."""
    locks = Path(locks)
    if not locks.is_dir() or not any(locks.iterdir()):
        return None
    record = read_record(record_path)
    if not record or record.get("host") != socket.gethostname() or record.get("pid") == os.getpid():
        return None
    return record if process_alive(int(record["pid"])) else None


def guard_message(record: dict[str, Any], unlocking: bool) -> str:
    """One message: who is running, and what to do instead of ``--unlock``."""
    who = (
        f"another Snakemake run is still working in this directory: pid {record['pid']} on {record['host']}, "
        f"started {record['started_utc']} ({record['command']})"
    )
    if unlocking:
        return (
            f"{who}. --unlock would remove the locks of a live run and let two runs write the same files. "
            f"Wait for it to finish, or stop it first (kill {record['pid']}; it resumes from its checkpoints)."
        )
    return (
        f"{who}. Do not use --unlock while it runs: wait for it to finish (or stop it with kill {record['pid']}), "
        "then run again; a dry run (-n) is safe meanwhile."
    )


def guard_against_a_live_run(
    argv: list[str], main_process: bool, record_path: str | Path = RECORD, locks: str | Path = LOCKS
) -> None:
    """Stop before Snakemake's lock check when another run is alive here: its advice to use
    --unlock would break that run. Raises :class:`EmotifyError` with :func:`guard_message`;
    nothing for a read-only invocation (``argv``: Snakemake's command line) or a job's own
    process (``main_process`` False). ``record_path`` and ``locks``: :func:`live_run`'s."""
    mode = invocation(argv)
    if not main_process or mode == "read-only":
        return
    record = live_run(record_path, locks)
    if record:
        raise EmotifyError(guard_message(record, unlocking=mode == "unlock"))


# invocations that neither lock nor write: a live run elsewhere does not concern them
_READ_ONLY_FLAGS = {
    "-n",
    "--dry-run",
    "--dryrun",
    "--just-print",
    "--summary",
    "-S",
    "--detailed-summary",
    "-D",
    "--lint",
    "--list",
    "-l",
    "--list-target-rules",
    "--list-rules",
    "--dag",
    "--rulegraph",
    "--filegraph",
    "--report",
    "--list-changes",
    "--lc",
    "--list-code-changes",
    "--list-params-changes",
    "--list-input-changes",
    "--list-untracked",
    "--version",
    "--help",
    "-h",
}


def invocation(argv: list[str]) -> str:
    """'unlock', 'read-only' (dry runs, summaries, lint, graphs) or 'run', from the command line."""
    if "--unlock" in argv:
        return "unlock"
    for arg in argv:
        flag = arg.split("=", 1)[0]
        if flag in _READ_ONLY_FLAGS or (len(arg) > 1 and arg[0] == "-" and arg[1] != "-" and "n" in arg[1:3]):
            return "read-only"
    return "run"


def is_dry_run(argv: list[str]) -> bool:
    """Whether the command line asks for a dry run (``-n``, ``--dry-run``, ``-np`` ...): it plans
    the study, so a missing input should be named as a run would name it (a lint should not)."""
    return any(
        arg.split("=", 1)[0] in ("-n", "--dry-run", "--dryrun", "--just-print")
        or (len(arg) > 1 and arg[0] == "-" and arg[1] != "-" and "n" in arg[1:3])
        for arg in argv
    )


def sacct_problem(timeout: float = 20.0) -> str:
    """'' when ``sacct`` answers, else why not (missing, accounting storage disabled, ...):
    the SLURM executor's default status command is sacct, which without accounting waits and
    then fails deep inside the plugin."""
    import shutil
    import subprocess

    if shutil.which("sacct") is None:
        return "sacct is not installed"
    try:
        proc = subprocess.run(
            ["sacct", "-X", "-n", "--format=JobID", "--starttime", "now"],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"sacct does not answer ({err.__class__.__name__})"
    if proc.returncode != 0:
        first = (proc.stderr or proc.stdout).strip().splitlines()
        return f"sacct fails ({first[0] if first else f'exit status {proc.returncode}'})"
    return ""


def slurm_status_message(executor: str, status_command: str | None, problem: str) -> str:
    """One message when the SLURM executor would follow its jobs with a sacct that cannot
    answer, else ''."""
    if executor != "slurm" or (status_command or "sacct") != "sacct" or not problem:
        return ""
    return (
        f"the SLURM executor follows its jobs with sacct, but on this cluster {problem} (SLURM accounting is "
        "probably off). Run with --slurm-status-command squeue, or ask "
        "the administrators to enable accounting"
    )


def cluster_status_message(workflow: Any) -> str:
    """For ``onstart``, before any job is submitted: the message for a SLURM executor that
    would poll a sacct which cannot answer (instead of waiting, then a traceback from the
    plugin), else ''."""
    plugin = getattr(workflow, "executor_plugin", None)
    executor = str(getattr(plugin, "name", "") or "")
    if executor != "slurm":
        return ""
    status = getattr(workflow.executor_settings, "status_command", None)
    return slurm_status_message(executor, status, sacct_problem() if status in (None, "sacct") else "")
