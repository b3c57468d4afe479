"""Snakemake entry of rules ``evaluate_repeated`` and ``evaluate_model``: accuracy over resampled
and grouped splits."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
import logging
from typing import Any

from emotify_pipeline.plumbing.runner import run_main
from emotify_pipeline.study.evaluation import write_repeated_evaluation


def main(smk: Any, logger: logging.Logger) -> None:
    p, i, o = smk.params, smk.input, smk.output
    splits = dict(zip(p.kinds, i.splits, strict=True))
    neighbours = dict(zip(p.kinds, i.neighbours, strict=True))
    settings = {**p.evaluation, "k": p.k, "ties": p.ties}
    write_repeated_evaluation(splits, neighbours, i.ratings, i.labels, settings, o.summary, o.repeats, logger)


run_main(main, snakemake)  # noqa: F821
