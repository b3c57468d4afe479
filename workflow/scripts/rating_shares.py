"""Snakemake entry of rules ``rating_shares`` and ``model_rating_shares``: the rating shares
predicted from one network's audio rankings, against their reliability."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
import logging
from typing import Any

from emotify_pipeline.plumbing.runner import run_main
from emotify_pipeline.study.share_outputs import write_rating_shares


def main(smk: Any, logger: logging.Logger) -> None:
    p, i, o = smk.params, smk.input, smk.output
    outputs = {"summary": o.summary, "splits": o.splits, "predictions": o.predictions}
    write_rating_shares(p.kinds, i.splits, i.neighbours, i.ratings, i.reliability, dict(p.cfg), outputs, logger)


run_main(main, snakemake)  # noqa: F821
