# emotify-pipeline: Pereira & Tavares, "An interplay between genre and emotion prediction in
# music: a study in the Emotify dataset", as a reproducible Snakemake workflow.
# This file sets the configuration, runs the checks and includes the stages; see README.md.
import sys
from pathlib import Path

from snakemake.utils import min_version

min_version("9.0")

# the workflow's package (workflow/scripts/emotify_pipeline), which every rule file imports its
# helpers from: found beside this file, also when the workflow is used as a module elsewhere
sys.path.insert(0, str(Path(workflow.current_basedir) / "workflow" / "scripts"))
from emotify_pipeline.features.networks import names as network_names
from emotify_pipeline.plumbing.inputs import final_outputs
from emotify_pipeline.plumbing.snakefile import check_workflow


configfile: "config/config.yaml"


report: "report/workflow.rst"


# The checks while the DAG is built, here and only here, before any rule: the configuration
# against the schema and itself, no other run alive here, then the data. Each problem stops the
# run with one message before any job starts; the rule files reach what the checks learned
# through emotify_pipeline.plumbing.snakefile.
check_workflow(config, sys.argv[1:], workflow.is_main_process)


# with a cluster executor these stay on the submitting host: the cheap jobs, and the jobs that
# reach the internet (compute nodes often cannot)
localrules:
    all,
    validate_annotations,
    split,
    summary,
    download_annotations,
    download_audio,
    fetch_vgg19_weights,
    fetch_musicnn,


wildcard_constraints:
    shard=r"\d+",
    model="|".join(network_names()),


include: "rules/hooks.smk"
include: "rules/data.smk"
include: "rules/labels.smk"
include: "rules/features.smk"
include: "rules/musicnn.smk"
include: "rules/neighbours.smk"
include: "rules/experiments.smk"
include: "rules/evaluation.smk"
include: "rules/figures.smk"
include: "rules/report.smk"


rule all:
    default_target: True
    input:
        final_outputs(config),
