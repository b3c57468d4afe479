"""Snakemake entry of rule ``emotion_beyond_genre``: emotion from audio beyond genre."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.plumbing.runner import run_main
from emotify_pipeline.study.analyses import emotion_beyond_genre_job

run_main(emotion_beyond_genre_job, snakemake)  # noqa: F821
