"""The figures of the rating shares and of the networks' comparison (12-14).

- 12: every song's observed mu against its mean out-of-sample prediction from audio, one panel
  per emotion, on artist splits where they were drawn (random splits otherwise): the split kind
  is read from the table, not from the configuration.
- 13: per kind of split and emotion, each network's mean R^2 with its corrected interval, the
  genre-only baseline's, and the reliability of mu (the most R^2 any predictor can reach) with
  its bootstrap interval over songs; the networks are named by their tables' ``network``
  column (their rankings' own provenance).
- 14: each compared network minus the study's, split by split: the paired difference in
  accuracy (genre and each emotion) and in R^2 of the rating shares, with corrected intervals.
"""

from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from ..core.emotify import EMOTIONS, GENRES
from .style import GENRE_PALETTE, SPLIT_ORDER, SPLIT_PALETTE, save_figure

#: the experiments of the accuracy panel of figure 14, as its x axis names them
COMPARED_TARGETS = {"exp1_genre_from_audio": "genre", "exp2_emotion_from_audio": None}


def scatter_split(predictions: pd.DataFrame) -> str:
    """The kind of split figure 12 shows: artist where drawn, else random (else the first)."""
    kinds = list(dict.fromkeys(predictions["split"]))
    return next((k for k in ("artist", "random") if k in kinds), kinds[0])


def shares_scatter_figure(predictions: pd.DataFrame, title: str, subtitle: str, out: str | Path, dpi: int) -> None:
    """Figure 12: observed mu against the mean out-of-sample KNN prediction, per emotion."""
    sns.set_theme(style="whitegrid", context="notebook")
    kind = scatter_split(predictions)
    data = predictions[predictions["split"] == kind]
    fig, axes = plt.subplots(3, 3, figsize=(10, 10), sharex=False, sharey=False)
    for ax, emotion in zip(axes.ravel(), EMOTIONS, strict=True):
        sub = data[data["emotion"] == emotion]
        for genre in GENRES:
            part = sub[sub["genre"] == genre]
            ax.scatter(part["predicted"], part["observed"], s=12, alpha=0.7, color=GENRE_PALETTE[genre], label=genre)
        top = float(max(sub["observed"].max(), sub["predicted"].max(), 0.05)) * 1.05
        ax.plot([0, top], [0, top], color="grey", lw=1, ls="--")
        ax.set_xlim(0, top)
        ax.set_ylim(0, top)
        ax.set_title(emotion.replace("_", " "), fontsize=10)
        ax.set_xlabel("predicted share (mean over tests)", fontsize=8)
        ax.set_ylabel("observed share", fontsize=8)
    handles, labels = axes.ravel()[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(GENRES), fontsize=9, bbox_to_anchor=(0.5, -0.01))
    network = str(data["network"].iloc[0]) if len(data) else "?"
    fig.suptitle(
        f"{title}\n{subtitle}\n{network}, KNN regression; each song's mean prediction over the {kind} splits "
        "that test it (smoother than one split's, whose R2 the tables give); dashed: observed = predicted",
        fontsize=10,
    )
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    save_figure(fig, out, dpi)


def _interval_bar(ax: plt.Axes, x: float, mean: float, low: float, high: float, **style: Any) -> None:
    if np.isfinite(mean):
        err = [[mean - low], [high - mean]] if np.isfinite(low) and np.isfinite(high) else None
        ax.errorbar(x, mean, yerr=err, capsize=3, **style)


def shares_reliability_figure(tables: list[pd.DataFrame], title: str, subtitle: str, out: str | Path, dpi: int) -> None:
    """Figure 13: R^2 of every network and of genre alone beside the reliability of mu."""
    sns.set_theme(style="whitegrid", context="notebook")
    data = pd.concat(tables, ignore_index=True)
    kinds = [k for k in SPLIT_ORDER if k in set(data["split"])]
    networks = list(dict.fromkeys(data["network"]))
    colours = dict(zip(networks, sns.color_palette("deep", len(networks) + 3)[3:], strict=True))
    fig, axes = plt.subplots(len(kinds), 1, figsize=(11, 3.6 * len(kinds)), squeeze=False)
    x = np.arange(len(EMOTIONS))
    width = 0.5 / max(1, len(networks))
    for ax, kind in zip(axes[:, 0], kinds, strict=True):
        part = data[data["split"] == kind]
        first = part[part["network"] == networks[0]].set_index("emotion").reindex(list(EMOTIONS))
        for i, emotion in enumerate(EMOTIONS):
            r = first.loc[emotion]
            ax.hlines(
                r["reliability"], i - 0.35, i + 0.35, color="black", lw=2, label="reliability of mu" if i == 0 else None
            )
            ax.fill_between(
                [i - 0.35, i + 0.35],
                r["reliability_song_bootstrap_low"],
                r["reliability_song_bootstrap_high"],
                color="black",
                alpha=0.12,
                label="its bootstrap interval over songs" if i == 0 else None,
            )
            _interval_bar(ax, i + 0.3, r["genre_r2"], r["genre_r2_ci_low"], r["genre_r2_ci_high"], fmt="x",
                          color="purple", label="genre alone" if i == 0 else None)  # fmt: skip
        for j, network in enumerate(networks):
            rows = part[part["network"] == network].set_index("emotion").reindex(list(EMOTIONS))
            offset = (j - (len(networks) - 1) / 2) * width - 0.1
            for i, emotion in enumerate(EMOTIONS):
                r = rows.loc[emotion]
                _interval_bar(ax, i + offset, r["r2"], r["r2_ci_low"], r["r2_ci_high"], fmt="o",
                              color=colours[network], label=f"{network}: KNN regression" if i == 0 else None)  # fmt: skip
        ax.axhline(0, color="grey", lw=0.8)
        ax.set_xticks(x)
        ax.set_xticklabels([e.replace("_", " ") for e in EMOTIONS], rotation=20, ha="right")
        ax.set_ylabel("R2 against the training mean")
        ax.set_title(f"{kind} splits", fontsize=10)
        ax.set_ylim(min(-0.2, float(np.nanmin(part[["r2_ci_low", "genre_r2_ci_low"]].to_numpy())) - 0.05), 1.0)
    axes[0, 0].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    conf = int(round(100 * float(data["confidence"].iloc[0]))) if "confidence" in data else 95
    fig.suptitle(f"{title}\n{subtitle}\nbars: {conf} % corrected resampled t intervals of the mean over the splits",
                 fontsize=10)  # fmt: skip
    fig.tight_layout()
    save_figure(fig, out, dpi)


