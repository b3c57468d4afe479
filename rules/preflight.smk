# The audio preflight, while Snakemake builds the DAG: data.csv against the files, every clip
# probed once (size, sha256, tags, frames; cached in .snakemake/emotify by size, mtime, ctime and
# inode), the catalogue check, and the checks of k against the usable clips -- so that bad input
# stops the run before any job starts. Included after common.smk.


def check_local_data():
    """Validate a local copy while the DAG is built, so that invalid annotations or a broken
    id <-> file mapping stop the run before any job starts (jobs re-check, and read tags)."""
    from emotify_pipeline.data.annotations import read_annotations
    from emotify_pipeline.data.mapping import check_audio_mapping

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


AUDIO_PROBE_CACHE = ".snakemake/emotify/audio_probe.json"
_PROBES = {}


def audio_probes():
    """What each audio file of a local copy says about itself (size, sha256, tags, whole /
    truncated / corrupt, seconds), read once per Snakemake process and cached by size, mtime,
    ctime and inode in .snakemake/, so a restored file (cp -p, rsync) is read again."""
    from emotify_pipeline.data.probe import probe_audio_files

    if not _PROBES:
        _PROBES.update(probe_audio_files(audio_files(), AUDIO_PROBE_CACHE))
    return _PROBES


def check_catalogue():
    """data.check_catalogue, never for the demo (its own tags, made here)."""
    return config["data"]["check_catalogue"] if config["data"]["source"] != "demo" else False


def usability():
    """Path -> '' for a usable clip of a local copy, else why it is not (one line)."""
    from emotify_pipeline.data.catalogue import catalogue_for
    from emotify_pipeline.data.tracks import apply_policy

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
    from emotify_pipeline.data.tracks import missing_group_tags

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


def usable_clip_count():
    """Clips the classifiers will see, known while the DAG is built (None for a download)."""
    source = config["data"]["source"]
    if source == "demo":
        return 4 * config["demo"]["n_per_genre"]
    if source == "local" and os.path.isdir(audio_root()):
        return len(extraction_paths())
    return None


def check_every_genre_has_clips():
    """A local copy must hold usable clips of all four genres: the genre experiments, their
    chance level and the paper's values beside them assume the four (a data.csv of one genre
    would otherwise run to meaningless genre numbers). No clip at all is check_k_against_data's message.
    """
    if config["data"]["source"] != "local" or not os.path.isdir(audio_root()):
        return
    genres = {os.path.basename(os.path.dirname(p)) for p in extraction_paths()}
    if genres and genres != set(GENRES):
        missing = [g for g in GENRES if g not in genres]
        raise WorkflowError(
            f"invalid input data: usable clips (audio with rows in {annotations_path()}) for "
            f"{len(genres)} of the four genres; none for {', '.join(missing)}. The study compares the "
            "paper's four genres (chance 0.25): put the missing genre's clips and rows back"
        )


def check_k_against_data():
    """knn.k must not exceed the smallest training set any classifier sees: the training part
    of a split, less one inner fold (Experiments II/IV). Checked before any job, never capped."""
    n = usable_clip_count()
    if n is None:
        return
    if n == 0:
        raise WorkflowError(
            f"invalid input data: no usable audio clip under {audio_root()} (expected <genre>/<n>."
            f"{config['data']['audio_ext']} for the genres {', '.join(GENRES)}, with rows in {annotations_path()})"
        )
    k, test_size, folds = (
        config["knn"]["k"],
        config["split"]["test_size"],
        config["experiments"]["inner_folds"],
    )
    n_test = math.ceil(test_size * n)
    if min(n_test, n - n_test) < len(GENRES):
        raise WorkflowError(
            f"invalid configuration: split.test_size = {test_size} gives {n_test} test and {n - n_test} "
            f"training songs of {n} usable clips; a split stratified by genre needs at least "
            f"{len(GENRES)} on each side"
        )
    n_train = n - n_test
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


def shard_content(wildcards):
    return content_digest(shard_paths(wildcards))


def all_audio_content(wildcards):
    return content_digest(audio_files())


check_config_relations()
check_local_data()
check_audio_files()
check_every_genre_has_clips()
check_k_against_data()
