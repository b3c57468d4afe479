"""Snakemake entry of rule ``resample_splits``: the repeated (random or grouped) splits."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.neighbours.splits import write_resampled_splits
from emotify_pipeline.plumbing.runner import run_main


def main(smk, logger):
    p = smk.params
    write_resampled_splits(
        smk.input.tracks,
        smk.input.features,
        smk.wildcards.kind,
        smk.output.split,
        smk.output.sizes,
        repeats=p.repeats,
        test_size=p.test_size,
        seed=p.seed,
        folds=p.inner_folds,
        logger=logger,
    )


run_main(main, snakemake)  # noqa: F821
