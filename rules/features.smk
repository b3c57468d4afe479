# Stage 3 - features: audio -> log-mel image -> VGG19 (or log-mel patches -> musicnn,
# features.model) -> HDF5 cache (GPU when present). Every network has its own files,
# results/features/{model}.h5: a model evaluated beside the study's (features.compare) is
# extracted by the same rules.
from emotify_pipeline.core.emotify import IMAGENET_URL
from emotify_pipeline.plumbing import snakefile
from emotify_pipeline.plumbing.paths import (
    FILES,
    entry,
    feature_file,
    reduced_feature_file,
    shard_file,
    shard_files,
)
from emotify_pipeline.plumbing.provenance import code_digest
from emotify_pipeline.plumbing.settings import (
    audio_params,
    feature_params,
    study_model,
    weights_path,
)


rule fetch_vgg19_weights:
    output:
        weights=config["features"]["weights_file"],
    log:
        "logs/fetch_vgg19_weights.log",
    benchmark:
        "results/benchmarks/fetch_vgg19_weights.tsv"
    conda:
        "../envs/features.yaml"
    params:
        url=IMAGENET_URL,
        sha256=config["features"]["weights_sha256"],
    script:
        entry("fetch_vgg19_weights")


# The weights are loaded and checked by their own job: a wrong or broken file fails here,
# before Snakemake deletes a good shard to rerun its extraction.
rule check_weights:
    input:
        weights=weights_path(config) or [],
    output:
        json=FILES["weights_check"],
    log:
        "logs/check_weights.log",
    benchmark:
        "results/benchmarks/check_weights.tsv"
    conda:
        "../envs/features.yaml"
    params:
        code=code_digest("check_weights"),
        features=feature_params(config, "vgg19"),
    script:
        entry("check_weights")


rule extract_shard:
    input:
        unpack(lambda w: snakefile.shard_inputs(config, checkpoints, w.shard, w.model)),
    output:
        h5=shard_file("{model}", "{shard}", config["features"]["shards"]),
    log:
        "logs/extract_shard/{model}_{shard}.log",
    benchmark:
        "results/benchmarks/extract_shard/{model}_{shard}.tsv"
    conda:
        "../envs/features.yaml"
    # torch threads on a CPU; on a GPU, decoding workers (one fewer); --cores caps it locally
    threads: 8
    resources:
        mem_mb=8000,  # a local run's cap (--resources mem_mb=N); measured peaks are under half
    params:
        code=code_digest("extract_shard"),
        paths=lambda w: snakefile.shard_paths(config, checkpoints, w.shard),
        content=lambda w: snakefile.shard_content(config, checkpoints, w.shard),
        audio=audio_params(config),
        spectrogram=config["spectrogram"],
        features=lambda w: feature_params(config, w.model),
        # a clip the decoder refuses: stop (error) or record it and leave it out (skip)
        on_bad_audio=config["data"]["on_bad_audio"],
    script:
        entry("extract_shard")


rule merge_features:
    input:
        shards=shard_files("{model}", config["features"]["shards"]),
        tracks=FILES["tracks"],
    output:
        h5=feature_file("{model}"),
    log:
        "logs/merge_features/{model}.log",
    benchmark:
        "results/benchmarks/merge_features/{model}.tsv"
    conda:
        "../envs/features.yaml"
    params:
        code=code_digest("merge_features"),
        # the settings its values come from: a changed setting whose extraction then fails or is
        # interrupted must not leave the old merged file looking up to date
        audio=audio_params(config),
        spectrogram=config["spectrogram"],
        features=lambda w: feature_params(config, w.model),
        on_bad_audio=config["data"]["on_bad_audio"],
    script:
        entry("merge_features")


rule reduce_features:
    input:
        h5=feature_file(study_model(config)),
    output:
        h5=reduced_feature_file(config),
    log:
        "logs/reduce_features.log",
    benchmark:
        "results/benchmarks/reduce_features.tsv"
    conda:
        "../envs/ml.yaml"
    resources:
        mem_mb=8000,  # a local run's cap (--resources mem_mb=N); measured peaks are under half
    params:
        code=code_digest("reduce_features"),
        reduce=config["features"]["reduce"],
    script:
        entry("reduce_features")


# Production descriptors (long-term average spectrum, MFCC statistics, loudness): a second
# feature set beside VGG19, used by the ablation. No clip is decoded twice: extraction stores
# each clip's decode statistics (band means and covariance of the absolute-dB log-mel, frame
# RMS, peak; about 12 % of a pool5 row) beside its features, and this rule turns them into the
# descriptors -- so a change to a descriptor reruns this rule alone, never VGG19.
rule production_features:
    input:
        tracks=FILES["tracks"],
        features=feature_file(study_model(config)),
    output:
        csv=FILES["production"],
    log:
        "logs/production_features.log",
    benchmark:
        "results/benchmarks/production_features.tsv"
    conda:
        "../envs/features.yaml"
    params:
        code=code_digest("production_features"),
    script:
        entry("production_features")
