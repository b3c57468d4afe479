"""Snakemake entry of rule ``resample_splits``: the repeated (random or grouped) splits."""

# isort: off
import emotify_pipeline.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.common_io import run_main
from emotify_pipeline.splits import resample_job

run_main(resample_job, snakemake)  # noqa: F821
