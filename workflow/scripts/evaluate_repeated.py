"""Snakemake entry of rule ``evaluate_repeated``: accuracy over resampled and grouped splits."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.plumbing.runner import run_main
from emotify_pipeline.study.evaluation import evaluate_repeated_job

run_main(evaluate_repeated_job, snakemake)  # noqa: F821
