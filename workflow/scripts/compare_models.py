"""Snakemake entry of rule ``compare_models``: the networks side by side on the same splits."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.plumbing.runner import run_main
from emotify_pipeline.study.comparison import compare_job

run_main(compare_job, snakemake)  # noqa: F821
