"""Two (or more) networks on the same splits: the study's features (``features.model``) beside
each of ``features.compare``.

Every network's repeated evaluation (:func:`evaluation.evaluate_all`) runs on the same split
tables -- the same songs in every training and test set, split by split -- so that per split
the accuracies can be paired. For each experiment that reads audio, target and kind of split,
the table gives each network's mean accuracy with its Nadeau-Bengio corrected interval, the
chance and majority baselines and the permutation p-value against chance (as in the repeated
evaluation), and the paired difference from the study's network: its mean over splits and the
corrected resampled t interval of that mean (Nadeau & Bengio 2003 built the correction for
exactly this, two learners on the same resampled splits). Experiment III reads the ratings, not
audio: it is the same for every network and left out. Each network is named by its feature
file's own provenance (model, training data, weights, layer, pooling), and a network trained on
Magnatune audio carries its leakage warning on every row.
"""

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.errors import EmotifyError
from ..core.files import markdown_table, write_csv, write_text
from ..features.store import features_label, read_attrs, skipped_at_extraction
from ..stats.inference import corrected_t_interval
from . import table as study

KEY = ["experiment", "target", "split"]
#: what each network's row keeps from its repeated summary
KEPT = [
    "mean_accuracy",
    "ci_low",
    "ci_high",
    "mean_balanced_accuracy",
    "chance_baseline",
    "majority_baseline",
    "permutation_p",
    "permutation_p_floor",
    "permutation_p_holm",
    "permutation",
]


def compare(
    models: list[str],
    summaries: dict[str, pd.DataFrame],
    repeats: dict[str, pd.DataFrame],
    labels: dict[str, str],
    warnings: dict[str, str],
    confidence: float,
) -> pd.DataFrame:
    """One row per network, experiment, target and kind of split; ``models[0]`` is the study's
    network, the others are paired with it split by split (``difference`` = other - study's)."""
    base = models[0]
    audio = summaries[base]["experiment"].isin([e.name for e in study.EXPERIMENTS if e.from_audio])  # not the ratings
    keys = summaries[base].loc[audio, KEY]
    rows = []
    for model in models:
        summary = summaries[model].set_index(KEY)
        missing = [k for k in map(tuple, keys.to_numpy()) if k not in summary.index]
        if missing:
            raise EmotifyError(f"the repeated evaluation of {model} has no row for {missing[0]}: not the same study")
        for key in map(tuple, keys.to_numpy()):
            row = dict(zip(KEY, key, strict=True))
            row.update(model=model, features=labels[model], leakage_warning=warnings.get(model, ""))
            row.update({col: summary.loc[key, col] if col in summary else np.nan for col in KEPT})
            row.update(_paired(repeats[base], repeats[model], key, confidence) if model != base else {})
            row["confidence"] = confidence
            rows.append(row)
    out = pd.DataFrame(rows)
    paired = ["difference", "difference_ci_low", "difference_ci_high", "constant_difference"]
    for col in paired:
        if col not in out:
            out[col] = np.nan
    return out[[*KEY, "model", "features", "leakage_warning", *KEPT, *paired, "confidence"]]


def paired_split_difference(
    a: pd.DataFrame, b: pd.DataFrame, column: str, confidence: float, bounds: tuple[float, float], what: str
) -> dict[str, Any]:
    """The mean split-by-split difference ``b[column] - a[column]`` of two learners on the same
    splits (both indexed by ``repeat``, with ``n_train`` and ``n_test``) and its corrected
    interval: ``difference``, ``difference_ci_low``, ``difference_ci_high`` and
    ``constant_difference`` (the same difference on every split, say both at 100 %: no spread, no
    interval). Splits where the difference is undefined are left out. ``what`` names the pair in
    the error raised when the two were not scored on the same splits."""
    sizes = ["n_train", "n_test"]
    if not a.index.equals(b.index) or not np.array_equal(a[sizes].to_numpy(), b[sizes].to_numpy()):
        raise EmotifyError(f"{what}: the two networks were not evaluated on the same splits")
    diff = (b[column] - a[column]).to_numpy(dtype=float)
    diff = diff[np.isfinite(diff)]
    if len(diff) and np.ptp(diff) == 0:
        return {"difference": float(diff[0]), "difference_ci_low": np.nan, "difference_ci_high": np.nan,
                "constant_difference": True}  # fmt: skip
    lo, hi = corrected_t_interval(diff, a["n_train"].mean(), a["n_test"].mean(), confidence, bounds)
    mean = float(diff.mean()) if len(diff) else float("nan")
    return {"difference": mean, "difference_ci_low": lo, "difference_ci_high": hi, "constant_difference": False}


