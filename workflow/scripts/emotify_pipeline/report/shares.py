"""The summary's section on the rating shares: one table (an emotion per row, a cell per number
with its interval) and a sentence per emotion, each generated from the numbers it states, and
the Methods paragraph that defines them once."""

from typing import Any

import numpy as np
import pandas as pd

from ..core.emotify import EMOTIONS
from ..core.files import markdown_table
from .findings import shares_split


def _cell(mean: float, low: float, high: float, signed: bool = False) -> str:
    """'0.35 [0.28, 0.42]' (a bare mean where there is no interval; 'n/a' where no mean)."""
    if not np.isfinite(mean):
        return "n/a"
    fmt = "+.2f" if signed else ".2f"
    values = [round(float(v), 2) + 0.0 for v in (mean, low, high)]  # + 0.0: no "-0.00"
    if not (np.isfinite(low) and np.isfinite(high)):
        return f"{values[0]:{fmt}}"
    return f"{values[0]:{fmt}} [{values[1]:{fmt}}, {values[2]:{fmt}}]"


def _score(row: pd.Series, score: str, signed: bool = False) -> str:
    return _cell(row[score], row[f"{score}_ci_low"], row[f"{score}_ci_high"], signed)


def shares_table_rows(shares: pd.DataFrame) -> pd.DataFrame:
    """The section's table: an emotion per row; the reliability of mu with its bootstrap
    interval; R2 on every kind of split; on the findings' kind of split, genre alone's R2, the
    gain, its Holm-adjusted p (where the test ran) and R2 as a fraction of the reliability."""
    kind = shares_split(shares)
    kinds = list(dict.fromkeys(shares["split"]))
    by = {k: shares[shares["split"] == k].set_index("emotion") for k in kinds}
    rows = []
    for emotion in [e for e in EMOTIONS if e in by[kind].index]:
        main = by[kind].loc[emotion]
        row: dict[str, Any] = {"emotion": emotion}
        if "reliability" in main:
            row["reliability"] = _cell(
                main["reliability"], main["reliability_song_bootstrap_low"], main["reliability_song_bootstrap_high"]
            )
        row.update({f"R2 {k}": _score(by[k].loc[emotion], "r2") for k in kinds})
        row[f"genre alone ({kind})"] = _score(main, "genre_r2")
        row[f"gain ({kind})"] = _score(main, "r2_gain", signed=True)
        if np.isfinite(main.get("within_genre_p_holm", np.nan)):
            row["Holm p"] = f"{main['within_genre_p_holm']:.3f}"
        if "r2_of_reliability" in main:  # a ratio only where both are positive and the reliability clear of 0
            clear = main["r2"] > 0 and main.get("reliability_song_bootstrap_low", np.nan) > 0
            row["R2 / reliability"] = f"{main['r2_of_reliability']:.2f}" if clear else ""
        rows.append(row)
    return pd.DataFrame(rows)


def emotion_share_sentence(row: pd.Series, kind: str, alpha: float) -> str:
    """One emotion's numbers in words, claiming no more than they show."""
    text = (
        f"- **{row.name}** ({kind} splits): R2 {_score(row, 'r2')}, genre alone {_score(row, 'genre_r2')}; "
        f"gain {_score(row, 'r2_gain', signed=True)}"
    )
    if row["r2_gain_ci_low"] > 0:
        text += " (interval above 0)"
    p = row.get("within_genre_p_holm", np.nan)
    if np.isfinite(p):
        text += (
            f"; beyond genre (within-genre permutation), Holm-adjusted p = {p:.3f} "
            f"({'at or below' if p <= alpha else 'above'} {alpha:g})"
        )
    if np.isfinite(row.get("reliability", np.nan)):
        rel = _cell(row["reliability"], row["reliability_song_bootstrap_low"], row["reliability_song_bootstrap_high"])
        text += f"; reliability {rel}"
        if row["reliability"] > 0 and row["r2"] > 0:
            text += f": audio's mean R2 is {row['r2_of_reliability']:.2f} of it"
        elif row["r2"] <= 0:
            text += ": audio's mean R2 is not above 0, no better than the training mean"
    return text + "."


def shares_section(shares: pd.DataFrame, alpha: float = 0.05) -> list[str]:
    """The rating shares: the table and a sentence per emotion (definitions under Methods)."""
    kind = shares_split(shares)
    rows = shares[shares["split"] == kind].set_index("emotion")
    network = str(shares["network"].iloc[0])
    return [
        "## Rating shares: predicted, against their reliability",
        "",
        f"{network}'s features, KNN regression of each emotion's share of listeners (mu), on the same splits and "
        "rankings as the votes (`results/evaluation/rating_shares.csv` has every score and kind of split).",
        "",
        markdown_table(shares_table_rows(shares)),
        "",
        *[emotion_share_sentence(rows.loc[e], kind, alpha) for e in EMOTIONS if e in rows.index],
        "",
    ]


def shares_methods(shares: pd.DataFrame) -> str:
    """What the rating-share table's columns and test mean (said once)."""
    rows = shares[shares["split"] == shares_split(shares)]
    tested = "within_genre_p_holm" in rows and rows["within_genre_p_holm"].notna().any()
    test = (
        "Holm p: a permutation test of whether audio carries information about mu beyond genre, mu exchanged "
        f"{rows['permutation'].iloc[0]}; its statistic is the mean R2 gain over the first "
        f"{int(rows['permutation_splits'].iloc[0])} splits (the gain shown is over all of them), whose null "
        "distribution lies below 0, so a small p does not say the gain is positive; Holm-adjusted over the nine "
        f"emotions (smallest attainable: {float(rows['p_holm_floor'].iloc[0]):.4f}). "
        if tested
        else ""
    )
    return (
        "**Rating shares.** mu: the share of a song's listeners who chose the emotion. R2: 1 - SSE / SST of the KNN "
        "regression (the mean mu of the k nearest training songs) on the test songs, SST about the training mean, "
        "so a prediction that ignores the song scores about 0; genre alone: each test song predicted by its "
        "genre's training mean; gain: R2 minus genre alone's, split by split, with its paired corrected interval. "
        + test
        + "reliability: the split-half correlation of mu across songs (two random halves of each song's listeners), "
        "Spearman-Brown corrected to the full panel, averaged over the halvings, with a percentile bootstrap "
        "interval over songs: the share of mu's variance the songs cause, so the estimated ceiling of R2 against "
        "these shares (a model can exceed an estimate by chance); R2 / reliability: the share of it reached, "
        "shown where R2 is positive and the reliability's interval lies above 0."
    )
