"""Snakemake entry of rule ``download_annotations``: the official data.csv, sha256 checked."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.data.download import download_annotations_job
from emotify_pipeline.plumbing.runner import run_main

run_main(download_annotations_job, snakemake)  # noqa: F821
