"""Snakemake entry of rule ``check_weights``: the weights file loaded and checked once."""

# isort: off
import emotify_pipeline.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.common_io import run_main
from emotify_pipeline.vgg_extract import check_weights_job

run_main(check_weights_job, snakemake)  # noqa: F821
