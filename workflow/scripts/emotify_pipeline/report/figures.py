"""The figures, with seaborn/matplotlib: 1-7 of the paper from the experiment outputs, 8-11
beyond it from the repeated evaluation, the ablation and the k sweep (12-14, the rating shares
and the networks' comparison: :mod:`share_figures`).

Every figure carries, under its title, the run's data label and -- for figures about audio
features -- the features' label read from the feature file's own attributes (e.g.
"random-init VGG19 (NOT ImageNet), pool5/flatten"), so no figure can be mistaken for the paper's.
"""

import json
import logging
import multiprocessing
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from ..core.emotify import EMOTIONS, GENRES
from ..core.errors import EmotifyError
from ..features.store import features_label, read_attrs  # noqa: E402
from ..study import table as study  # noqa: E402
from .share_figures import SHARE_KINDS  # noqa: E402
from .style import GENRE_PALETTE, SPLIT_ORDER  # noqa: E402
from .style import save_figure as _save  # noqa: E402


def pca_figure(
    pca: pd.DataFrame, explained: list[float], title: str, subtitle: str, out: str | Path, dpi: int = 150
) -> None:
    """Scatter of the first two principal components, coloured by genre, marker by subset."""
    sns.set_theme(style="whitegrid", context="notebook")
    fig, ax = plt.subplots(figsize=(7, 5.5))
    hue_order = [g for g in GENRES if g in set(pca["genre"])]
    sns.scatterplot(
        data=pca,
        x="pc1",
        y="pc2",
        hue="genre",
        hue_order=hue_order,
        palette=GENRE_PALETTE,
        style="subset" if "subset" in pca else None,
        style_order=["train", "test"],
        s=55,
        alpha=0.85,
        ax=ax,
    )
    ev = list(explained) + [0.0, 0.0]
    ax.set_xlabel(f"PC1 ({100 * ev[0]:.1f} % of variance)")
    ax.set_ylabel(f"PC2 ({100 * ev[1]:.1f} % of variance)")
    ax.set_title(f"{title}\n{subtitle}", fontsize=11)
    ax.legend(loc="best", fontsize=9, title=None)
    _save(fig, out, dpi)


def confusion_figure(
    confusion: pd.DataFrame, labels: list[str], title: str, subtitle: str, out: str | Path, dpi: int = 150
) -> None:
    """Heat map of a confusion matrix (counts, rows = true class)."""
    sns.set_theme(style="white", context="notebook")
    mat = (
        confusion.pivot(index="true", columns="predicted", values="count")
        .reindex(index=labels, columns=labels)
        .fillna(0)
    )
    fig, ax = plt.subplots(figsize=(6, 5))
    sns.heatmap(
        mat.astype(int), annot=True, fmt="d", cmap="Blues", cbar_kws={"label": "test songs"}, ax=ax, square=True
    )
    acc = np.trace(mat.to_numpy()) / max(mat.to_numpy().sum(), 1)
    ax.set_xlabel("predicted genre")
    ax.set_ylabel("true genre")
    ax.set_title(f"{title} (accuracy {acc:.2f})\n{subtitle}", fontsize=11)
    _save(fig, out, dpi)


def emotion_grid_figure(
    confusion: pd.DataFrame, metrics: dict[str, Any], title: str, subtitle: str, out: str | Path, dpi: int = 150
) -> None:
    """3 x 3 grid of the per-emotion 2 x 2 confusion matrices of Experiment II."""
    sns.set_theme(style="white", context="notebook")
    fig, axes = plt.subplots(3, 3, figsize=(10, 9.5))
    for ax, emotion in zip(axes.ravel(), EMOTIONS, strict=True):
        sub = confusion[confusion["emotion"] == emotion]
        mat = (
            sub.pivot(index="true", columns="predicted", values="count")
            .reindex(index=["0", "1"], columns=["0", "1"])
            .fillna(0)
        )
        mat.index = ["low", "high"]
        mat.columns = ["low", "high"]
        sns.heatmap(mat.astype(int), annot=True, fmt="d", cmap="Blues", cbar=False, ax=ax, square=True)
        acc = metrics["emotions"][emotion]["accuracy"]
        ax.set_title(f"{emotion.replace('_', ' ')} (acc {acc:.2f})", fontsize=10)
        ax.set_xlabel("predicted label")
        ax.set_ylabel("true label")
    fig.suptitle(f"{title}\n{subtitle}", fontsize=12)
    fig.tight_layout()
    _save(fig, out, dpi)


