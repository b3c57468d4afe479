"""Snakemake entry of rules ``neighbours`` and ``neighbours_part``: neighbour rankings of every split
(independent of k), or one file gathered from the ranking jobs' files."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.neighbours.neighbour_files import gather_neighbour_files, write_neighbour_file
from emotify_pipeline.plumbing.runner import run_main


def main(smk, logger):
    inputs, wildcards = dict(smk.input.items()), dict(smk.wildcards.items())
    if "parts" in inputs:  # evaluation.ranking_jobs > 1: the jobs' files into one
        gather_neighbour_files(smk.output.h5, list(smk.input.parts), int(smk.params.repeats), logger)
        return
    write_neighbour_file(
        smk.output.h5,
        smk.input.split,
        wildcards["inputs"],
        int(smk.params.depth),
        features=inputs.get("features"),
        ratings=inputs.get("ratings"),
        part=(int(wildcards["part"]), int(wildcards["jobs"])) if "part" in wildcards else None,
        threads=smk.threads,
        logger=logger,
    )


run_main(main, snakemake)  # noqa: F821
