# Stage 1 - data: the demo generator, the official download, validation and the track table.
from emotify_pipeline.plumbing.paths import (
    FILES,
    annotations_path,
    audio_root,
    demo_audio_files,
    entry,
)
from emotify_pipeline.plumbing import snakefile
from emotify_pipeline.plumbing.provenance import code_digest
from emotify_pipeline.plumbing.settings import (
    audio_policy_params,
    check_catalogue,
    demo_catalogue_digest,
)


rule make_demo:
    output:
        csv="resources/demo/data.csv",
        audio=demo_audio_files(config),
    log:
        "logs/make_demo.log",
    benchmark:
        "results/benchmarks/make_demo.tsv"
    conda:
        "../envs/data.yaml"
    threads: 2
    params:
        code=code_digest("make_demo"),
        demo=config["demo"],
        catalogue=demo_catalogue_digest(config),
    script:
        entry("make_demo")


rule download_annotations:
    output:
        csv="resources/emotify/data.csv",
    log:
        "logs/download_annotations.log",
    benchmark:
        "results/benchmarks/download_annotations.tsv"
    conda:
        "../envs/data.yaml"
    params:
        url=config["data"]["download"]["annotations_url"],
        sha256=config["data"]["download"]["annotations_sha256"],
    script:
        entry("download_annotations")


checkpoint download_audio:
    output:
        audio=directory("resources/emotify/emotifymusic"),
    log:
        "logs/download_audio.log",
    benchmark:
        "results/benchmarks/download_audio.tsv"
    conda:
        "../envs/data.yaml"
    params:
        url=config["data"]["download"]["audio_url"],
        sha256=config["data"]["download"]["audio_sha256"],
        archive="resources/emotify/emotifymusic.zip",
    script:
        entry("download_audio")


rule validate_annotations:
    input:
        csv=annotations_path(config),
    output:
        csv=FILES["annotations"],
        report=FILES["annotations_report"],
    log:
        "logs/validate_annotations.log",
    benchmark:
        "results/benchmarks/validate_annotations.tsv"
    conda:
        "../envs/data.yaml"
    params:
        code=code_digest("validate_annotations"),
        duplicate_rows=config["data"]["duplicate_rows"],
    script:
        entry("validate_annotations")


rule track_table:
    input:
        unpack(lambda w: snakefile.track_inputs(config)),
    output:
        tracks=report(
            FILES["tracks"],
            caption="../report/tracks.rst",
            category="Data",
        ),
    log:
        "logs/track_table.log",
    benchmark:
        "results/benchmarks/track_table.tsv"
    conda:
        "../envs/data.yaml"
    params:
        code=code_digest("track_table"),
        audio_root=audio_root(config),
        track_ids=snakefile.track_ids(config),
        content=lambda w: snakefile.all_audio_content(config, checkpoints),
        ext=config["data"]["audio_ext"],
        require_all_audio=config["data"]["require_all_audio"],
        on_bad_audio=config["data"]["on_bad_audio"],
        check_catalogue=check_catalogue(config),
        audio_policy=audio_policy_params(config),
    script:
        entry("track_table")
