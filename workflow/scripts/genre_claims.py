"""Snakemake entry of rule ``genre_claims``: the genre claims' checks."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
import logging
from typing import Any

from emotify_pipeline.plumbing.runner import run_main
from emotify_pipeline.study.analyses import write_genre_claims


def main(smk: Any, logger: logging.Logger) -> None:
    i = smk.input
    write_genre_claims(i.split, i.labels, i.neighbours, i.ratings, dict(smk.params.cfg), smk.output.csv, logger)


run_main(main, snakemake)  # noqa: F821
