"""Snakemake entry of rule ``extract_shard``: VGG19 features of one shard of the clips."""

# isort: off
import emotify_pipeline.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.common_io import run_main
from emotify_pipeline.vgg_extract import run_shard

run_main(run_shard, snakemake)  # noqa: F821
