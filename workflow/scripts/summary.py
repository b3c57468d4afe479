"""Table 1 (emotion accuracy beside the paper's) and results/summary.md (every experiment)."""

# isort: off
import quiet_interrupt  # noqa: F401 - first, so that Ctrl-C during the imports prints one line

# isort: on

import json
import logging
from pathlib import Path
from typing import Any

import pandas as pd

from common_io import EMOTIONS, PAPER_TABLE1, run_main, write_csv, write_text
from feature_store import features_label, read_attrs

PAPER_CLAIMS: dict[str, str] = {
    "exp1_genre_from_audio": "100 % genre accuracy (Fig 1, Fig 2)",
    "exp2_emotion_from_audio": "Table 1: 0.43 (sadness) to 0.67 (solemnity, tenderness)",
    "exp3_genre_from_ratings": "genre partly recoverable from ratings; Pop best recognised (Fig 4, Fig 5)",
    "exp4_genre_from_predicted_emotions": "predictions polarised towards Classical (Fig 6, Fig 7)",
}


def markdown_table(df: pd.DataFrame, floatfmt: str = ".3f") -> str:
    """A GitHub-flavoured Markdown table of ``df`` (floats formatted with ``floatfmt``)."""

    def cell(v: Any) -> str:
        if isinstance(v, float):
            return "" if pd.isna(v) else format(v, floatfmt)
        return str(v)

    head = "| " + " | ".join(map(str, df.columns)) + " |"
    rule = "|" + "|".join("---" for _ in df.columns) + "|"
    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join([head, rule, *rows]) + "\n"


def table1(exp2_metrics: dict[str, Any]) -> pd.DataFrame:
    """Per emotion: our accuracy on the test split, baselines, and the paper's accuracy."""
    rows = []
    for emotion in EMOTIONS:
        m = exp2_metrics["emotions"][emotion]
        rows.append(
            {
                "emotion": emotion,
                "accuracy": m["accuracy"],
                "balanced_accuracy": m["balanced_accuracy"],
                "majority_baseline": m["majority_baseline"],
                "positive_share_train": m["positive_share_train"],
                "n_test": m["n_test"],
                "paper_accuracy": PAPER_TABLE1[emotion],
                "difference_vs_paper": m["accuracy"] - PAPER_TABLE1[emotion],
            }
        )
    return pd.DataFrame(rows)


def table1_caption(exp2_metrics: dict[str, Any], run_label: str, features: str) -> str:
    """Table 1's caption; ``features`` is :func:`feature_store.features_label` of the feature file."""
    return (
        f"Table 1 -- accuracy of each GEMS emotion predicted from audio (Experiment II; StandardScaler + "
        f"KNN, k = {exp2_metrics['k']}; one random split, {exp2_metrics['n_train']} train / "
        f"{exp2_metrics['n_test']} test songs). Features: {features}. "
        f"Data: {run_label}. The paper's column is its single-split value, shown for comparison only."
    )


def table1_extended(
    t1: pd.DataFrame, repeated: pd.DataFrame, ceiling: pd.DataFrame, thresholds: pd.DataFrame
) -> pd.DataFrame:
    """Table 1 with repeated/grouped intervals, baselines, label balance and the human ceiling."""
    emo = repeated[repeated["experiment"] == "exp2_emotion_from_audio"]
    out = t1.loc[:, ["emotion", "paper_accuracy", "accuracy"]].rename(columns={"accuracy": "single_split"})
    for kind in ("random", "artist", "album"):
        sub = emo[emo["split"] == kind].set_index("target")
        if sub.empty:
            continue
        out[f"{kind}_mean"] = out["emotion"].map(sub["mean_accuracy"])
        out[f"{kind}_ci"] = [f"[{sub.loc[e, 'ci_low']:.2f}, {sub.loc[e, 'ci_high']:.2f}]" for e in out["emotion"]]
        if kind == "random":
            out["majority_baseline"] = out["emotion"].map(sub["majority_baseline"])
            out["permutation_p"] = out["emotion"].map(sub["permutation_p"])
    out["positive_share_all_songs"] = out["emotion"].map(thresholds.set_index("emotion")["positive_share"])
    ceil = ceiling.set_index("emotion")
    out["human_ceiling"] = out["emotion"].map(ceil["split_half_agreement"])
    out["human_ceiling_ci"] = [f"[{ceil.loc[e, 'ci_low']:.2f}, {ceil.loc[e, 'ci_high']:.2f}]" for e in out["emotion"]]
    return out


