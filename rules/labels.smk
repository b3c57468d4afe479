# Stage 2 - labels: mu(s, k), then the per-emotion median m_k and label = 1 iff mu > m_k.
from emotify_pipeline.plumbing.paths import FILES, entry
from emotify_pipeline.plumbing.provenance import code_digest


rule gems_ratings:
    input:
        annotations=FILES["annotations"],
    output:
        ratings=report(FILES["gems_ratings"], caption="../report/labels.rst", category="Labels"),
    log:
        "logs/gems_ratings.log",
    benchmark:
        "results/benchmarks/gems_ratings.tsv"
    conda:
        "../envs/ml.yaml"
    params:
        code=code_digest("gems_ratings"),
    script:
        entry("gems_ratings")


rule gems_labels:
    input:
        ratings=FILES["gems_ratings"],
    output:
        labels=report(FILES["gems_labels"], caption="../report/labels.rst", category="Labels"),
        thresholds=report(
            FILES["gems_thresholds"], caption="../report/labels.rst", category="Labels"
        ),
    log:
        "logs/gems_labels.log",
    benchmark:
        "results/benchmarks/gems_labels.tsv"
    conda:
        "../envs/ml.yaml"
    params:
        code=code_digest("gems_labels"),
        threshold=config["labels"]["threshold"],
    script:
        entry("gems_labels")
