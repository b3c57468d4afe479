"""Snakemake entry of rule ``gems_ratings``: each song's share of positive ratings per emotion."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.data.labels import gems_ratings_job
from emotify_pipeline.plumbing.runner import run_main

run_main(gems_ratings_job, snakemake)  # noqa: F821
