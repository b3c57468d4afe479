"""Snakemake entry of rule ``check_weights``: the weights file loaded and checked once."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.features.extract import check_weights_job
from emotify_pipeline.plumbing.runner import run_main

run_main(check_weights_job, snakemake)  # noqa: F821
