"""Snakemake entry of rule ``fetch_vgg19_weights``: torchvision's ImageNet VGG19 weights."""

# isort: off
import emotify_pipeline.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.common_io import run_main
from emotify_pipeline.download import fetch_weights_job

run_main(fetch_weights_job, snakemake)  # noqa: F821
