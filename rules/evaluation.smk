# Stage 4b - beyond the paper: repeated and grouped splits with intervals, baselines and
# permutation tests; the human ceiling; ablations with production descriptors. The splits and
# neighbour rankings come from stage 4a; the jobs here vote.
from emotify_pipeline.plumbing.paths import (
    BEYOND_TABLES,
    FILES,
    audio_features,
    entry,
    evaluation_table,
    feature_file,
    model_evaluation,
    ranking,
    split_table,
)
from emotify_pipeline.plumbing.provenance import code_digest
from emotify_pipeline.plumbing.settings import (
    ablation_kinds,
    beyond_genre_kind,
    compared_models,
    evaluation_kinds,
    evaluation_params,
    feature_models,
    vote_params,
)


rule evaluate_repeated:
    input:
        splits=[split_table(kind) for kind in evaluation_kinds(config)],
        neighbours=[ranking(kind, "audio") for kind in evaluation_kinds(config)],
        ratings=ranking("random", "ratings"),
        labels=FILES["gems_labels"],
    output:
        summary=report(
            BEYOND_TABLES["repeated_summary"],
            caption="../report/repeated.rst",
            category="Beyond the paper",
        ),
        repeats=evaluation_table("repeated_accuracies"),
    log:
        "logs/evaluate_repeated.log",
    benchmark:
        "results/benchmarks/evaluate_repeated.tsv"
    conda:
        "../envs/ml.yaml"
    params:
        code=code_digest("evaluate_repeated"),
        evaluation=evaluation_params(
            config, "permutations", "permutation_splits", "confidence", "seed"
        ),
        kinds=evaluation_kinds(config),
        k=config["knn"]["k"],
        ties=config["knn"]["ties"],
    script:
        entry("evaluate_repeated")


# A network compared with the study's (features.compare): the same repeated evaluation, on the
# same split tables, from its own audio rankings
rule evaluate_model:
    input:
        splits=[split_table(kind) for kind in evaluation_kinds(config)],
        neighbours=[ranking(kind, "audio-{model}") for kind in evaluation_kinds(config)],
        ratings=ranking("random", "ratings"),
        labels=FILES["gems_labels"],
    output:
        summary=evaluation_table("repeated_summary", "{model}"),
        repeats=evaluation_table("repeated_accuracies", "{model}"),
    log:
        "logs/evaluate_model/{model}.log",
    benchmark:
        "results/benchmarks/evaluate_model/{model}.tsv"
    conda:
        "../envs/ml.yaml"
    params:
        code=code_digest("evaluate_repeated"),
        evaluation=evaluation_params(
            config, "permutations", "permutation_splits", "confidence", "seed"
        ),
        kinds=evaluation_kinds(config),
        k=config["knn"]["k"],
        ties=config["knn"]["ties"],
    script:
        entry("evaluate_repeated")


rule compare_models:
    input:
        summaries=[model_evaluation(config, m, "repeated_summary") for m in feature_models(config)],
        repeats=[model_evaluation(config, m, "repeated_accuracies") for m in feature_models(config)],
        beyond=[model_evaluation(config, m, "emotion_beyond_genre") for m in feature_models(config)],
        shares=[model_evaluation(config, m, "rating_shares") for m in feature_models(config)],
        shares_splits=[
            model_evaluation(config, m, "rating_shares_splits") for m in feature_models(config)
        ],
        # each network named by the features its classifiers read (the study's: reduced when
        # features.reduce is set; a compared network's: as extracted)
        features=[audio_features(config), *[feature_file(m) for m in compared_models(config)]],
    output:
        csv=report(
            FILES["comparison"],
            caption="../report/model_comparison.rst",
            category="Beyond the paper",
        ),
        md=FILES["comparison_md"],
        beyond=FILES["comparison_beyond"],
        shares=FILES["comparison_shares"],
    log:
        "logs/compare_models.log",
    benchmark:
        "results/benchmarks/compare_models.tsv"
    conda:
        "../envs/ml.yaml"
    params:
        code=code_digest("compare_models"),
        models=feature_models(config),
        confidence=config["evaluation"]["confidence"],
        data_label=config["run_label"],
    script:
        entry("compare_models")


