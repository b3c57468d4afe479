"""Snakemake entry of rule ``split``: the paper's single 70/30 split."""

# isort: off
import emotify_pipeline.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.common_io import run_main
from emotify_pipeline.splits import paper_split_job

run_main(paper_split_job, snakemake)  # noqa: F821
