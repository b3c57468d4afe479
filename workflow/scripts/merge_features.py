"""Snakemake entry of rule ``merge_features``: the shards merged into one checked feature file."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
import logging
from typing import Any

import pandas as pd

from emotify_pipeline.core.emotify import usable_tracks
from emotify_pipeline.features.merge import merge_shards
from emotify_pipeline.plumbing.runner import run_main


def main(smk: Any, logger: logging.Logger) -> None:
    tracks = usable_tracks(pd.read_csv(smk.input.tracks))
    n, dim = merge_shards(smk.output.h5, list(smk.input.shards), tracks, smk.params.on_bad_audio, logger)
    logger.info("merged %d shard(s) into %s: %d tracks x %d features", len(smk.input.shards), smk.output.h5, n, dim)


run_main(main, snakemake)  # noqa: F821
