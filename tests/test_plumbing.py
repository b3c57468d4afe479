"""The rule files' helpers, as package functions: plain configuration dicts and files in, values
or one clear EmotifyError out -- no Snakemake workflow, no run."""

import hashlib
import json
import os
import socket
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import yaml
from conftest import REPO
from snakemake.exceptions import WorkflowError
from snakemake.utils import update_config, validate

from emotify_pipeline.core.emotify import ANNOTATION_COLUMNS, EMOTIONS, GENRE_ID_BASE, GENRES
from emotify_pipeline.core.errors import EmotifyError
from emotify_pipeline.data.demo import write_mp3
from emotify_pipeline.plumbing import inputs, paths, settings, snakefile
from emotify_pipeline.plumbing.figure_specs import ALL_FIGURES, RATINGS_FIGURES, figure_input_files, figure_specs
from emotify_pipeline.plumbing.preflight import (
    Preflight,
    check_config_relations,
    check_every_genre_has_clips,
    check_k_against_data,
    checked_config,
    preflight,
    usability,
)
from emotify_pipeline.plumbing.run_guard import guard_against_a_live_run
from emotify_pipeline.study.table import BEYOND_FIGURES, EXPERIMENTS

SCHEMA_PATH = REPO / "config" / "schema.yaml"
SCHEMA = yaml.safe_load(SCHEMA_PATH.read_text())
SHORT_CLIPS = {"audio": {"duration": 1.0, "min_duration": 0.5}, "knn": {"k": 1}, "evaluation": {"k_values": [1, 3]}}


def configured(overrides: dict | None = None, configfile: str = "demo.yaml") -> dict:
    """config.yaml, then ``configfile`` and ``overrides`` over it, typed and with the schema's
    defaults, as the workflow sees it."""
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    update_config(config, yaml.safe_load((REPO / "config" / configfile).read_text()))
    update_config(config, overrides or {})
    config = checked_config(config, SCHEMA)
    validate(config, str(SCHEMA_PATH))
    return config


def tags(genre: str) -> dict[str, str]:
    """ID3 tags of a test clip: an artist and album of its own, as grouped splits need."""
    return {"title": "t", "artist": f"{genre} artist", "album": "b", "year": "2001", "genre": genre, "track": "1"}


def local_copy(root: Path, per_genre: int = 4, extra: tuple[str, ...] = ()) -> dict:
    """A local Emotify-shaped copy under ``root``: ``per_genre`` one-second MP3s of each genre
    with rows in data.csv (files named in ``extra`` get audio but no rows); its configuration."""
    tone = np.sin(np.linspace(0, 900, 22050)).astype("float32") * 0.3
    rows = [", ".join(ANNOTATION_COLUMNS)]
    for genre in GENRES:
        for n in range(1, per_genre + 1):
            write_mp3(root / "emotifymusic" / genre / f"{n}.mp3", tone, 22050, tags(genre))
            emotions = ["1" if i == n % len(EMOTIONS) else "0" for i in range(len(EMOTIONS))]
            rows.append(
                ",".join([str(GENRE_ID_BASE[genre] + n), genre, *emotions, "3", "1", "0", "30", "1", "English"])
            )
    for name in extra:
        write_mp3(root / "emotifymusic" / name, tone, 22050, tags("x"))
    (root / "data.csv").write_text("\n".join(rows) + "\n")
    return configured({**SHORT_CLIPS, "data": {"source": "local", "root": str(root), "require_all_audio": not extra}})


# --- the configuration ---------------------------------------------------------------------


