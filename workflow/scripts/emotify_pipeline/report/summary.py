"""results/summary.md (every experiment beside the paper, section by section) and the files of
the summary rule: Table 1 and Table 1 extended (:mod:`tables`), the sentences (:mod:`sentences`)."""

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.files import markdown_table, with_leakage_warning, write_csv, write_text
from ..features.store import features_label, read_attrs
from ..study import table as study
from ..study.comparison import beyond_lines, summary_lines
from .sentences import artist_structure, claim_sentences, data_lines, emotion_sentences, split_lines
from .tables import beyond_kind, exchange_words, table1, table1_caption, table1_extended, table1_extended_caption

#: the columns of the genre table over resampled splits
GENRE_COLUMNS = [
    "experiment",
    "split",
    "n_repeats",
    "mean_test_share",
    "mean_accuracy",
    "split_range_low",
    "split_range_high",
    "ci_low",
    "ci_high",
    "majority_baseline",
    "permutation_p",
    "permutation_p_floor",
    "permutation",
    "paper",
]


def header_section(provenance: dict[str, Any], run_label: str) -> list[str]:
    """The title, the data and the features (with the network's leakage warning, if any)."""
    lines = [
        "# emotify-pipeline -- summary",
        "",
        f"Data: **{run_label}**. Features: **{features_label(provenance)}**, "
        f"{provenance.get('feature_dim', '')} dimensions, extracted on `{provenance.get('device', '')}` "
        f"({provenance.get('precision', '')}).",
        "",
    ]
    if provenance.get("leakage_warning"):
        lines += [f"**WARNING**: {provenance.get('model', 'this network')} was {provenance['leakage_warning']}.", ""]
    return lines


def paper_section(metrics: dict[str, dict[str, Any]], t1: pd.DataFrame, caption: str) -> list[str]:
    """The paper's experiments on its one split, each beside the paper's claim, then Table 1."""
    lines = [
        "## The paper's experiments, one split",
        "",
        "This table, like the paper, uses one random stratified 70/30 split; the sections after it resample. "
        "Majority baseline: the training songs' majority class, scored on the test songs.",
        "",
        "| experiment | inputs | our accuracy (one split) | majority baseline | paper |",
        "|---|---|---|---|---|",
    ]
    claims = {e.name: e.paper_claim for e in study.EXPERIMENTS}
    for name, m in metrics.items():
        acc = m.get("accuracy", m.get("mean_accuracy"))
        base = m.get("majority_baseline")
        if base is None and "emotions" in m:
            base = sum(e["majority_baseline"] for e in m["emotions"].values()) / len(m["emotions"])
        label = "mean over 9 emotions: " if "emotions" in m else ""
        lines.append(f"| {name} | {m.get('inputs', '')} | {label}{acc:.3f} | {base:.3f} | {claims.get(name, '')} |")
    return [*lines, "", caption, "", markdown_table(t1)]


def _cross_genre_text(structure: dict[str, int]) -> str:
    """How many songs belong to artists that span genres (``structure``: :func:`artist_structure`)."""
    cross = structure.get("songs_of_cross_genre_artists")
    n_songs = structure.get("songs")
    if cross is None:
        return "some artists span genres, album by album"
    if cross == 0:
        return f"none of the {n_songs} songs here belongs to an artist that spans genres"
    return f"{cross} of the {n_songs} songs here belong to artists that span genres, album by album"


def _layout_text(exchange: str) -> str:
    """How the permutations move labels, by the exchange scheme's own words."""
    if "album by album" in exchange:
        return (
            "artists with the same album sizes swap labels, each album taking a same-size album's labels (songs "
            "in random order), so labels that differ between an artist's albums move album by album"
        )
    return "artists with the same number of songs swap labels, songs within an artist reordered (no albums recorded)"


