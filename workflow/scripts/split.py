"""Snakemake entry of rule ``split``: the paper's single 70/30 split."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.neighbours.splits import paper_split_job
from emotify_pipeline.plumbing.runner import run_main

run_main(paper_split_job, snakemake)  # noqa: F821
