"""Snakemake entry of rule ``emotion_beyond_genre``: emotion from audio beyond genre."""

# isort: off
import emotify_pipeline.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.analyses import emotion_beyond_genre_job
from emotify_pipeline.common_io import run_main

run_main(emotion_beyond_genre_job, snakemake)  # noqa: F821
