"""Snakemake entry of rule ``reduce_features``: the optional reduction of the features."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.features.reduce import main
from emotify_pipeline.plumbing.runner import run_main

run_main(main, snakemake)  # noqa: F821
