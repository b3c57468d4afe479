"""Snakemake entry of rule ``fetch_musicnn``: the musicnn package's wheel, checked."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
import logging
from pathlib import Path
from typing import Any

from emotify_pipeline.features.networks.musicnn import WHEEL_SHA256
from emotify_pipeline.features.networks.musicnn_weights import fetch_wheel
from emotify_pipeline.plumbing.runner import run_main


def main(smk: Any, logger: logging.Logger) -> None:
    wheel = fetch_wheel(Path(smk.output.wheel).parent, logger)
    logger.info("%s: sha256 %s", wheel, WHEEL_SHA256)


run_main(main, snakemake)  # noqa: F821
