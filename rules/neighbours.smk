# Stage 4a - splits and neighbour rankings, drawn and computed once: the rankings keep the
# neighbours any configured k can use (depth: the largest of knn.k and evaluation.k_values), so a
# change of knn.k within that depth only reruns the votes (experiments, evaluation, ablation).
from emotify_pipeline.plumbing.inputs import RANKED_INPUTS, neighbour_inputs, neighbour_job_inputs
from emotify_pipeline.plumbing.settings import ranking_depth, resample_inner_folds, split_repeats
from emotify_pipeline.plumbing.paths import (
    FILES,
    audio_features,
    entry,
    ranking,
    ranking_part,
    split_sizes,
    split_table,
)
from emotify_pipeline.plumbing.provenance import code_digest


rule split:
    input:
        tracks=FILES["tracks"],
    output:
        split=split_table("paper"),
    log:
        "logs/split.log",
    benchmark:
        "results/benchmarks/split.tsv"
    conda:
        "../envs/ml.yaml"
    params:
        code=code_digest("split"),
        test_size=config["split"]["test_size"],
        seed=config["split"]["seed"],
        stratify=config["split"]["stratify"],
        inner_folds=config["experiments"]["inner_folds"],
    script:
        entry("split")


rule resample_splits:
    input:
        tracks=FILES["tracks"],
        features=audio_features(config),
    output:
        split=split_table("{kind}"),
        sizes=split_sizes("{kind}"),
    log:
        "logs/resample_splits/{kind}.log",
    benchmark:
        "results/benchmarks/resample_splits/{kind}.tsv"
    wildcard_constraints:
        kind="random|artist|album",
    conda:
        "../envs/ml.yaml"
    params:
        code=code_digest("resample_splits"),
        repeats=config["evaluation"]["repeats"],
        test_size=config["split"]["test_size"],
        seed=config["evaluation"]["seed"],
        inner_folds=lambda w: resample_inner_folds(config, w.kind),
    script:
        entry("resample_splits")


rule neighbours:
    input:
        unpack(lambda w: neighbour_job_inputs(config, w.splits, w.inputs)),
    output:
        h5=ranking("{splits}", "{inputs}"),
    log:
        "logs/neighbours/{splits}_{inputs}.log",
    benchmark:
        "results/benchmarks/neighbours/{splits}_{inputs}.tsv"
    wildcard_constraints:
        splits="paper|random|artist|album",
        inputs=RANKED_INPUTS,
    conda:
        "../envs/ml.yaml"
    threads: 2
    resources:
        mem_mb=8000,  # a local run's cap (--resources mem_mb=N); measured peaks are under half
    params:
        code=code_digest("neighbours"),
        depth=ranking_depth(config),
        repeats=lambda w: split_repeats(config, w.splits),
    script:
        entry("neighbours")


# evaluation.ranking_jobs > 1: each job ranks every jobs-th repeat of one split table (its file
# is removed once gathered); on a cluster they run side by side
rule neighbours_part:
    input:
        unpack(lambda w: neighbour_inputs(config, w.splits, w.inputs)),
    output:
        h5=temp(ranking_part("{splits}", "{inputs}", "{part}", "{jobs}")),
    log:
        "logs/neighbours/{splits}_{inputs}.part{part}-of-{jobs}.log",
    benchmark:
        "results/benchmarks/neighbours_part/{splits}_{inputs}.part{part}-of-{jobs}.tsv"
    wildcard_constraints:
        splits="random|artist|album",
        inputs=RANKED_INPUTS,
        part=r"\d+",
        jobs=r"\d+",
    conda:
        "../envs/ml.yaml"
    threads: 2
    resources:
        mem_mb=8000,  # a local run's cap (--resources mem_mb=N); measured peaks are under half
    params:
        code=code_digest("neighbours"),
        depth=ranking_depth(config),
    script:
        entry("neighbours")


rule ablation_neighbours:
    input:
        split=split_table("{kind}"),
        features=audio_features(config),
        production=FILES["production"],
    output:
        h5=ranking("{kind}", "ablation"),
    log:
        "logs/ablation_neighbours/{kind}.log",
    benchmark:
        "results/benchmarks/ablation_neighbours/{kind}.tsv"
    wildcard_constraints:
        kind="random|artist",
    conda:
        "../envs/ml.yaml"
    threads: 2
    resources:
        mem_mb=8000,  # a local run's cap (--resources mem_mb=N); measured peaks are under half
    params:
        code=code_digest("ablation_neighbours"),
        repeats=config["evaluation"]["ablation_repeats"],
        pca_components=config["evaluation"]["pca_components"],
        depth=ranking_depth(config),
    script:
        entry("ablation_neighbours")