def test_checked_config_types_command_line_strings_and_names_a_bad_key() -> None:
    assert checked_config({"knn": {"k": "7"}}, SCHEMA) == {"knn": {"k": 7}}
    with pytest.raises(EmotifyError, match=r"^invalid configuration: unknown key 'knnn'; did you mean 'knn'\?"):
        checked_config({"knnn": {"k": 5}}, SCHEMA)
    with pytest.raises(EmotifyError, match=r"^invalid configuration: knn.k: 0 is less than the minimum of 1$"):
        checked_config({"knn": {"k": "0"}}, SCHEMA)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"features": {"weights": "/nowhere/w.pth"}}, "features.weights = '/nowhere/w.pth' is not a file"),
        ({"evaluation": {"ablation_repeats": 11}}, "evaluation.ablation_repeats = 11 exceeds evaluation.repeats = 10"),
        ({"spectrogram": {"fmin": "8000", "fmax": "4000"}}, "spectrogram.fmin = 8000.0 Hz is not below fmax = 4000 Hz"),
        ({"features": {"compare": ["vgg19"]}}, "features.compare lists features.model (vgg19) itself"),
        ({"audio": {"min_duration": "9"}}, "audio.min_duration = 9.0 s exceeds audio.duration = 6.0 s"),
    ],
)
def test_settings_that_do_not_fit_together_are_named(overrides: dict, message: str) -> None:
    with pytest.raises(EmotifyError, match="^invalid configuration: ") as err:
        check_config_relations(configured(overrides), ["--cores", "2"])
    assert message in str(err.value)


def test_missing_annotations_stop_a_run_or_dry_run_not_a_lint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = configured({"data": {"source": "local", "root": "nowhere"}})
    for argv in (["--cores", "2"], ["-n"]):
        with pytest.raises(EmotifyError, match=r"^invalid input data: nowhere/data.csv not found \(data.root"):
            check_config_relations(config, argv)
    check_config_relations(config, ["--lint"])
    (tmp_path / "results" / "data").mkdir(parents=True)
    (tmp_path / "results" / "data" / "annotations.csv").write_text("")
    with pytest.raises(EmotifyError, match="earlier results are never reused"):
        check_config_relations(config, ["--lint"])  # earlier results would look current


def test_k_is_checked_against_the_usable_clips() -> None:
    config = configured()
    check_k_against_data(config, 40)
    check_k_against_data(config, None)  # not known while the DAG is built: nothing to check
    with pytest.raises(
        EmotifyError, match=r"^invalid input data: no usable audio clip under resources/demo/emotifymusic"
    ):
        check_k_against_data(config, 0)
    with pytest.raises(EmotifyError, match="knn.k = 7 exceeds the smallest training set of the workflow: 12 usable"):
        check_k_against_data(configured({"knn": {"k": 7}}), 12)
    with pytest.raises(EmotifyError, match="split.test_size = 0.01 gives 1 test and 39 training songs"):
        check_k_against_data(configured({"split": {"test_size": 0.01}}), 40)
    with pytest.raises(EmotifyError, match="evaluation.k_values holds k = 40, more than the 28 training songs"):
        check_k_against_data(configured({"evaluation": {"k_values": [1, 40]}}), 40)


def test_every_genre_must_have_usable_clips() -> None:
    config = configured()
    check_every_genre_has_clips(config, [f"x/{g}/1.mp3" for g in GENRES])
    check_every_genre_has_clips(config, [])  # no clip at all: the k check's message
    with pytest.raises(EmotifyError, match="for 3 of the four genres; none for rock"):
        check_every_genre_has_clips(config, [f"x/{g}/1.mp3" for g in GENRES if g != "rock"])


def test_a_live_run_is_guarded_only_for_a_main_process_that_would_lock(tmp_path: Path) -> None:
    record, locks = tmp_path / "run.json", tmp_path / "locks"
    alive = {"pid": os.getppid(), "host": socket.gethostname(), "started_utc": "now", "command": "snakemake"}
    record.write_text(json.dumps(alive))
    guard_against_a_live_run(["--cores", "2"], True, record, locks)  # no locks: nothing runs here
    locks.mkdir()
    (locks / "0.input.lock").write_text("")
    guard_against_a_live_run(["-n"], True, record, locks)  # a dry run is safe
    guard_against_a_live_run(["--cores", "2"], False, record, locks)  # a job's own process
    with pytest.raises(EmotifyError, match=f"pid {os.getppid()} .*Do not use --unlock"):
        guard_against_a_live_run(["--cores", "2"], True, record, locks)
    with pytest.raises(EmotifyError, match="--unlock would remove the locks of a live run"):
        guard_against_a_live_run(["--unlock"], True, record, locks)


