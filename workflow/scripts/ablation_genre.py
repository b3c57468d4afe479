"""Snakemake entry of rule ``ablation_genre``: genre accuracy by feature set."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
import logging
from typing import Any

from emotify_pipeline.plumbing.runner import run_main
from emotify_pipeline.study.ablation import write_genre_ablation


def main(smk: Any, logger: logging.Logger) -> None:
    p, i = smk.params, smk.input
    settings = {key: getattr(p, key) for key in ("pca_components", "k", "ties", "seed", "confidence")}
    write_genre_ablation(
        i.split,
        dict(zip(p.kinds, i.neighbours, strict=True)),
        dict(zip(p.kinds, i.ablation, strict=True)),
        i.features,
        settings,
        p.run_label,
        smk.output.csv,
        smk.output.md,
        logger,
    )


run_main(main, snakemake)  # noqa: F821
