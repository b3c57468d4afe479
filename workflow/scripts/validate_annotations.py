"""Snakemake entry of rule ``validate_annotations``: data.csv validated, repeated rows counted."""

# isort: off
import emotify_pipeline.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.common_io import run_main
from emotify_pipeline.dataset import validate_annotations_job

run_main(validate_annotations_job, snakemake)  # noqa: F821
