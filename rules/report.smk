# Stage 6 - Table 1 and the summary that sets our numbers beside the paper's.
from emotify_pipeline.plumbing.inputs import EXPERIMENT_NAMES, comparison_input
from emotify_pipeline.plumbing.paths import (
    BEYOND_TABLES,
    audio_features,
    entry,
    evaluation_table,
    experiment_outputs,
)
from emotify_pipeline.plumbing.provenance import code_digest
from emotify_pipeline.plumbing.settings import evaluation_kinds


rule summary:
    input:
        **comparison_input(config),
        exp2=experiment_outputs("exp2_emotion_from_audio")["metrics"],
        metrics=[experiment_outputs(name)["metrics"] for name in EXPERIMENT_NAMES],
        features=audio_features(config),
        repeated=BEYOND_TABLES["repeated_summary"],
        ceiling=BEYOND_TABLES["human_ceiling"],
        thresholds="results/tables/gems_thresholds.csv",
        ablation=BEYOND_TABLES["ablation_genre"],
        beyond=evaluation_table("emotion_beyond_genre"),
        claims=evaluation_table("genre_claims"),
        k_sensitivity=BEYOND_TABLES["k_sensitivity"],
        shares=BEYOND_TABLES["rating_shares"],
        tracks="results/tables/tracks.csv",
        annotations_report="results/data/annotations_report.json",
        sizes=[
            f"results/splits/{kind}_sizes.csv"
            for kind in evaluation_kinds(config)
            if kind != "random"
        ],
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
        findings="results/findings.rst",
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
