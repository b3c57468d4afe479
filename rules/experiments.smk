# Stage 4 - experiments I-IV (declared once, in emotify_pipeline/study/table.py): StandardScaler +
# KNN on one random stratified split. The
# neighbour rankings come from stage 4a; these jobs only vote, and the PCA figures' inputs
# (rule pca) do not depend on k except through Experiment IV.
from emotify_pipeline.plumbing.inputs import (
    EXPERIMENT_NAMES,
    PCA_EXPERIMENTS,
    experiment_inputs,
    pca_inputs,
)
from emotify_pipeline.plumbing.paths import entry, experiment_outputs, pca_outputs
from emotify_pipeline.plumbing.provenance import code_digest


rule experiment:
    input:
        unpack(lambda w: experiment_inputs(config, w.exp)),
    output:
        **experiment_outputs("{exp}"),
    log:
        "logs/experiment/{exp}.log",
    benchmark:
        "results/benchmarks/experiment/{exp}.tsv"
    wildcard_constraints:
        exp="|".join(EXPERIMENT_NAMES),
    conda:
        "../envs/ml.yaml"
    params:
        code=code_digest("experiment"),
        k=config["knn"]["k"],
        ties=config["knn"]["ties"],
        seed=config["split"]["seed"],
    script:
        entry("experiment")


rule pca:
    input:
        unpack(lambda w: pca_inputs(config, w.exp)),
    output:
        **pca_outputs("{exp}"),
    log:
        "logs/pca/{exp}.log",
    benchmark:
        "results/benchmarks/pca/{exp}.tsv"
    wildcard_constraints:
        exp="|".join(PCA_EXPERIMENTS),
    conda:
        "../envs/ml.yaml"
    resources:
        mem_mb=8000,  # a local run's cap (--resources mem_mb=N); measured peaks are under half
    params:
        code=code_digest("pca"),
        seed=config["split"]["seed"],
    script:
        entry("pca")
