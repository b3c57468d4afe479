# A music-trained network beside VGG19: the musicnn package's weights, converted once.
# The package's checkpoints are read with NumPy (no TensorFlow): the port lives in
# emotify_pipeline/features/networks/musicnn.py, the conversion in musicnn_weights.py, and the
# proof against the original TensorFlow graph in tests/test_musicnn.py.
from emotify_pipeline.features.networks.musicnn import MODELS as MUSICNN_MODELS
from emotify_pipeline.plumbing.paths import entry, musicnn_wheel
from emotify_pipeline.plumbing.provenance import code_digest


# The package file from the registry (pip download), or put in resources/models/ by hand. No
# code digest in its params, as for VGG19's weights: a change to the port must not delete a file
# that was put there by hand (its sha256 is checked wherever it is read).
rule fetch_musicnn:
    output:
        wheel=musicnn_wheel(),
    log:
        "logs/fetch_musicnn.log",
    benchmark:
        "results/benchmarks/fetch_musicnn.tsv"
    conda:
        "../envs/features.yaml"
    script:
        entry("fetch_musicnn")


rule convert_musicnn:
    input:
        wheel=musicnn_wheel(),
    output:
        weights="resources/models/{model}.pt",
    log:
        "logs/convert_musicnn/{model}.log",
    benchmark:
        "results/benchmarks/convert_musicnn/{model}.tsv"
    wildcard_constraints:
        model="|".join(MUSICNN_MODELS),
    conda:
        "../envs/features.yaml"
    params:
        code=code_digest("convert_musicnn"),
    script:
        entry("convert_musicnn")
