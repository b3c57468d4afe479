"""Snakemake entry of rule ``pca``: the PCA behind Figs. 1, 4 and 6."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.plumbing.runner import run_main
from emotify_pipeline.study.experiments import pca_job

run_main(pca_job, snakemake)  # noqa: F821
