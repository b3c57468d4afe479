"""Snakemake entry of rule ``validate_annotations``: data.csv validated, repeated rows counted."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.data.annotations import validate_annotations
from emotify_pipeline.plumbing.runner import run_main


def main(smk, logger):
    validate_annotations(
        smk.input.csv, smk.output.csv, smk.output.report, duplicate_rows=smk.params.duplicate_rows, logger=logger
    )


run_main(main, snakemake)  # noqa: F821
