"""Snakemake entry of rule ``track_table``: one row per track: its audio file, checks and tags."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.data.dataset import track_table_job
from emotify_pipeline.plumbing.runner import run_main

run_main(track_table_job, snakemake)  # noqa: F821
