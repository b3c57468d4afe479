"""Snakemake entry of rule ``extract_shard``: VGG19 features of one shard of the clips."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.features.extract import run_shard
from emotify_pipeline.plumbing.runner import run_main

run_main(run_shard, snakemake)  # noqa: F821
