"""Snakemake entry of rule ``genre_claims``: the genre claims' checks."""

# isort: off
import emotify_pipeline.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.analyses import genre_claims_job
from emotify_pipeline.common_io import run_main

run_main(genre_claims_job, snakemake)  # noqa: F821