def data_lines(
    tracks: pd.DataFrame, spectrogram_params: dict[str, Any], annotations: dict[str, Any] | None = None
) -> list[str]:
    """What the track table says about the clips used: counts by status, and the short whole
    clips that were zero-padded (how many, by how much). ``spectrogram_params`` come from the
    feature file's provenance, so the excerpt length quoted is the one the features used."""
    status = tracks["status"].value_counts()
    used = int(status.get("ok", 0))
    parts = [f"{used} of {len(tracks)} track ids have usable audio"]
    if status.get("skipped", 0):
        parts.append(f"{int(status['skipped'])} skipped as unusable (reasons in tracks.csv)")
    if status.get("no_audio", 0):
        parts.append(f"{int(status['no_audio'])} have no audio file here")
    lines = ["- " + "; ".join(parts) + "."]
    if annotations:
        n_dup = annotations.get("duplicate_rows", 0)
        what = (
            "kept, as published (data.duplicate_rows: keep)"
            if annotations.get("duplicate_policy") == "keep"
            else "dropped (data.duplicate_rows: drop)"
        )
        lines.append(
            f"- data.csv: {annotations.get('rows', '?')} listening events; {n_dup} repeat an earlier row verbatim"
            + (
                f" ({annotations.get('distinct_repeated_rows', 0)} distinct rows, up to "
                f"{annotations.get('most_copies', 1)} copies, {annotations.get('tracks_with_duplicates', 0)} tracks; "
                f"a double record and two listeners with identical answers look the same), {what}"
                if n_dup
                else ""
            )
            + f"; {annotations.get('rows_used', '?')} used."
        )
    ok = tracks[tracks["status"] == "ok"]
    if "integrity" in ok:
        unverified = ok[ok["integrity"].astype(str).str.startswith("unverified")]
        if len(unverified):
            lines.append(
                f"- {len(unverified)} usable MP3(s) are whole as far as their frames show, but cannot be proven "
                "complete (no VBR header or closing tag; a cut between two frames would look the same): "
                "`integrity` in tracks.csv."
            )
    padded = ok[ok["padded_s"].fillna(0) > 0].sort_values("padded_s", ascending=False)
    duration = float(spectrogram_params.get("duration", 0.0) or 0.0)
    if not len(padded):
        return [*lines, f"- No clip was padded: every usable clip lasts at least the {duration:g} s excerpt."]
    lines.append(
        f"- {len(padded)} of {len(ok)} usable clips are whole but shorter than the {duration:g} s excerpt and "
        f"were zero-padded at the end: median {padded['padded_s'].median():.2f} s, "
        f"at most {padded['padded_s'].max():.1f} s."
    )
    large = padded[padded["padded_s"] > 0.05 * duration]
    if len(large):
        detail = ", ".join(
            f"track {t} ({d:.1f} s of audio, {p:.1f} s padded)"
            for t, d, p in zip(large["track_id"], large["decoded_s"], large["padded_s"], strict=True)
        )
        lines.append(f"- Padded by more than 5 % of the excerpt: {detail}.")
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
) -> str:
    """results/summary.md: our numbers beside the paper's, experiment by experiment, plus provenance."""
    lines = [
        "# emotify-pipeline -- summary",
        "",
        f"Data: **{run_label}**. Features: **{features_label(provenance)}**, "
        f"{provenance.get('feature_dim', '')} dimensions, extracted on `{provenance.get('device', '')}` "
        f"({provenance.get('precision', '')}).",
        "All numbers come from one random stratified split, as in the paper; they are what this run measured.",
        "",
        "| experiment | inputs | our accuracy | majority baseline | paper |",
        "|---|---|---|---|---|",
    ]
    for name, m in metrics.items():
        acc = m.get("accuracy", m.get("mean_accuracy"))
        base = m.get("majority_baseline")
        if base is None and "emotions" in m:
            base = sum(e["majority_baseline"] for e in m["emotions"].values()) / len(m["emotions"])
        label = "mean over 9 emotions: " if "emotions" in m else ""
        lines.append(
            f"| {name} | {m.get('inputs', '')} | {label}{acc:.3f} | {base:.3f} | {PAPER_CLAIMS.get(name, '')} |"
        )
    lines += ["", caption, "", markdown_table(t1)]
    if data:
        lines += ["", "## Data", "", *data, ""]
    if repeated is not None:
        genre = repeated[repeated["target"] == "genre"].loc[
            :,
            [
                "experiment",
                "split",
                "n_repeats",
                "mean_accuracy",
                "ci_low",
                "ci_high",
                "chance_baseline",
                "permutation_p",
                "paper",
            ],
        ]
        lines += [
            "## Beyond the single split",
            "",
            "Genre experiments over resampled splits (`random`) and splits that keep each artist or album on one "
            "side (`artist`, `album`: the test of the production-bias explanation). Interval: central "
            "range of the split accuracies; p: permutation test.",
            "",
            markdown_table(genre),
        ]
    if extended is not None:
        lines += [
            "Emotions (Experiment II) beside the paper's Table 1, with the human split-half ceiling:",
            "",
            markdown_table(extended),
        ]
    if ablation_md:
        lines += ["## Ablation: what carries the genre information", "", ablation_md]
    lines += ["## Provenance", ""]
    versions = provenance.get("versions", {})
    if isinstance(versions, str):
        versions = json.loads(versions)
    lines += [
        f"- weights: {provenance.get('weights_source', '')} (sha256 `{provenance.get('weights_sha256', '')}`)",
        f"- device: {provenance.get('device', '')} ({provenance.get('device_name', '')})",
        "- versions: " + ", ".join(f"{k} {v}" for k, v in sorted(versions.items())),
        f"- features created (UTC): {provenance.get('created_utc', '')}",
        "",
    ]
    return "\n".join(lines)


