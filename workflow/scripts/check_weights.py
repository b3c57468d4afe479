"""Snakemake entry of rule ``check_weights``: the weights file loaded and checked once, before
any shard job starts: a wrong or broken file then fails here, and Snakemake never deletes a good
shard to rerun its extraction with weights that cannot load."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
import logging
from typing import Any

from emotify_pipeline.core.files import write_json
from emotify_pipeline.features.networks import network
from emotify_pipeline.features.shards import check_weights
from emotify_pipeline.plumbing.runner import run_main


def main(smk: Any, logger: logging.Logger) -> None:
    settings = dict(smk.params.features)
    provenance = check_weights(settings, smk.input.weights)
    write_json(provenance, smk.output.json)
    table_name = network(settings["model"]).table_name
    logger.info("%s: a %s state dict, sha256 %s", smk.input.weights, table_name, provenance["weights_sha256"])


run_main(main, snakemake)  # noqa: F821
