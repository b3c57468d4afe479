"""Snakemake entry of rule ``summary``: results/summary.md and the extended Table 1."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
import logging
from typing import Any

from emotify_pipeline.plumbing.runner import run_main
from emotify_pipeline.report.summary import write_summary


def main(smk: Any, logger: logging.Logger) -> None:
    p = smk.params
    write_summary(dict(smk.input.items()), dict(smk.output.items()), p.run_label, p.confidence, logger)


run_main(main, snakemake)  # noqa: F821
