"""Snakemake entry of rule ``gems_ratings``: each song's share of positive ratings per emotion."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.data.labels import write_rating_shares
from emotify_pipeline.plumbing.runner import run_main


def main(smk, logger):
    write_rating_shares(smk.input.annotations, smk.output.ratings, logger)


run_main(main, snakemake)  # noqa: F821
