# What the rule files share, made once per run: the configuration, checked against the schema
# and against itself; the checks of the data, whose findings are PREFLIGHT; the wildcard
# constraints; and the networks' input functions. Every other helper of the rule files is a
# package function (workflow/scripts/emotify_pipeline/plumbing/) that each file imports itself;
# a file that uses a name from here says so in its header (tests/test_rules_layer.py checks it).
import sys
from pathlib import Path

import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from emotify_pipeline.core.errors import EmotifyError
from emotify_pipeline.plumbing.preflight import checked_config, preflight
from emotify_pipeline.plumbing.run_guard import guard_against_a_live_run
from emotify_pipeline.plumbing.settings import feature_models

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
    model="vgg19|MSD_musicnn|MTT_musicnn",


# the network whose features the study reads (features.model), and those evaluated beside it
# on the same splits (features.compare)
FEATURE_MODELS = feature_models(config)


def leaky_models():
    """The configured networks that may have heard Emotify's songs (trained on Magnatune audio)."""
    from emotify_pipeline.features.networks.musicnn import LEAKY_MODELS

    return [model for model in FEATURE_MODELS if model in LEAKY_MODELS]


def weights_path():
    """The VGG19 weights file of the configuration ('' for random weights)."""
    weights = config["features"]["weights"]
    if weights == "random":
        return ""
    return config["features"]["weights_file"] if weights == "imagenet" else weights


def weights_file_input(wildcards):
    return weights_path() or []


def weights_input(wildcards):
    """The weights file the extraction needs: VGG19's and its check (none for random weights),
    or a musicnn model's converted state dict."""
    if wildcards.model != "vgg19":
        return {"weights": f"resources/models/{wildcards.model}.pt"}
    if not weights_path():
        return {}
    return {"weights": weights_path(), "weights_check": "results/features/weights_check.json"}


# the audio rankings of one network: the study's, or one compared with it
COMPARED_INPUTS = "|".join(f"audio-{model}" for model in ["vgg19", "MSD_musicnn", "MTT_musicnn"])