def _paired(base: pd.DataFrame, other: pd.DataFrame, key: tuple, confidence: float) -> dict[str, Any]:
    """The mean split-by-split difference of accuracies (other - base) and its corrected
    interval (:func:`paired_split_difference`) for one experiment, target and kind of split."""
    pick = [base[c].eq(v) for c, v in zip(KEY, key, strict=True)]
    a = base[np.logical_and.reduce(pick)].set_index("repeat")
    pick = [other[c].eq(v) for c, v in zip(KEY, key, strict=True)]
    b = other[np.logical_and.reduce(pick)].set_index("repeat")
    return paired_split_difference(a, b, "accuracy", confidence, (-1.0, 1.0), str(key))


def _interval(row: pd.Series, prefix: str = "") -> str:
    values = [row["difference" if prefix else "mean_accuracy"], row[f"{prefix}ci_low"], row[f"{prefix}ci_high"]]
    mean, lo, hi = (round(float(v), 3) + 0.0 for v in values)  # + 0.0: no "-0.000"
    sign = "+" if prefix else ""
    if prefix and np.isnan(lo):
        return f"{mean:{sign}.3f} on every split (no interval)"
    return f"{mean:{sign}.3f} [{lo:{sign}.3f}, {hi:{sign}.3f}]"


def _warning(value: Any) -> str:
    """A leakage warning as stored (a CSV gives NaN for none)."""
    return value if isinstance(value, str) else ""


def markdown(table: pd.DataFrame, confidence: float, data_label: str) -> str:
    """The comparison as one readable table per kind of split: a row per target, a column per
    network (mean accuracy and interval), chance, and the paired difference."""
    models = list(dict.fromkeys(table["model"]))
    base = models[0]
    pct = f"{100 * confidence:g} %"
    lines = [
        f"# The networks side by side, on the same splits -- {data_label}",
        "",
        "Networks (each named by its feature file's own provenance):",
        "",
    ]
    for model in models:
        first = table[table["model"] == model].iloc[0]
        lines.append(f"- **{model}**: {first['features']}")
        if _warning(first["leakage_warning"]):
            lines.append(f"  - WARNING: {model} was {first['leakage_warning']}.")
    lines += [
        "",
        f"Cells: mean test accuracy over the splits [{pct} Nadeau-Bengio corrected interval of the mean; "
        "where every split scores 100 %, the rule of three on one test set]. "
        f"Difference: {'/'.join(models[1:])} minus {base}, split by split on the same splits, with its "
        f"corrected {pct} interval -- about new resampled splits of these songs (new artists or albums for the "
        "grouped splits, whose test sizes vary: approximate there); an interval that covers 0 does not show "
        "that either network is better, and where the difference is the same on every split there is no "
        "interval. Chance: the mean accuracy of a classifier that guesses by the training class shares (the "
        "same for every network: the same songs). Experiment III (genre from the GEMS ratings) reads no audio "
        "and is the same for every network: left out. exp4: genre from each network's own predicted emotions, "
        "on the random splits only. Permutation p-values: in the CSV (`permutation_p`, Holm over the nine "
        "emotions in `permutation_p_holm`; the exchange scheme in `permutation`).",
        "",
    ]
    for split, part in table.groupby("split", sort=False):
        cells = []
        for key, rows in part.groupby(["experiment", "target"], sort=False):
            by = rows.set_index("model")
            cell = {"experiment": key[0].split("_")[0], "target": key[1], "chance": by.loc[base, "chance_baseline"]}
            for model in models:
                cell[model] = _interval(by.loc[model])
            for model in models[1:]:
                cell[f"{model} - {base}"] = _interval(by.loc[model], "difference_")
            cells.append(cell)
        lines += [f"## {split} splits", "", markdown_table(pd.DataFrame(cells)), ""]
    return "\n".join(lines)


BEYOND_KEPT = [
    "emotion",
    "split",
    "audio_accuracy",
    "genre_baseline",
    "audio_minus_genre",
    "audio_minus_genre_ci_low",
    "audio_minus_genre_ci_high",
    "within_genre_p_holm",
    "p_holm_floor",
    "permutation",
]


