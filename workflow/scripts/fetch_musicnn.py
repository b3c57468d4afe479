"""Snakemake entry of rule ``fetch_musicnn``: the musicnn package's wheel, checked."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.features.networks.musicnn import fetch_job
from emotify_pipeline.plumbing.runner import run_main

run_main(fetch_job, snakemake)  # noqa: F821
