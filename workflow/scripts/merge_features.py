"""Snakemake entry of rule ``merge_features``: the shards merged into one checked feature file."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.features.store import merge_job
from emotify_pipeline.plumbing.runner import run_main

run_main(merge_job, snakemake)  # noqa: F821