def beyond_table(models: list[str], tables: dict[str, pd.DataFrame], warnings: dict[str, str]) -> pd.DataFrame:
    """Emotion beyond genre for every network, side by side: per network and emotion (all
    genres together), audio accuracy, the genre-only baseline, their difference with its paired
    corrected interval, and the within-genre permutation p (Holm over the nine)."""
    rows = []
    for model in models:
        table = tables[model]
        overall = table[table["genre"] == "all"]
        kept = overall[[c for c in BEYOND_KEPT if c in overall]].assign(model=model)
        rows.append(kept.assign(leakage_warning=warnings.get(model, "")))
    out = pd.concat(rows, ignore_index=True)
    return out[["model", *[c for c in out if c != "model"]]]


def beyond_markdown(table: pd.DataFrame, confidence: float) -> str:
    """The beyond-genre comparison: an emotion per row, per network the difference from the
    genre-only baseline [interval] and the Holm-adjusted within-genre p."""
    models = list(dict.fromkeys(table["model"]))
    cells = []
    for emotion, rows in table.groupby("emotion", sort=False):
        by = rows.set_index("model")
        cell: dict[str, Any] = {"emotion": emotion}
        for model in models:
            r = by.loc[model]
            cell[f"{model}: audio - genre"] = (
                f"{r['audio_minus_genre']:+.3f} [{r['audio_minus_genre_ci_low']:+.3f}, "
                f"{r['audio_minus_genre_ci_high']:+.3f}]"
            )
            cell[f"{model}: Holm p"] = f"{r['within_genre_p_holm']:.4f}"
        cells.append(cell)
    split = str(table["split"].iloc[0])
    return "\n".join(
        [
            f"## Emotion beyond genre, {split} splits",
            "",
            f"Per network: its audio KNN's mean accuracy minus the emotion-from-genre baseline, with the paired "
            f"{100 * confidence:g} % corrected interval (split by split), and the Holm-adjusted p of the "
            "within-genre permutation test (labels exchanged by artist within genre; the smallest attainable in "
            "`p_holm_floor` of `model_comparison_beyond_genre.csv`).",
            "",
            markdown_table(pd.DataFrame(cells)),
            "",
        ]
    )


def beyond_lines(table: pd.DataFrame, alpha: float = 0.05) -> list[str]:
    """The summary's sentence per network on emotion beyond genre, from the numbers it states."""
    lines = []
    for model, rows in table.groupby("model", sort=False):
        significant = rows.loc[rows["within_genre_p_holm"] <= alpha, "emotion"].tolist()
        above = rows.loc[rows["audio_minus_genre_ci_low"] > 0, "emotion"].tolist()
        lines.append(
            f"- Emotion beyond genre ({rows['split'].iloc[0]} splits), {model}: Holm-adjusted p <= {alpha} for "
            f"{len(significant)} of {len(rows)} emotions ({', '.join(significant) or 'none'}); audio above the "
            f"genre-only baseline with an interval excluding 0 for {len(above)} ({', '.join(above) or 'none'})."
        )
    return lines


def check_same_clips(models: list[str], attrs: dict[str, dict[str, Any]]) -> None:
    """Refuse networks whose feature files left out different clips at extraction (``attrs``:
    each network's feature-file attributes): their splits hold other songs and cannot be paired."""
    refused = {m: sorted(skipped_at_extraction(a)) for m, a in attrs.items()}
    differing = [m for m in models[1:] if refused[m] != refused[models[0]]]
    if differing:
        m = differing[0]
        raise EmotifyError(
            f"{m} and {models[0]} left out different clips at extraction ({refused[m][:5]} against "
            f"{refused[models[0]][:5]}): their splits hold other songs and cannot be paired"
        )