def _errorbars(
    ax: plt.Axes, data: pd.DataFrame, x: str, hue_order: list[str], palette: dict[str, Any], width: float = 0.6
) -> None:
    """Mean accuracy per category and split kind: a thin bar for the central range of the split
    accuracies (split_range), a thick one for the confidence interval of the mean (ci). The split
    kinds present in a category are centred on its tick (Experiments III and IV have only random
    splits); every category keeps its tick."""
    cats = list(dict.fromkeys(data[x]))
    kinds = [h for h in hue_order if h in set(data["split"])]
    labelled: set[str] = set()
    any_interval = False
    for i, cat in enumerate(cats):
        sub = data[data[x] == cat].set_index("split")
        present = [kind for kind in kinds if kind in sub.index]
        for j, kind in enumerate(present):
            r = sub.loc[kind]
            pos = i + (j - (len(present) - 1) / 2) * width / max(1, len(kinds))
            mean = r["mean_accuracy"]
            ax.errorbar(
                pos,
                mean,
                yerr=[[mean - r["split_range_low"]], [r["split_range_high"] - mean]],
                fmt="o",
                capsize=4,
                color=palette[kind],
                elinewidth=1,
                label=None
                if kind in labelled
                else f"{kind} splits: mean, central range of split accuracies (thin bar)",
            )
            if np.isfinite(r.get("ci_low", np.nan)):
                any_interval = True
                ax.errorbar(
                    pos,
                    mean,
                    yerr=[[mean - r["ci_low"]], [r["ci_high"] - mean]],
                    fmt="none",
                    color=palette[kind],
                    elinewidth=4,
                    alpha=0.6,
                )
            labelled.add(kind)
    if any_interval:  # one legend entry for the thick bars, whatever the split kind's colour
        ax.plot(
            [],
            [],
            color="grey",
            linewidth=4,
            alpha=0.6,
            label="thick bar: interval of the mean (Nadeau-Bengio corrected t)",
        )
    ax.set_xticks(np.arange(len(cats)))
    ax.set_xticklabels([c.replace("_", " ") for c in cats], rotation=30, ha="right")
    ax.set_xlim(-0.5, len(cats) - 0.5)


def _finish(
    fig: plt.Figure, ax: plt.Axes, ylabel: str, title: str, subtitle: str, out: str | Path, dpi: int, **legend: Any
) -> None:
    """Shared ending of the accuracy figures: axis range and label, two-line title, legend, save."""
    ax.set_ylim(0, 1.05)
    ax.set_ylabel(ylabel)
    ax.set_title(f"{title}\n{subtitle}", fontsize=11)
    # beside the axes, never over a bar (the bars reach from chance to 1 in every corner)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, **legend)
    _save(fig, out, dpi)


