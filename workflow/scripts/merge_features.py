"""Snakemake entry of rule ``merge_features``: the shards merged into one checked feature file."""

# isort: off
import emotify_pipeline.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.common_io import run_main
from emotify_pipeline.feature_store import merge_job

run_main(merge_job, snakemake)  # noqa: F821
