"""What the Snakefile and the rule files call: the checks while the DAG is built, and the input
and params functions that need what those checks learned about the data.

The Snakefile calls :func:`check_workflow` once, before it includes any rule file: the
configuration typed and validated, no other run alive here, then the data
(:func:`~emotify_pipeline.plumbing.preflight.preflight`). Each problem stops the run with one
message (a :class:`~snakemake.exceptions.WorkflowError`, which Snakemake prints without a
traceback) before any job starts. The rule files reach the checks' findings through the
functions below, by the configuration and Snakemake's ``checkpoints`` alone: a rule's input is
one call, ``lambda w: snakefile.shard_paths(config, checkpoints, w.shard)``, and no name passes
from one rule file to another.

The findings are a function of the configuration and the files: :func:`findings` keeps them by
a digest of the configuration (a cache, filled by :func:`check_workflow`), and a configuration
that changed after the checks (a workflow that uses this one as a module and edits its config)
is checked again on first use, never answered with another configuration's findings.

This is the one module of the package that imports Snakemake: the jobs' own code never needs it.
"""

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from ..core.errors import EmotifyError
from .inputs import audio_files, track_table_inputs
from .preflight import Preflight, checked_config, preflight
from .run_guard import guard_against_a_live_run
from .settings import weights_input

Config = dict[str, Any]
#: the schema beside the workflow (also when it is used as a module from another directory)
SCHEMA = Path(__file__).resolve().parents[4] / "config" / "schema.yaml"

#: what the checks learned, by configuration (:func:`config_key`): the workflow's, a module's,
#: or a configuration edited after the checks; and the command line they ran under
_FINDINGS: dict[str, Preflight] = {}
_ARGV: list[str] = []


def config_key(config: Config) -> str:
    """A digest of the configuration's content: the findings of its checks are filed under it."""
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()


def check_workflow(config: Config, argv: list[str], is_main_process: bool, schema: str | Path = SCHEMA) -> None:
    """Every check that can stop the run while the DAG is built, in order: the configuration
    (nested --config values arrive as strings: typed first; the problem named in one line, not
    the whole schema), the schema's defaults filled into ``config``, no other run alive here,
    then the data. Raises WorkflowError with the first problem's one message."""
    try:
        config.update(checked_config(config, yaml.safe_load(Path(schema).read_text())))
        validate(config, schema=str(schema))
        guard_against_a_live_run(argv, is_main_process)
        _ARGV[:] = argv
        _FINDINGS[config_key(config)] = preflight(config, argv)
    except EmotifyError as err:
        raise WorkflowError(str(err)) from None


def findings(config: Config) -> Preflight:
    """What the checks of ``config`` learned about its data: those :func:`check_workflow` ran,
    or, for a configuration changed since, its own checks, run now (one message on a problem)."""
    key = config_key(config)
    if key not in _FINDINGS:
        try:
            _FINDINGS[key] = preflight(config, _ARGV)
        except EmotifyError as err:
            raise WorkflowError(str(err)) from None
    return _FINDINGS[key]


def _waiter(checkpoints: Any) -> Callable[[], Any]:
    """What waits for the download: Snakemake's ``checkpoints.download_audio.get`` (it raises
    IncompleteCheckpointException until the checkpoint has run; a local copy never calls it)."""
    return lambda: checkpoints.download_audio.get()


def track_ids(config: Config) -> str:
    """The track ids and genres of data.csv, for the track table's params
    (:meth:`Preflight.track_ids_param`)."""
    return findings(config).track_ids_param()


def track_inputs(config: Config) -> dict[str, Any]:
    """The track table's inputs: the audio, and the annotations where the ids are not known."""
    return track_table_inputs(config, track_ids(config))


def all_audio_content(config: Config, checkpoints: Any) -> str:
    """The digest of every audio file's bytes: a changed clip reruns the track table."""
    files = audio_files(config, _waiter(checkpoints))
    return findings(config).content_digest(files, files)


def shard_paths(config: Config, checkpoints: Any, shard: str | int) -> list[str]:
    """The audio files of one extraction shard (a stable hash of the path picks the shard); a
    download's are checked here, once known."""
    try:
        return findings(config).shard_paths(audio_files(config, _waiter(checkpoints)), int(shard))
    except EmotifyError as err:
        raise WorkflowError(str(err)) from None


def shard_content(config: Config, checkpoints: Any, shard: str | int) -> str:
    """The digest of the bytes of one shard's audio files: only a changed shard reruns."""
    paths = shard_paths(config, checkpoints, shard)
    return findings(config).content_digest(paths, audio_files(config, _waiter(checkpoints)))


def shard_inputs(config: Config, checkpoints: Any, shard: str | int, model: str) -> dict[str, Any]:
    """A shard depends on its own audio files and its network's weights (and their check), so
    only a changed shard reruns."""
    return {"audio": shard_paths(config, checkpoints, shard), **weights_input(config, model)}
