# Shared by the rule files, made once per run. The configuration, checked against the schema
# and against itself; the checks of the data, whose findings are PREFLIGHT; the wildcard
# constraints; and the input functions, one line each over the package's logic
# (workflow/scripts/emotify_pipeline/plumbing/). Every other helper of the rule files (paths,
# params, code digests) is a package function that each file imports itself; a file that uses
# a name from here says so in its header (tests/test_rules_layer.py checks it).
import sys
from pathlib import Path

import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from emotify_pipeline.core.errors import EmotifyError
from emotify_pipeline.features.networks import names as network_names
from emotify_pipeline.plumbing import figure_specs, inputs, settings
from emotify_pipeline.plumbing.preflight import checked_config, preflight
from emotify_pipeline.plumbing.run_guard import guard_against_a_live_run

# the schema beside this workflow, also when it is used as a module from another directory
# (workflow.basedir is then the importing workflow's folder; current_basedir is rules/ here)
SCHEMA = yaml.safe_load(
    (Path(workflow.current_basedir).parent / "config" / "schema.yaml").read_text()
)

# The checks while the DAG is built, in order: the configuration (nested --config values arrive
# as strings: typed first; the problem named in one line, not the whole schema), the schema's
# defaults filled in, no other run alive here, then the data (emotify_pipeline/plumbing/preflight.py).
# Each stops the run with one message before any job starts.
try:
    config.update(checked_config(config, SCHEMA))
    validate(config, schema="../config/schema.yaml")
    guard_against_a_live_run(sys.argv[1:], workflow.is_main_process)
    PREFLIGHT = preflight(config, sys.argv[1:])
except EmotifyError as err:
    raise WorkflowError(str(err)) from None


# cheap jobs stay on the submitting host when a cluster executor is used
localrules:
    all,
    validate_annotations,
    split,
    summary,


wildcard_constraints:
    shard=r"\d+",
    model="|".join(network_names()),


# the network whose features the study reads (features.model), and those evaluated beside it
# on the same splits (features.compare)
FEATURE_MODELS = settings.feature_models(config)


def leaky_models():
    return settings.leaky_models(config)


def weights_path():
    return settings.weights_path(config)


def weights_file_input(wildcards):
    return weights_path() or []


def weights_input(wildcards):
    return settings.weights_input(config, wildcards.model)


# the audio rankings of one network: the study's, or one compared with it
COMPARED_INPUTS = "|".join(f"audio-{model}" for model in network_names())


# --- input functions (no logic here: emotify_pipeline/plumbing/inputs.py and preflight.py) ---


def audio_files():
    """Every audio file of the configured source (a download's once its checkpoint has run)."""
    return inputs.audio_files(config, checkpoints.download_audio.get)


def track_table_inputs(wildcards):
    """The audio files, and the annotations only where their ids are not known in advance."""
    return inputs.track_table_inputs(config, PREFLIGHT.track_ids_param())


def all_audio_content(wildcards):
    """The digest of every audio file's bytes: a changed clip reruns the track table."""
    return PREFLIGHT.content_digest(audio_files(), audio_files())


def shard_paths(wildcards):
    """The audio files of one extraction shard (a stable hash of the path picks the shard); a
    download's are checked here, once known."""
    try:
        return PREFLIGHT.shard_paths(audio_files(), int(wildcards.shard))
    except EmotifyError as err:
        raise WorkflowError(str(err)) from None


def shard_inputs(wildcards):
    """A shard depends on its own audio files (and the weights), so only a changed shard reruns."""
    return {"audio": shard_paths(wildcards), **weights_input(wildcards)}


def shard_content(wildcards):
    """The digest of the bytes of one shard's audio files."""
    return PREFLIGHT.content_digest(shard_paths(wildcards), audio_files())


def model_feature_params(wildcards):
    """The settings that change the values of one network's features."""
    return settings.feature_params(config, wildcards.model)


def neighbour_inputs(wildcards):
    """What one neighbour file ranks: audio features or GEMS rating shares, on one split table."""
    return inputs.neighbour_inputs(config, wildcards.splits, wildcards.inputs)


def neighbour_job_inputs(wildcards):
    """The neighbour file's own inputs, or the parts that evaluation.ranking_jobs jobs rank."""
    return inputs.neighbour_job_inputs(config, wildcards.splits, wildcards.inputs)


def split_repeats(wildcards):
    """The number of splits in the split table being ranked."""
    return settings.split_repeats(config, wildcards.splits)


def resample_inner_folds(wildcards):
    """Inner folds for the split kind being drawn (random splits only)."""
    return settings.resample_inner_folds(config, wildcards.kind)


def experiment_inputs(wildcards):
    """What one experiment's classifier reads, by the names its study-table row declares."""
    return inputs.experiment_inputs(config, wildcards.exp)


def pca_inputs(wildcards):
    """What one experiment's PCA projects (its study-table row's ``pca_input``)."""
    return inputs.pca_inputs(config, wildcards.exp)


def figure_input_files(wildcards):
    """The files the figures read, each once."""
    return figure_specs.figure_input_files(config)


def comparison_input(wildcards):
    """The networks' comparison, for the summary, when features.compare names any."""
    return inputs.comparison_input(config)
