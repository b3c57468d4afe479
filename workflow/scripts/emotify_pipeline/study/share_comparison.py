"""The networks compared on the rating shares: on the same splits, each network's mean R^2 and
correlation with their intervals, and the paired difference from the study's network, split by
split, with the corrected resampled t interval of its mean (as :mod:`comparison` pairs the
accuracies). Each network is named as its rankings name it (the ``network`` column its
``rating_shares`` tables carry)."""

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.errors import EmotifyError
from ..core.files import write_csv
from .comparison import paired_split_difference

KEY = ["network", "split", "emotion"]
#: the scores compared, each with the bounds of its difference
COMPARED: dict[str, tuple[float, float]] = {"r2": (-np.inf, np.inf), "pearson": (-2.0, 2.0)}
#: what each network's row keeps from its summary
KEPT = ["r2", "r2_ci_low", "r2_ci_high", "pearson", "pearson_ci_low", "pearson_ci_high", "genre_r2"]


def paired_difference(
    base: pd.DataFrame, other: pd.DataFrame, score: str, confidence: float, bounds: tuple[float, float]
) -> dict[str, Any]:
    """:func:`comparison.paired_split_difference` of ``score`` for one split kind and emotion,
    its columns prefixed with the score (``r2_difference``, ..., ``r2_constant_difference``)."""
    what = f"{base['split'].iloc[0]} / {base['emotion'].iloc[0]} rating shares"
    paired = paired_split_difference(
        base.set_index("repeat"), other.set_index("repeat"), score, confidence, bounds, what
    )
    return {f"{score}_{name}": value for name, value in paired.items()}


def compare_shares(summaries: list[pd.DataFrame], per_splits: list[pd.DataFrame], confidence: float) -> pd.DataFrame:
    """One row per network, kind of split and emotion: the network's scores (:data:`KEPT`) and,
    for every network but the first (the study's), the paired differences from the first in R^2
    and Pearson correlation (``<score>_difference``, ``_ci_low``, ``_ci_high``; nan for the
    first)."""
    base_per = per_splits[0]
    rows = []
    for n, (summary, per) in enumerate(zip(summaries, per_splits, strict=True)):
        first = n == 0
        for _, row in summary.iterrows():
            out = {key: row[key] for key in KEY}
            out.update({col: row[col] for col in KEPT})
            pick = (per["split"] == row["split"]) & (per["emotion"] == row["emotion"])
            base_pick = (base_per["split"] == row["split"]) & (base_per["emotion"] == row["emotion"])
            if not base_pick.any():
                raise EmotifyError(
                    f"the study's network has no rating-share scores for {row['split']} / {row['emotion']}"
                )
            for score, bounds in COMPARED.items():
                if first:
                    names = ("difference", "difference_ci_low", "difference_ci_high", "constant_difference")
                    out.update({f"{score}_{name}": np.nan for name in names})
                else:
                    out.update(paired_difference(base_per[base_pick], per[pick], score, confidence, bounds))
            out["confidence"] = confidence
            warning = row.get("leakage_warning", "")
            out["leakage_warning"] = warning if isinstance(warning, str) else ""  # a CSV gives NaN for none
            rows.append(out)
    return pd.DataFrame(rows)


def write_share_comparison(
    shares: list[str | Path], shares_splits: list[str | Path], confidence: float, out: str | Path
) -> pd.DataFrame:
    """Rule ``compare_models``' rating-share table: :func:`compare_shares` of the networks'
    ``rating_shares`` summaries and per-split scores (the study's network first)."""
    table = compare_shares([pd.read_csv(p) for p in shares], [pd.read_csv(p) for p in shares_splits], confidence)
    write_csv(table, out, float_format="%.6g")
    return table
