# Stage 6 - Table 1 and the summary that sets our numbers beside the paper's.
from emotify_pipeline.plumbing.inputs import EXPERIMENT_NAMES, comparison_input
from emotify_pipeline.plumbing.paths import (
    BEYOND_TABLES,
    FILES,
    audio_features,
    entry,
    evaluation_table,
    experiment_outputs,
    split_sizes,
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
        thresholds=FILES["gems_thresholds"],
        ablation=BEYOND_TABLES["ablation_genre"],
        beyond=evaluation_table("emotion_beyond_genre"),
        claims=evaluation_table("genre_claims"),
        k_sensitivity=BEYOND_TABLES["k_sensitivity"],
        shares=BEYOND_TABLES["rating_shares"],
        tracks=FILES["tracks"],
        annotations_report=FILES["annotations_report"],
        sizes=[split_sizes(kind) for kind in evaluation_kinds(config) if kind != "random"],
    output:
        table1_csv=report(
            FILES["table1_csv"],
            caption="../report/table1.rst",
            category="Tables",
        ),
        table1_md=FILES["table1_md"],
        extended_csv=report(
            FILES["extended_csv"],
            caption="../report/table1_extended.rst",
            category="Tables",
        ),
        extended_md=FILES["extended_md"],
        summary=report(FILES["summary"], caption="../report/summary.rst", category="Summary"),
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
