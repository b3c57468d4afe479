"""The summary's opening: what this run found, in a few sentences, each generated from the
number it states (with its interval or p), so that none claims more than its number."""

import numpy as np
import pandas as pd

#: the rows the findings read from the repeated evaluation's summary
GENRE = "exp1_genre_from_audio"
RATINGS = "exp3_genre_from_ratings"
EMOTIONS_FROM_AUDIO = "exp2_emotion_from_audio"


def _interval(row: pd.Series) -> str:
    return f"[{row['ci_low']:.2f}, {row['ci_high']:.2f}]"


def _p(p: float) -> str:
    return "p n/a" if not np.isfinite(p) else f"p = {p:.3f}"


def genre_finding(repeated: pd.DataFrame, experiment: str = GENRE, what: str = "Genre from audio") -> str:
    """The genre accuracy of ``experiment`` on each kind of split, with its corrected interval,
    whether that interval lies above the majority baseline, and the permutation p of the
    balanced accuracy over chance, beside the paper's single-split value."""
    rows = repeated[(repeated["experiment"] == experiment)].set_index("split")
    if rows.empty:
        return ""
    parts = []
    for split, row in rows.iterrows():
        above = row["ci_low"] > row["majority_baseline"]
        parts.append(
            f"{row['mean_accuracy']:.2f} {_interval(row)} on {split} splits "
            f"(interval {'above' if above else 'not above'} the majority baseline {row['majority_baseline']:.2f}; "
            f"permutation {_p(float(row['permutation_p']))})"
        )
    paper = rows["paper"].dropna() if "paper" in rows else pd.Series(dtype=float)
    beside = f"; the paper reports {float(paper.iloc[0]):.2f} from one random split" if len(paper) else ""
    return f"- **{what}**: mean accuracy " + ", ".join(parts) + beside + "."


def _unreachable(floor: float, permutations: int, alpha: float) -> str:
    """A clause saying the permutations cannot give a Holm-adjusted p at ``alpha`` ('' if they can)."""
    if np.isfinite(floor) and floor <= alpha:
        return ""
    return f" (with {permutations} permutations no Holm-adjusted p can reach {alpha:g})"


def emotion_finding(repeated: pd.DataFrame, alpha: float) -> str:
    """The nine emotions from audio on random splits: the range of mean accuracies and how many
    beat chance at Holm-adjusted ``alpha`` (and whether the permutations could reach it)."""
    rows = repeated[(repeated["experiment"] == EMOTIONS_FROM_AUDIO) & (repeated["split"] == "random")]
    if rows.empty:
        return ""
    held = rows[rows["permutation_p_holm"] <= alpha]["target"].tolist()
    floor = float(rows["permutation_p_holm_floor"].max()) if "permutation_p_holm_floor" in rows else 0.0
    permutations = int(rows["permutations"].iloc[0]) if "permutations" in rows else 0
    return (
        f"- **Emotions from audio** (random splits): mean accuracy {rows['mean_accuracy'].min():.2f} to "
        f"{rows['mean_accuracy'].max():.2f} across the {len(rows)} emotions (majority baselines "
        f"{rows['majority_baseline'].min():.2f} to {rows['majority_baseline'].max():.2f}); "
        f"{len(held)} of {len(rows)} {'beats' if len(held) == 1 else 'beat'} chance at Holm-adjusted p <= {alpha:g}"
        + (f" ({', '.join(held)})" if held else "")
        + _unreachable(floor, permutations, alpha)
        + "; a p above the threshold is not evidence of no information."
    )


def beyond_genre_finding(beyond: pd.DataFrame, alpha: float) -> str:
    """How many emotions carry audio information beyond genre (the within-genre permutation
    test, Holm over the emotions), and whether the permutations could reach ``alpha`` at all."""
    overall = beyond[beyond["genre"] == "all"]
    if overall.empty:
        return ""
    kind = str(overall["split"].iloc[0])
    held = overall[overall["within_genre_p_holm"] <= alpha]["emotion"].tolist()
    floor = float(overall["p_holm_floor"].iloc[0]) if "p_holm_floor" in overall else 0.0
    permutations = int(overall["permutations"].iloc[0]) if "permutations" in overall else 0
    return (
        f"- **Beyond genre** ({kind} splits, labels exchanged within genre): {len(held)} of {len(overall)} emotions "
        f"{'carries' if len(held) == 1 else 'carry'} information beyond genre at Holm-adjusted p <= {alpha:g}"
        + (f" ({', '.join(held)})" if held else "")
        + _unreachable(floor, permutations, alpha)
        + "; a p above the threshold is not evidence of no information."
    )


def comparison_finding(comparison: pd.DataFrame) -> list[str]:
    """Each compared network's paired difference from the study's network on genre, per kind
    of split (difference and its corrected interval)."""
    lines = []
    models = list(dict.fromkeys(comparison["model"]))
    for model in models[1:]:
        rows = comparison[(comparison["model"] == model) & (comparison["experiment"] == GENRE)]
        parts = [
            f"{row['difference']:+.2f} "
            + (
                f"[{row['difference_ci_low']:+.2f}, {row['difference_ci_high']:+.2f}]"
                if np.isfinite(row["difference_ci_low"])
                else "(the same on every split)"
            )
            + f" on {row['split']} splits"
            for _, row in rows.iterrows()
        ]
        if parts:
            lines.append(f"- **{model} - {models[0]}**, genre accuracy: " + ", ".join(parts) + ".")
    return lines