rule human_ceiling:
    input:
        annotations=FILES["annotations"],
    output:
        csv=report(
            BEYOND_TABLES["human_ceiling"],
            caption="../report/ceiling.rst",
            category="Beyond the paper",
        ),
    log:
        "logs/human_ceiling.log",
    benchmark:
        "results/benchmarks/human_ceiling.tsv"
    conda:
        "../envs/ml.yaml"
    params:
        code=code_digest("human_ceiling"),
        evaluation=evaluation_params(
            config, "ceiling_splits", "ceiling_bootstrap", "confidence", "seed"
        ),
        threshold=config["labels"]["threshold"],
    script:
        entry("human_ceiling")


# Beyond the median split: the rating shares mu themselves, predicted from the same neighbour
# rankings as the votes (no new distances), set against how reliable mu is over listeners.
rule share_reliability:
    input:
        annotations=FILES["annotations"],
        tracks=FILES["tracks"],
    output:
        csv=report(
            BEYOND_TABLES["share_reliability"],
            caption="../report/share_reliability.rst",
            category="Beyond the paper",
        ),
    log:
        "logs/share_reliability.log",
    benchmark:
        "results/benchmarks/share_reliability.tsv"
    conda:
        "../envs/ml.yaml"
    params:
        code=code_digest("share_reliability"),
        evaluation=evaluation_params(
            config, "ceiling_splits", "ceiling_bootstrap", "confidence", "seed"
        ),
    script:
        entry("share_reliability")


rule rating_shares:
    input:
        splits=[split_table(kind) for kind in evaluation_kinds(config)],
        neighbours=[ranking(kind, "audio") for kind in evaluation_kinds(config)],
        ratings=FILES["gems_ratings"],
        reliability=BEYOND_TABLES["share_reliability"],
    output:
        summary=report(
            BEYOND_TABLES["rating_shares"],
            caption="../report/rating_shares.rst",
            category="Beyond the paper",
        ),
        splits=evaluation_table("rating_shares_splits"),
        predictions=BEYOND_TABLES["rating_share_predictions"],
    log:
        "logs/rating_shares.log",
    benchmark:
        "results/benchmarks/rating_shares.tsv"
    conda:
        "../envs/ml.yaml"
    params:
        code=code_digest("rating_shares"),
        cfg=vote_params(config, "permutations", "permutation_splits", "confidence", "seed"),
        kinds=evaluation_kinds(config),
    script:
        entry("rating_shares")


# The same for a network compared with the study's (features.compare), on the same splits
rule model_rating_shares:
    input:
        splits=[split_table(kind) for kind in evaluation_kinds(config)],
        neighbours=[ranking(kind, "audio-{model}") for kind in evaluation_kinds(config)],
        ratings=FILES["gems_ratings"],
        reliability=BEYOND_TABLES["share_reliability"],
    output:
        summary=evaluation_table("rating_shares", "{model}"),
        splits=evaluation_table("rating_shares_splits", "{model}"),
        predictions=evaluation_table("rating_share_predictions", "{model}"),
    log:
        "logs/model_rating_shares/{model}.log",
    benchmark:
        "results/benchmarks/model_rating_shares/{model}.tsv"
    conda:
        "../envs/ml.yaml"
    params:
        code=code_digest("rating_shares"),
        cfg=vote_params(config, "permutations", "permutation_splits", "confidence", "seed"),
        kinds=evaluation_kinds(config),
    script:
        entry("rating_shares")


