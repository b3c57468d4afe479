"""The checks that run while Snakemake builds the DAG, so that bad input stops the run before
any job starts: the configuration against the schema and against itself, a local copy's
data.csv against its files, every clip probed once (size, sha256, tags, frames), the catalogue
check, and knn.k against the usable clips.

:func:`preflight` runs them in that order and returns a :class:`Preflight`, the value object
the rule files read the data's facts from (track ids, unlabelled files, probes) through
:mod:`plumbing.snakefile`. Every check raises :class:`EmotifyError` with one message that names
the key, file or row; :mod:`plumbing.snakefile` turns it into Snakemake's ``WorkflowError``.
"""

import hashlib
import math
import os
from dataclasses import dataclass, field
from typing import Any

from ..core.emotify import GENRE_ID_BASE, GENRES
from ..core.errors import EmotifyError
from ..data.annotations import read_annotations
from ..data.catalogue import catalogue_for
from ..data.mapping import check_audio_mapping
from ..data.probe import probe_audio_files
from ..data.tracks import AudioPolicy, apply_policy, missing_group_tags
from ..features.spectrogram import mel_problem
from .config_tools import coerce_to_schema, config_problem
from .inputs import audio_files, present, shard_paths
from .paths import FILES, annotations_path, audio_root
from .run_guard import invocation, is_dry_run
from .settings import audio_policy_params, check_catalogue

Config = dict[str, Any]

#: where the probes of a local copy's clips are cached (by size, mtime, ctime and inode)
AUDIO_PROBE_CACHE = ".snakemake/emotify/audio_probe.json"


def checked_config(config: Config, schema: dict[str, Any]) -> Config:
    """``config`` with command-line strings typed as the schema says (``--config 'knn={k: 7}'``
    gives strings), checked against the schema. Raises :class:`EmotifyError` with one line
    naming the key (an unknown key with the closest valid one, a wrong type or value), not the
    whole schema."""
    typed = coerce_to_schema(config, schema)
    problem = config_problem(typed, schema)
    if problem:
        raise EmotifyError(f"invalid configuration: {problem}")
    return typed


def check_config_relations(config: Config, argv: list[str]) -> None:
    """Settings that are valid alone but not together, or that name a missing file: stop
    before any job, naming the keys (a missing weights file would otherwise let Snakemake
    skip the extraction silently and relabel old features).

    ``argv`` is Snakemake's command line: a run or a dry run needs a local copy's annotations
    file; a lint or a graph needs it only where earlier results would look current.
    """
    weights = config["features"]["weights"]
    if weights not in ("random", "imagenet") and not os.path.isfile(weights):
        raise EmotifyError(
            f"invalid configuration: features.weights = {weights!r} is not a file; give the path of a VGG19 "
            "state-dict file, 'imagenet' (read from features.weights_file) or 'random'"
        )
    evaluation = config["evaluation"]
    if evaluation["ablation_repeats"] > evaluation["repeats"]:
        raise EmotifyError(
            f"invalid configuration: evaluation.ablation_repeats = {evaluation['ablation_repeats']} exceeds "
            f"evaluation.repeats = {evaluation['repeats']}: the ablation uses the first splits of the repeated evaluation"
        )
    audio, spec = config["audio"], config["spectrogram"]
    problem = mel_problem(audio["sample_rate"], spec["n_fft"], spec["n_mels"], spec["fmin"], spec["fmax"])
    if problem:
        raise EmotifyError(f"invalid configuration: {problem}")
    earlier = os.path.exists(FILES["annotations"])
    needed = invocation(argv) != "read-only" or is_dry_run(argv) or earlier
    annotations = annotations_path(config)
    if config["data"]["source"] == "local" and needed and not os.path.isfile(annotations):
        raise EmotifyError(
            f"invalid input data: {annotations} not found (data.root / data.annotations). Three ways on: a local "
            "copy of the archive (--config 'data={root: /path/to/emotify}'), the download (--config "
            "'data={source: download}'), or the embedded demo (--configfile config/demo.yaml); earlier results "
            "are never reused without the annotations they came from"
        )
    features = config["features"]
    if features["model"] in features["compare"]:
        raise EmotifyError(
            f"invalid configuration: features.compare lists features.model ({features['model']}) itself; the "
            "networks it names are evaluated beside the study's network: drop it from the list"
        )
    if audio["min_duration"] > audio["duration"]:
        raise EmotifyError(
            f"invalid configuration: audio.min_duration = {audio['min_duration']} s exceeds "
            f"audio.duration = {audio['duration']} s, so every clip would be unusable"
        )


