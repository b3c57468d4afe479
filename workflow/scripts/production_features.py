"""Snakemake entry of rule ``production_features``: hand-made production descriptors."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.features.production import main
from emotify_pipeline.plumbing.runner import run_main

run_main(main, snakemake)  # noqa: F821
