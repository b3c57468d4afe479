"""Snakemake entry of rule ``extract_shard``: one network's features of one shard of the clips."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
import logging
from typing import Any

from emotify_pipeline.features.execution import execution_settings
from emotify_pipeline.features.shards import run_shard
from emotify_pipeline.plumbing.runner import run_main


def main(smk: Any, logger: logging.Logger) -> None:
    run_shard(
        paths=list(smk.params.paths),
        out_h5=smk.output.h5,
        settings=dict(smk.params.features),
        spectrogram_params={**smk.params.audio, **smk.params.spectrogram},
        execution=execution_settings(dict(smk.config)),
        weights_file=smk.input.get("weights"),
        threads=smk.threads,
        skip_bad_audio=smk.params.on_bad_audio == "skip",
        shard=smk.wildcards.shard,
        logger=logger,
    )


run_main(main, snakemake)  # noqa: F821