def check_local_data(config: Config) -> tuple[dict[int, str], frozenset[str]]:
    """Validate a local copy's data.csv and its id <-> file mapping (jobs check again, and read
    the tags). Returns the track id -> genre of data.csv and the archive files it holds no rows
    for (normalised paths; never decoded); ``({}, frozenset())`` for the demo (generated by the
    workflow), a download (checked once downloaded) and a missing data.csv (the configuration
    check or Snakemake says so)."""
    annotations_file = annotations_path(config)
    if config["data"]["source"] != "local" or not os.path.isfile(annotations_file):
        return {}, frozenset()
    data = config["data"]
    try:
        annotations = read_annotations(annotations_file)
        unlabelled = check_audio_mapping(
            annotations, audio_root(config), data["audio_ext"], audio_files(config), data["require_all_audio"]
        )
    except EmotifyError as err:
        raise EmotifyError(f"invalid input data: {err}") from err
    track_ids = annotations.groupby("track id")["genre"].first().to_dict()
    return track_ids, frozenset(os.path.normpath(p) for p in unlabelled)


def usability(config: Config, probes: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Path -> '' for a usable clip, else why it is not (one line): a broken file, a clip
    shorter than audio.min_duration, or -- with data.check_catalogue -- another track's tags."""
    catalogue = catalogue_for(probes, check_catalogue(config))
    policy = AudioPolicy(**audio_policy_params(config))
    return {p: apply_policy(dict(rec), p, policy, catalogue) for p, rec in probes.items()}


def check_every_genre_has_clips(config: Config, usable: list[str]) -> None:
    """A local copy must hold usable clips (``usable``) of all four genres: the genre
    experiments, their chance level and the paper's values beside them assume the four (a
    data.csv of one genre would otherwise run to meaningless genre numbers). No clip at all is
    :func:`check_k_against_data`'s message."""
    genres = {os.path.basename(os.path.dirname(p)) for p in usable}
    if genres and genres != set(GENRES):
        missing = [g for g in GENRES if g not in genres]
        raise EmotifyError(
            f"invalid input data: usable clips (audio with rows in {annotations_path(config)}) for "
            f"{len(genres)} of the four genres; none for {', '.join(missing)}. The study compares the "
            "paper's four genres (chance 0.25): put the missing genre's clips and rows back"
        )


def check_k_against_data(config: Config, n: int | None) -> None:
    """knn.k must not exceed the smallest training set any classifier sees among ``n`` usable
    clips (None: not known while the DAG is built): the training part of a split, less one
    inner fold (Experiments II/IV); the split must leave every genre a song on each side, and
    evaluation.k_values must fit a split's training songs. Checked before any job, never capped."""
    if n is None:
        return
    if n == 0:
        raise EmotifyError(
            f"invalid input data: no usable audio clip under {audio_root(config)} (expected <genre>/<n>."
            f"{config['data']['audio_ext']} for the genres {', '.join(GENRES)}, with rows in "
            f"{annotations_path(config)})"
        )
    k, test_size, folds = config["knn"]["k"], config["split"]["test_size"], config["experiments"]["inner_folds"]
    n_test = math.ceil(test_size * n)
    if min(n_test, n - n_test) < len(GENRES):
        raise EmotifyError(
            f"invalid configuration: split.test_size = {test_size} gives {n_test} test and {n - n_test} "
            f"training songs of {n} usable clips; a split stratified by genre needs at least "
            f"{len(GENRES)} on each side"
        )
    n_train = n - n_test
    n_inner = n_train - math.ceil(n_train / folds)
    if k > n_inner:
        raise EmotifyError(
            f"invalid configuration: knn.k = {k} exceeds the smallest training set of the workflow: {n} usable "
            f"clips -> {n_train} training songs (split.test_size = {test_size}) -> {n_inner} in an inner fold "
            f"(experiments.inner_folds = {folds}); choose knn.k <= {n_inner}"
        )
    largest = max(config["evaluation"]["k_values"])
    if largest > n_train:
        raise EmotifyError(
            f"invalid configuration: evaluation.k_values holds k = {largest}, more than the {n_train} training songs "
            f"of a random split ({n} usable clips, split.test_size = {test_size})"
        )


@dataclass(frozen=True)
class Preflight:
    """What the checks learned about the data of one configuration, for the rule files.

    ``track_ids``: a local copy's data.csv track id -> genre; ``unlabelled``: its archive files
    without rows in data.csv (never decoded); ``probes``: path -> what each audio file says
    about itself (:func:`~emotify_pipeline.data.probe.probe_audio`), read once -- by
    :func:`preflight` for a local copy, on first use otherwise -- through ``probe_cache``.
    """

    config: Config
    track_ids: dict[int, str] = field(default_factory=dict)
    unlabelled: frozenset[str] = frozenset()
    probes: dict[str, dict[str, Any]] = field(default_factory=dict)
    probe_cache: str = AUDIO_PROBE_CACHE

    def audio_probes(self, files: list[str]) -> dict[str, dict[str, Any]]:
        """The probes of ``files`` (size, sha256, tags, whole / truncated / corrupt, seconds),
        read on the first call and kept: cached by size, mtime, ctime and inode in .snakemake/,
        so a restored file (cp -p, rsync) is read again."""
        if not self.probes:
            self.probes.update(probe_audio_files(files, self.probe_cache))
        return self.probes

    def extraction_paths(self, files: list[str]) -> list[str]:
        """The audio files of ``files`` the extraction decodes: present, with rows in data.csv,
        and usable (a file that data.on_bad_audio: skip leaves out is recorded in tracks.csv,
        never decoded). The demo's: all of them."""
        paths = present(self.config, files)
        if self.config["data"]["source"] == "demo":
            return paths
        unusable = usability(self.config, self.audio_probes(files))
        return [p for p in paths if p not in self.unlabelled and not unusable.get(p)]

    def check_audio_files(self, files: list[str]) -> None:
        """Every per-file check that can stop the run: all unusable files of ``files`` in one
        message (data.on_bad_audio: error), then the ID3 tags that evaluation.group_by needs.
        Nothing for the demo or a missing audio folder. The track_table job checks again and
        records each file."""
        if self.config["data"]["source"] == "demo" or not os.path.isdir(audio_root(self.config)):
            return
        probes = self.audio_probes(files)
        problems = [p for p in usability(self.config, probes).values() if p]
        if problems and self.config["data"]["on_bad_audio"] == "error":
            listing = "\n  ".join(problems)
            raise EmotifyError(
                f"invalid input data: {len(problems)} of {len(probes)} audio file(s) cannot be used:\n  {listing}\n"
                "(set data.on_bad_audio: skip to record such files in tracks.csv and run without them)"
            )
        usable = {p: probes[p] for p in self.extraction_paths(files)}
        missing = missing_group_tags(usable, self.config["evaluation"]["group_by"])
        if missing:
            raise EmotifyError(f"invalid input data: {missing}")

    def shard_paths(self, files: list[str], shard: int) -> list[str]:
        """The audio files extraction shard ``shard`` decodes. A download's files are known only
        once it has run: they are checked here, before any extraction."""
        if self.config["data"]["source"] == "download":
            self.check_audio_files(files)
        return shard_paths(self.extraction_paths(files), shard, self.config["features"]["shards"])

    def content_digest(self, paths: list[str], files: list[str]) -> str:
        """sha256 over ``paths`` and the sha256 of each one's bytes (probes of ``files``), for a
        rule's params: the job reruns exactly when the content of one of its audio files changes,
        even when a file is restored with an old timestamp (cp -p, rsync). The demo's files are
        made from config.demo, whose change already reruns what depends on them; a download is a
        new folder (Snakemake's own triggers apply; its sha256 is checked when
        data.download.audio_sha256 is set): one fixed line for those."""
        source = self.config["data"]["source"]
        if source != "local":
            return f"{source}: files made by this workflow (demo generator or checked download)"
        probes = self.audio_probes(files)
        lines = "\n".join(f"{p} {probes[p].get('sha256', 'unreadable')}" for p in paths)
        return hashlib.sha256(lines.encode()).hexdigest()

    def track_ids_param(self) -> str:
        """The track ids and genres of data.csv ('id:genre;...'), known while the DAG is built:
        the track table's params, so that it reruns when the set of tracks changes but not when
        a rating does -- a rating edit reruns the labels and their consumers, never decoding,
        extraction or audio rankings. '' for a download (the job reads the annotations file)."""
        source = self.config["data"]["source"]
        if source == "demo":  # the generator rates every clip it makes
            n = self.config["demo"]["n_per_genre"]
            pairs = [(GENRE_ID_BASE[g] + i, g) for g in GENRES for i in range(1, n + 1)]
        elif source == "local" and self.track_ids:
            pairs = sorted(self.track_ids.items())
        else:
            return ""
        return ";".join(f"{t}:{g}" for t, g in pairs)


def preflight(config: Config, argv: list[str], probe_cache: str = AUDIO_PROBE_CACHE) -> Preflight:
    """Run every check that can stop the run while the DAG is built, in order: the settings
    together (:func:`check_config_relations`), a local copy's data.csv and file mapping, its
    audio files, its genres, and knn.k against its usable clips (the demo's count is known from
    its settings). Returns what they learned; raises :class:`EmotifyError` at the first problem.
    A download's audio is checked once downloaded (:meth:`Preflight.shard_paths`)."""
    check_config_relations(config, argv)
    track_ids, unlabelled = check_local_data(config)
    found = Preflight(config, track_ids, unlabelled, probe_cache=probe_cache)
    if config["data"]["source"] == "demo":
        check_k_against_data(config, 4 * config["demo"]["n_per_genre"])
    elif config["data"]["source"] == "local" and os.path.isdir(audio_root(config)):
        files = audio_files(config)
        found.check_audio_files(files)
        usable = found.extraction_paths(files)
        check_every_genre_has_clips(config, usable)
        check_k_against_data(config, len(usable))
    return found
