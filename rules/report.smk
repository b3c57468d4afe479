# Stage 6 - Table 1 and the summary that sets our numbers beside the paper's.


rule summary:
    input:
        unpack(comparison_input),
        exp2="results/experiments/exp2_emotion_from_audio/metrics.json",
        metrics=[f"results/experiments/{name}/metrics.json" for name in EXPERIMENTS],
        features=audio_features,
        repeated="results/evaluation/repeated_summary.csv",
        ceiling="results/evaluation/human_ceiling.csv",
        thresholds="results/tables/gems_thresholds.csv",
        ablation="results/tables/ablation_genre.csv",
        beyond="results/evaluation/emotion_beyond_genre.csv",
        claims="results/evaluation/genre_claims.csv",
        k_sensitivity="results/evaluation/k_sensitivity.csv",
        tracks="results/tables/tracks.csv",
        annotations_report="results/data/annotations_report.json",
        sizes=[f"results/splits/{kind}_sizes.csv" for kind in EVALUATION_KINDS if kind != "random"],
    output:
        table1_csv=report(
            "results/tables/table1_emotion_accuracy.csv",
            caption="../report/table1.rst",
            category="Tables",
        ),
        table1_md="results/tables/table1_emotion_accuracy.md",
        extended_csv=report(
            "results/tables/table1_extended.csv",
            caption="../report/table1_extended.rst",
            category="Tables",
        ),
        extended_md="results/tables/table1_extended.md",
        summary=report("results/summary.md", caption="../report/summary.rst", category="Summary"),
    log:
        "logs/summary.log",
    benchmark:
        "results/benchmarks/summary.tsv"
    conda:
        "../envs/ml.yaml"
    params:
        code=code_digest("summary"),
        run_label=config["run_label"],
        confidence=config["evaluation"]["confidence"],
    script:
        entry("summary")
