"""Snakemake entry of rule ``ablation_genre``: genre accuracy by feature set."""

# isort: off
import emotify_pipeline.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.ablation import main
from emotify_pipeline.common_io import run_main

run_main(main, snakemake)  # noqa: F821
