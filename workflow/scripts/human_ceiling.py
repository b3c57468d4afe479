"""Snakemake entry of rule ``human_ceiling``: the raters' agreement ceiling."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.plumbing.runner import run_main
from emotify_pipeline.study.evaluation import human_ceiling_job

run_main(human_ceiling_job, snakemake)  # noqa: F821