def main(smk: Any, logger: logging.Logger) -> None:
    exp2 = json.loads(Path(smk.input.exp2).read_text())
    provenance = read_attrs(smk.input.features)
    t1 = table1(exp2)
    caption = table1_caption(exp2, smk.params.run_label, features_label(provenance))
    write_csv(t1, smk.output.table1_csv, float_format="%.4f")
    write_text(caption + "\n\n" + markdown_table(t1), smk.output.table1_md)
    metrics = {Path(p).parent.name: json.loads(Path(p).read_text()) for p in smk.input.metrics}
    repeated = pd.read_csv(smk.input.repeated)
    extended = table1_extended(t1, repeated, pd.read_csv(smk.input.ceiling), pd.read_csv(smk.input.thresholds))
    write_csv(extended, smk.output.extended_csv, float_format="%.4f")
    ext_caption = caption.replace("Table 1 --", "Table 1 extended --") + (
        " Columns <split>_mean/_ci: mean and interval over resampled splits; human_ceiling: split-half "
        "agreement of the labels."
    )
    write_text(ext_caption + "\n\n" + markdown_table(extended), smk.output.extended_md)
    ablation = pd.read_csv(smk.input.ablation)
    spectrogram_params = provenance.get("spectrogram_params", {})
    annotations = json.loads(Path(smk.input.annotations_report).read_text())
    data = data_lines(pd.read_csv(smk.input.tracks), spectrogram_params, annotations)
    text = summary_markdown(
        metrics, t1, caption, provenance, smk.params.run_label, repeated, extended, markdown_table(ablation), data
    )
    write_text(text, smk.output.summary)
    logger.info("wrote Table 1 and %s", smk.output.summary)


if "snakemake" in globals():
    run_main({"summary": main}, snakemake)  # noqa: F821