# --- the data, while the DAG is built -------------------------------------------------------


def test_the_preflight_of_a_local_copy_returns_its_ids_probes_and_usable_clips(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = local_copy(tmp_path / "data", extra=("pop/9.mp3",))  # a file without rows
    found = preflight(config, ["--cores", "2"], probe_cache=str(tmp_path / "probes.json"))
    assert len(found.track_ids) == 16 and found.track_ids[101] == "rock"
    assert found.unlabelled == {os.path.normpath(tmp_path / "data/emotifymusic/pop/9.mp3")}
    files = inputs.audio_files(config)
    assert set(found.probes) == set(files) and len(files) == 17  # every file probed once, kept
    usable = found.extraction_paths(files)
    assert len(usable) == 16 and not any(p.endswith("pop/9.mp3") for p in usable)
    assert found.track_ids_param().startswith("1:classical;2:classical;") and "304:pop" in found.track_ids_param()
    assert inputs.track_table_inputs(config, found.track_ids_param()) == {"audio": files}
    assert found.shard_paths(files, 0) == usable  # one shard by default
    two = Preflight({**config, "features": {**config["features"], "shards": 2}}, found.track_ids, found.unlabelled)
    halves = two.shard_paths(files, 0), two.shard_paths(files, 1)
    assert sorted(halves[0] + halves[1]) == sorted(usable)
    # the content digest follows the files' bytes, not their timestamps
    digest = found.content_digest(usable, files)
    write_mp3(Path(usable[0]), np.zeros(22050, dtype="float32"), 22050, tags("classical"))
    again = preflight(config, ["--cores", "2"], probe_cache=str(tmp_path / "probes.json"))
    assert again.content_digest(usable, files) != digest
    assert json.loads((tmp_path / "probes.json").read_text())["probes"]  # the cache it reads next time


def test_bad_clips_stop_in_one_message_or_are_left_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = local_copy(tmp_path / "data")
    (tmp_path / "data/emotifymusic/pop/3.mp3").write_bytes(b"")
    (tmp_path / "data/emotifymusic/rock/2.mp3").write_text("<html>not audio</html>" * 100)
    with pytest.raises(EmotifyError) as err:
        preflight(config, ["--cores", "2"], probe_cache=str(tmp_path / "probes.json"))
    text = str(err.value)
    assert text.startswith("invalid input data: 2 of 16 audio file(s) cannot be used:\n  ")
    assert "pop/3.mp3: audio file is empty" in text and "data.on_bad_audio: skip" in text
    skip = configured({**SHORT_CLIPS, "data": {**config["data"], "on_bad_audio": "skip"}})
    found = preflight(skip, ["--cores", "2"], probe_cache=str(tmp_path / "probes.json"))
    usable = found.extraction_paths(inputs.audio_files(skip))
    assert len(usable) == 14 and not any(p.endswith(("pop/3.mp3", "rock/2.mp3")) for p in usable)
    assert usability(skip, found.probes)[os.path.normpath(tmp_path / "data/emotifymusic/pop/3.mp3")]


def test_a_broken_mapping_is_invalid_input_data_naming_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = local_copy(tmp_path / "data")
    (tmp_path / "data/emotifymusic/pop/3.mp3").unlink()
    with pytest.raises(EmotifyError, match=r"^invalid input data: \S+: 1 track id\(s\) .*no audio file: track 303"):
        preflight(config, ["-n"], probe_cache=str(tmp_path / "probes.json"))


def test_the_demo_is_checked_from_its_settings_and_reads_no_audio(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = configured()
    found = preflight(config, ["--cores", "2"], probe_cache=str(tmp_path / "probes.json"))
    assert found.probes == {} and found.track_ids == {} and not (tmp_path / "probes.json").exists()
    assert found.track_ids_param().split(";")[:2] == ["1:classical", "2:classical"]
    assert len(found.track_ids_param().split(";")) == 40
    files = inputs.audio_files(config)
    assert files == paths.demo_audio_files(config) and found.extraction_paths(files) == files
    assert found.content_digest(files, files).startswith("demo: files made by this workflow")
    with pytest.raises(EmotifyError, match="knn.k = 40 exceeds the smallest training set of the workflow: 40 usable"):
        preflight(configured({"knn": {"k": 40}}), ["-n"])


def test_a_download_is_checked_once_downloaded_never_while_the_rule_files_are_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the rule files are read, the download's checkpoint is not declared yet: its audio
    (there from an earlier run or not) is checked by the shard input function."""
    monkeypatch.chdir(tmp_path)
    local_copy(tmp_path / "resources" / "emotify")
    (tmp_path / "resources/emotify/emotifymusic/pop/3.mp3").write_bytes(b"")
    config = configured({**SHORT_CLIPS, "data": {"source": "download"}})
    found = preflight(config, ["--cores", "2"], probe_cache=str(tmp_path / "probes.json"))
    assert found.probes == {} and found.track_ids_param() == ""
    assert inputs.audio_inputs(config) == ["resources/emotify/emotifymusic"]
    waited = []
    files = inputs.audio_files(config, lambda: waited.append(True))
    assert waited == [True] and len(files) == 16
    with pytest.raises(
        EmotifyError, match=r"1 of 16 audio file\(s\) cannot be used:\n  \S*pop/3.mp3: audio file is empty"
    ):
        found.shard_paths(files, 0)


def test_the_snakefile_checks_once_and_the_rule_files_read_what_the_checks_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """check_workflow types and completes the configuration in place and files what the checks
    learned under its content; the rule files' functions read it by the configuration alone."""
    monkeypatch.chdir(tmp_path)
    local_copy(tmp_path / "data")
    raw = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    update_config(raw, {**SHORT_CLIPS, "data": {"source": "local", "root": str(tmp_path / "data")}})
    update_config(raw, {"knn": {"k": "1"}})  # as --config gives it
    other = json.loads(json.dumps(raw))
    snakefile.check_workflow(raw, ["--cores", "2"], is_main_process=False)
    expected = checked_config(other, SCHEMA)
    validate(expected, str(SCHEMA_PATH))
    assert raw["knn"]["k"] == 1 and raw == expected and expected != other  # typed, the schema's defaults in
    assert snakefile.track_ids(raw).startswith("1:classical;2:classical;")
    files = inputs.audio_files(raw)
    assert snakefile.track_inputs(raw) == {"audio": files}
    local = SimpleNamespace(download_audio=SimpleNamespace(get=lambda: pytest.fail("a local copy waits for nothing")))
    assert snakefile.shard_paths(raw, local, "0") == files
    assert snakefile.shard_inputs(raw, local, "0", "vgg19") == {
        "audio": files,
        "weights": "resources/models/vgg19-dcbb9e9d.pth",
        "weights_check": "results/features/weights_check.json",
    }
    assert snakefile.shard_content(raw, local, 0) == snakefile.all_audio_content(raw, local)
    # a configuration edited after the checks (a host workflow's, say) is checked on first use
    edited = {**raw, "run_label": "renamed", "knn": {**raw["knn"], "k": 3}}
    assert snakefile.track_ids(edited) == snakefile.track_ids(raw)
    with pytest.raises(WorkflowError, match=r"^invalid configuration: knn.k = 40 exceeds"):
        snakefile.track_ids({**raw, "knn": {**raw["knn"], "k": 40}})
    with pytest.raises(
        WorkflowError, match=r"^invalid configuration: unknown key 'knnn'; did you mean 'knn'\? \(valid keys here"
    ):
        snakefile.check_workflow({**other, "knnn": {}}, ["-n"], is_main_process=False)


def test_a_downloads_bad_clip_stops_its_shard_with_one_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    local_copy(tmp_path / "resources" / "emotify")
    (tmp_path / "resources/emotify/emotifymusic/pop/3.mp3").write_bytes(b"")
    config = configured({**SHORT_CLIPS, "data": {"source": "download"}})
    snakefile.check_workflow(config, ["--cores", "2"], is_main_process=False)
    waited = []
    download = SimpleNamespace(download_audio=SimpleNamespace(get=lambda: waited.append(True)))
    with pytest.raises(
        WorkflowError, match=r"1 of 16 audio file\(s\) cannot be used:\n  \S*pop/3.mp3: audio file is empty"
    ):
        snakefile.shard_paths(config, download, "0")
    assert waited == [True]  # the download's checkpoint is asked for first


def test_a_preflight_value_answers_from_what_it_holds() -> None:
    """Probes given: no file is read."""
    config = configured({**SHORT_CLIPS, "data": {"source": "local", "root": "/nowhere", "check_catalogue": False}})
    ok = {"problem": "", "decoded_s": 1.0, "sha256": "ab"}
    probes = {"a/rock/1.mp3": dict(ok), "a/rock/2.mp3": {"problem": "a/rock/2.mp3: truncated file"}, "a/pop/1.mp3": ok}
    found = Preflight(config, {101: "rock", 301: "pop"}, frozenset({"a/pop/1.mp3"}), probes)
    files = list(probes)
    assert found.audio_probes(["other"]) is probes  # read once, kept
    assert found.track_ids_param() == "101:rock;301:pop"
    assert found.content_digest(["a/rock/1.mp3"], files) == hashlib.sha256(b"a/rock/1.mp3 ab").hexdigest()
    assert found.content_digest(["a/rock/2.mp3"], files) == hashlib.sha256(b"a/rock/2.mp3 unreadable").hexdigest()
    assert usability(config, probes) == {
        "a/rock/1.mp3": "",
        "a/rock/2.mp3": "a/rock/2.mp3: truncated file",
        "a/pop/1.mp3": "",
    }


# --- paths, settings and inputs ---------------------------------------------------------------


def test_each_source_has_its_own_data_folder() -> None:
    demo, download = configured(), configured({"data": {"source": "download"}})
    local = configured({"data": {"source": "local", "root": "my/copy/", "audio_dir": "music"}})
    assert paths.annotations_path(demo) == "resources/demo/data.csv"
    assert paths.annotations_path(download) == "resources/emotify/data.csv"
    assert paths.audio_root(local) == "my/copy/music"  # normalised
    assert paths.demo_audio_files(demo)[:2] == ["resources/demo/emotifymusic/classical/1.mp3"] + [
        "resources/demo/emotifymusic/classical/2.mp3"
    ]
    assert len(paths.demo_audio_files(demo)) == 40


def test_the_classifiers_read_the_study_networks_features_reduced_or_not() -> None:
    assert paths.audio_features(configured()) == "results/features/vgg19.h5"
    reduced = configured({"features": {"model": "MSD_musicnn", "reduce": {"method": "pca"}}})
    assert (
        paths.audio_features(reduced)
        == paths.reduced_feature_file(reduced)
        == "results/features/MSD_musicnn_reduced.h5"
    )


def test_outputs_are_spelled_once() -> None:
    """The study table names the tables its figures read; where they are is the package's one
    declaration, which the rules that write them use too."""
    named = {table for _, reads, _ in BEYOND_FIGURES.values() for table in reads.values()}
    assert named <= set(paths.BEYOND_TABLES)
    assert "results/" not in (REPO / "workflow/scripts/emotify_pipeline/study/table.py").read_text()
    rule_files = "\n".join(p.read_text() for p in (REPO / "rules").glob("*.smk"))
    declared = [*paths.BEYOND_TABLES.values(), *[p for e in EXPERIMENTS for p in inputs.experiment_files(e.name)]]
    assert not [p for p in declared if f'"{p}"' in rule_files]
    assert paths.experiment_outputs("{exp}")["metrics"] == "results/experiments/{exp}/metrics.json"
    assert paths.model_evaluation(configured(), "vgg19", "repeated_summary") == paths.BEYOND_TABLES["repeated_summary"]
    assert paths.model_evaluation(configured(), "MSD_musicnn", "x") == "results/evaluation/models/MSD_musicnn/x.csv"


def test_networks_and_their_feature_params() -> None:
    config = configured({"features": {"compare": ["MSD_musicnn", "vgg19"], "model": "MTT_musicnn"}})
    assert settings.compared_models(config) == ["MSD_musicnn", "vgg19"]
    assert settings.feature_models(config) == ["MTT_musicnn", "MSD_musicnn", "vgg19"]
    vgg = settings.feature_params(configured(), "vgg19")
    assert vgg["model"] == "vgg19" and vgg["seed"] == 0 and vgg["weights"] == "random"
    assert settings.feature_params(configured({"features": {"weights": "imagenet"}}))["seed"] is None
    musicnn = settings.feature_params(configured(), "MSD_musicnn")
    assert musicnn["precision"] == "fp32" and musicnn["weights"] == "MSD_musicnn" and musicnn["seed"] is None
    assert "device" not in vgg and "batch_size" not in vgg  # execution settings rerun nothing


def test_evaluation_settings_by_rule() -> None:
    config = configured({"evaluation": {"group_by": ["album"], "ranking_jobs": 4}})
    assert settings.evaluation_kinds(config) == ["random", "album"]
    assert settings.ablation_kinds(config) == ["random"] and settings.beyond_genre_kind(config) == "random"
    assert settings.beyond_genre_kind(configured()) == "artist"
    assert settings.vote_params(config, "seed") == {"seed": config["evaluation"]["seed"], "ties": "sklearn", "k": 5}
    assert "k" not in settings.vote_params(config, "seed", with_k=False)
    assert settings.ranking_depth(configured({"knn": {"k": 20}})) == 20
    assert settings.ranking_jobs(config, "paper") == 1 and settings.ranking_jobs(config, "random") == 4
    assert settings.split_repeats(config, "paper") == 1 and settings.split_repeats(config, "album") == 10
    assert settings.resample_inner_folds(config, "random") == config["experiments"]["inner_folds"]
    assert settings.resample_inner_folds(config, "artist") == 0
    assert settings.check_catalogue(configured()) is False  # the demo's own tags


def test_the_demo_is_remade_when_the_catalogue_it_copies_changes(tmp_path: Path) -> None:
    catalogue = tmp_path / "catalogue.csv"
    catalogue.write_text("track_id,file\n")
    archive = configured({"demo": {"groups": "archive"}})
    assert settings.demo_catalogue_digest(archive, catalogue) == hashlib.sha256(b"track_id,file\n").hexdigest()
    assert len(settings.demo_catalogue_digest(archive)) == 64  # the shipped catalogue
    assert settings.demo_catalogue_digest(configured({"demo": {"groups": "per_genre"}}), catalogue) == ""


def test_rule_inputs() -> None:
    config = configured({"evaluation": {"ranking_jobs": 3}})
    assert inputs.track_table_inputs(config, "")["annotations"] == "results/data/annotations.csv"
    assert inputs.neighbour_inputs(config, "paper", "audio") == {
        "split": "results/splits/paper.csv",
        "features": "results/features/vgg19.h5",
    }
    assert (
        inputs.neighbour_inputs(config, "random", "audio-MSD_musicnn")["features"] == "results/features/MSD_musicnn.h5"
    )
    assert inputs.neighbour_inputs(config, "artist", "ratings")["ratings"] == "results/tables/gems_ratings.csv"
    assert inputs.neighbour_job_inputs(config, "paper", "audio") == inputs.neighbour_inputs(config, "paper", "audio")
    assert inputs.neighbour_job_inputs(config, "random", "ratings") == {
        "parts": [f"results/neighbours/random/ratings.part{p}-of-3.h5" for p in range(3)]
    }
    exp4 = inputs.experiment_inputs(config, "exp4_genre_from_predicted_emotions")
    assert exp4["probabilities"] == "results/experiments/exp2_emotion_from_audio/probabilities.csv"
    assert set(inputs.experiment_inputs(config, "exp3_genre_from_ratings")) == {"split", "ratings_neighbours"}
    assert inputs.pca_inputs(config, "exp3_genre_from_ratings") == {
        "split": "results/splits/paper.csv",
        "ratings": "results/tables/gems_ratings.csv",
    }
    assert inputs.comparison_input(config) == {}
    assert set(inputs.comparison_input(configured({"features": {"compare": ["MSD_musicnn"]}}))) == {
        "comparison",
        "comparison_beyond",
        "comparison_shares",
    }


def test_a_local_copy_without_a_file_behind_a_link_has_no_such_input(tmp_path: Path) -> None:
    config = configured({"data": {"source": "local", "root": str(tmp_path)}})
    (tmp_path / "emotifymusic" / "pop").mkdir(parents=True)
    (tmp_path / "emotifymusic" / "pop" / "1.mp3").write_bytes(b"x")
    (tmp_path / "emotifymusic" / "pop" / "2.mp3").symlink_to("/nonexistent/2.mp3")
    files = inputs.audio_files(config)
    assert len(files) == 2 and inputs.audio_inputs(config) == [files[0]]
    assert inputs.present(configured(), ["not/made/yet.mp3"]) == ["not/made/yet.mp3"]  # the demo's, made later


def test_figures_and_the_final_targets() -> None:
    config = configured({"features": {"compare": ["MSD_musicnn"]}})
    specs = figure_specs(config)
    assert list(specs) == [*ALL_FIGURES, "fig14_networks_compared"] and len(ALL_FIGURES) == 13
    assert list(figure_specs(configured())) == ALL_FIGURES  # the comparison's figure only with a comparison
    assert specs["fig13_rating_shares_vs_reliability"]["inputs"] == {
        "shares": paths.BEYOND_TABLES["rating_shares"],
        "shares_MSD_musicnn": "results/evaluation/models/MSD_musicnn/rating_shares.csv",
        "features": "results/features/vgg19.h5",
    }
    assert specs["fig9_emotions_repeated_vs_paper"]["inputs"] == {
        "summary": paths.BEYOND_TABLES["repeated_summary"],
        "ceiling": paths.BEYOND_TABLES["human_ceiling"],
        "features": "results/features/vgg19.h5",
    }
    assert all("features" not in specs[fig]["inputs"] for fig in RATINGS_FIGURES) and RATINGS_FIGURES
    assert specs["fig1_audio_pca_by_genre"]["inputs"]["pca"] == "results/experiments/exp1_genre_from_audio/pca.csv"
    files = figure_input_files(config)
    assert files == sorted(set(files))
    targets = inputs.final_outputs(config)
    assert [paths.figure_file(f) for f in [*ALL_FIGURES, "fig14_networks_compared"]] == targets[-14:]
    assert {"results/features/MSD_musicnn.h5", "results/tables/model_comparison.md", "results/summary.md"} <= set(
        targets
    )
    assert "results/tables/model_comparison.md" not in inputs.final_outputs(configured())
