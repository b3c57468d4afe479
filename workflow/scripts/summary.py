"""Snakemake entry of rule ``summary``: results/summary.md and the extended Table 1."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.plumbing.runner import run_main
from emotify_pipeline.report.summary import main

run_main(main, snakemake)  # noqa: F821
