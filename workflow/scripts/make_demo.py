"""Snakemake entry of rule ``make_demo``: the synthetic Emotify-shaped demo data set."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from pathlib import Path

from emotify_pipeline.data.demo import generate_demo
from emotify_pipeline.plumbing.runner import run_main


def main(smk, logger):
    p = smk.params.demo
    generate_demo(
        root=Path(smk.output.csv).parent,
        n_per_genre=p["n_per_genre"],
        duration=p["duration"],
        sample_rate=p["sample_rate"],
        seed=p["seed"],
        ratings_min=p["ratings_min"],
        ratings_max=p["ratings_max"],
        artists_per_genre=p["artists_per_genre"],
        groups=p["groups"],
        logger=logger,
        workers=max(0, int(smk.threads) - 1),  # this process synthesises, the others encode
    )


run_main(main, snakemake)  # noqa: F821
