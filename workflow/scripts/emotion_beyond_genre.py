"""Snakemake entry of rules ``emotion_beyond_genre`` and ``model_beyond_genre``: emotion from
audio beyond genre."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
import logging
from typing import Any

from emotify_pipeline.plumbing.runner import run_main
from emotify_pipeline.study.analyses import write_emotion_beyond_genre


def main(smk: Any, logger: logging.Logger) -> None:
    i = smk.input
    write_emotion_beyond_genre(
        i.split, i.labels, i.neighbours, dict(smk.params.cfg), smk.params.kind, smk.output.csv, logger
    )


run_main(main, snakemake)  # noqa: F821
