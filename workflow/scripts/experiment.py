"""Snakemake entry of rule ``experiment``: one of the paper's experiments (the ``exp`` wildcard;
the table in emotify_pipeline/study/table.py)."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
import logging
from typing import Any

from emotify_pipeline.plumbing.runner import run_main
from emotify_pipeline.study.experiments import write_experiment


def main(smk: Any, logger: logging.Logger) -> None:
    p = smk.params
    settings = {"k": p.k, "ties": p.ties, "seed": p.seed}
    write_experiment(smk.wildcards.exp, dict(smk.input.items()), settings, dict(smk.output.items()), logger)


run_main(main, snakemake)  # noqa: F821
