# Stage 4b - beyond the paper: repeated and grouped splits with intervals, baselines and
# permutation tests; the human ceiling; ablations with production descriptors. The splits and
# neighbour rankings come from stage 4a; the jobs here vote.


rule evaluate_repeated:
    input:
        splits=[f"results/splits/{kind}.csv" for kind in EVALUATION_KINDS],
        neighbours=[f"results/neighbours/{kind}/audio.h5" for kind in EVALUATION_KINDS],
        ratings="results/neighbours/random/ratings.h5",
        labels="results/tables/gems_labels.csv",
    output:
        summary=report(
            "results/evaluation/repeated_summary.csv",
            caption="../report/repeated.rst",
            category="Beyond the paper",
        ),
        repeats="results/evaluation/repeated_accuracies.csv",
    log:
        "logs/evaluate_repeated.log",
    benchmark:
        "results/benchmarks/evaluate_repeated.tsv"
    conda:
        "../envs/ml.yaml"
    params:
        code=code_digest("evaluate_repeated"),
        evaluation=evaluation_params("permutations", "permutation_splits", "confidence", "seed"),
        kinds=EVALUATION_KINDS,
        k=config["knn"]["k"],
        ties=config["knn"]["ties"],
    script:
        entry("evaluate_repeated")


# A network compared with the study's (features.compare): the same repeated evaluation, on the
# same split tables, from its own audio rankings
rule evaluate_model:
    input:
        splits=[f"results/splits/{kind}.csv" for kind in EVALUATION_KINDS],
        neighbours=expand("results/neighbours/{kind}/audio-{{model}}.h5", kind=EVALUATION_KINDS),
        ratings="results/neighbours/random/ratings.h5",
        labels="results/tables/gems_labels.csv",
    output:
        summary="results/evaluation/models/{model}/repeated_summary.csv",
        repeats="results/evaluation/models/{model}/repeated_accuracies.csv",
    log:
        "logs/evaluate_model/{model}.log",
    benchmark:
        "results/benchmarks/evaluate_model/{model}.tsv"
    conda:
        "../envs/ml.yaml"
    params:
        code=code_digest("evaluate_repeated"),
        evaluation=evaluation_params("permutations", "permutation_splits", "confidence", "seed"),
        kinds=EVALUATION_KINDS,
        k=config["knn"]["k"],
        ties=config["knn"]["ties"],
    script:
        entry("evaluate_repeated")


rule compare_models:
    input:
        summaries=[model_evaluation(m, "repeated_summary") for m in FEATURE_MODELS],
        repeats=[model_evaluation(m, "repeated_accuracies") for m in FEATURE_MODELS],
        beyond=[model_evaluation(m, "emotion_beyond_genre") for m in FEATURE_MODELS],
        # each network named by the features its classifiers read (the study's: reduced when
        # features.reduce is set; a compared network's: as extracted)
        features=[audio_features(None), *[feature_file(m) for m in COMPARE_MODELS]],
    output:
        csv=report(
            "results/tables/model_comparison.csv",
            caption="../report/model_comparison.rst",
            category="Beyond the paper",
        ),
        md="results/tables/model_comparison.md",
        beyond="results/tables/model_comparison_beyond_genre.csv",
    log:
        "logs/compare_models.log",
    benchmark:
        "results/benchmarks/compare_models.tsv"
    conda:
        "../envs/ml.yaml"
    params:
        code=code_digest("compare_models"),
        models=FEATURE_MODELS,
        confidence=config["evaluation"]["confidence"],
        data_label=config["run_label"],
    script:
        entry("compare_models")


rule human_ceiling:
    input:
        annotations="results/data/annotations.csv",
    output:
        csv=report(
            "results/evaluation/human_ceiling.csv",
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
        evaluation=evaluation_params("ceiling_splits", "ceiling_bootstrap", "confidence", "seed"),
        threshold=config["labels"]["threshold"],
    script:
        entry("human_ceiling")


rule ablation_genre:
    input:
        split="results/splits/random.csv",
        neighbours=[f"results/neighbours/{kind}/audio.h5" for kind in ABLATION_KINDS],
        ablation=[f"results/neighbours/{kind}/ablation.h5" for kind in ABLATION_KINDS],
        features=audio_features,
    output:
        csv=report(
            "results/tables/ablation_genre.csv",
            caption="../report/ablation.rst",
            category="Beyond the paper",
        ),
        md="results/tables/ablation_genre.md",
    log:
        "logs/ablation_genre.log",
    benchmark:
        "results/benchmarks/ablation_genre.tsv"
    conda:
        "../envs/ml.yaml"
    params:
        code=code_digest("ablation_genre"),
        kinds=ABLATION_KINDS,
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
        split=f"results/splits/{BEYOND_GENRE_KIND}.csv",
        neighbours=f"results/neighbours/{BEYOND_GENRE_KIND}/audio.h5",
        labels="results/tables/gems_labels.csv",
    output:
        csv=report(
            "results/evaluation/emotion_beyond_genre.csv",
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
        cfg=vote_params("permutations", "permutation_splits", "confidence", "seed"),
        kind=BEYOND_GENRE_KIND,
    script:
        entry("emotion_beyond_genre")


# The same analysis for a network compared with the study's (features.compare), on the same splits
rule model_beyond_genre:
    input:
        split=f"results/splits/{BEYOND_GENRE_KIND}.csv",
        neighbours=f"results/neighbours/{BEYOND_GENRE_KIND}/audio-{{model}}.h5",
        labels="results/tables/gems_labels.csv",
    output:
        csv="results/evaluation/models/{model}/emotion_beyond_genre.csv",
    log:
        "logs/model_beyond_genre/{model}.log",
    benchmark:
        "results/benchmarks/model_beyond_genre/{model}.tsv"
    conda:
        "../envs/ml.yaml"
    params:
        code=code_digest("emotion_beyond_genre"),
        cfg=vote_params("permutations", "permutation_splits", "confidence", "seed"),
        kind=BEYOND_GENRE_KIND,
    script:
        entry("emotion_beyond_genre")


rule genre_claims:
    input:
        split="results/splits/random.csv",
        neighbours="results/neighbours/random/audio.h5",
        ratings="results/neighbours/random/ratings.h5",
        labels="results/tables/gems_labels.csv",
    output:
        csv=report(
            "results/evaluation/genre_claims.csv",
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
        cfg=vote_params("seed", "confidence"),
    script:
        entry("genre_claims")


rule k_sensitivity:
    input:
        split="results/splits/random.csv",
        neighbours="results/neighbours/random/audio.h5",
        labels="results/tables/gems_labels.csv",
    output:
        csv=report(
            "results/evaluation/k_sensitivity.csv",
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
        cfg=vote_params("k_values", "confidence", "seed", with_k=False),
    script:
        entry("k_sensitivity")