def _difference_panel(
    ax: plt.Axes, data: pd.DataFrame, x: str, columns: tuple[str, str, str], order: list[str], ylabel: str
) -> None:
    kinds = [k for k in SPLIT_ORDER if k in set(data["split"])]
    width = 0.6 / max(1, len(kinds))
    for j, kind in enumerate(kinds):
        rows = data[data["split"] == kind].set_index(x).reindex(order)
        for i, cat in enumerate(order):
            mean, low, high = (float(rows.loc[cat, c]) for c in columns)
            _interval_bar(ax, i + (j - (len(kinds) - 1) / 2) * width, mean, low, high, fmt="o",
                          color=SPLIT_PALETTE[kind], label=f"{kind} splits" if i == 0 else None)  # fmt: skip
    ax.axhline(0, color="grey", lw=1)
    ax.set_xticks(np.arange(len(order)))
    ax.set_xticklabels([c.replace("_", " ") for c in order], rotation=30, ha="right")
    ax.set_ylabel(ylabel)


def networks_figure(
    comparison: pd.DataFrame, shares: pd.DataFrame, title: str, subtitle: str, out: str | Path, dpi: int
) -> None:
    """Figure 14: per compared network, the paired differences from the study's network in
    accuracy (genre and the emotions) and in R^2 of the rating shares."""
    sns.set_theme(style="whitegrid", context="notebook")
    # both tables list the networks in the same order, the study's first; the names shown are
    # the rating-share table's (each network's rankings' own provenance)
    models = list(dict.fromkeys(comparison["model"]))
    names = list(dict.fromkeys(shares["network"]))
    fig, axes = plt.subplots(len(models) - 1, 2, figsize=(14, 5.0 * (len(models) - 1)), squeeze=False)
    audio = comparison[comparison["experiment"].isin(list(COMPARED_TARGETS))].copy()
    audio["shown"] = np.where(audio["experiment"] == "exp1_genre_from_audio", "genre", audio["target"])
    for row, model, name in zip(axes, models[1:], names[1:], strict=True):
        _difference_panel(row[0], audio[audio["model"] == model], "shown",
                          ("difference", "difference_ci_low", "difference_ci_high"), ["genre", *EMOTIONS],
                          "accuracy difference")  # fmt: skip
        row[0].set_title(f"{name} - {names[0]}: accuracy (genre, then each emotion)", fontsize=10)
        _difference_panel(row[1], shares[shares["network"] == name], "emotion",
                          ("r2_difference", "r2_difference_ci_low", "r2_difference_ci_high"), list(EMOTIONS),
                          "R2 difference")  # fmt: skip
        row[1].set_title(f"{name} - {names[0]}: R2 of the rating shares", fontsize=10)
        row[0].legend(fontsize=8, loc="best")
    conf = int(round(100 * float(comparison["confidence"].iloc[0]))) if "confidence" in comparison else 95
    fig.suptitle(f"{title}\n{subtitle}\npaired split by split; bars: {conf} % corrected resampled t intervals",
                 fontsize=10)  # fmt: skip
    fig.tight_layout()
    save_figure(fig, out, dpi)


def _shares_tables(inputs: dict[str, str]) -> list[pd.DataFrame]:
    """The study network's rating-share table first, then every compared network's."""
    return [pd.read_csv(inputs["shares"]), *[pd.read_csv(p) for k, p in inputs.items() if k.startswith("shares_")]]


#: figure kind -> how to draw it from its inputs (name -> path)
SHARE_KINDS: dict[str, Any] = {
    "shares_scatter": lambda i, t, s, o, d: shares_scatter_figure(pd.read_csv(i["predictions"]), t, s, o, d),
    "shares_reliability": lambda i, t, s, o, d: shares_reliability_figure(_shares_tables(i), t, s, o, d),
    "networks": lambda i, t, s, o, d: networks_figure(
        pd.read_csv(i["comparison"]), pd.read_csv(i["comparison_shares"]), t, s, o, d
    ),
}