def genre_repeated_figure(summary: pd.DataFrame, title: str, subtitle: str, out: str | Path, dpi: int = 150) -> None:
    """Genre accuracy of Experiments I, III, IV over resampled (and grouped) splits."""
    sns.set_theme(style="whitegrid", context="notebook")
    data = summary[summary["target"] == "genre"].copy()
    data["experiment"] = data["experiment"].map({e.name: e.label for e in study.EXPERIMENTS})
    palette = dict(zip(SPLIT_ORDER, sns.color_palette("deep", 3), strict=True))
    fig, ax = plt.subplots(figsize=(8, 5.5))
    _errorbars(ax, data, "experiment", SPLIT_ORDER, palette)
    base = data[data["split"] == "random"].set_index("experiment")["chance_baseline"].mean()
    ax.axhline(base, ls="--", color="grey", label=f"stratified chance ({base:.2f})")
    paper = data.dropna(subset=["paper"]).drop_duplicates("experiment")
    cats = list(dict.fromkeys(data["experiment"]))
    ax.scatter(
        [cats.index(e) for e in paper["experiment"]],
        paper["paper"],
        marker="*",
        s=180,
        color="crimson",
        zorder=5,
        label="paper (one split)",
    )
    ax.set_xlabel("")
    _finish(fig, ax, "test accuracy", title, subtitle, out, dpi)


def emotion_repeated_figure(
    summary: pd.DataFrame, ceiling: pd.DataFrame, title: str, subtitle: str, out: str | Path, dpi: int = 150
) -> None:
    """Per emotion: repeated-split accuracy (random / grouped), the paper's Table 1, the majority
    and emotion-from-genre baselines, the half-panel agreement and the beta-binomial ceiling."""
    sns.set_theme(style="whitegrid", context="notebook")
    data = summary[summary["experiment"] == "exp2_emotion_from_audio"].copy()
    palette = dict(zip(SPLIT_ORDER, sns.color_palette("deep", 3), strict=True))
    fig, ax = plt.subplots(figsize=(10, 5.5))
    _errorbars(ax, data, "target", SPLIT_ORDER, palette)
    rnd = data[data["split"] == "random"].set_index("target").reindex(list(EMOTIONS))
    x = np.arange(len(EMOTIONS))
    ax.scatter(x, rnd["paper"], marker="*", s=160, color="crimson", zorder=5, label="paper Table 1 (one split)")
    ax.scatter(x, rnd["majority_baseline"], marker="_", s=400, color="black", zorder=4, label="majority baseline")
    ax.scatter(x, rnd["genre_baseline"], marker="x", s=60, color="purple", zorder=4, label="emotion from genre alone")
    ceil = ceiling.set_index("emotion").reindex(list(EMOTIONS))
    ax.scatter(
        x, ceil["half_panel_agreement"], marker="v", s=60, color="darkgreen", zorder=4, label="half-panel agreement"
    )
    ax.scatter(x, ceil["ceiling"], marker="^", s=70, color="darkgreen", zorder=4, label="ceiling (beta-binomial)")
    _finish(fig, ax, "test accuracy / agreement", title, subtitle, out, dpi)


def ablation_figure(table: pd.DataFrame, title: str, subtitle: str, out: str | Path, dpi: int = 150) -> None:
    """Genre accuracy by feature set (VGG19 PCA sizes, production descriptors)."""
    sns.set_theme(style="whitegrid", context="notebook")
    data = table.copy()
    dims = data.groupby("features")["dimensions"].max()  # PCA is capped by each training set
    data["features"] = [f"{f} ({dims[f]} dims)" for f in data["features"]]
    palette = dict(zip(SPLIT_ORDER, sns.color_palette("deep", 3), strict=True))
    fig, ax = plt.subplots(figsize=(9, 5.5))
    _errorbars(ax, data, "features", SPLIT_ORDER, palette)
    _finish(fig, ax, "genre accuracy", title, subtitle, out, dpi)


def _metrics(inputs: dict[str, str]) -> dict[str, Any]:
    return json.loads(Path(inputs["metrics"]).read_text())


def _confusion(inputs: dict[str, str]) -> pd.DataFrame:
    return pd.read_csv(inputs["confusion"], dtype={"true": str, "predicted": str})


