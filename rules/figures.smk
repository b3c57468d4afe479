# Stage 5 - figures: 1-7 of the paper from the experiment outputs, 8-10 from the evaluation and ablation.


rule figure:
    input:
        unpack(figure_inputs),
    output:
        png=report(
            "results/figures/{fig}.png",
            caption="../report/figure.rst",
            category="Figures",
            labels={"figure": "{fig}"},
        ),
    log:
        "logs/figure/{fig}.log",
    benchmark:
        "results/benchmarks/figure/{fig}.tsv"
    group:
        "figures"
    conda:
        "../envs/ml.yaml"
    params:
        code=code_digest("figure"),
        kind=figure_kind,
        title=figure_title,
        data_label=config["run_label"],
        dpi=config["figures"]["dpi"],
    script:
        entry("figure")