def write_comparison(
    models: list[str],
    summaries: list[str | Path],
    repeats: list[str | Path],
    beyond: list[str | Path],
    features: list[str | Path],
    confidence: float,
    data_label: str,
    outputs: dict[str, str | Path],
    logger: logging.Logger,
) -> None:
    """Rule ``compare_models``: :func:`compare` and :func:`beyond_table` from the networks' files.

    Parameters
    ----------
    models : list of str
        The networks, the study's first.
    summaries, repeats, beyond, features : list of path
        Per network (in ``models`` order): its repeated summary, its per-split accuracies, its
        emotion-beyond-genre table and the feature file its classifiers read.
    confidence : float
        The intervals' confidence level.
    data_label : str
        The run's data label (the Markdown title).
    outputs : dict
        ``csv`` (the comparison), ``beyond`` (beyond genre) and ``md`` (both, readable).
    logger : logging.Logger
        Told each network's leakage warning and what was compared.
    """
    summary_tables = {m: pd.read_csv(p) for m, p in zip(models, summaries, strict=True)}
    repeat_tables = {m: pd.read_csv(p) for m, p in zip(models, repeats, strict=True)}
    attrs = {m: read_attrs(p) for m, p in zip(models, features, strict=True)}
    labels = {m: features_label(a) for m, a in attrs.items()}
    warnings = {m: str(a.get("leakage_warning", "") or "") for m, a in attrs.items()}
    check_same_clips(models, attrs)
    for model, warning in warnings.items():
        if warning:
            logger.warning("%s: %s", model, warning)
    table = compare(models, summary_tables, repeat_tables, labels, warnings, confidence)
    write_csv(table, outputs["csv"], float_format="%.6g")  # the summary reads it: no second rounding
    beyond_tables = {m: pd.read_csv(p) for m, p in zip(models, beyond, strict=True)}
    beyond_rows = beyond_table(models, beyond_tables, warnings)
    write_csv(beyond_rows, outputs["beyond"], float_format="%.6g")
    text = markdown(table, confidence, data_label)
    write_text(text + "\n" + beyond_markdown(beyond_rows, confidence), outputs["md"])
    logger.info("compared %s on %d rows", ", ".join(models), len(table) // len(models))


def _verdict(row: pd.Series, model: str, base: str) -> str:
    """What the difference shows, and no more: the interval is approximate, about new resampled
    splits of these songs."""
    if np.isnan(row["difference_ci_low"]):
        return f"the same difference on every split, so no interval; it says nothing beyond these {row['split']} splits"
    if row["difference_ci_low"] > 0 or row["difference_ci_high"] < 0:
        higher = model if row["difference_ci_low"] > 0 else base
        return (
            f"{higher}'s mean accuracy is higher and the corrected interval excludes 0 (approximate; about new "
            "resampled splits of these songs)"
        )
    lo, hi = row["difference_ci_low"], row["difference_ci_high"]
    return f"not shown to differ: differences from {lo:+.3f} to {hi:+.3f} fit these splits"


def summary_lines(table: pd.DataFrame) -> list[str]:
    """The summary's sentences on the comparison: genre from audio per kind of split, and how many
    of the nine emotions' difference intervals exclude 0 (each interval on its own, no
    adjustment for the nine)."""
    models = list(dict.fromkeys(table["model"]))
    base, lines = models[0], []
    for model in models[1:]:
        rows = table[table["model"] == model]
        for _, row in rows[rows["experiment"] == "exp1_genre_from_audio"].iterrows():
            ref = table[(table["model"] == base) & (table[KEY] == row[KEY]).all(axis=1)].iloc[0]
            lines.append(
                f"- Genre from audio, {row['split']} splits: {model} {_interval(row)}, {base} {_interval(ref)} "
                f"(chance {row['chance_baseline']:.3f}); difference {_interval(row, 'difference_')} -- "
                f"{_verdict(row, model, base)}."
            )
        for split, part in rows[rows["experiment"] == "exp2_emotion_from_audio"].groupby("split", sort=False):
            up = part.loc[part["difference_ci_low"] > 0, "target"].tolist()
            down = part.loc[part["difference_ci_high"] < 0, "target"].tolist()
            conf = float(part["confidence"].iloc[0]) if "confidence" in part else 0.95
            lines.append(
                f"- Emotions from audio, {split} splits: the difference interval excludes 0 for {len(up)} of "
                f"{len(part)} emotions in {model}'s favour ({', '.join(up) or 'none'}) and for {len(down)} in "
                f"{base}'s ({', '.join(down) or 'none'}). Each interval on its own, not adjusted for the nine: "
                f"were the networks equally accurate, about {len(part) * (1 - conf):.2f} of {len(part)} "
                f"{100 * conf:g} % intervals would exclude 0 by chance."
            )
    for model in models:
        warning = _warning(table.loc[table["model"] == model, "leakage_warning"].iloc[0])
        if warning:
            lines.append(f"- **WARNING**: {model} was {warning}; its numbers may reflect that training.")
    return lines
