"""Snakemake entry of rule ``download_audio``: the official audio archive, unpacked."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.data.download import download_audio_job
from emotify_pipeline.plumbing.runner import run_main

run_main(download_audio_job, snakemake)  # noqa: F821
