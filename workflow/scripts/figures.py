"""Snakemake entry of rule ``figures``: every figure, in one process."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
import logging
from typing import Any

from emotify_pipeline.plumbing.runner import run_main
from emotify_pipeline.report.figures import draw_all


def main(smk: Any, logger: logging.Logger) -> None:
    p = smk.params
    outputs = {name: smk.output[name] for name in p.figures}
    draw_all(p.figures, outputs, p.data_label, p.dpi, workers=smk.threads, logger=logger)


run_main(main, snakemake)  # noqa: F821