def _albums_text(structure: dict[str, int]) -> str:
    """Why album splits are no control for production, for the artists and albums here."""
    if structure.get("artists_with_several_albums") == 0:
        return (
            "**Album splits do not remove the artist** where an artist has several albums; here no artist has "
            "more than one, so album splits group as artist splits do. They are no control for production."
        )
    cross = structure.get("songs_of_cross_genre_artists")
    n_songs = structure.get("songs")
    follows = "" if cross is None else f" (as for all but {cross} of the {n_songs} songs here)"
    follows = f" (as for all {n_songs} songs here)" if cross == 0 else follows
    return (
        "**Album splits do not remove the artist**: an artist's other albums stay in training, so where the "
        f"features carry an artist signature and genre follows the artist{follows}, album splits keep the "
        "leak; they are no control for production."
    )


def genre_section(repeated: pd.DataFrame, analyses: dict[str, Any]) -> list[str]:
    """Genre over resampled and grouped splits: what the columns and tests mean, the table, and
    the grouped splits' composition."""
    genre = repeated[repeated["target"] == "genre"].loc[:, GENRE_COLUMNS]
    conf = int(round(100 * float(analyses.get("confidence", 0.95))))
    structure = analyses.get("structure") or {}
    exchange = exchange_words(genre)
    by_album = "album by album" in exchange
    return [
        "## Genre over resampled splits",
        "",
        f"Mean accuracy over resampled splits; split_range: the central {conf} % of the split accuracies "
        f"(what one split may give); ci: the {conf} % corrected resampled t interval (Nadeau & Bengio): "
        "approximate, for the accuracy on new songs of the same source, optimistic where songs cluster by "
        "artist; p: permutation test of the mean balanced accuracy over its chance level (1 / number "
        "of classes) on the first `evaluation.permutation_splits` splits, "
        f"labels exchanged {exchange} on every kind of split: {_layout_text(exchange)}; every "
        "genre keeps its song count. Its null: the features say nothing about which artist of a given "
        f"{'album profile' if by_album else 'number of songs'} carries which labels -- so "
        "on random splits, where an artist's songs sit on both sides, a "
        f"small p means more than recognising the artist{' or the album' if by_album else ''} "
        f"({_cross_genre_text(structure)}; README, 'Permutation tests', gives each test's rejection rate under "
        "such nulls). "
        "No adjustment is made across the split kinds or the experiments. "
        "permutation_p_floor: the smallest p "
        "the permutations can give. paper: the paper's value, on random splits only (it has no grouped-split "
        "result). `artist`/`album` splits keep every artist's (album's) songs on one side, approaching the "
        "nominal test share (split.test_size; what they reach: mean_test_share) and the genre balance. Artist "
        "splits remove whatever a KNN can learn from "
        "a particular artist -- production, but also style, voice and instrumentation -- so a drop from random "
        "to artist splits is consistent with, not proof of, the paper's production-bias explanation. "
        + _albums_text(structure),
        "",
        markdown_table(genre),
        *split_lines(analyses.get("sizes", {})),
    ]


def emotion_section(extended: pd.DataFrame, repeated: pd.DataFrame | None, analyses: dict[str, Any]) -> list[str]:
    """Experiment II: what Table 1 extended's columns mean, the table, and what the emotion
    analyses show (when the beyond-genre table is given)."""
    lines = [
        "## Emotions (Experiment II)",
        "",
        "Beside the paper's Table 1: the single split; the means and corrected intervals over resampled "
        "splits; the majority baseline and the emotion-from-genre baseline (each test song gets the training "
        "majority label of its genre; per split kind); p_<split>: permutation p of the audio's mean balanced "
        f"accuracy over chance, labels exchanged {exchange_words(repeated)} (genre included: any association "
        "beyond an artist's identity), and p_<split>_holm the same Holm-adjusted over the nine emotions; "
        f"p_beyond_genre(_holm): on {beyond_kind(analyses.get('beyond'))} splits, labels exchanged "
        f"{exchange_words(analyses.get('beyond'))}; p_floor and "
        "p_holm_floor: the smallest raw and Holm-adjusted p the permutations can give; the share of positive "
        "labels; the half-panel agreement (two half panels, each labelled by its own median; compared with the "
        "ceiling as a heuristic, not a bound) and the beta-binomial ceiling with its bootstrap interval over "
        "songs.",
        "",
        markdown_table(extended),
    ]
    if "beyond" in analyses:
        lines += emotion_sentences(analyses["beyond"], extended) + [""]
    return lines


