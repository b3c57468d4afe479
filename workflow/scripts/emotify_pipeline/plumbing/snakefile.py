"""What the Snakefile and the rule files call: the checks while the DAG is built, and the input
and params functions that need what those checks learned about the data.

The Snakefile calls :func:`check_workflow` once, before it includes any rule file: the
configuration typed and validated, no other run alive here, then the data
(:func:`~emotify_pipeline.plumbing.preflight.preflight`). Each problem stops the run with one
message (a :class:`~snakemake.exceptions.WorkflowError`, which Snakemake prints without a
traceback) before any job starts. The rule files reach the checks' findings through the
functions below, by the configuration alone: a rule's input is one call,
``lambda w: snakefile.shard_paths(config, checkpoints.download_audio.get, w.shard)``, and no
name passes from one rule file to another.

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

#: what :func:`check_workflow` learned, by configuration: one entry per checked configuration
#: (the workflow's, and a module's where the workflow is used as one)
_FINDINGS: dict[str, Preflight] = {}


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
        _FINDINGS[config_key(config)] = preflight(config, argv)
    except EmotifyError as err:
        raise WorkflowError(str(err)) from None


def findings(config: Config) -> Preflight:
    """What the checks of ``config`` learned about its data (:func:`check_workflow` ran first)."""
    try:
        return _FINDINGS[config_key(config)]
    except KeyError:
        raise WorkflowError(
            "the checks of this configuration have not run: the Snakefile calls "
            "emotify_pipeline.plumbing.snakefile.check_workflow(config, ...) before it includes the rules"
        ) from None


def track_ids(config: Config) -> str:
    """The track ids and genres of data.csv, for the track table's params
    (:meth:`Preflight.track_ids_param`)."""
    return findings(config).track_ids_param()


def track_inputs(config: Config) -> dict[str, Any]:
    """The track table's inputs: the audio, and the annotations where the ids are not known."""
    return track_table_inputs(config, track_ids(config))


def all_audio_content(config: Config, wait_for_download: Callable[[], Any]) -> str:
    """The digest of every audio file's bytes: a changed clip reruns the track table."""
    files = audio_files(config, wait_for_download)
    return findings(config).content_digest(files, files)


def shard_paths(config: Config, wait_for_download: Callable[[], Any], shard: str | int) -> list[str]:
    """The audio files of one extraction shard (a stable hash of the path picks the shard); a
    download's are checked here, once known."""
    try:
        return findings(config).shard_paths(audio_files(config, wait_for_download), int(shard))
    except EmotifyError as err:
        raise WorkflowError(str(err)) from None


def shard_content(config: Config, wait_for_download: Callable[[], Any], shard: str | int) -> str:
    """The digest of the bytes of one shard's audio files: only a changed shard reruns."""
    paths = shard_paths(config, wait_for_download, shard)
    return findings(config).content_digest(paths, audio_files(config, wait_for_download))


def shard_inputs(config: Config, wait_for_download: Callable[[], Any], shard: str | int, model: str) -> dict[str, Any]:
    """A shard depends on its own audio files and its network's weights (and their check), so
    only a changed shard reruns."""
    return {"audio": shard_paths(config, wait_for_download, shard), **weights_input(config, model)}
