# Stage 3 - features: audio -> log-mel image -> VGG19 -> HDF5 cache (GPU when present).


rule fetch_vgg19_weights:
    output:
        weights=config["features"]["weights_file"],
    log:
        "logs/fetch_vgg19_weights.log",
    benchmark:
        "benchmarks/fetch_vgg19_weights.tsv"
    conda:
        "../envs/features.yaml"
    params:
        url="https://download.pytorch.org/models/vgg19-dcbb9e9d.pth",
        sha256=config["features"]["weights_sha256"],
    script:
        f"{SCRIPTS}/download.py"


rule extract_features:
    input:
        unpack(weights_input),
        tracks="results/tables/tracks.csv",
    output:
        h5="results/features/vgg19.h5",
    log:
        "logs/extract_features.log",
    benchmark:
        "benchmarks/extract_features.tsv"
    conda:
        "../envs/features.yaml"
    threads: 2
    resources:
        mem_mb=8000,
        runtime=60,
    params:
        audio=config["audio"],
        spectrogram=config["spectrogram"],
        features=feature_params(),
    script:
        f"{SCRIPTS}/vgg_extract.py"
