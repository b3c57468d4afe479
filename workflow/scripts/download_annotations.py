"""Snakemake entry of rule ``download_annotations``: the official data.csv, sha256 checked."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.data.download import fetch
from emotify_pipeline.plumbing.runner import run_main


def main(smk, logger):
    fetch(smk.params.url, smk.output.csv, sha256=smk.params.sha256, logger=logger)


run_main(main, snakemake)  # noqa: F821
