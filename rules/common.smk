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
from emotify_pipeline.common_io import (
    GENRE_ID_BASE,
    GENRES,
    IMAGENET_URL,
    EmotifyError,
)  # noqa: E402
from emotify_pipeline.config_tools import coerce_to_schema, config_problem  # noqa: E402
from emotify_pipeline.feature_store import VALUE_SETTINGS, shard_of  # noqa: E402
from emotify_pipeline.provenance import rule_code_digest  # noqa: E402

# nested --config values arrive as strings (e.g. --config 'knn={k: 7}'): type them first
_SCHEMA = yaml.safe_load((REPO / "config" / "schema.yaml").read_text())
config.update(coerce_to_schema(config, _SCHEMA))
_PROBLEM = config_problem(config, _SCHEMA)  # one line naming the key, not the whole schema
if _PROBLEM:
    raise WorkflowError(f"invalid configuration: {_PROBLEM}")
validate(config, schema="../config/schema.yaml")  # fills in the defaults

from emotify_pipeline.run_guard import guard_message, invocation, live_run  # noqa: E402


def guard_against_a_live_run():
    """Stop before Snakemake's lock check when another run is alive here: its advice to use
    --unlock would break that run (see run_guard)."""
    mode = invocation(sys.argv[1:])
    if not workflow.is_main_process or mode == "read-only":
        return
    record = live_run()
    if record:
        raise WorkflowError(guard_message(record, unlocking=mode == "unlock"))


guard_against_a_live_run()


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
    audio = config["audio"]
    if audio["min_duration"] > audio["duration"]:
        raise WorkflowError(
            f"invalid configuration: audio.min_duration = {audio['min_duration']} s exceeds "
            f"audio.duration = {audio['duration']} s, so every clip would be unusable"
        )


check_config_relations()

from emotify_pipeline.study import EXPERIMENT_OUTPUTS  # noqa: E402
from emotify_pipeline.study import EXPERIMENTS as STUDY  # noqa: E402

# the experiments, their figures and their inputs: generated from one table (study.py)
EXPERIMENTS = [e.name for e in STUDY]
# figure name -> (kind, experiment, title)
FIGURES = {f.name: (f.kind, e.name, f.title) for e in STUDY for f in e.figures}
# figures beyond the paper: name -> (kind, inputs, title)
BEYOND_FIGURES = {
    "fig8_genre_repeated_splits": (
        "genre_repeated",
        {"summary": "results/evaluation/repeated_summary.csv"},
        "Fig. 8 - Genre accuracy over resampled and grouped splits",
    ),
    "fig9_emotions_repeated_vs_paper": (
        "emotion_repeated",
        {
            "summary": "results/evaluation/repeated_summary.csv",
            "ceiling": "results/evaluation/human_ceiling.csv",
        },
        "Fig. 9 - Emotion accuracy over resampled splits, the paper's Table 1 and the human ceiling",
    ),
    "fig10_ablation_genre": (
        "ablation",
        {"ablation": "results/tables/ablation_genre.csv"},
        "Fig. 10 - Genre accuracy by feature set: PCA sizes and hand-made descriptors",
    ),
    "fig11_k_sensitivity": (
        "k_sensitivity",
        {"k_sensitivity": "results/evaluation/k_sensitivity.csv"},
        "Fig. 11 - Accuracy against k over resampled splits",
    ),
}
SCRIPTS = "../workflow/scripts"
SCRIPTS_DIR = REPO / "workflow" / "scripts"


# cheap jobs stay on the submitting host when a cluster executor is used
localrules:
    all,
    validate_annotations,
    split,
    summary,


wildcard_constraints:
    fig="|".join([*FIGURES, *BEYOND_FIGURES]),
    shard=r"\d+",


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


