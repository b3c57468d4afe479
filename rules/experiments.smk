# Stage 4 - experiments I-IV: StandardScaler + KNN on one random stratified split.


rule split:
    input:
        tracks="results/tables/tracks.csv",
    output:
        split="results/splits/split.csv",
    log:
        "logs/split.log",
    benchmark:
        "results/benchmarks/split.tsv"
    conda:
        "../envs/ml.yaml"
    params:
        code=code_digest("experiments"),
        test_size=config["split"]["test_size"],
        seed=config["split"]["seed"],
        stratify=config["split"]["stratify"],
    script:
        f"{SCRIPTS}/experiments.py"


rule exp1_genre_from_audio:
    input:
        split="results/splits/split.csv",
        features=audio_features,
    output:
        predictions="results/experiments/exp1_genre_from_audio/predictions.csv",
        metrics="results/experiments/exp1_genre_from_audio/metrics.json",
        confusion="results/experiments/exp1_genre_from_audio/confusion.csv",
        pca="results/experiments/exp1_genre_from_audio/pca.csv",
    log:
        "logs/exp1_genre_from_audio.log",
    benchmark:
        "results/benchmarks/exp1_genre_from_audio.tsv"
    conda:
        "../envs/ml.yaml"
    resources:
        mem_mb=8000,
    params:
        code=code_digest("experiments"),
        k=config["knn"]["k"],
        seed=config["split"]["seed"],
    script:
        f"{SCRIPTS}/experiments.py"


rule exp2_emotion_from_audio:
    input:
        split="results/splits/split.csv",
        features=audio_features,
        labels="results/tables/gems_labels.csv",
    output:
        predictions="results/experiments/exp2_emotion_from_audio/predictions.csv",
        metrics="results/experiments/exp2_emotion_from_audio/metrics.json",
        confusion="results/experiments/exp2_emotion_from_audio/confusion.csv",
        probabilities="results/experiments/exp2_emotion_from_audio/probabilities.csv",
    log:
        "logs/exp2_emotion_from_audio.log",
    benchmark:
        "results/benchmarks/exp2_emotion_from_audio.tsv"
    conda:
        "../envs/ml.yaml"
    resources:
        mem_mb=8000,
    params:
        code=code_digest("experiments"),
        k=config["knn"]["k"],
        seed=config["split"]["seed"],
        inner_folds=config["experiments"]["inner_folds"],
    script:
        f"{SCRIPTS}/experiments.py"


rule exp3_genre_from_ratings:
    input:
        split="results/splits/split.csv",
        ratings="results/tables/gems_ratings.csv",
    output:
        predictions="results/experiments/exp3_genre_from_ratings/predictions.csv",
        metrics="results/experiments/exp3_genre_from_ratings/metrics.json",
        confusion="results/experiments/exp3_genre_from_ratings/confusion.csv",
        pca="results/experiments/exp3_genre_from_ratings/pca.csv",
    log:
        "logs/exp3_genre_from_ratings.log",
    benchmark:
        "results/benchmarks/exp3_genre_from_ratings.tsv"
    conda:
        "../envs/ml.yaml"
    params:
        code=code_digest("experiments"),
        k=config["knn"]["k"],
        seed=config["split"]["seed"],
    script:
        f"{SCRIPTS}/experiments.py"


rule exp4_genre_from_predicted_emotions:
    input:
        split="results/splits/split.csv",
        probabilities="results/experiments/exp2_emotion_from_audio/probabilities.csv",
    output:
        predictions="results/experiments/exp4_genre_from_predicted_emotions/predictions.csv",
        metrics="results/experiments/exp4_genre_from_predicted_emotions/metrics.json",
        confusion="results/experiments/exp4_genre_from_predicted_emotions/confusion.csv",
        pca="results/experiments/exp4_genre_from_predicted_emotions/pca.csv",
    log:
        "logs/exp4_genre_from_predicted_emotions.log",
    benchmark:
        "results/benchmarks/exp4_genre_from_predicted_emotions.tsv"
    conda:
        "../envs/ml.yaml"
    params:
        code=code_digest("experiments"),
        k=config["knn"]["k"],
        seed=config["split"]["seed"],
    script:
        f"{SCRIPTS}/experiments.py"
