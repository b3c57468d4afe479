"""Snakemake entry of rule ``track_table``: one row per track: its audio file, checks and tags."""

# isort: off
import emotify_pipeline.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.common_io import run_main
from emotify_pipeline.dataset import track_table_job

run_main(track_table_job, snakemake)  # noqa: F821
