"""Snakemake entry of rule ``convert_musicnn``: a musicnn checkpoint as the port's state dict."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.features.networks.musicnn import convert_job
from emotify_pipeline.plumbing.runner import run_main

run_main(convert_job, snakemake)  # noqa: F821
