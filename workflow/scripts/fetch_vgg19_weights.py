"""Snakemake entry of rule ``fetch_vgg19_weights``: torchvision's ImageNet VGG19 weights, copied
from torchvision's own cache when it holds them, else downloaded."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
import logging
from typing import Any

from emotify_pipeline.data.download import fetch_or_copy
from emotify_pipeline.features.networks.vgg19 import torch_hub_file
from emotify_pipeline.plumbing.runner import run_main


def main(smk: Any, logger: logging.Logger) -> None:
    url = smk.params.url
    fetch_or_copy(url, smk.output.weights, [torch_hub_file(url)], sha256=smk.params.sha256, logger=logger)


run_main(main, snakemake)  # noqa: F821
