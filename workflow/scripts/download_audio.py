"""Snakemake entry of rule ``download_audio``: the official audio archive, unpacked."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.data.download import download_audio
from emotify_pipeline.plumbing.runner import run_main


def main(smk, logger):
    p = smk.params
    download_audio(p.url, p.archive, smk.output.audio, sha256=p.sha256, logger=logger)


run_main(main, snakemake)  # noqa: F821
