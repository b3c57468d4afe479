# Stage 4b - beyond the paper: repeated and grouped splits with intervals, baselines and
# permutation tests; the human ceiling; ablations with production descriptors.


rule evaluate_repeated:
    input:
        features=audio_features,
        tracks="results/tables/tracks.csv",
        labels="results/tables/gems_labels.csv",
        ratings="results/tables/gems_ratings.csv",
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
    threads: 1
    resources:
        mem_mb=8000,
    params:
        code=code_digest("evaluation"),
        evaluation=evaluation_params(
            "repeats", "permutations", "permutation_splits", "confidence", "seed", "group_by"
        ),
        k=config["knn"]["k"],
        test_size=config["split"]["test_size"],
        inner_folds=config["experiments"]["inner_folds"],
    script:
        f"{SCRIPTS}/evaluation.py"


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
        code=code_digest("evaluation"),
        evaluation=evaluation_params("ceiling_splits", "confidence", "seed"),
        threshold=config["labels"]["threshold"],
    script:
        f"{SCRIPTS}/evaluation.py"


rule ablation_genre:
    input:
        features=audio_features,
        production="results/features/production.csv",
        tracks="results/tables/tracks.csv",
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
    resources:
        mem_mb=8000,
    params:
        code=code_digest("ablation"),
        evaluation=evaluation_params(
            "ablation_repeats", "pca_components", "confidence", "seed", "group_by"
        ),
        k=config["knn"]["k"],
        test_size=config["split"]["test_size"],
        run_label=config["run_label"],
    script:
        f"{SCRIPTS}/ablation.py"
