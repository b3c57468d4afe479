"""Snakemake entry of rule ``k_sensitivity``: accuracy against k."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.plumbing.runner import run_main
from emotify_pipeline.study.analyses import k_sensitivity_job

run_main(k_sensitivity_job, snakemake)  # noqa: F821
