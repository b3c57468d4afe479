"""Snakemake entry of rule ``resample_splits``: the repeated (random or grouped) splits."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.neighbours.splits import resample_job
from emotify_pipeline.plumbing.runner import run_main

run_main(resample_job, snakemake)  # noqa: F821
