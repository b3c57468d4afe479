"""Snakemake entry of rule ``ablation_neighbours``: neighbour rankings of the ablation's feature sets."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.neighbours.ablation_rankings import write_ablation_rankings
from emotify_pipeline.plumbing.runner import run_main


def main(smk, logger):
    p = smk.params
    write_ablation_rankings(
        smk.output.h5,
        smk.input.split,
        smk.input.features,
        smk.input.production,
        repeats=p.repeats,
        components=list(p.pca_components),
        depth=int(p.depth),
        threads=smk.threads,
        logger=logger,
    )


run_main(main, snakemake)  # noqa: F821
