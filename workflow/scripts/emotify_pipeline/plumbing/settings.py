"""The configuration as the rules read it: which networks and split kinds a run uses, and the
``params`` that decide each rule's results.

Plain functions of the validated configuration (a dict with the schema's defaults filled in).
A rule's ``params`` hold exactly the settings that change its results, so that a change of one
setting reruns exactly the rules that read it (``plumbing.reruns`` lists what each key reruns).
"""

import hashlib
from pathlib import Path
from typing import Any

from ..core.emotify import CATALOGUE_PATH
from ..features.networks import network

Config = dict[str, Any]
#: the check of the VGG19 weights, a job of its own before any extraction
WEIGHTS_CHECK = "results/features/weights_check.json"


def study_model(config: Config) -> str:
    """The network whose features the study reads (``features.model``)."""
    return config["features"]["model"]


def compared_models(config: Config) -> list[str]:
    """The networks evaluated beside the study's on the same splits (``features.compare``,
    without the study's own network)."""
    return [m for m in config["features"]["compare"] if m != study_model(config)]


def feature_models(config: Config) -> list[str]:
    """Every network whose features a run extracts: the study's first, then the compared ones."""
    return [study_model(config), *compared_models(config)]


def feature_params(config: Config, model: str = "vgg19") -> dict[str, Any]:
    """The extraction settings that change one network's feature values (a change reruns its
    extraction, and only its own): the network's own declaration (:mod:`features.networks`).

    Execution settings -- features.device, batch_size, num_workers, compression -- are read
    by the job from the config: moving to a GPU node or changing the batch size reruns nothing.
    """
    return network(model).value_settings(config["features"])


def leaky_models(config: Config) -> list[str]:
    """The configured networks that may have heard Emotify's songs (those with a leakage
    warning: trained on Magnatune audio)."""
    return [model for model in feature_models(config) if network(model).leakage_warning]


def weights_path(config: Config) -> str:
    """The VGG19 weights file of the configuration, which check_weights loads ('' for random
    weights)."""
    return network("vgg19").weights_file(config["features"])


def weights_input(config: Config, model: str) -> dict[str, str]:
    """The weights file one network's extraction reads (none for random weights) and, where
    the network's weights are checked in a job of their own first, that check."""
    net = network(model)
    path = net.weights_file(config["features"])
    if not path:
        return {}
    if not net.weights_check:
        return {"weights": path}
    return {"weights": path, "weights_check": WEIGHTS_CHECK}


def audio_params(config: Config) -> dict[str, Any]:
    """The decoding settings that change what a classifier sees (audio.min_duration only gates
    which clips are usable: the track table applies it, so it reruns no extraction)."""
    return {key: config["audio"][key] for key in ("sample_rate", "offset", "duration")}


def audio_policy_params(config: Config) -> dict[str, Any]:
    """audio.* settings that decide which clips are usable and how much each is padded."""
    return {key: config["audio"][key] for key in ("offset", "duration", "min_duration")}


def check_catalogue(config: Config) -> bool | str:
    """data.check_catalogue, never for the demo (its own tags, made by the workflow): False then."""
    return config["data"]["check_catalogue"] if config["data"]["source"] != "demo" else False


def demo_catalogue_digest(config: Config, catalogue: str | Path = CATALOGUE_PATH) -> str:
    """The sha256 of the catalogue whose artist/album structure the demo takes (demo.groups:
    archive), so that the demo is remade when it changes; '' otherwise."""
    if config["demo"]["groups"] != "archive":
        return ""
    return hashlib.sha256(Path(catalogue).read_bytes()).hexdigest()


def evaluation_params(config: Config, *keys: str) -> dict[str, Any]:
    """The evaluation settings one rule uses (so that changing another reruns nothing there)."""
    return {key: config["evaluation"][key] for key in keys}


def vote_params(config: Config, *keys: str, with_k: bool = True) -> dict[str, Any]:
    """:func:`evaluation_params` and the vote's settings (knn.ties, and knn.k unless the rule
    sweeps k itself)."""
    params = {**evaluation_params(config, *keys), "ties": config["knn"]["ties"]}
    return {**params, "k": config["knn"]["k"]} if with_k else params


def evaluation_kinds(config: Config) -> list[str]:
    """The split kinds of the repeated evaluation: random, then evaluation.group_by's."""
    return ["random", *config["evaluation"]["group_by"]]


def ablation_kinds(config: Config) -> list[str]:
    """The split kinds the ablation uses: random, and artist when it is drawn."""
    return [kind for kind in evaluation_kinds(config) if kind in ("random", "artist")]


def beyond_genre_kind(config: Config) -> str:
    """The split kind of "emotion beyond genre": artist-grouped when artist splits are drawn (an
    artist on both sides of a random split would pass an artist effect for audio), else random."""
    return "artist" if "artist" in evaluation_kinds(config) else "random"


def ranking_depth(config: Config) -> int:
    """How many neighbours a ranking keeps (plus the ties at its boundary): the largest k any
    vote uses, so a change of knn.k within the k sweep reranks nothing."""
    return max([config["knn"]["k"], *config["evaluation"]["k_values"]])


def ranking_jobs(config: Config, splits: str) -> int:
    """Jobs that share the rankings of the split table ``splits`` (evaluation.ranking_jobs; the
    paper's one split: one job)."""
    if splits == "paper":
        return 1
    return max(1, min(config["evaluation"]["ranking_jobs"], config["evaluation"]["repeats"]))


def split_repeats(config: Config, splits: str) -> int:
    """Splits in the split table ``splits``: one for the paper's, evaluation.repeats otherwise."""
    return 1 if splits == "paper" else config["evaluation"]["repeats"]


def resample_inner_folds(config: Config, kind: str) -> int:
    """Inner folds (Experiment IV) are drawn for the random splits only: changing their number
    redraws no grouped split."""
    return config["experiments"]["inner_folds"] if kind == "random" else 0