def audio_files():
    """Every audio file of the configured source, as normalised paths (known at parse time,
    or once the download checkpoint has run)."""
    source = config["data"]["source"]
    if source == "demo":
        return demo_audio_files()
    if source == "download":
        checkpoints.download_audio.get()
    ext = config["data"]["audio_ext"]
    return sorted(
        os.path.normpath(p) for g in GENRES for p in glob.glob(f"{audio_root()}/{g}/*.{ext}")
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


def check_local_data():
    """Validate a local copy while the DAG is built, so that invalid annotations or a broken
    id <-> file mapping stop the run before any job starts (jobs re-check, and read tags)."""
    from emotify_pipeline.dataset import check_audio_mapping, read_annotations

    if config["data"]["source"] != "local" or not os.path.isfile(annotations_path()):
        return  # demo: generated here; download: checked after the download; missing: Snakemake says so
    try:
        annotations = read_annotations(annotations_path())
        unlabelled = check_audio_mapping(
            annotations,
            audio_root(),
            config["data"]["audio_ext"],
            audio_files(),
            config["data"]["require_all_audio"],
        )
    except EmotifyError as err:
        raise WorkflowError(f"invalid input data: {err}")
    _UNLABELLED.update(os.path.normpath(p) for p in unlabelled)
    _TRACK_IDS.update(annotations.groupby("track id")["genre"].first().to_dict())


# track id -> genre of a local copy's data.csv, filled by check_local_data
_TRACK_IDS = {}


def track_ids_param():
    """The track ids and genres that data.csv holds ('id:genre;...'), known while the DAG is
    built: the track table's params, so that it reruns when the set of tracks changes but not
    when a rating does -- a rating edit reruns the labels and their consumers, never decoding,
    extraction or audio rankings. '' for a download (the job reads the annotations file)."""
    source = config["data"]["source"]
    if source == "demo":  # the generator rates every clip it makes
        n = config["demo"]["n_per_genre"]
        pairs = [(GENRE_ID_BASE[g] + i, g) for g in GENRES for i in range(1, n + 1)]
    elif source == "local" and _TRACK_IDS:
        pairs = sorted(_TRACK_IDS.items())
    else:
        return ""
    return ";".join(f"{t}:{g}" for t, g in pairs)


def track_table_inputs(wildcards):
    """The audio files, and the annotations only where their ids are not known in advance."""
    inputs = {"audio": audio_inputs(wildcards)}
    if not track_ids_param():
        inputs["annotations"] = "results/data/annotations.csv"
    return inputs


# archive files of a local copy that data.csv holds no rows for: never decoded (the track
# table logs them); filled by check_local_data
_UNLABELLED = set()


def extraction_paths():
    """The audio files the extraction decodes: present, with rows in data.csv, and usable
    (a file that data.on_bad_audio: skip leaves out is recorded in tracks.csv, never decoded)."""
    paths = present(audio_files())
    if config["data"]["source"] == "demo":
        return paths
    unusable = usability()
    return [p for p in paths if p not in _UNLABELLED and not unusable.get(p)]


N_SHARDS = config["features"]["shards"]


def shard_paths(wildcards):
    """The audio files of one extraction shard (a stable hash of the path picks the shard)."""
    if config["data"]["source"] == "download":
        check_audio_files()  # the files are known only now: check them before any extraction
    return [p for p in extraction_paths() if shard_of(p, N_SHARDS) == int(wildcards.shard)]


AUDIO_PROBE_CACHE = ".snakemake/emotify/audio_probe.json"
_PROBES = {}


def audio_probes():
    """What each audio file of a local copy says about itself (size, sha256, tags, whole /
    truncated / corrupt, seconds), read once per Snakemake process and cached by size, mtime,
    ctime and inode in .snakemake/, so a restored file (cp -p, rsync) is read again."""
    from emotify_pipeline.dataset import probe_audio_files

    if not _PROBES:
        _PROBES.update(probe_audio_files(audio_files(), AUDIO_PROBE_CACHE))
    return _PROBES


def audio_policy_params():
    """audio.* settings that decide which clips are usable and how much each is padded."""
    return {key: config["audio"][key] for key in ("offset", "duration", "min_duration")}


def audio_policy():
    from emotify_pipeline.dataset import AudioPolicy

    return AudioPolicy(**audio_policy_params())


def check_catalogue():
    """data.check_catalogue, never for the demo (its own tags, made here)."""
    return config["data"]["check_catalogue"] if config["data"]["source"] != "demo" else False


def usability():
    """Path -> '' for a usable clip of a local copy, else why it is not (one line)."""
    from emotify_pipeline.dataset import apply_policy, catalogue_for

    probes = audio_probes()
    catalogue = catalogue_for(probes, check_catalogue())
    return {p: apply_policy(dict(rec), p, audio_policy(), catalogue) for p, rec in probes.items()}


def check_audio_files():
    """Every per-file check that can stop the run, while the DAG is built: all unusable files
    of a local copy in one message, before any job starts (data.on_bad_audio: error). The
    track_table job checks again (for downloads too) and records each file."""
    if config["data"]["source"] == "demo" or not os.path.isdir(audio_root()):
        return
    probes = audio_probes()
    problems = [p for p in usability().values() if p]
    if problems and config["data"]["on_bad_audio"] == "error":
        listing = "\n  ".join(problems)
        raise WorkflowError(
            f"invalid input data: {len(problems)} of {len(probes)} audio file(s) cannot be used:\n  {listing}\n"
            "(set data.on_bad_audio: skip to record such files in tracks.csv and run without them)"
        )
    from emotify_pipeline.dataset import missing_group_tags

    missing = missing_group_tags(
        {p: probes[p] for p in extraction_paths()}, config["evaluation"]["group_by"]
    )
    if missing:
        raise WorkflowError(f"invalid input data: {missing}")


def content_digest(paths):
    """sha256 over the paths and the sha256 of each file's bytes, for a rule's params: the
    job reruns exactly when the content of one of its audio files changes, even when a file is
    restored with an old timestamp (cp -p, rsync). The demo's files are made from config.demo,
    whose change already reruns what depends on them; a download is a new folder (Snakemake's
    own triggers apply; its sha256 is checked when data.download.audio_sha256 is set)."""
    if config["data"]["source"] != "local":
        return f"{config['data']['source']}: files made by this workflow (demo generator or checked download)"
    probes = audio_probes()
    lines = "\n".join(f"{p} {probes[p].get('sha256', 'unreadable')}" for p in paths)
    return hashlib.sha256(lines.encode()).hexdigest()


check_local_data()
check_audio_files()


def usable_clip_count():
    """Clips the classifiers will see, known while the DAG is built (None for a download)."""
    source = config["data"]["source"]
    if source == "demo":
        return 4 * config["demo"]["n_per_genre"]
    if source == "local" and os.path.isdir(audio_root()):
        return len(extraction_paths())
    return None


def check_k_against_data():
    """knn.k must not exceed the smallest training set any classifier sees: the training part
    of a split, less one inner fold (Experiments II/IV). Checked before any job, never capped."""
    n = usable_clip_count()
    if n is None:
        return
    k, test_size, folds = (
        config["knn"]["k"],
        config["split"]["test_size"],
        config["experiments"]["inner_folds"],
    )
    n_train = n - math.ceil(test_size * n)
    n_inner = n_train - math.ceil(n_train / folds)
    if k > n_inner:
        raise WorkflowError(
            f"invalid configuration: knn.k = {k} exceeds the smallest training set of the workflow: {n} usable "
            f"clips -> {n_train} training songs (split.test_size = {test_size}) -> {n_inner} in an inner fold "
            f"(experiments.inner_folds = {folds}); choose knn.k <= {n_inner}"
        )
    largest = max(config["evaluation"]["k_values"])
    if largest > n_train:
        raise WorkflowError(
            f"invalid configuration: evaluation.k_values holds k = {largest}, more than the {n_train} training songs "
            f"of a random split ({n} usable clips, split.test_size = {test_size})"
        )


check_k_against_data()


def shard_content(wildcards):
    return content_digest(shard_paths(wildcards))


def all_audio_content(wildcards):
    return content_digest(audio_files())


def shard_inputs(wildcards):
    """A shard depends on its own audio files (and the weights), so only a changed shard reruns."""
    return {"audio": shard_paths(wildcards), **weights_input(wildcards)}


def audio_features(wildcards):
    """The feature file the classifiers read: reduced when features.reduce.method is set."""
    if config["features"]["reduce"]["method"] == "none":
        return "results/features/vgg19.h5"
    return "results/features/vgg19_reduced.h5"


def weights_path():
    """The VGG19 weights file of the configuration ('' for random weights)."""
    weights = config["features"]["weights"]
    if weights == "random":
        return ""
    return config["features"]["weights_file"] if weights == "imagenet" else weights


def weights_file_input(wildcards):
    return weights_path() or []


def weights_input(wildcards):
    """The VGG19 weights file the extraction needs, and its check (none for random weights)."""
    if not weights_path():
        return {}
    return {"weights": weights_path(), "weights_check": "results/features/weights_check.json"}


def feature_params():
    """The extraction settings that change feature values (a change reruns extraction).

    Execution settings -- features.device, batch_size, num_workers, compression -- are read
    by the job from the config: moving to a GPU node or changing the batch size reruns nothing.
    """
    f = config["features"]
    params = {key: f[key] for key in VALUE_SETTINGS}
    if f["weights"] != "random":
        params["seed"] = None  # the seed only shapes random weights
    return params


def audio_params():
    """The decoding settings that change what a classifier sees (audio.min_duration only gates
    which clips are usable: the track table applies it, so it reruns no extraction)."""
    return {key: config["audio"][key] for key in ("sample_rate", "offset", "duration")}


def entry(rule):
    """The thin entry script a rule runs (``workflow/scripts/<rule>.py``)."""
    return f"{SCRIPTS}/{rule}.py"


def code_digest(rule):
    """The digest of the code that runs for a rule -- its entry script and the package modules it imports,
    without comments or docstrings (emotify_pipeline/provenance.py). In ``params``, it reruns
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
    from emotify_pipeline.study import experiment

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
    else:
        inputs["ratings"] = "results/tables/gems_ratings.csv"
    return inputs


def pca_inputs(wildcards):
    """What one experiment's PCA figure shows (its table row's ``pca_input``)."""
    from emotify_pipeline.study import experiment

    table = {
        "features": {"features": audio_features(wildcards)},
        "ratings": {"ratings": "results/tables/gems_ratings.csv"},
        "probabilities": {
            "probabilities": "results/experiments/exp2_emotion_from_audio/probabilities.csv"
        },
    }
    return {"split": "results/splits/paper.csv", **table[experiment(wildcards.exp).pca_input]}


def figure_inputs(wildcards):
    if wildcards.fig in BEYOND_FIGURES:
        return {**BEYOND_FIGURES[wildcards.fig][1], **figure_features(wildcards)}
    kind, exp, _ = FIGURES[wildcards.fig]
    base = f"results/experiments/{exp}"
    if kind == "pca":  # no metrics: the PCA figures do not depend on k (Fig. 6 through its inputs)
        inputs = {"pca": f"{base}/pca.csv", "info": f"{base}/pca.json"}
    else:
        inputs = {"metrics": f"{base}/metrics.json", "confusion": f"{base}/confusion.csv"}
    return {**inputs, **figure_features(wildcards)}


def figure_kind(wildcards):
    return {**FIGURES, **BEYOND_FIGURES}[wildcards.fig][0]


def figure_title(wildcards):
    return {**FIGURES, **BEYOND_FIGURES}[wildcards.fig][2]


RATINGS_FIGURES = ("fig4_ratings_pca_by_genre", "fig5_ratings_genre_confusion")


def figure_features(wildcards):
    """Figures about audio features read their feature label (weights, layer, pooling) from
    the feature file's own provenance attributes, never from the config."""
    return {} if wildcards.fig in RATINGS_FIGURES else {"features": audio_features(wildcards)}


def get_final_output():
    outputs = [
        # the feature cache is a target itself: a merged file deleted by a kill (or moved aside
        # as damaged) is rebuilt by the next plain run, even when every consumer is up to date
        "results/features/vgg19.h5",
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
    outputs += [p for name in EXPERIMENTS for p in final_experiment_outputs(name)]
    outputs += [f"results/figures/{fig}.png" for fig in [*FIGURES, *BEYOND_FIGURES]]
    return outputs