def k_sensitivity_figure(table: pd.DataFrame, title: str, subtitle: str, out: str | Path, dpi: int = 150) -> None:
    """Accuracy against k: mean and central range of the split accuracies, per target."""
    sns.set_theme(style="whitegrid", context="notebook")
    fig, ax = plt.subplots(figsize=(8, 5.5))
    for (target, sub), colour in zip(table.groupby("target", sort=False), sns.color_palette("deep"), strict=False):
        ax.plot(sub["k"], sub["mean_accuracy"], marker="o", color=colour, label=f"{target}: mean")
        ax.fill_between(
            sub["k"],
            sub["split_range_low"],
            sub["split_range_high"],
            color=colour,
            alpha=0.15,
            label=f"{target}: range of split accuracies",
        )
    ax.set_xticks(sorted(table["k"].unique()))
    ax.set_xlabel("k (neighbours)")
    _finish(fig, ax, "test accuracy", title, subtitle, out, dpi)


# figure kind -> how to draw it from its inputs (name -> path)
KINDS: dict[str, Any] = {
    "genre_repeated": lambda i, t, s, o, d: genre_repeated_figure(pd.read_csv(i["summary"]), t, s, o, d),
    "emotion_repeated": lambda i, t, s, o, d: emotion_repeated_figure(
        pd.read_csv(i["summary"]), pd.read_csv(i["ceiling"]), t, s, o, d
    ),
    "ablation": lambda i, t, s, o, d: ablation_figure(pd.read_csv(i["ablation"]), t, s, o, d),
    "k_sensitivity": lambda i, t, s, o, d: k_sensitivity_figure(pd.read_csv(i["k_sensitivity"]), t, s, o, d),
    "pca": lambda i, t, s, o, d: pca_figure(
        pd.read_csv(i["pca"]), json.loads(Path(i["info"]).read_text())["pca_explained_variance"], t, s, o, d
    ),
    "confusion": lambda i, t, s, o, d: confusion_figure(
        (conf := _confusion(i)), [g for g in GENRES if g in set(conf["true"])], t, s, o, d
    ),
    "grid": lambda i, t, s, o, d: emotion_grid_figure(_confusion(i), _metrics(i), t, s, o, d),
    **SHARE_KINDS,
}


def draw(spec: dict[str, Any], data_label: str, out: str | Path, dpi: int) -> None:
    """Draw one figure from its spec (``kind``, ``title``, ``inputs``): the subtitle is the run's
    data label and, where the figure reads audio features, their label from the feature file's
    own provenance attributes."""
    if spec["kind"] not in KINDS:
        raise EmotifyError(f"figures.py: unknown figure kind {spec['kind']!r} (known: {', '.join(KINDS)})")
    features = spec["inputs"].get("features")
    subtitle = data_label + (f"\nfeatures: {features_label(read_attrs(features))}" if features else "")
    KINDS[spec["kind"]](spec["inputs"], spec["title"], subtitle, out, dpi)


def _draw_one(job: tuple[str, dict[str, Any], str, str, int]) -> str:
    name, spec, data_label, out, dpi = job
    draw(spec, data_label, out, dpi)
    return name


def draw_all(
    specs: dict[str, dict[str, Any]],
    outputs: dict[str, str],
    data_label: str,
    dpi: int,
    workers: int = 1,
    logger: logging.Logger | None = None,
) -> None:
    """Draw every figure of ``specs`` to ``outputs[name]``; with ``workers`` > 1 in that many
    forked processes (matplotlib's Agg backend keeps no state between figures that matters)."""
    missing = sorted(set(specs) - set(outputs))
    if missing:
        raise EmotifyError(f"figures.py: no output path for figure(s) {', '.join(missing)}")
    jobs = [(name, spec, data_label, str(outputs[name]), dpi) for name, spec in specs.items()]
    if workers > 1 and len(jobs) > 1:
        with multiprocessing.get_context("fork").Pool(min(workers, len(jobs))) as pool:
            done = pool.imap_unordered(_draw_one, jobs)
            for name in done:
                if logger:
                    logger.info("wrote %s", outputs[name])
        return
    for job in jobs:
        _draw_one(job)
        if logger:
            logger.info("wrote %s", outputs[job[0]])
