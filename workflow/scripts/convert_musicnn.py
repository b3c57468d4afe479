"""Snakemake entry of rule ``convert_musicnn``: a musicnn checkpoint as the port's state dict."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
import logging
from pathlib import Path
from typing import Any

from emotify_pipeline.features.networks import network
from emotify_pipeline.features.networks.musicnn_weights import convert, fetch_wheel
from emotify_pipeline.plumbing.runner import run_main


def main(smk: Any, logger: logging.Logger) -> None:
    model = network(smk.wildcards.model)
    wheel = fetch_wheel(Path(smk.input.wheel).parent, logger)  # a file put by hand is checked here
    digest = convert(wheel, model.name, smk.output.weights)
    logger.info(
        "%s: %s (trained on %s) as a PyTorch state dict, sha256 %s%s",
        smk.output.weights,
        model.name,
        model.training_data(model.value_settings(smk.config["features"])),
        digest,
        f"; WARNING: {model.leakage_warning}" if model.leakage_warning else "",
    )


run_main(main, snakemake)  # noqa: F821
