"""Snakemake entry of rule ``fetch_musicnn``: the musicnn package's wheel, checked."""

# isort: off
import emotify_pipeline.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.common_io import run_main
from emotify_pipeline.musicnn import fetch_job

run_main(fetch_job, snakemake)  # noqa: F821
