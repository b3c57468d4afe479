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
from .findings import findings
from .methods import methods_section
from .sentences import artist_structure, claim_sentences, data_lines, emotion_sentences, split_lines
from .shares import shares_section
from .tables import table1, table1_caption, table1_extended, table1_extended_caption

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
    "paper",
]

#: Table 1 extended, split into tables of at most a dozen columns: (heading, columns); a column
#: of the table that none lists goes to the last
EMOTION_TABLES = (
    (
        "Random splits",
        [
            "emotion",
            "paper_accuracy",
            "single_split",
            "random_mean",
            "random_ci",
            "majority_baseline",
            "genre_baseline",
            "p_random",
            "p_random_holm",
            "positive_share_all_songs",
        ],
    ),
    (
        "Artist and album splits",
        [
            "emotion",
            "artist_mean",
            "artist_ci",
            "artist_genre_baseline",
            "p_artist",
            "p_artist_holm",
            "album_mean",
            "album_ci",
            "album_genre_baseline",
            "p_album",
            "p_album_holm",
        ],
    ),
    (
        "Beyond genre, and what the labels allow",
        [
            "emotion",
            "p_beyond_genre",
            "p_beyond_genre_holm",
            "half_panel_agreement",
            "half_panel_kappa",
            "ceiling",
            "ceiling_low",
            "ceiling_high",
        ],
    ),
)
#: columns said once in the methods instead of repeated on every row
ONCE = ("p_floor", "p_holm_floor", "permutation_p_floor", "permutation")


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


def genre_section(repeated: pd.DataFrame, analyses: dict[str, Any]) -> list[str]:
    """Genre over resampled and grouped splits: the table (columns defined once, under Methods)
    and the grouped splits' composition."""
    genre = repeated[repeated["target"] == "genre"]
    return [
        "## Genre over resampled splits",
        "",
        markdown_table(genre.loc[:, [c for c in GENRE_COLUMNS if c in genre]]),
        *split_lines(analyses.get("sizes", {})),
    ]


def emotion_tables(extended: pd.DataFrame) -> list[str]:
    """Table 1 extended as the few tables of :data:`EMOTION_TABLES`."""
    lines, listed = [], set()
    for i, (heading, columns) in enumerate(EMOTION_TABLES):
        listed |= set(columns)
        last = i == len(EMOTION_TABLES) - 1
        rest = [c for c in extended if c not in listed and c not in ONCE] if last else []
        cols = [c for c in columns if c in extended] + rest
        if len(cols) > 1:
            lines += [f"### {heading}", "", markdown_table(extended.loc[:, cols])]
    return lines


def emotion_section(extended: pd.DataFrame, repeated: pd.DataFrame | None, analyses: dict[str, Any]) -> list[str]:
    """Experiment II: Table 1 extended in a few tables (columns defined once, under Methods), and
    what the emotion analyses show (when the beyond-genre table is given)."""
    lines = ["## Emotions (Experiment II)", "", *emotion_tables(extended)]
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
        "`results/tables/model_comparison.{csv,md}` has every target and kind of split, with chance; "
        "`results/tables/model_comparison_shares.csv` the same for R2 of the rating shares).",
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
    lines = shares_section(analyses["shares"]) if analyses.get("shares") is not None else []
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
    analyses = analyses or {}
    lines = header_section(provenance, run_label) + findings_section(repeated, extended, analyses)
    lines += paper_section(metrics, t1, caption)
    if data:
        lines += ["", "## Data", "", *data, ""]
    if repeated is not None:
        lines += genre_section(repeated, analyses)
    if extended is not None:
        lines += emotion_section(extended, repeated, analyses)
    lines += analyses_sections(analyses)
    if ablation_md:
        lines += ablation_section(ablation_md)
    lines += methods_section(repeated, extended, analyses)
    lines += provenance_section(provenance)
    return "\n".join(lines)


def findings_section(
    repeated: pd.DataFrame | None, extended: pd.DataFrame | None, analyses: dict[str, Any]
) -> list[str]:
    """What this run found (:func:`findings.findings`), first; the definitions are under Methods."""
    lines = findings(repeated, analyses.get("beyond"), extended, analyses.get("comparison"), **share_tables(analyses))
    if not lines:
        return []
    conf = int(round(100 * float(analyses.get("confidence", 0.95))))
    return [
        "## Findings",
        "",
        *lines,
        "",
        f"Brackets: {conf} % corrected resampled t intervals over the splits; p: permutation p-values; "
        "baselines, exchanges and splits are defined once under Methods below.",
        "",
    ]


def read_analyses(paths: Mapping[str, Any], confidence: float, tracks: pd.DataFrame) -> dict[str, Any]:
    """The analyses the summary speaks of, read from the summary rule's inputs (``paths``:
    ``sizes`` (a list), ``beyond``, ``claims``, ``k_sensitivity``, ``shares``, and
    ``comparison`` with ``comparison_beyond`` and ``comparison_shares`` where networks are
    compared)."""
    analyses = {
        "sizes": {Path(p).name.removesuffix("_sizes.csv"): pd.read_csv(p) for p in paths["sizes"]},
        "beyond": pd.read_csv(paths["beyond"]),
        "claims": pd.read_csv(paths["claims"]),
        "k": pd.read_csv(paths["k_sensitivity"]),
        "confidence": confidence,
        "structure": artist_structure(tracks),
    }
    if paths.get("shares"):
        analyses["shares"] = pd.read_csv(paths["shares"])
    if paths.get("comparison"):
        analyses["comparison"] = pd.read_csv(paths["comparison"])
        analyses["comparison_beyond"] = pd.read_csv(paths["comparison_beyond"])
    if paths.get("comparison_shares"):
        analyses["comparison_shares"] = pd.read_csv(paths["comparison_shares"])
    return analyses


def share_tables(analyses: dict[str, Any]) -> dict[str, Any]:
    """The rating-share tables the findings read, where the run has them."""
    return {"shares": analyses.get("shares"), "comparison_shares": analyses.get("comparison_shares")}


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
        ``table1_csv``, ``table1_md``, ``extended_csv``, ``extended_md``, ``summary`` and, where
        given, ``findings`` (the findings as reStructuredText, for the HTML report).
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
    if outputs.get("findings"):
        write_text(findings_rst(repeated, extended, analyses), outputs["findings"])
    logger.info("wrote Table 1 and %s", outputs["summary"])


def findings_rst(repeated: pd.DataFrame, extended: pd.DataFrame, analyses: dict[str, Any]) -> str:
    """The findings of the summary as reStructuredText, for the HTML report's front page
    (report/workflow.rst includes it)."""
    lines = findings(repeated, analyses.get("beyond"), extended, analyses.get("comparison"), **share_tables(analyses))
    conf = int(round(100 * float(analyses.get("confidence", 0.95))))
    legend = (
        f"Brackets: {conf} % corrected resampled t intervals over the splits; p: permutation p-values; "
        "baselines, exchanges and splits are defined under Methods in results/summary.md."
    )
    return "\n".join([*(lines or ["- (no findings: the repeated evaluation did not run)"]), "", legend]) + "\n"
