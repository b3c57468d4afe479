"""Snakemake entry of rule ``gems_labels``: the binary emotion labels (share above the median)."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.data.labels import write_binary_labels
from emotify_pipeline.plumbing.runner import run_main


def main(smk, logger):
    write_binary_labels(
        smk.input.ratings, smk.output.labels, smk.output.thresholds, rule=smk.params.threshold, logger=logger
    )


run_main(main, snakemake)  # noqa: F821
