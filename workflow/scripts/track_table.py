"""Snakemake entry of rule ``track_table``: one row per track: its audio file, checks and tags."""

# isort: off
import emotify_pipeline.plumbing.quiet_interrupt  # noqa: F401 - first: Ctrl-C during the imports prints one line

# isort: on
from emotify_pipeline.core.files import write_csv
from emotify_pipeline.data.annotations import annotated_tracks
from emotify_pipeline.data.tracks import AudioPolicy, build_track_table
from emotify_pipeline.plumbing.runner import run_main


def main(smk, logger):
    p = smk.params
    table = build_track_table(
        annotated_tracks(p.track_ids, dict(smk.input.items()).get("annotations")),
        p.audio_root,
        p.ext,
        require_all_audio=p.require_all_audio,
        on_bad_audio=p.on_bad_audio,
        policy=AudioPolicy(**p.audio_policy),
        logger=logger,
        check_catalogue=p.check_catalogue,
    )
    write_csv(table, smk.output.tracks)


run_main(main, snakemake)  # noqa: F821
