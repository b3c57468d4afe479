# emotify-pipeline: Pereira & Tavares, "An interplay between genre and emotion prediction in
# music: a study in the Emotify dataset", as a reproducible Snakemake workflow.
# This file only sets the configuration and includes the stages; see README.md.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "report/workflow.rst"


include: "rules/common.smk"
include: "rules/hooks.smk"
include: "rules/preflight.smk"
include: "rules/data.smk"
include: "rules/labels.smk"
include: "rules/features.smk"
include: "rules/musicnn.smk"
include: "rules/neighbours.smk"
include: "rules/experiments.smk"
include: "rules/evaluation.smk"
include: "rules/figure_registry.smk"
include: "rules/figures.smk"
include: "rules/report.smk"


rule all:
    default_target: True
    input:
        get_final_output(),
