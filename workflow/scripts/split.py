"""Snakemake entry of rule ``split``: the paper's single 70/30 split."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.neighbours.splits import write_paper_split
from emotify_pipeline.plumbing.runner import run_main


def main(smk, logger):
    p = smk.params
    write_paper_split(
        smk.input.tracks, smk.output.split, p.test_size, p.seed, stratify=p.stratify, folds=p.inner_folds, logger=logger
    )


run_main(main, snakemake)  # noqa: F821
