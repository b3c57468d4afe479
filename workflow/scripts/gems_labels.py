"""Snakemake entry of rule ``gems_labels``: the binary emotion labels (share above the median)."""

# isort: off
import emotify_pipeline.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.common_io import run_main
from emotify_pipeline.gems_labels import gems_labels_job

run_main(gems_labels_job, snakemake)  # noqa: F821
