# Stage 5 - figures: 1-7 of the paper from the experiment outputs, 8-11 from the evaluation,
# the ablation and the k sweep. One job draws them all: starting Python and importing seaborn
# cost more than drawing a figure, so a knn.k change or a rating edit redraws every figure in
# one process (its workers draw them in parallel) rather than starting one process per figure.
# Every figure's kind, title and inputs come from the study table (emotify_pipeline/plumbing/figure_specs.py).
from emotify_pipeline.plumbing import figure_specs
from emotify_pipeline.plumbing.paths import entry, figure_file
from emotify_pipeline.plumbing.provenance import code_digest


rule figures:
    input:
        figure_specs.figure_input_files(config),
    output:
        **{
            fig: report(
                figure_file(fig),
                caption="../report/figure.rst",
                category="Figures",
                labels={"figure": fig},
            )
            for fig in figure_specs.figures_of(config)
        },
    log:
        "logs/figures.log",
    benchmark:
        "results/benchmarks/figures.tsv"
    conda:
        "../envs/ml.yaml"
    threads: 2
    params:
        code=code_digest("figures"),
        figures=figure_specs.figure_specs(config),
        data_label=config["run_label"],
        dpi=config["figures"]["dpi"],
    script:
        entry("figures")
