# Helpers shared by every stage: config validation, paths, input functions.
import functools
import glob
import hashlib
import math
import os
import sys
from pathlib import Path

import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

# the repository's root, also when this workflow is used as a module from another directory
# (workflow.basedir is then the importing workflow's folder; current_basedir is rules/ here)
REPO = Path(workflow.current_basedir).parent
sys.path.insert(0, str(REPO / "workflow" / "scripts"))
from emotify_pipeline.core.emotify import GENRE_ID_BASE, GENRES, IMAGENET_URL  # noqa: E402
from emotify_pipeline.core.errors import EmotifyError  # noqa: E402
from emotify_pipeline.plumbing.config_tools import coerce_to_schema, config_problem  # noqa: E402
from emotify_pipeline.features.store import shard_of  # noqa: E402
from emotify_pipeline.features.networks import names as network_names, network  # noqa: E402
from emotify_pipeline.features.networks.musicnn import LEAKAGE_WARNING  # noqa: E402
from emotify_pipeline.plumbing.provenance import rule_code_digest  # noqa: E402

# nested --config values arrive as strings (e.g. --config 'knn={k: 7}'): type them first
_SCHEMA = yaml.safe_load((REPO / "config" / "schema.yaml").read_text())
config.update(coerce_to_schema(config, _SCHEMA))
_PROBLEM = config_problem(config, _SCHEMA)  # one line naming the key, not the whole schema
if _PROBLEM:
    raise WorkflowError(f"invalid configuration: {_PROBLEM}")
validate(config, schema="../config/schema.yaml")  # fills in the defaults


def check_config_relations():
    """Settings that are valid alone but not together, or that name a missing file: stop
    before any job, naming the keys (a missing weights file would otherwise let Snakemake
    skip the extraction silently and relabel old features)."""
    weights = config["features"]["weights"]
    if weights not in ("random", "imagenet") and not os.path.isfile(weights):
        raise WorkflowError(
            f"invalid configuration: features.weights = {weights!r} is not a file; give the path of a VGG19 "
            "state-dict file, 'imagenet' (read from features.weights_file) or 'random'"
        )
    evaluation = config["evaluation"]
    if evaluation["ablation_repeats"] > evaluation["repeats"]:
        raise WorkflowError(
            f"invalid configuration: evaluation.ablation_repeats = {evaluation['ablation_repeats']} exceeds "
            f"evaluation.repeats = {evaluation['repeats']}: the ablation uses the first splits of the repeated evaluation"
        )
    from emotify_pipeline.features.spectrogram import mel_problem

    audio, spec = config["audio"], config["spectrogram"]
    problem = mel_problem(
        audio["sample_rate"], spec["n_fft"], spec["n_mels"], spec["fmin"], spec["fmax"]
    )
    if problem:
        raise WorkflowError(f"invalid configuration: {problem}")
    from emotify_pipeline.plumbing.run_guard import invocation, is_dry_run

    # a run or a dry run needs the file; a lint or graph only where earlier results would look current
    earlier = os.path.exists("results/data/annotations.csv")
    argv = sys.argv[1:]
    needed = invocation(argv) != "read-only" or is_dry_run(argv) or earlier
    if config["data"]["source"] == "local" and needed and not os.path.isfile(annotations_path()):
        raise WorkflowError(
            f"invalid input data: {annotations_path()} not found (data.root / data.annotations); earlier results "
            "are never reused without the annotations they came from"
        )
    features = config["features"]
    if features["model"] in features["compare"]:
        raise WorkflowError(
            f"invalid configuration: features.compare lists features.model ({features['model']}) itself; the "
            "networks it names are evaluated beside the study's network: drop it from the list"
        )
    if audio["min_duration"] > audio["duration"]:
        raise WorkflowError(
            f"invalid configuration: audio.min_duration = {audio['min_duration']} s exceeds "
            f"audio.duration = {audio['duration']} s, so every clip would be unusable"
        )


from emotify_pipeline.study.table import EXPERIMENT_OUTPUTS  # noqa: E402
from emotify_pipeline.study.table import EXPERIMENTS as STUDY  # noqa: E402

# the experiments, their figures and their inputs: generated from one table (study.py)
EXPERIMENTS = [e.name for e in STUDY]
SCRIPTS = "../workflow/scripts"
SCRIPTS_DIR = REPO / "workflow" / "scripts"


