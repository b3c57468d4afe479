"""Snakemake entry of rule ``fetch_vgg19_weights``: torchvision's ImageNet VGG19 weights."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.data.download import fetch_weights_job
from emotify_pipeline.plumbing.runner import run_main

run_main(fetch_weights_job, snakemake)  # noqa: F821