def comparison_section(comparison: pd.DataFrame, comparison_beyond: pd.DataFrame | None) -> list[str]:
    """The networks side by side (:mod:`study.comparison`'s sentences)."""
    models = list(dict.fromkeys(comparison["model"]))
    return [
        "## Networks side by side, on the same splits",
        "",
        f"{', '.join(models[1:])} beside the study's {models[0]}: each network's repeated evaluation on the same "
        "split tables, paired split by split (Nadeau-Bengio corrected intervals of the mean difference; "
        "`results/tables/model_comparison.{csv,md}` has every target and kind of split, with chance).",
        "",
        *[
            f"- **{m}**: {label}"
            for m, label in dict(zip(comparison["model"], comparison["features"], strict=True)).items()
        ],
        *summary_lines(comparison),
        *(beyond_lines(comparison_beyond) if comparison_beyond is not None else []),
        "",
    ]


def ablation_section(ablation_md: str) -> list[str]:
    """The ablation's Markdown table (:mod:`study.ablation`) with what it can and cannot say."""
    return [
        "## Ablation: feature sets for genre",
        "",
        "The study's features reduced by PCA, and hand-made descriptors: the long-term average spectrum, MFCC "
        "statistics (classic timbre features) and loudness statistics. Which of these recognise genre says "
        "what kind of information suffices; it does not separate production from musical content.",
        "",
        ablation_md,
    ]


def provenance_section(provenance: dict[str, Any]) -> list[str]:
    """The weights, the device, the library versions and when the features were made."""
    versions = provenance.get("versions", {})
    if isinstance(versions, str):
        versions = json.loads(versions)
    return [
        "## Provenance",
        "",
        f"- weights: {provenance.get('weights_source', '')} (sha256 `{provenance.get('weights_sha256', '')}`)",
        f"- device: {provenance.get('device', '')} ({provenance.get('device_name', '')})",
        "- versions: " + ", ".join(f"{k} {v}" for k, v in sorted(versions.items())),
        f"- features created (UTC): {provenance.get('created_utc', '')}",
        "",
    ]


def analyses_sections(analyses: dict[str, Any]) -> list[str]:
    """The paper's claims on Experiments III and IV, the choice of k and the networks' comparison,
    each where ``analyses`` holds its table."""
    lines = []
    if "claims" in analyses:
        lines += ["## The paper's claims on Experiments III and IV", "", *claim_sentences(analyses["claims"]), ""]
    if "k" in analyses:
        lines += [
            "## Choice of k",
            "",
            "Mean accuracy and the range of the split accuracies against k (the paper used k = 5):",
            "",
            markdown_table(analyses["k"]),
        ]
    if analyses.get("comparison") is not None:
        lines += comparison_section(analyses["comparison"], analyses.get("comparison_beyond"))
    return lines


def summary_markdown(
    metrics: dict[str, dict[str, Any]],
    t1: pd.DataFrame,
    caption: str,
    provenance: dict[str, Any],
    run_label: str,
    repeated: pd.DataFrame | None = None,
    extended: pd.DataFrame | None = None,
    ablation_md: str = "",
    data: list[str] | None = None,
    analyses: dict[str, Any] | None = None,
) -> str:
    """results/summary.md: our numbers beside the paper's, experiment by experiment, plus provenance.

    Parameters
    ----------
    metrics : dict
        Experiment name -> its metrics.json, in the order of the table.
    t1, caption : DataFrame, str
        Table 1 (:func:`tables.table1`) and its caption.
    provenance : dict
        The feature file's attributes.
    run_label : str
        The run's data label.
    repeated, extended : DataFrame, optional
        The repeated evaluation's summary and Table 1 extended: their sections where given.
    ablation_md : str
        The ablation's Markdown table ('' for no section).
    data : list of str, optional
        The data section's lines (:func:`sentences.data_lines`).
    analyses : dict, optional
        ``confidence``, ``structure``, ``sizes`` and the analyses' tables (``beyond``, ``claims``,
        ``k``, ``comparison``, ``comparison_beyond``), each section where its table is given.
    """
    lines = header_section(provenance, run_label) + paper_section(metrics, t1, caption)
    if data:
        lines += ["", "## Data", "", *data, ""]
    analyses = analyses or {}
    if repeated is not None:
        lines += genre_section(repeated, analyses)
    if extended is not None:
        lines += emotion_section(extended, repeated, analyses)
    lines += analyses_sections(analyses)
    if ablation_md:
        lines += ablation_section(ablation_md)
    lines += provenance_section(provenance)
    return "\n".join(lines)


