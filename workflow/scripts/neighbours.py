"""Snakemake entry of rule ``neighbours``: neighbour rankings of every split (independent of k)."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.neighbours.geometry import neighbours_job
from emotify_pipeline.plumbing.runner import run_main

run_main(neighbours_job, snakemake)  # noqa: F821
