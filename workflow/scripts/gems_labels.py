"""Snakemake entry of rule ``gems_labels``: the binary emotion labels (share above the median)."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.data.labels import gems_labels_job
from emotify_pipeline.plumbing.runner import run_main

run_main(gems_labels_job, snakemake)  # noqa: F821
