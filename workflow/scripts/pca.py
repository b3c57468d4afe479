"""Snakemake entry of rule ``pca``: the PCA behind Figs. 1, 4 and 6."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
import logging
from typing import Any

from emotify_pipeline.plumbing.runner import run_main
from emotify_pipeline.study.pca import write_pca


def main(smk: Any, logger: logging.Logger) -> None:
    write_pca(smk.wildcards.exp, dict(smk.input.items()), smk.params.seed, smk.output.pca, smk.output.info, logger)


run_main(main, snakemake)  # noqa: F821
