"""Snakemake entry of rule ``compare_models``: the networks side by side on the same splits."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
import logging
from typing import Any

from emotify_pipeline.plumbing.runner import run_main
from emotify_pipeline.study.comparison import write_comparison
from emotify_pipeline.study.share_comparison import write_share_comparison


def main(smk: Any, logger: logging.Logger) -> None:
    p, i = smk.params, smk.input
    outputs = {"csv": smk.output.csv, "md": smk.output.md, "beyond": smk.output.beyond}
    write_comparison(
        list(p.models), i.summaries, i.repeats, i.beyond, i.features, p.confidence, p.data_label, outputs, logger
    )
    write_share_comparison(i.shares, i.shares_splits, p.confidence, smk.output.shares)


run_main(main, snakemake)  # noqa: F821
