"""The figure registry: every figure's kind, title and input files, generated from the study
table (``study.table``) -- what rule ``figures`` draws and rule ``all`` asks for."""

from typing import Any

from ..study.table import BEYOND_FIGURES, COMPARISON_FIGURES, EXPERIMENTS
from .paths import BEYOND_TABLES, FILES, audio_features, evaluation_table, experiment_outputs, pca_outputs
from .settings import compared_models

Config = dict[str, Any]

#: the paper's figures: name -> (kind, experiment, title), in the study table's order
FIGURES: dict[str, tuple[str, str, str]] = {f.name: (f.kind, e.name, f.title) for e in EXPERIMENTS for f in e.figures}
#: every figure of every run, the paper's first, then those beyond it (:func:`figures_of` adds
#: the comparison's where networks are compared)
ALL_FIGURES: list[str] = [*FIGURES, *BEYOND_FIGURES]
#: figures of experiments that read no audio: they carry no feature label
RATINGS_FIGURES: frozenset[str] = frozenset(f.name for e in EXPERIMENTS if not e.from_audio for f in e.figures)


def figures_of(config: Config) -> list[str]:
    """The figures of this configuration: :data:`ALL_FIGURES`, and the comparison's where
    ``features.compare`` names a network."""
    return [*ALL_FIGURES, *(COMPARISON_FIGURES if compared_models(config) else [])]


def figure_inputs(config: Config, fig: str) -> dict[str, str]:
    """What figure ``fig`` reads, by name -> path: its experiment's PCA, or its metrics and
    confusion, or the tables beyond the paper it names; plus the feature file for a figure
    about audio features (its label -- model, weights, layer, pooling -- comes from the feature
    file's own provenance attributes, never from the config)."""
    if fig in COMPARISON_FIGURES:
        return {
            "comparison": FILES["comparison"],
            "comparison_shares": FILES["comparison_shares"],
        }
    if fig in BEYOND_FIGURES:
        inputs = {name: BEYOND_TABLES[table] for name, table in BEYOND_FIGURES[fig][1].items()}
        if BEYOND_FIGURES[fig][0] == "shares_reliability":  # every network's, the study's first
            inputs.update({f"shares_{m}": evaluation_table("rating_shares", m) for m in compared_models(config)})
    else:
        kind, exp, _ = FIGURES[fig]
        # no metrics: the PCA figures do not depend on k (Fig. 6 through its inputs)
        if kind == "pca":
            inputs = pca_outputs(exp)
        else:
            inputs = {key: experiment_outputs(exp)[key] for key in ("metrics", "confusion")}
    if fig not in RATINGS_FIGURES:
        inputs["features"] = audio_features(config)
    return inputs


def figure_specs(config: Config) -> dict[str, dict[str, Any]]:
    """Every figure's kind, title and inputs, for the one job that draws them all."""
    kinds = {**FIGURES, **BEYOND_FIGURES, **{n: (k, "", t) for n, (k, t) in COMPARISON_FIGURES.items()}}
    return {
        fig: {"kind": kinds[fig][0], "title": kinds[fig][2], "inputs": figure_inputs(config, fig)}
        for fig in figures_of(config)
    }


def figure_input_files(config: Config) -> list[str]:
    """The files the figures read, each once, sorted."""
    return sorted({path for spec in figure_specs(config).values() for path in spec["inputs"].values()})
