"""Snakemake entry of rule ``experiment``: one of the paper's experiments (the ``exp`` wildcard;
the table in emotify_pipeline/study/table.py)."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.plumbing.runner import run_main
from emotify_pipeline.study.experiments import experiment_job

run_main(experiment_job, snakemake)  # noqa: F821
