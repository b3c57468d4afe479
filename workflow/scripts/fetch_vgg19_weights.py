"""Snakemake entry of rule ``fetch_vgg19_weights``: torchvision's ImageNet VGG19 weights, copied
from torchvision's own cache when it holds them, else downloaded."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.data.download import fetch_weights
from emotify_pipeline.plumbing.runner import run_main


def main(smk, logger):
    fetch_weights(smk.params.url, smk.output.weights, sha256=smk.params.sha256, logger=logger)


run_main(main, snakemake)  # noqa: F821
