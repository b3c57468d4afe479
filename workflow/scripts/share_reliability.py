"""Snakemake entry of rule ``share_reliability``: the split-half reliability of the rating shares."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
import logging
from typing import Any

from emotify_pipeline.plumbing.runner import run_main
from emotify_pipeline.study.share_outputs import write_share_reliability


def main(smk: Any, logger: logging.Logger) -> None:
    table = write_share_reliability(
        smk.input.annotations, smk.input.tracks, dict(smk.params.evaluation), smk.output.csv
    )
    logger.info("reliability of the rating shares of %d songs", int(table["n_songs"].iloc[0]))


run_main(main, snakemake)  # noqa: F821
