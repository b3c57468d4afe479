"""Where the workflow's files are: each source's data, the feature files, the experiments' and
the evaluation's outputs, and the entry script of each rule.

Paths are relative to the working directory Snakemake runs in (``results/...``), except
:func:`entry`, which is relative to the rule files (``rules/``), as Snakemake reads ``script:``.
The outputs the package lists itself -- the tables beyond the paper that figures read, each
experiment's files, the feature and figure files -- are spelled once, here: the rules that write
them take their ``output:`` from this module too.
"""

import os
from typing import Any

from ..core.emotify import GENRES
from ..features.networks.musicnn import WHEEL as MUSICNN_WHEEL
from ..study.table import EXPERIMENT_OUTPUTS
from .settings import WEIGHTS_CHECK, study_model

Config = dict[str, Any]

#: the entry scripts, relative to the rule files
SCRIPTS = "../workflow/scripts"


def evaluation_table(name: str, model: str | None = None) -> str:
    """An evaluation table beyond the paper: ``results/evaluation/<name>.csv`` for the study's
    network, ``results/evaluation/models/<model>/<name>.csv`` for a network compared with it."""
    return f"results/evaluation/{name}.csv" if model is None else f"results/evaluation/models/{model}/{name}.csv"


#: the tables beyond the paper, by the names the study table's figures read them by
#: (``study.table.BEYOND_FIGURES``); the rules that write them declare these as their outputs
BEYOND_TABLES: dict[str, str] = {
    "repeated_summary": evaluation_table("repeated_summary"),
    "human_ceiling": evaluation_table("human_ceiling"),
    "ablation_genre": "results/tables/ablation_genre.csv",
    "k_sensitivity": evaluation_table("k_sensitivity"),
    "share_reliability": evaluation_table("share_reliability"),
    "rating_shares": evaluation_table("rating_shares"),
    "rating_share_predictions": evaluation_table("rating_share_predictions"),
}


#: the files of one run that more than one rule (or the package) names, each spelled here once
FILES: dict[str, str] = {
    "annotations": "results/data/annotations.csv",
    "annotations_report": "results/data/annotations_report.json",
    "tracks": "results/tables/tracks.csv",
    "gems_ratings": "results/tables/gems_ratings.csv",
    "gems_labels": "results/tables/gems_labels.csv",
    "gems_thresholds": "results/tables/gems_thresholds.csv",
    "production": "results/features/production.csv",
    "weights_check": WEIGHTS_CHECK,
    "table1_csv": "results/tables/table1_emotion_accuracy.csv",
    "table1_md": "results/tables/table1_emotion_accuracy.md",
    "extended_csv": "results/tables/table1_extended.csv",
    "extended_md": "results/tables/table1_extended.md",
    "ablation_md": "results/tables/ablation_genre.md",
    "summary": "results/summary.md",
    "comparison": "results/tables/model_comparison.csv",
    "comparison_md": "results/tables/model_comparison.md",
    "comparison_beyond": "results/tables/model_comparison_beyond_genre.csv",
    "comparison_shares": "results/tables/model_comparison_shares.csv",
}


def split_table(kind: str) -> str:
    """A split table: ``paper`` (the paper's one split), ``random``, ``artist`` or ``album`` (or a
    wildcard pattern)."""
    return f"results/splits/{kind}.csv"


def split_sizes(kind: str) -> str:
    """The sizes of every split of a split table."""
    return f"results/splits/{kind}_sizes.csv"


def ranking(splits: str, ranked: str) -> str:
    """The neighbour rankings of ``ranked`` (``audio``, ``audio-<model>``, ``ratings``,
    ``ablation``) on the splits of split table ``splits`` (or wildcard patterns)."""
    return f"results/neighbours/{splits}/{ranked}.h5"


def ranking_part(splits: str, ranked: str, part: str | int, jobs: str | int) -> str:
    """One of ``jobs`` parts of :func:`ranking` (evaluation.ranking_jobs), gathered into it."""
    return f"results/neighbours/{splits}/{ranked}.part{part}-of-{jobs}.h5"


def musicnn_wheel() -> str:
    """The musicnn package file the musicnn weights are converted from."""
    return f"resources/models/{MUSICNN_WHEEL}"


def shard_file(model: str, shard: str | int, n_shards: int) -> str:
    """One extraction shard of ``n_shards`` (``model`` and ``shard`` may be wildcard patterns)."""
    return f"results/features/shards/{model}_{shard}-of-{n_shards}.h5"


def entry(rule: str) -> str:
    """The thin entry script a rule runs (``workflow/scripts/<rule>.py``), as ``script:`` reads it."""
    return f"{SCRIPTS}/{rule}.py"


def data_root(config: Config) -> str:
    """Folder holding data.csv and emotifymusic/ for the configured source."""
    source = config["data"]["source"]
    if source == "demo":
        return "resources/demo"
    if source == "download":
        return "resources/emotify"
    return config["data"]["root"]


def annotations_path(config: Config) -> str:
    """The annotations file (data.csv) of the configured source."""
    return f"{data_root(config)}/{config['data']['annotations']}"


def audio_root(config: Config) -> str:
    """The folder of the genre folders of audio clips, normalised."""
    return os.path.normpath(f"{data_root(config)}/{config['data']['audio_dir']}")


def demo_audio_files(config: Config) -> list[str]:
    """The clips the demo generator makes: ``resources/demo/emotifymusic/<genre>/<n>.mp3``."""
    n = config["demo"]["n_per_genre"]
    return [f"resources/demo/emotifymusic/{g}/{i}.mp3" for g in GENRES for i in range(1, n + 1)]


def feature_file(model: str) -> str:
    """The merged feature file of one network."""
    return f"results/features/{model}.h5"


def reduced_feature_file(config: Config) -> str:
    """The study network's features after features.reduce."""
    return f"results/features/{study_model(config)}_reduced.h5"


def audio_features(config: Config) -> str:
    """The feature file the classifiers read: reduced when features.reduce.method is set."""
    if config["features"]["reduce"]["method"] == "none":
        return feature_file(study_model(config))
    return reduced_feature_file(config)


def experiment_outputs(name: str) -> dict[str, str]:
    """What the experiment ``name`` writes, by the study table's output names (a wildcard
    pattern when ``name`` is ``{exp}``): metrics as JSON, the others as CSV."""
    return {
        key: f"results/experiments/{name}/{key}.{'json' if key == 'metrics' else 'csv'}" for key in EXPERIMENT_OUTPUTS
    }


def pca_outputs(name: str) -> dict[str, str]:
    """What the PCA of the experiment ``name`` writes (a wildcard pattern for ``{exp}``)."""
    return {"pca": f"results/experiments/{name}/pca.csv", "info": f"results/experiments/{name}/pca.json"}


def model_evaluation(config: Config, model: str, name: str) -> str:
    """A network's evaluation table ``name`` (:func:`evaluation_table`): the study's own, or that
    of a compared network."""
    return evaluation_table(name, None if model == study_model(config) else model)


def figure_file(fig: str) -> str:
    """The PNG of one figure."""
    return f"results/figures/{fig}.png"


def shard_files(model: str, n_shards: int) -> list[str]:
    """Every extraction shard of one network (``model`` may be a wildcard pattern)."""
    return [shard_file(model, shard, n_shards) for shard in range(n_shards)]
