"""Snakemake entry of rule ``genre_claims``: the genre claims' checks."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.plumbing.runner import run_main
from emotify_pipeline.study.analyses import genre_claims_job

run_main(genre_claims_job, snakemake)  # noqa: F821