def shares_split(shares: pd.DataFrame) -> str:
    """The split kind the findings read the rating shares on: artist where its test ran, else
    random (else the first in the table)."""
    kinds = list(dict.fromkeys(shares["split"]))
    return next((k for k in ("artist", "random") if k in kinds), kinds[0])


def shares_finding(shares: pd.DataFrame, alpha: float) -> list[str]:
    """Two findings on the rating shares predicted from audio (the study's network). First, the
    range of R^2 against the range of the reliability, and the best-predicted emotion's R^2 as a
    fraction of its reliability. Second, for how many emotions the paired interval of the R^2
    gain over genre alone lies above 0, and, where the within-genre permutation test ran, for
    how many audio carries information about mu beyond genre (Holm). The two are different
    questions: the test's null is "no within-genre information", not "no gain", so a small p
    says nothing of the gain's sign."""
    kind = shares_split(shares)
    rows = shares[shares["split"] == kind].set_index("emotion")
    if rows.empty:
        return []
    low, high = rows["r2"].idxmin(), rows["r2"].idxmax()
    first = (
        f"- **Rating shares from audio** ({kind} splits, KNN regression of each emotion's share of listeners): "
        f"mean R2 {rows.loc[low, 'r2']:.2f} ({low}) to {rows.loc[high, 'r2']:.2f} ({high})"
    )
    if "reliability" in rows and rows["reliability"].notna().any():
        first += (
            f", against reliabilities of {rows['reliability'].min():.2f} to {rows['reliability'].max():.2f} "
            "(the estimated ceiling of R2 against these noisy shares)"
        )
        if rows.loc[high, "r2"] > 0 and rows.loc[high, "reliability"] > 0:
            first += f"; {high}'s R2 is {rows.loc[high, 'r2_of_reliability']:.2f} of its reliability"
    above = rows.index[rows["r2_gain_ci_low"] > 0].tolist()
    second = (
        f"- **Rating shares beyond genre** ({kind} splits): the paired interval of the R2 gain over genre "
        f"alone lies above 0 for {len(above)} of {len(rows)} emotions (each interval on its own)"
        + (f" ({', '.join(above)})" if above else "")
    )
    if "within_genre_p_holm" in rows and rows["within_genre_p_holm"].notna().any():
        held = rows.index[rows["within_genre_p_holm"] <= alpha].tolist()
        below = [e for e in held if rows.loc[e, "r2_gain"] <= 0]
        second += (
            f"; audio carries information about mu beyond genre for {len(held)} of {len(rows)} emotions at "
            f"Holm-adjusted p <= {alpha:g} (within-genre permutation)"
            + (f" ({', '.join(held)})" if held else "")
            + (f", of which {', '.join(below)} still below genre alone's R2" if below else "")
            + _unreachable(float(rows["p_holm_floor"].max()), int(rows["permutations"].iloc[0]), alpha)
            + "; a p above the threshold is not evidence of no information"
        )
    return [first + ".", second + "."]


def shares_comparison_finding(comparison_shares: pd.DataFrame) -> list[str]:
    """Each compared network's paired R^2 difference from the study's, per kind of split: how
    many emotions' intervals exclude 0, either way (each interval on its own)."""
    names = list(dict.fromkeys(comparison_shares["network"]))
    lines = []
    for name in names[1:]:
        rows = comparison_shares[comparison_shares["network"] == name]
        parts = []
        for kind, part in rows.groupby("split", sort=False):
            up = int((part["r2_difference_ci_low"] > 0).sum())
            down = int((part["r2_difference_ci_high"] < 0).sum())
            parts.append(f"{kind} splits: {up} of {len(part)} above 0, {down} below")
        lines.append(
            f"- **{name} - {names[0]}**, R2 of the rating shares (paired intervals, each on its own): "
            + "; ".join(parts)
            + "."
        )
    return lines


def ceiling_finding(extended: pd.DataFrame) -> str:
    """The beta-binomial ceiling of the binary labels across the emotions."""
    if "ceiling" not in extended:
        return ""
    low, high = extended.loc[extended["ceiling"].idxmin()], extended.loc[extended["ceiling"].idxmax()]
    return (
        f"- **The labels' ceiling**: a predictor that knew every song's rating rate could expect "
        f"{low['ceiling']:.2f} ({low['emotion']}) to {high['ceiling']:.2f} ({high['emotion']}) accuracy "
        "against the median-split labels (beta-binomial model)."
    )


def findings(
    repeated: pd.DataFrame | None,
    beyond: pd.DataFrame | None,
    extended: pd.DataFrame | None,
    comparison: pd.DataFrame | None = None,
    alpha: float = 0.05,
    shares: pd.DataFrame | None = None,
    comparison_shares: pd.DataFrame | None = None,
) -> list[str]:
    """The summary's "Findings" lines (without heading), each from its own numbers; a finding
    whose table is absent is left out."""
    lines = []
    if repeated is not None:
        lines += [genre_finding(repeated), emotion_finding(repeated, alpha)]
    if beyond is not None:
        lines.append(beyond_genre_finding(beyond, alpha))
    if repeated is not None:
        lines.append(genre_finding(repeated, RATINGS, "Genre from the listeners' ratings"))
    if shares is not None:
        lines += shares_finding(shares, alpha)
    if comparison is not None:
        lines += comparison_finding(comparison)
    if comparison_shares is not None:
        lines += shares_comparison_finding(comparison_shares)
    if extended is not None:
        lines.append(ceiling_finding(extended))
    return [line for line in lines if line]
