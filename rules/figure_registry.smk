# The figure registry: every figure's kind, title and inputs, generated from the study table
# (emotify_pipeline/study/table.py) -- read by rule figures (rules/figures.smk) and rule all.
# Functions only; included after common.smk.


# figure name -> (kind, experiment, title); the figures beyond the paper: BEYOND_FIGURES
from emotify_pipeline.study.table import BEYOND_FIGURES  # noqa: E402

FIGURES = {f.name: (f.kind, e.name, f.title) for e in STUDY for f in e.figures}


def figure_inputs(fig):
    """What one figure reads, by name: its experiment's PCA or metrics and confusion, or the
    evaluation tables beyond the paper; plus the feature file for figures about audio features."""
    if fig in BEYOND_FIGURES:
        inputs = dict(BEYOND_FIGURES[fig][1])
    else:
        kind, exp, _ = FIGURES[fig]
        base = f"results/experiments/{exp}"
        # no metrics: the PCA figures do not depend on k (Fig. 6 through its inputs)
        if kind == "pca":
            inputs = {"pca": f"{base}/pca.csv", "info": f"{base}/pca.json"}
        else:
            inputs = {"metrics": f"{base}/metrics.json", "confusion": f"{base}/confusion.csv"}
    # figures about audio features read their feature label (model, weights, layer, pooling)
    # from the feature file's own provenance attributes, never from the config
    if fig not in RATINGS_FIGURES:
        inputs["features"] = audio_features(None)
    return inputs


# figures of experiments that read no audio: they carry no feature label
RATINGS_FIGURES = {f.name for e in STUDY if not e.from_audio for f in e.figures}
ALL_FIGURES = [*FIGURES, *BEYOND_FIGURES]


def figure_specs():
    """Every figure's kind, title and inputs, for the one job that draws them all."""
    kinds = {**FIGURES, **BEYOND_FIGURES}
    return {
        fig: {"kind": kinds[fig][0], "title": kinds[fig][2], "inputs": figure_inputs(fig)}
        for fig in ALL_FIGURES
    }


def figure_input_files(wildcards):
    """The files the figures read, each once."""
    return sorted({path for spec in figure_specs().values() for path in spec["inputs"].values()})
