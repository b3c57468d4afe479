"""What a change of each configuration key reruns, declared once.

``config/README.md``'s "reruns" column (``tests/test_config.py``) and the plan that ``snakemake -n``
makes for a change of each key on the demo (``tests/test_faults.py``) are both checked against
this table, so the documentation and the workflow cannot drift apart. No rule imports this
module: it describes the rules' ``params:``, it does not set them.
"""

from dataclasses import dataclass

#: the extraction and what reads the feature file's decode statistics (a job of seconds)
AUDIO_JOBS = frozenset({"extract_shard", "merge_features", "production_features"})
#: one rule; its {exp} wildcard runs Experiments I-IV
EXPERIMENTS = frozenset({"experiment"})
EVALUATION = frozenset(
    {"evaluate_repeated", "ablation_genre", "emotion_beyond_genre", "genre_claims", "k_sensitivity", "rating_shares"}
)
#: the analyses that vote with knn.k (the sensitivity sweeps its own k)
K_VOTES = EVALUATION - {"k_sensitivity"}
LABEL_ANALYSES = frozenset({"evaluate_repeated", "emotion_beyond_genre", "genre_claims", "k_sensitivity"})
REPORTING = frozenset({"figures", "summary", "all"})
#: the k-independent geometry: split tables and neighbour rankings, the PCA figures' inputs
AUDIO_GEOMETRY = frozenset({"resample_splits", "neighbours", "ablation_neighbours", "pca"})
FEATURES_ONWARDS = AUDIO_JOBS | AUDIO_GEOMETRY | EXPERIMENTS | EVALUATION | REPORTING
MUSICNN = frozenset({"fetch_musicnn", "convert_musicnn"})


@dataclass(frozen=True)
class Rerun:
    """One configuration key: ``example``, a ``--config`` item that changes it on the demo;
    ``jobs``, the rules ``snakemake -n`` then plans; ``says``, its "reruns" cell in
    ``config/README.md``."""

    key: str
    example: str
    jobs: frozenset[str]
    says: str


