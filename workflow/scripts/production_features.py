"""Snakemake entry of rule ``production_features``: hand-made production descriptors."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
import logging
from typing import Any

from emotify_pipeline.core.files import write_csv
from emotify_pipeline.features.production import production_table
from emotify_pipeline.plumbing.runner import run_main


def main(smk: Any, logger: logging.Logger) -> None:
    table = production_table(smk.input.features, smk.input.tracks)
    write_csv(table, smk.output.csv)
    logger.info(
        "production descriptors of %d clips from the decode statistics in %s (no decoding) -> %s",
        len(table),
        smk.input.features,
        smk.output.csv,
    )


run_main(main, snakemake)  # noqa: F821
