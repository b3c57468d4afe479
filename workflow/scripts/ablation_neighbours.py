"""Snakemake entry of rule ``ablation_neighbours``: neighbour rankings of the ablation's feature sets."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.neighbours.ablation_rankings import neighbours_job
from emotify_pipeline.plumbing.runner import run_main

run_main(neighbours_job, snakemake)  # noqa: F821
