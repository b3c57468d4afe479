"""The summary's tables: Table 1 (each emotion's accuracy on the paper's split beside the
paper's) and Table 1 extended (the repeated and grouped means, baselines, permutation p-values,
the human ceiling), with their captions."""

from typing import Any

import pandas as pd

from ..core.emotify import EMOTIONS, PAPER_TABLE1


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
                "genre_baseline": m.get("genre_baseline", float("nan")),
                "positive_share_train": m["positive_share_train"],
                "n_test": m["n_test"],
                "paper_accuracy": PAPER_TABLE1[emotion],
                "difference_vs_paper": m["accuracy"] - PAPER_TABLE1[emotion],
            }
        )
    return pd.DataFrame(rows)


def table1_caption(exp2_metrics: dict[str, Any], run_label: str, features: str) -> str:
    """Table 1's caption; ``features`` is :func:`store.features_label` of the feature file."""
    return (
        f"Table 1 -- accuracy of each GEMS emotion predicted from audio (Experiment II; StandardScaler + "
        f"KNN, k = {exp2_metrics['k']}; one random split, {exp2_metrics['n_train']} train / "
        f"{exp2_metrics['n_test']} test songs). Features: {features}. "
        f"Data: {run_label}. The paper's column is its single-split value, shown for comparison only."
    )


def table1_extended(
    t1: pd.DataFrame,
    repeated: pd.DataFrame,
    ceiling: pd.DataFrame,
    thresholds: pd.DataFrame,
    beyond: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Table 1 with the repeated and grouped means, their confidence intervals, the baselines,
    the label balance, the half-panel agreement and the ceiling."""
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
            out["genre_baseline"] = out["emotion"].map(sub["genre_baseline"])
        else:
            out[f"{kind}_genre_baseline"] = out["emotion"].map(sub["genre_baseline"])
        out[f"p_{kind}"] = out["emotion"].map(sub["permutation_p"])
        out[f"p_{kind}_holm"] = out["emotion"].map(sub["permutation_p_holm"])
    floors = emo.iloc[0] if len(emo) else None
    if floors is not None:
        out["p_floor"] = floors["permutation_p_floor"]
        out["p_holm_floor"] = floors["permutation_p_holm_floor"]
    if beyond is not None:
        overall = beyond[beyond["genre"] == "all"].set_index("emotion")
        out["p_beyond_genre"] = out["emotion"].map(overall["within_genre_permutation_p"])
        out["p_beyond_genre_holm"] = out["emotion"].map(overall["within_genre_p_holm"])
    out["positive_share_all_songs"] = out["emotion"].map(thresholds.set_index("emotion")["positive_share"])
    ceil = ceiling.set_index("emotion")
    out["half_panel_agreement"] = out["emotion"].map(ceil["half_panel_agreement"])
    out["half_panel_kappa"] = out["emotion"].map(ceil["half_panel_kappa"])
    out["ceiling"] = out["emotion"].map(ceil["ceiling"])
    for column in ("ceiling_low", "ceiling_high"):
        if column in ceil:
            out[column] = out["emotion"].map(ceil[column])
    return out


def exchange_words(table: pd.DataFrame | None) -> str:
    """How a table's permutation tests exchanged the labels, from its own ``permutation`` column."""
    if table is None or "permutation" not in table or not len(table):
        return "as the table's `permutation` column says"
    return str(table["permutation"].dropna().iloc[0])


def beyond_kind(table: pd.DataFrame | None) -> str:
    """The kind of split the beyond-genre table was computed on, from its own ``split`` column."""
    return str(table["split"].iloc[0]) if table is not None and "split" in table and len(table) else "artist"


def table1_extended_caption(
    exp2_metrics: dict[str, Any], run_label: str, features: str, repeated: pd.DataFrame, beyond: pd.DataFrame
) -> str:
    """Table 1 extended's caption: the set-up, the data, and what each column means -- the
    permutation schemes read from the tables' own ``permutation`` columns."""
    return (
        f"Table 1 extended -- each GEMS emotion predicted from audio (Experiment II; StandardScaler + KNN, "
        f"k = {exp2_metrics['k']}). Features: {features}. Data: {run_label}. "
        f"single_split: the paper's set-up, one random split ({exp2_metrics['n_train']} train / {exp2_metrics['n_test']} test songs). "
        "<split>_mean/_ci: mean over resampled splits and its corrected resampled t interval (approximate, optimistic where songs cluster by artist); majority_baseline / "
        "genre_baseline: the training majority label overall / within the test song's genre, scored on test; "
        f"p_<split>(_holm): permutation p-values on that kind of split, labels exchanged {exchange_words(repeated)} "
        f"(Holm-adjusted over the nine emotions); p_beyond_genre(_holm): on {beyond_kind(beyond)} splits, exchanged "
        f"{exchange_words(beyond)}; p_floor / p_holm_floor: the smallest attainable raw / Holm-adjusted p; "
        "half_panel_agreement: two halves of each song's listeners, labelled separately (each by its own "
        "median), agree -- compared with the ceiling as a heuristic, not a bound; "
        "ceiling: beta-binomial estimate of the best attainable accuracy. paper_accuracy: the paper's single-split value."
    )
