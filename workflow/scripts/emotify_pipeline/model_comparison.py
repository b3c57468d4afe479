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
from typing import Any

import numpy as np
import pandas as pd

from .common_io import EmotifyError, markdown_table, write_csv, write_text
from .inference import corrected_t_interval

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
    audio = summaries[base]["experiment"] != "exp3_genre_from_ratings"
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
            row.update({col: summary.loc[key, col] for col in KEPT})
            row.update(_paired(repeats[base], repeats[model], key, confidence) if model != base else {})
            rows.append(row)
    out = pd.DataFrame(rows)
    for col in ("difference", "difference_ci_low", "difference_ci_high"):
        if col not in out:
            out[col] = np.nan
    return out


def _paired(base: pd.DataFrame, other: pd.DataFrame, key: tuple, confidence: float) -> dict[str, float]:
    """The mean split-by-split difference of accuracies (other - base) and its corrected
    interval; the two must hold the same splits with the same numbers of songs."""
    pick = [base[c].eq(v) for c, v in zip(KEY, key, strict=True)]
    a = base[np.logical_and.reduce(pick)].set_index("repeat")
    pick = [other[c].eq(v) for c, v in zip(KEY, key, strict=True)]
    b = other[np.logical_and.reduce(pick)].set_index("repeat")
    sizes = ["n_train", "n_test"]
    if not a.index.equals(b.index) or not np.array_equal(a[sizes].to_numpy(), b[sizes].to_numpy()):
        raise EmotifyError(f"{key}: the two networks were not evaluated on the same splits")
    diff = (b["accuracy"] - a["accuracy"]).to_numpy(dtype=float)
    lo, hi = corrected_t_interval(diff, a["n_train"].mean(), a["n_test"].mean(), confidence, bounds=(-1.0, 1.0))
    return {"difference": float(diff.mean()), "difference_ci_low": lo, "difference_ci_high": hi}


def _interval(row: pd.Series, prefix: str = "") -> str:
    values = [row["difference" if prefix else "mean_accuracy"], row[f"{prefix}ci_low"], row[f"{prefix}ci_high"]]
    mean, lo, hi = (round(float(v), 3) + 0.0 for v in values)  # + 0.0: no "-0.000"
    sign = "+" if prefix else ""
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
        f"Cells: mean test accuracy over the splits [{pct} Nadeau-Bengio corrected interval of the mean]. "
        f"Difference: {'/'.join(models[1:])} minus {base}, split by split on the same splits, with its "
        f"corrected {pct} interval; an interval that covers 0 does not show that either network is better. "
        "Chance: the mean accuracy of a classifier that guesses by the training class shares.",
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


def compare_job(smk: Any, logger: logging.Logger) -> None:
    from .feature_store import features_label, read_attrs

    models = list(smk.params.models)
    summaries = {m: pd.read_csv(p) for m, p in zip(models, smk.input.summaries, strict=True)}
    repeats = {m: pd.read_csv(p) for m, p in zip(models, smk.input.repeats, strict=True)}
    attrs = {m: read_attrs(p) for m, p in zip(models, smk.input.features, strict=True)}
    labels = {m: features_label(a) for m, a in attrs.items()}
    warnings = {m: str(a.get("leakage_warning", "") or "") for m, a in attrs.items()}
    for model, warning in warnings.items():
        if warning:
            logger.warning("%s: %s", model, warning)
    table = compare(models, summaries, repeats, labels, warnings, smk.params.confidence)
    write_csv(table, smk.output.csv, float_format="%.4f")
    write_text(markdown(table, smk.params.confidence, smk.params.data_label), smk.output.md)
    logger.info("compared %s on %d rows", ", ".join(models), len(table) // len(models))


def _verdict(row: pd.Series, model: str, base: str) -> str:
    if row["difference_ci_low"] > 0:
        return f"the interval excludes 0: {model} is more accurate on these splits"
    if row["difference_ci_high"] < 0:
        return f"the interval excludes 0: {base} is more accurate on these splits"
    return "the interval covers 0: no difference shown"


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
            lines.append(
                f"- Emotions from audio, {split} splits: the difference interval excludes 0 for {len(up)} of "
                f"{len(part)} emotions in {model}'s favour ({', '.join(up) or 'none'}) and for {len(down)} in "
                f"{base}'s ({', '.join(down) or 'none'}); each interval on its own, not adjusted for the nine."
            )
    for model in models:
        warning = _warning(table.loc[table["model"] == model, "leakage_warning"].iloc[0])
        if warning:
            lines.append(f"- **WARNING**: {model} was {warning}.")
    return lines