RERUNS: tuple[Rerun, ...] = (
    Rerun(
        "run_label",
        "run_label=renamed",
        frozenset({"figures", "ablation_genre", "summary", "all"}),
        "figures, ablation table, model comparison (with `features.compare`), summary",
    ),
    Rerun("audio.sample_rate", "audio={sample_rate: 16000}", FEATURES_ONWARDS, "features onwards"),
    Rerun("spectrogram.n_mels", "spectrogram={n_mels: 64}", FEATURES_ONWARDS, "features onwards"),
    Rerun("features.layer", "features={layer: conv5_4}", FEATURES_ONWARDS, "features onwards"),
    Rerun("features.pooling", "features={pooling: mean}", FEATURES_ONWARDS, "features onwards"),
    Rerun(
        "labels.threshold",
        "labels={threshold: mean}",
        frozenset({"gems_labels", "human_ceiling", "pca"}) | EXPERIMENTS | LABEL_ANALYSES | REPORTING,
        "labels, Exp II/IV, evaluation, ceiling",
    ),
    Rerun(
        "knn.k",
        "knn={k: 3}",
        EXPERIMENTS | K_VOTES | REPORTING | {"pca"},
        "the votes only: experiments, evaluation, ablation, Exp IV's PCA, figures, summary (no split, no "
        "neighbour ranking) -- while it stays within the rankings' depth, the largest of `knn.k` and "
        "`evaluation.k_values` (15 by default); a larger k reranks once, to the new depth",
    ),
    Rerun(
        "knn.ties",
        "knn={ties: random}",
        EXPERIMENTS | EVALUATION | REPORTING | {"pca"},
        "the votes (experiments, evaluation, analyses), figures, summary",
    ),
    Rerun(
        "split.seed",
        "split={seed: 7}",
        frozenset({"split", "neighbours", "pca"}) | EXPERIMENTS | REPORTING,
        "paper split onwards",
    ),
    Rerun(
        "split.test_size",
        "split={test_size: 0.25}",
        frozenset({"split"}) | AUDIO_GEOMETRY | EXPERIMENTS | EVALUATION | REPORTING,
        "splits onwards",
    ),
    Rerun("figures.dpi", "figures={dpi: 100}", frozenset({"figures", "all"}), "figures"),
    Rerun(
        "evaluation.repeats",
        "evaluation={repeats: 12}",
        frozenset({"resample_splits", "neighbours", "ablation_neighbours"}) | EVALUATION | REPORTING,
        "resampled splits, their neighbour rankings, evaluation, ablation",
    ),
    Rerun(
        "evaluation.permutations",
        "evaluation={permutations: 5}",
        frozenset({"evaluate_repeated", "emotion_beyond_genre", "rating_shares"}) | REPORTING,
        "evaluation, emotion_beyond_genre, rating_shares",
    ),
    Rerun(
        "evaluation.k_values",
        "evaluation={k_values: [1, 5, 15]}",  # the same largest k keeps the rankings' depth
        frozenset({"k_sensitivity"}) | REPORTING,
        "k_sensitivity; a new largest k (or one below the old largest) changes the rankings' depth: the "
        "neighbour rankings rerun",
    ),
    Rerun(
        "evaluation.pca_components",
        "evaluation={pca_components: [2, 0]}",
        frozenset({"ablation_neighbours", "ablation_genre"}) | REPORTING,
        "ablation",
    ),
    Rerun("features.precision", "features={precision: bf16}", FEATURES_ONWARDS, "features onwards"),
    Rerun("features.store_dtype", "features={store_dtype: float16}", FEATURES_ONWARDS, "features onwards"),
    # execution settings rerun nothing: moving to a GPU node or another batch size is free
    Rerun("features.device", "features={device: cpu}", frozenset(), "nothing"),
    Rerun("features.batch_size", "features={batch_size: 3}", frozenset(), "nothing"),
    Rerun("features.num_workers", "features={num_workers: 0}", frozenset(), "nothing"),
    Rerun("features.compression", "features={compression: gzip}", frozenset(), "nothing"),
    # musicnn's settings touch nothing while the study reads VGG19 and compares with nothing
    Rerun(
        "features.musicnn.layer",
        "features={musicnn: {layer: taggram}}",
        frozenset(),
        "that network's features onwards",
    ),
    Rerun(
        "features.musicnn.pooling",
        "features={musicnn: {pooling: max}}",
        frozenset(),
        "that network's features onwards",
    ),
    # another network beside the study's: its own weights, extraction, rankings and evaluation, the
    # comparison and the summary -- nothing of the study is redone
    Rerun(
        "features.compare",
        "features={compare: [MSD_musicnn]}",
        MUSICNN
        | {
            "extract_shard",
            "merge_features",
            "neighbours",
            "evaluate_model",
            "model_beyond_genre",
            "model_rating_shares",
            "compare_models",
            "figures",
            "summary",
            "all",
        },
        "that network's features, rankings, evaluation, beyond-genre analysis and rating shares, the comparison, "
        "the figures, the summary",
    ),
    # the study on a music-trained network: everything that reads audio, nothing of the labels
    Rerun("features.model", "features={model: MSD_musicnn}", MUSICNN | FEATURES_ONWARDS, "features onwards"),
    # the lower bound for useless clips is applied by the track table, not by the extraction
    Rerun(
        "audio.min_duration",
        "audio={min_duration: 2.0}",
        frozenset({"track_table", "merge_features", "split", "production_features", "share_reliability"})
        | AUDIO_GEOMETRY
        | EXPERIMENTS
        | EVALUATION
        | REPORTING,
        "track table onwards (no re-extraction)",
    ),
)
"""Every key whose rerun plan is declared, in config/README.md's order of sections."""
