"""Snakemake entry of rule ``validate_annotations``: data.csv validated, repeated rows counted."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.data.dataset import validate_annotations_job
from emotify_pipeline.plumbing.runner import run_main

run_main(validate_annotations_job, snakemake)  # noqa: F821
