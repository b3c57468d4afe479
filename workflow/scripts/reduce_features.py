"""Snakemake entry of rule ``reduce_features``: the optional reduction of the features."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
import logging
from typing import Any

from emotify_pipeline.features.reduce import reduce_file
from emotify_pipeline.plumbing.runner import run_main


def main(smk: Any, logger: logging.Logger) -> None:
    p = smk.params.reduce
    info = reduce_file(smk.input.h5, smk.output.h5, p["method"], p["n_components"], p["seed"])
    logger.info("reduced %s -> %s: %s", smk.input.h5, smk.output.h5, info)


run_main(main, snakemake)  # noqa: F821