def read_analyses(paths: Mapping[str, Any], confidence: float, tracks: pd.DataFrame) -> dict[str, Any]:
    """The analyses the summary speaks of, read from the summary rule's inputs (``paths``:
    ``sizes`` (a list), ``beyond``, ``claims``, ``k_sensitivity``, and ``comparison`` with
    ``comparison_beyond`` where networks are compared)."""
    analyses = {
        "sizes": {Path(p).name.removesuffix("_sizes.csv"): pd.read_csv(p) for p in paths["sizes"]},
        "beyond": pd.read_csv(paths["beyond"]),
        "claims": pd.read_csv(paths["claims"]),
        "k": pd.read_csv(paths["k_sensitivity"]),
        "confidence": confidence,
        "structure": artist_structure(tracks),
    }
    if paths.get("comparison"):
        analyses["comparison"] = pd.read_csv(paths["comparison"])
        analyses["comparison_beyond"] = pd.read_csv(paths["comparison_beyond"])
    return analyses


def write_summary(
    paths: Mapping[str, Any],
    outputs: Mapping[str, str | Path],
    run_label: str,
    confidence: float,
    logger: logging.Logger,
) -> None:
    """Rule ``summary``: Table 1, Table 1 extended (CSV and captioned Markdown each) and
    results/summary.md.

    Parameters
    ----------
    paths : mapping
        The summary rule's inputs by name: ``exp2`` and ``metrics`` (a list) of the experiments,
        ``features``, ``repeated``, ``ceiling``, ``thresholds``, ``ablation``, ``tracks``,
        ``annotations_report`` and those :func:`read_analyses` reads.
    outputs : mapping
        ``table1_csv``, ``table1_md``, ``extended_csv``, ``extended_md`` and ``summary``.
    run_label : str
        The run's data label.
    confidence : float
        The intervals' confidence level.
    logger : logging.Logger
        Told what was written.
    """
    exp2 = json.loads(Path(paths["exp2"]).read_text())
    provenance = read_attrs(paths["features"])
    features = features_label(provenance)
    warning = provenance.get("leakage_warning")
    t1 = table1(exp2)
    caption = table1_caption(exp2, run_label, features)
    write_csv(with_leakage_warning(t1, warning), outputs["table1_csv"], float_format="%.4f")
    write_text(caption + "\n\n" + markdown_table(t1), outputs["table1_md"])
    tracks = pd.read_csv(paths["tracks"])
    analyses = read_analyses(paths, confidence, tracks)
    repeated = pd.read_csv(paths["repeated"])
    beyond = analyses["beyond"]
    extended = table1_extended(t1, repeated, pd.read_csv(paths["ceiling"]), pd.read_csv(paths["thresholds"]), beyond)
    write_csv(with_leakage_warning(extended, warning), outputs["extended_csv"], float_format="%.4f")
    ext_caption = table1_extended_caption(exp2, run_label, features, repeated, beyond)
    write_text(ext_caption + "\n\n" + markdown_table(extended), outputs["extended_md"])
    metrics = {Path(p).parent.name: json.loads(Path(p).read_text()) for p in paths["metrics"]}
    annotations = json.loads(Path(paths["annotations_report"]).read_text())
    data = data_lines(tracks, provenance.get("spectrogram_params", {}), annotations)
    ablation_md = markdown_table(pd.read_csv(paths["ablation"]))
    text = summary_markdown(
        metrics, t1, caption, provenance, run_label, repeated, extended, ablation_md, data, analyses
    )
    write_text(text, outputs["summary"])
    logger.info("wrote Table 1 and %s", outputs["summary"])
