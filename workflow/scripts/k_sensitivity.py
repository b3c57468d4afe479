"""Snakemake entry of rule ``k_sensitivity``: accuracy against k."""

# isort: off
import emotify_pipeline.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.analyses import k_sensitivity_job
from emotify_pipeline.common_io import run_main

run_main(k_sensitivity_job, snakemake)  # noqa: F821
