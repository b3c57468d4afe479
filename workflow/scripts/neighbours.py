"""Snakemake entry of rule ``neighbours``: neighbour rankings of every split (independent of k)."""

# isort: off
import emotify_pipeline.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.common_io import run_main
from emotify_pipeline.geometry import neighbours_job

run_main(neighbours_job, snakemake)  # noqa: F821
