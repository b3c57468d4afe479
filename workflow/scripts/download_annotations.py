"""Snakemake entry of rule ``download_annotations``: the official data.csv, sha256 checked."""

# isort: off
import emotify_pipeline.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.common_io import run_main
from emotify_pipeline.download import download_annotations_job

run_main(download_annotations_job, snakemake)  # noqa: F821
