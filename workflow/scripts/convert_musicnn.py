"""Snakemake entry of rule ``convert_musicnn``: a musicnn checkpoint as the port's state dict."""

# isort: off
import emotify_pipeline.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.common_io import run_main
from emotify_pipeline.musicnn import convert_job

run_main(convert_job, snakemake)  # noqa: F821
