"""Snakemake entry of rule ``human_ceiling``: the raters' agreement ceiling."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
import logging
from typing import Any

from emotify_pipeline.plumbing.runner import run_main
from emotify_pipeline.study.ceiling import write_human_ceiling


def main(smk: Any, logger: logging.Logger) -> None:
    write_human_ceiling(smk.input.annotations, dict(smk.params.evaluation), smk.params.threshold, smk.output.csv)


run_main(main, snakemake)  # noqa: F821