# cheap jobs stay on the submitting host when a cluster executor is used
localrules:
    all,
    validate_annotations,
    split,
    summary,


wildcard_constraints:
    shard=r"\d+",
    model="|".join(network_names()),


def data_root():
    """Folder holding data.csv and emotifymusic/ for the configured source."""
    source = config["data"]["source"]
    if source == "demo":
        return "resources/demo"
    if source == "download":
        return "resources/emotify"
    return config["data"]["root"]


def annotations_path():
    return f"{data_root()}/{config['data']['annotations']}"


def audio_root():
    return os.path.normpath(f"{data_root()}/{config['data']['audio_dir']}")


def demo_audio_files():
    n = config["demo"]["n_per_genre"]
    return [f"resources/demo/emotifymusic/{g}/{i}.mp3" for g in GENRES for i in range(1, n + 1)]


def demo_catalogue_digest():
    """The sha256 of the catalogue whose artist/album structure the demo takes (demo.groups:
    archive), so that the demo is remade when it changes; '' otherwise."""
    import hashlib

    if config["demo"]["groups"] != "archive":
        return ""
    with open(REPO / "resources" / "emotify_catalogue.csv", "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def audio_files():
    """Every audio file of the configured source, as normalised paths (known at parse time,
    or once the download checkpoint has run)."""
    source = config["data"]["source"]
    if source == "demo":
        return demo_audio_files()
    if source == "download":
        checkpoints.download_audio.get()
    from emotify_pipeline.data.dataset import find_audio_files

    return sorted(
        os.path.normpath(p) for p in find_audio_files(audio_root(), config["data"]["audio_ext"])
    )


def present(paths):
    """Audio files that exist: a dangling link in a local copy is no input (the track table
    records it as skipped). The demo's files are made by make_demo, later: all are kept."""
    if config["data"]["source"] != "local":
        return paths
    return [p for p in paths if os.path.exists(p)]


def audio_inputs(wildcards):
    """The audio files the track table depends on, so that a changed clip reruns what follows
    (a dangling link is no input: the track table records it as skipped)."""
    if config["data"]["source"] == "download":
        return [audio_root()]
    return present(audio_files())


def track_table_inputs(wildcards):
    """The audio files, and the annotations only where their ids are not known in advance."""
    inputs = {"audio": audio_inputs(wildcards)}
    if not track_ids_param():
        inputs["annotations"] = "results/data/annotations.csv"
    return inputs


N_SHARDS = config["features"]["shards"]


def shard_paths(wildcards):
    """The audio files of one extraction shard (a stable hash of the path picks the shard)."""
    if config["data"]["source"] == "download":
        check_audio_files()  # the files are known only now: check them before any extraction
    return [p for p in extraction_paths() if shard_of(p, N_SHARDS) == int(wildcards.shard)]


def audio_policy_params():
    """audio.* settings that decide which clips are usable and how much each is padded."""
    return {key: config["audio"][key] for key in ("offset", "duration", "min_duration")}


def audio_policy():
    from emotify_pipeline.data.dataset import AudioPolicy

    return AudioPolicy(**audio_policy_params())


def shard_inputs(wildcards):
    """A shard depends on its own audio files (and the weights), so only a changed shard reruns."""
    return {"audio": shard_paths(wildcards), **weights_input(wildcards)}


# the network whose features the study reads (features.model), and those evaluated beside it
# on the same splits (features.compare)
MODEL = config["features"]["model"]
COMPARE_MODELS = [m for m in config["features"]["compare"] if m != MODEL]
FEATURE_MODELS = [MODEL, *COMPARE_MODELS]


def leaky_models():
    """The configured networks that may have heard Emotify's songs (those with a leakage
    warning: trained on Magnatune audio)."""
    return [model for model in FEATURE_MODELS if network(model).leakage_warning]


def feature_file(model):
    """The merged feature file of one network."""
    return f"results/features/{model}.h5"


def audio_features(wildcards):
    """The feature file the classifiers read: reduced when features.reduce.method is set."""
    if config["features"]["reduce"]["method"] == "none":
        return feature_file(MODEL)
    return f"results/features/{MODEL}_reduced.h5"


def weights_path():
    """The VGG19 weights file of the configuration, which check_weights loads ('' for random
    weights)."""
    return network("vgg19").weights_file(config["features"])


def weights_file_input(wildcards):
    return weights_path() or []


def weights_input(wildcards):
    """The weights file one network's extraction reads (none for random weights) and, where
    the network's weights are checked in a job of their own first, that check."""
    net = network(wildcards.model)
    path = net.weights_file(config["features"])
    if not path:
        return {}
    if not net.weights_check:
        return {"weights": path}
    return {"weights": path, "weights_check": "results/features/weights_check.json"}


def feature_params(model):
    """The extraction settings that change one network's feature values (a change reruns its
    extraction, and only its own): the network's own declaration (features.networks).

    Execution settings -- features.device, batch_size, num_workers, compression -- are read
    by the job from the config: moving to a GPU node or changing the batch size reruns nothing.
    """
    return network(model).value_settings(config["features"])


def model_feature_params(wildcards):
    return feature_params(wildcards.model)


def audio_params():
    """The decoding settings that change what a classifier sees (audio.min_duration only gates
    which clips are usable: the track table applies it, so it reruns no extraction)."""
    return {key: config["audio"][key] for key in ("sample_rate", "offset", "duration")}


def entry(rule):
    """The thin entry script a rule runs (``workflow/scripts/<rule>.py``)."""
    return f"{SCRIPTS}/{rule}.py"


def code_digest(rule):
    """The digest of the code that runs for a rule -- its entry script and the package modules it imports,
    without comments or docstrings (emotify_pipeline/plumbing/provenance.py). In ``params``, it reruns
    the rule exactly when that code changes; the profiles turn off Snakemake's own trigger on
    the script's mtime."""
    return rule_code_digest(SCRIPTS_DIR / f"{rule}.py")


def evaluation_params(*keys):
    """The evaluation settings one rule uses (so that changing another reruns nothing here)."""
    return {key: config["evaluation"][key] for key in keys}


def vote_params(*keys, with_k=True):
    """:func:`evaluation_params` and the vote's settings (knn.ties, and knn.k unless the rule
    sweeps k itself)."""
    params = {**evaluation_params(*keys), "ties": config["knn"]["ties"]}
    return {**params, "k": config["knn"]["k"]} if with_k else params


def experiment_outputs(name):
    """What the experiment ``name`` writes (a wildcard pattern for the rule)."""
    return {
        key: f"results/experiments/{name}/{key}.{'json' if key == 'metrics' else 'csv'}"
        for key in EXPERIMENT_OUTPUTS
    }


def experiment_inputs(wildcards):
    """What one experiment's classifier reads, by the names its table row declares."""
    from emotify_pipeline.study.table import experiment

    table = {
        "features": audio_features(wildcards),
        "neighbours": "results/neighbours/paper/audio.h5",
        "ratings_neighbours": "results/neighbours/paper/ratings.h5",
        "labels": "results/tables/gems_labels.csv",
        "probabilities": "results/experiments/exp2_emotion_from_audio/probabilities.csv",
    }
    inputs = {"split": "results/splits/paper.csv"}
    return {**inputs, **{key: table[key] for key in experiment(wildcards.exp).inputs}}


def final_experiment_outputs(name):
    files = list(experiment_outputs(name).values())
    if name in PCA_EXPERIMENTS:
        files += [f"results/experiments/{name}/pca.csv", f"results/experiments/{name}/pca.json"]
    return files


# the split kinds of the repeated evaluation, and those the ablation uses
EVALUATION_KINDS = ["random", *config["evaluation"]["group_by"]]
ABLATION_KINDS = [kind for kind in EVALUATION_KINDS if kind in ("random", "artist")]
# "Emotion beyond genre" runs on artist-grouped splits (an artist on both sides of a random split
# would pass an artist effect for audio); on random splits only when artist splits are not drawn.
BEYOND_GENRE_KIND = "artist" if "artist" in EVALUATION_KINDS else "random"
PCA_EXPERIMENTS = [e.name for e in STUDY if e.pca_input]


def ranking_jobs(wildcards):
    """Jobs that share the rankings of one split table (evaluation.ranking_jobs; the paper's
    one split: one job)."""
    if wildcards.splits == "paper":
        return 1
    return max(1, min(config["evaluation"]["ranking_jobs"], config["evaluation"]["repeats"]))


def neighbour_job_inputs(wildcards):
    """The neighbour file is ranked by its own job, or gathered from evaluation.ranking_jobs
    jobs that each rank every jobs-th repeat (a cluster runs them side by side)."""
    jobs = ranking_jobs(wildcards)
    if jobs == 1:
        return neighbour_inputs(wildcards)
    base = f"results/neighbours/{wildcards.splits}/{wildcards.inputs}"
    return {"parts": [f"{base}.part{p}-of-{jobs}.h5" for p in range(jobs)]}


def ranking_depth():
    """How many neighbours a ranking keeps (plus the ties at its boundary): the largest k any
    vote uses, so a change of knn.k within the k sweep reranks nothing."""
    return max([config["knn"]["k"], *config["evaluation"]["k_values"]])


def resample_inner_folds(wildcards):
    """Inner folds (Experiment IV) are drawn for the random splits only: changing their number
    redraws no grouped split."""
    return config["experiments"]["inner_folds"] if wildcards.kind == "random" else 0


def neighbour_inputs(wildcards):
    """A neighbour file ranks the audio features or the GEMS rating shares (Experiment III) on
    the splits of one split table."""
    inputs = {"split": f"results/splits/{wildcards.splits}.csv"}
    if wildcards.inputs == "audio":
        inputs["features"] = audio_features(wildcards)
    elif wildcards.inputs.startswith("audio-"):
        # a network compared with the study's (features.compare)
        inputs["features"] = feature_file(wildcards.inputs.removeprefix("audio-"))
    else:
        inputs["ratings"] = "results/tables/gems_ratings.csv"
    return inputs


# the audio rankings of one network: the study's, or one compared with it
COMPARED_INPUTS = "|".join(f"audio-{model}" for model in network_names())


def comparison_input(wildcards):
    """The networks' comparison, for the summary, when features.compare names any."""
    if not COMPARE_MODELS:
        return {}
    return {
        "comparison": "results/tables/model_comparison.csv",
        "comparison_beyond": "results/tables/model_comparison_beyond_genre.csv",
    }


def model_evaluation(model, name):
    """A network's repeated evaluation: the study's own, or that of a compared network."""
    if model == MODEL:
        return f"results/evaluation/{name}.csv"
    return f"results/evaluation/models/{model}/{name}.csv"


def pca_inputs(wildcards):
    """What one experiment's PCA figure shows (its table row's ``pca_input``)."""
    from emotify_pipeline.study.table import experiment

    table = {
        "features": {"features": audio_features(wildcards)},
        "ratings": {"ratings": "results/tables/gems_ratings.csv"},
        "probabilities": {
            "probabilities": "results/experiments/exp2_emotion_from_audio/probabilities.csv"
        },
    }
    return {"split": "results/splits/paper.csv", **table[experiment(wildcards.exp).pca_input]}


def get_final_output():
    outputs = [
        # the feature cache is a target itself: a merged file deleted by a kill (or moved aside
        # as damaged) is rebuilt by the next plain run, even when every consumer is up to date
        *[feature_file(model) for model in FEATURE_MODELS],
        audio_features(None),
        "results/tables/tracks.csv",
        "results/tables/gems_ratings.csv",
        "results/tables/gems_labels.csv",
        "results/tables/table1_emotion_accuracy.csv",
        "results/tables/table1_emotion_accuracy.md",
        "results/tables/table1_extended.csv",
        "results/tables/table1_extended.md",
        "results/tables/ablation_genre.md",
        "results/evaluation/repeated_summary.csv",
        "results/evaluation/human_ceiling.csv",
        "results/evaluation/emotion_beyond_genre.csv",
        "results/evaluation/genre_claims.csv",
        "results/evaluation/k_sensitivity.csv",
        "results/summary.md",
    ]
    if COMPARE_MODELS:
        outputs += [
            "results/tables/model_comparison.csv",
            "results/tables/model_comparison.md",
            "results/tables/model_comparison_beyond_genre.csv",
        ]
    outputs += [p for name in EXPERIMENTS for p in final_experiment_outputs(name)]
    outputs += [f"results/figures/{fig}.png" for fig in ALL_FIGURES]  # rules/figures.smk
    return outputs
