"""What each rule reads: the logic of the rules' input functions, and the targets of rule ``all``.

Plain functions of the validated configuration and of wildcard values; the rule files wrap them
in one-line input functions (``def x(wildcards): return inputs.x(config, wildcards.y)``).
"""

import os
from collections.abc import Callable
from typing import Any

from ..data.mapping import find_audio_files
from ..features.networks import names as network_names
from ..features.store import shard_of
from ..study.table import EXPERIMENTS, experiment
from .figure_specs import figures_of
from .paths import (
    BEYOND_TABLES,
    FILES,
    audio_features,
    audio_root,
    demo_audio_files,
    evaluation_table,
    experiment_outputs,
    feature_file,
    figure_file,
    pca_outputs,
    ranking,
    ranking_part,
    split_table,
)
from .settings import compared_models, feature_models, ranking_jobs

Config = dict[str, Any]

#: the experiments that have a PCA figure (their table row's ``pca_input``)
PCA_EXPERIMENTS: list[str] = [e.name for e in EXPERIMENTS if e.pca_input]
#: every experiment of the study table, in order
EXPERIMENT_NAMES: list[str] = [e.name for e in EXPERIMENTS]
#: what a neighbour file ranks (the ``inputs`` wildcard): the study's audio features, the GEMS
#: rating shares, or one network's features (audio-<model>)
RANKED_INPUTS: str = "|".join(["audio", "ratings", *(f"audio-{model}" for model in network_names())])


def audio_files(config: Config, wait_for_download: Callable[[], Any] | None = None) -> list[str]:
    """Every audio file of the configured source, as normalised paths: the demo's as the generator
    will make them, a local copy's or a download's as found under the audio folder.

    A download's files are known once its checkpoint has run: ``wait_for_download`` (the rule
    files pass ``checkpoints.download_audio.get``) is called first for a download, and raises
    Snakemake's IncompleteCheckpointException until then.
    """
    source = config["data"]["source"]
    if source == "demo":
        return demo_audio_files(config)
    if source == "download" and wait_for_download is not None:
        wait_for_download()
    return sorted(os.path.normpath(p) for p in find_audio_files(audio_root(config), config["data"]["audio_ext"]))


def present(config: Config, paths: list[str]) -> list[str]:
    """The audio files of ``paths`` that exist: a dangling link in a local copy is no input (the
    track table records it as skipped). The demo's files are made by make_demo, later, and a
    download's by its checkpoint: all are kept."""
    if config["data"]["source"] != "local":
        return paths
    return [p for p in paths if os.path.exists(p)]


def audio_inputs(config: Config) -> list[str]:
    """The audio the track table depends on, so that a changed clip reruns what follows: each
    present file, or a download's folder (the checkpoint's output)."""
    if config["data"]["source"] == "download":
        return [audio_root(config)]
    return present(config, audio_files(config))


def track_table_inputs(config: Config, track_ids: str) -> dict[str, Any]:
    """The track table's inputs: the audio, and the validated annotations only where the track
    ids are not known in advance (``track_ids``, the rule's params, is '')."""
    inputs: dict[str, Any] = {"audio": audio_inputs(config)}
    if not track_ids:
        inputs["annotations"] = FILES["annotations"]
    return inputs


def shard_paths(paths: list[str], shard: int, n_shards: int) -> list[str]:
    """The paths of one extraction shard of ``n_shards`` (a stable hash of the path picks it)."""
    return [p for p in paths if shard_of(p, n_shards) == shard]


def neighbour_inputs(config: Config, splits: str, ranked: str) -> dict[str, str]:
    """What a neighbour file ranks on the splits of split table ``splits``: the study's audio
    features (``ranked`` = audio), a compared network's (audio-<model>) or the GEMS rating
    shares (ratings, Experiment III)."""
    inputs = {"split": split_table(splits)}
    if ranked == "audio":
        inputs["features"] = audio_features(config)
    elif ranked.startswith("audio-"):
        inputs["features"] = feature_file(ranked.removeprefix("audio-"))
    else:
        inputs["ratings"] = FILES["gems_ratings"]
    return inputs


def neighbour_job_inputs(config: Config, splits: str, ranked: str) -> dict[str, Any]:
    """A neighbour file is ranked by its own job (:func:`neighbour_inputs`), or gathered from
    evaluation.ranking_jobs jobs that each rank every jobs-th repeat (a cluster runs them side
    by side)."""
    jobs = ranking_jobs(config, splits)
    if jobs == 1:
        return neighbour_inputs(config, splits, ranked)
    return {"parts": [ranking_part(splits, ranked, p, jobs) for p in range(jobs)]}


def experiment_inputs(config: Config, exp: str) -> dict[str, str]:
    """What the classifier of experiment ``exp`` reads: the paper's split and the inputs its
    study-table row names."""
    table = {
        "features": audio_features(config),
        "neighbours": ranking("paper", "audio"),
        "ratings_neighbours": ranking("paper", "ratings"),
        "labels": FILES["gems_labels"],
        "probabilities": experiment_outputs("exp2_emotion_from_audio")["probabilities"],
    }
    return {"split": split_table("paper"), **{key: table[key] for key in experiment(exp).inputs}}


def pca_inputs(config: Config, exp: str) -> dict[str, str]:
    """What the PCA of experiment ``exp`` projects (its study-table row's ``pca_input``)."""
    table = {
        "features": {"features": audio_features(config)},
        "ratings": {"ratings": FILES["gems_ratings"]},
        "probabilities": {"probabilities": experiment_outputs("exp2_emotion_from_audio")["probabilities"]},
    }
    return {"split": split_table("paper"), **table[experiment(exp).pca_input]}


def comparison_input(config: Config) -> dict[str, str]:
    """The networks' comparison, for the summary, when features.compare names any."""
    if not compared_models(config):
        return {}
    return {
        "comparison": FILES["comparison"],
        "comparison_beyond": FILES["comparison_beyond"],
        "comparison_shares": FILES["comparison_shares"],
    }


def experiment_files(name: str) -> list[str]:
    """Every file experiment ``name`` leaves: its outputs, and its PCA where it has one."""
    files = list(experiment_outputs(name).values())
    if name in PCA_EXPERIMENTS:
        files += list(pca_outputs(name).values())
    return files


def final_outputs(config: Config) -> list[str]:
    """The targets of rule ``all``: the feature files, the tables, the evaluation, the summary,
    every experiment's outputs and every figure."""
    outputs = [
        # the feature cache is a target itself: a merged file deleted by a kill (or moved aside
        # as damaged) is rebuilt by the next plain run, even when every consumer is up to date
        *[feature_file(model) for model in feature_models(config)],
        audio_features(config),
        FILES["tracks"],
        FILES["gems_ratings"],
        FILES["gems_labels"],
        FILES["table1_csv"],
        FILES["table1_md"],
        FILES["extended_csv"],
        FILES["extended_md"],
        FILES["ablation_md"],
        BEYOND_TABLES["repeated_summary"],
        BEYOND_TABLES["human_ceiling"],
        evaluation_table("emotion_beyond_genre"),
        evaluation_table("genre_claims"),
        BEYOND_TABLES["k_sensitivity"],
        BEYOND_TABLES["share_reliability"],
        BEYOND_TABLES["rating_shares"],
        FILES["summary"],
    ]
    if compared_models(config):
        outputs += [
            FILES["comparison"],
            FILES["comparison_md"],
            FILES["comparison_beyond"],
            FILES["comparison_shares"],
        ]
    outputs += [p for e in EXPERIMENTS for p in experiment_files(e.name)]
    outputs += [figure_file(fig) for fig in figures_of(config)]
    return outputs