rule ablation_genre:
    input:
        split=split_table("random"),
        neighbours=[ranking(kind, "audio") for kind in ablation_kinds(config)],
        ablation=[ranking(kind, "ablation") for kind in ablation_kinds(config)],
        features=audio_features(config),
    output:
        csv=report(
            BEYOND_TABLES["ablation_genre"],
            caption="../report/ablation.rst",
            category="Beyond the paper",
        ),
        md=FILES["ablation_md"],
    log:
        "logs/ablation_genre.log",
    benchmark:
        "results/benchmarks/ablation_genre.tsv"
    conda:
        "../envs/ml.yaml"
    params:
        code=code_digest("ablation_genre"),
        kinds=ablation_kinds(config),
        pca_components=config["evaluation"]["pca_components"],
        confidence=config["evaluation"]["confidence"],
        seed=config["evaluation"]["seed"],
        k=config["knn"]["k"],
        ties=config["knn"]["ties"],
        run_label=config["run_label"],
    script:
        entry("ablation_genre")


# The paper's own question and claims, and the choice of k: each its own rule, voting on the
# cached rankings (emotion beyond genre: of the artist splits; the others: of the random splits).
rule emotion_beyond_genre:
    input:
        split=split_table(beyond_genre_kind(config)),
        neighbours=ranking(beyond_genre_kind(config), "audio"),
        labels=FILES["gems_labels"],
    output:
        csv=report(
            evaluation_table("emotion_beyond_genre"),
            caption="../report/beyond_genre.rst",
            category="Beyond the paper",
        ),
    log:
        "logs/emotion_beyond_genre.log",
    benchmark:
        "results/benchmarks/emotion_beyond_genre.tsv"
    conda:
        "../envs/ml.yaml"
    params:
        code=code_digest("emotion_beyond_genre"),
        cfg=vote_params(config, "permutations", "permutation_splits", "confidence", "seed"),
        kind=beyond_genre_kind(config),
    script:
        entry("emotion_beyond_genre")


# The same analysis for a network compared with the study's (features.compare), on the same splits
rule model_beyond_genre:
    input:
        split=split_table(beyond_genre_kind(config)),
        neighbours=ranking(beyond_genre_kind(config), "audio-{model}"),
        labels=FILES["gems_labels"],
    output:
        csv=evaluation_table("emotion_beyond_genre", "{model}"),
    log:
        "logs/model_beyond_genre/{model}.log",
    benchmark:
        "results/benchmarks/model_beyond_genre/{model}.tsv"
    conda:
        "../envs/ml.yaml"
    params:
        code=code_digest("emotion_beyond_genre"),
        cfg=vote_params(config, "permutations", "permutation_splits", "confidence", "seed"),
        kind=beyond_genre_kind(config),
    script:
        entry("emotion_beyond_genre")


rule genre_claims:
    input:
        split=split_table("random"),
        neighbours=ranking("random", "audio"),
        ratings=ranking("random", "ratings"),
        labels=FILES["gems_labels"],
    output:
        csv=report(
            evaluation_table("genre_claims"),
            caption="../report/genre_claims.rst",
            category="Beyond the paper",
        ),
    log:
        "logs/genre_claims.log",
    benchmark:
        "results/benchmarks/genre_claims.tsv"
    conda:
        "../envs/ml.yaml"
    params:
        code=code_digest("genre_claims"),
        cfg=vote_params(config, "seed", "confidence"),
    script:
        entry("genre_claims")


rule k_sensitivity:
    input:
        split=split_table("random"),
        neighbours=ranking("random", "audio"),
        labels=FILES["gems_labels"],
    output:
        csv=report(
            BEYOND_TABLES["k_sensitivity"],
            caption="../report/k_sensitivity.rst",
            category="Beyond the paper",
        ),
    log:
        "logs/k_sensitivity.log",
    benchmark:
        "results/benchmarks/k_sensitivity.tsv"
    conda:
        "../envs/ml.yaml"
    params:
        code=code_digest("k_sensitivity"),
        cfg=vote_params(config, "k_values", "confidence", "seed", with_k=False),
    script:
        entry("k_sensitivity")
