# Stage 4 - experiments I-IV: StandardScaler + KNN on one random stratified split. The
# neighbour rankings come from stage 4a; these jobs only vote, and the PCA figures' inputs
# (rule pca) do not depend on k except through Experiment IV.


rule exp1_genre_from_audio:
    input:
        split="results/splits/paper.csv",
        neighbours="results/neighbours/paper/audio.h5",
        features=audio_features,
    output:
        predictions="results/experiments/exp1_genre_from_audio/predictions.csv",
        metrics="results/experiments/exp1_genre_from_audio/metrics.json",
        confusion="results/experiments/exp1_genre_from_audio/confusion.csv",
    log:
        "logs/exp1_genre_from_audio.log",
    benchmark:
        "results/benchmarks/exp1_genre_from_audio.tsv"
    conda:
        "../envs/ml.yaml"
    params:
        code=code_digest("experiments"),
        k=config["knn"]["k"],
        ties=config["knn"]["ties"],
        seed=config["split"]["seed"],
    script:
        f"{SCRIPTS}/experiments.py"


rule exp2_emotion_from_audio:
    input:
        split="results/splits/paper.csv",
        neighbours="results/neighbours/paper/audio.h5",
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
    params:
        code=code_digest("experiments"),
        k=config["knn"]["k"],
        ties=config["knn"]["ties"],
        seed=config["split"]["seed"],
    script:
        f"{SCRIPTS}/experiments.py"


rule exp3_genre_from_ratings:
    input:
        split="results/splits/paper.csv",
        ratings_neighbours="results/neighbours/paper/ratings.h5",
    output:
        predictions="results/experiments/exp3_genre_from_ratings/predictions.csv",
        metrics="results/experiments/exp3_genre_from_ratings/metrics.json",
        confusion="results/experiments/exp3_genre_from_ratings/confusion.csv",
    log:
        "logs/exp3_genre_from_ratings.log",
    benchmark:
        "results/benchmarks/exp3_genre_from_ratings.tsv"
    conda:
        "../envs/ml.yaml"
    params:
        code=code_digest("experiments"),
        k=config["knn"]["k"],
        ties=config["knn"]["ties"],
        seed=config["split"]["seed"],
    script:
        f"{SCRIPTS}/experiments.py"


rule exp4_genre_from_predicted_emotions:
    input:
        split="results/splits/paper.csv",
        probabilities="results/experiments/exp2_emotion_from_audio/probabilities.csv",
    output:
        predictions="results/experiments/exp4_genre_from_predicted_emotions/predictions.csv",
        metrics="results/experiments/exp4_genre_from_predicted_emotions/metrics.json",
        confusion="results/experiments/exp4_genre_from_predicted_emotions/confusion.csv",
    log:
        "logs/exp4_genre_from_predicted_emotions.log",
    benchmark:
        "results/benchmarks/exp4_genre_from_predicted_emotions.tsv"
    conda:
        "../envs/ml.yaml"
    params:
        code=code_digest("experiments"),
        k=config["knn"]["k"],
        ties=config["knn"]["ties"],
        seed=config["split"]["seed"],
    script:
        f"{SCRIPTS}/experiments.py"


rule pca:
    input:
        unpack(pca_inputs),
    output:
        pca="results/experiments/{exp}/pca.csv",
        info="results/experiments/{exp}/pca.json",
    log:
        "logs/pca/{exp}.log",
    benchmark:
        "results/benchmarks/pca/{exp}.tsv"
    wildcard_constraints:
        exp="|".join(PCA_EXPERIMENTS),
    conda:
        "../envs/ml.yaml"
    params:
        code=code_digest("experiments"),
        seed=config["split"]["seed"],
    script:
        f"{SCRIPTS}/experiments.py"
