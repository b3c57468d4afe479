# emotify-pipeline: Pereira & Tavares, "An interplay between genre and emotion prediction in
# music: a study in the Emotify dataset", as a reproducible Snakemake workflow.
# This file only sets the configuration and includes the stages; see README.md.
import sys
from pathlib import Path

from snakemake.utils import min_version

min_version("9.0")

# the workflow's package (workflow/scripts/emotify_pipeline), which every rule file imports its
# helpers from: found beside this file, also when the workflow is used as a module elsewhere
sys.path.insert(0, str(Path(workflow.current_basedir) / "workflow" / "scripts"))
from emotify_pipeline.plumbing.inputs import final_outputs


configfile: "config/config.yaml"


report: "report/workflow.rst"


# common.smk first: it checks the configuration and the data, once, for every other file
include: "rules/common.smk"
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
