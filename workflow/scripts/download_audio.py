"""Snakemake entry of rule ``download_audio``: the official audio archive, unpacked."""

# isort: off
import emotify_pipeline.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.common_io import run_main
from emotify_pipeline.download import download_audio_job

run_main(download_audio_job, snakemake)  # noqa: F821
