"""Beyond the paper's single split: repeated and grouped evaluation with intervals, baselines
and permutation tests, for Experiments I-IV.

The splits are drawn by :mod:`splits` (``repeats`` stratified 70/30 splits, ``random``, or
group splits that keep all songs of one artist or album on one side) and their neighbour
rankings computed once by :mod:`geometry`; this module only votes (:mod:`votes`), for the genre,
the nine emotions and every label permutation (:mod:`permutation`), so a change of k reruns in
seconds.
"""

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.emotify import EMOTIONS, PAPER_TABLE1
from ..core.errors import EmotifyError
from ..core.files import with_leakage_warning, write_csv
from ..neighbours import knn
from ..neighbours.geometry import Rankings
from ..neighbours.splits import row_lookup, table_tracks
from ..stats import inference
from . import table as study
from .permutation import excess_statistic, exchange_of
from .votes import Votes, exp4_votes, predict, votes_of


def balanced_accuracy_and_macro_f1(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[float, float]:
    """scikit-learn's ``balanced_accuracy_score`` (mean recall over the classes present in
    ``y_true``) and ``f1_score(average="macro", zero_division=0)`` (mean F1 over every class in
    either array), from one confusion matrix: the same numbers (tested) without scikit-learn's
    input validation, which took 90 % of the repeated evaluation's time (3,200 splits x 13 targets)."""
    labels, codes = np.unique(np.concatenate([y_true, y_pred]), return_inverse=True)
    n = len(labels)
    truth, pred = codes[: len(y_true)], codes[len(y_true) :]
    confusion = np.bincount(truth * n + pred, minlength=n * n).reshape(n, n)
    hits = np.diag(confusion).astype(float)
    in_true, in_pred = confusion.sum(axis=1), confusion.sum(axis=0)
    present = in_true > 0
    balanced = float(np.mean(hits[present] / in_true[present]))
    denominator = in_true + in_pred  # 2 tp + fp + fn
    f1 = np.where(denominator > 0, 2 * hits / np.maximum(denominator, 1), 0.0)
    return balanced, float(np.mean(f1))


def split_scores(
    y: np.ndarray, v: Votes, pred: np.ndarray, k: int, genre: np.ndarray | None = None
) -> dict[str, float]:
    """Accuracy, balanced accuracy, macro-F1, the baselines (defined in :mod:`inference`) and the
    tie rates of one split's predictions."""
    y_train, y_test = y[v.train], y[v.test]
    distance_ties, vote_ties = knn.tie_rates(y_train, v.order, v.tied, k)
    balanced, macro_f1 = balanced_accuracy_and_macro_f1(y_test, pred)
    out = {
        "accuracy": float(np.mean(pred == y_test)),
        "balanced_accuracy": balanced,
        "macro_f1": macro_f1,
        "majority_baseline": inference.majority_baseline(y_train, y_test),
        "chance_baseline": inference.chance_baseline(y_train, y_test),
        "distance_tie_rate": distance_ties,
        "vote_tie_rate": vote_ties,
        "n_train": len(v.train),
        "n_test": len(v.test),
    }
    if genre is not None:
        out["genre_baseline"] = inference.genre_baseline(y_train, y_test, genre[v.train], genre[v.test])
    return out


def summarise(
    name: str,
    target: str,
    split_kind: str,
    y: np.ndarray,
    votes: list[Votes],
    cfg: dict[str, Any],
    exchange: inference.Exchange | None = None,
    genre: np.ndarray | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Per-split scores and their summary for one target over one kind of split: means,
    split-to-split range, corrected confidence interval of the mean, and the permutation p-value
    of the mean balanced accuracy over chance (:func:`excess_statistic`) on the first
    ``permutation_splits`` splits, labels
    permuted by ``exchange`` (:class:`inference.Exchange`: artists among artists of the same
    album profile, album for album; song by song when None), drawn from this test's own named
    stream."""
    k, ties, seed = cfg["k"], cfg.get("ties", "sklearn"), cfg["seed"]
    rows = []
    for r, v in enumerate(votes):
        pred = predict(y, v, k, ties, seed + r)
        rows.append({"experiment": name, "target": target, "split": split_kind, "repeat": r})
        rows[-1].update(split_scores(y, v, pred, k, genre))
    per = pd.DataFrame(rows)
    acc = per["accuracy"].to_numpy()
    m = min(len(votes), cfg["permutation_splits"])

    statistic = excess_statistic(votes[:m], k, ties, seed)
    row = inference.accuracy_row(acc, cfg["confidence"], per["n_train"].mean(), per["n_test"].mean())
    row_of_table = study.experiment(name)
    paper = PAPER_TABLE1.get(target) if row_of_table.target == "emotion" else row_of_table.paper_accuracy
    paper = paper if split_kind == "random" else None  # the paper has no grouped-split result
    exchange = exchange or inference.Exchange(np.arange(len(y)))
    rng = inference.stream(seed, "evaluate_repeated", name, target, split_kind)
    _, p_value, _ = inference.permutation_test(y, statistic, cfg["permutations"], rng, exchange)
    summary = {
        "experiment": name,
        "target": target,
        "split": split_kind,
        **row,
        "std_accuracy": float(acc.std(ddof=1)) if len(acc) > 1 else 0.0,
        "mean_balanced_accuracy": float(per["balanced_accuracy"].mean()),
        "mean_macro_f1": float(per["macro_f1"].mean()),
        "majority_baseline": float(per["majority_baseline"].mean()),
        "chance_baseline": float(per["chance_baseline"].mean()),
        "genre_baseline": float(per["genre_baseline"].mean()) if "genre_baseline" in per else np.nan,
        "distance_tie_rate": float(per["distance_tie_rate"].mean()),
        "vote_tie_rate": float(per["vote_tie_rate"].mean()),
        "mean_test_share": float((per["n_test"] / (per["n_train"] + per["n_test"])).mean()),
        "permutation_p": p_value,
        "permutation_p_floor": inference.p_floor(cfg["permutations"]),
        "permutations": cfg["permutations"],
        "permutation": exchange.describe(),
        "paper": paper if paper is not None else np.nan,
    }
    return summary, rows


def evaluate_all(
    meta: pd.DataFrame,
    labels: pd.DataFrame,
    rankings: dict[str, Rankings],
    cfg: dict[str, Any],
    logger: logging.Logger | None = None,
    ratings: Rankings | None = None,
    artists: np.ndarray | None = None,
    albums: np.ndarray | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Repeated (and grouped) evaluation of Experiments I-IV from cached neighbour rankings.

    ``meta``: track_id and genre of the tracks the rankings refer to; ``rankings``: split kind
    (``random``, ``artist``, ``album``) -> the audio rankings of its splits
    (:class:`geometry.Rankings`); ``ratings``: the rating-share rankings of the random splits
    (Experiment III); ``artists``: each track's artist (rows of ``meta``; None or "" where
    unknown: that song is its own unit), so that every permutation test -- random, artist and
    album splits alike -- exchanges labels artist for artist among artists with the same album sizes
    (:class:`inference.Exchange`; labels that cluster within artists stay clustered);
    ``albums``: each track's album (None where unrecorded), so that labels move album by album
    inside an artist (:func:`exchange_of`). The nine
    emotions of one split kind are a family: ``permutation_p_holm`` is Holm-adjusted over them,
    with its floor. Experiment IV uses the random splits' inner folds. Returns
    ``(summary, per-split scores)``. Applied to the
    paper's one split it gives the single-split experiments (the tests check it).
    """
    y_genre = meta["genre"].to_numpy()
    lab = meta[["track_id"]].merge(labels, on="track_id", how="left")
    if lab[list(EMOTIONS)].isna().any().any():
        raise EmotifyError("some tracks with audio features have no GEMS labels")
    y_emo = lab[list(EMOTIONS)].to_numpy(dtype=int)
    row = row_lookup(meta["track_id"])
    k = cfg["k"]
    exchange = exchange_of(artists, albums, len(meta))
    summaries, rows = [], []
    for kind, source in rankings.items():
        audio = [votes_of(source.get(r, "audio"), row) for r in range(source.repeats)]
        votes = {"audio": audio}
        for e in study.EXPERIMENTS:  # one row of the study's table each; grouped splits: the experiments marked so
            if kind != "random" and not e.grouped:
                continue
            if e.repeated not in votes:
                votes[e.repeated] = repeated_votes(e.repeated, source, audio, ratings, y_emo, row, k)
            if e.target == "emotion":
                targets = [(emotion, y_emo[:, i], y_genre) for i, emotion in enumerate(EMOTIONS)]
            else:
                targets = [("genre", y_genre, None)]
            for target, y, genre in targets:
                summary, per = summarise(e.name, target, kind, y, votes[e.repeated], cfg, exchange, genre)
                summaries.append(summary)
                rows += per
        if logger:
            logger.info("%s splits: %d repeats evaluated", kind, len(audio))
    return holm_families(pd.DataFrame(summaries)), pd.DataFrame(rows)


def repeated_votes(
    kind: str, source: Rankings, audio: list[Votes], ratings: Rankings | None, y_emo: np.ndarray, row: pd.Series, k: int
) -> list[Votes]:
    """The votes an experiment of the study table reads on the random splits of ``source``
    (``Experiment.repeated``): ``ratings`` -- the rating-share rankings of the same splits
    (checked to hold the same songs); ``predicted_emotions`` -- :func:`exp4_votes`."""
    if kind == "ratings":
        if ratings is None:
            raise EmotifyError("the repeated evaluation of the experiments on ratings needs the ratings rankings")
        mu = [votes_of(ratings.get(r, "ratings"), row) for r in range(source.repeats)]
        for r, (a, b) in enumerate(zip(audio, mu, strict=True)):
            if not (np.array_equal(a.train, b.train) and np.array_equal(a.test, b.test)):
                raise EmotifyError(f"{ratings.path}: split {r} holds other songs than in {source.path}")
        return mu
    if kind == "predicted_emotions":
        return exp4_votes(source, audio, y_emo, row, k)
    raise EmotifyError(f"study table: no votes called {kind!r} (audio, ratings, predicted_emotions)")


def holm_families(summary: pd.DataFrame) -> pd.DataFrame:
    """``permutation_p_holm``: Holm's adjustment over the nine emotions of each split kind
    (Experiment II), with ``permutation_p_holm_floor``, the smallest it can be (9 / (1 + B)).
    Other rows are single tests: nan."""
    out = summary.copy()
    out["permutation_p_holm"] = np.nan
    out["permutation_p_holm_floor"] = np.nan
    emotions = [e.name for e in study.EXPERIMENTS if e.target == "emotion"]
    for _, part in out[out["experiment"].isin(emotions)].groupby(["experiment", "split"]):
        out.loc[part.index, "permutation_p_holm"] = inference.holm(part["permutation_p"].to_numpy())
        out.loc[part.index, "permutation_p_holm_floor"] = inference.p_floor(
            int(part["permutations"].iloc[0]), len(part)
        )
    return out


def split_groups(table: pd.DataFrame, track_ids: pd.Series, column: str = "artist") -> np.ndarray | None:
    """Each track's artist (or album: ``column``) as the split table records it (None when the
    table has no such column)."""
    if column not in table:
        return None
    values = table.drop_duplicates("track_id").set_index("track_id")[column]
    return values.loc[np.asarray(track_ids)].fillna("").astype(str).to_numpy()


def write_repeated_evaluation(
    splits: dict[str, str | Path],
    neighbours: dict[str, str | Path],
    ratings: str | Path,
    labels: str | Path,
    settings: dict[str, Any],
    summary_out: str | Path,
    repeats_out: str | Path,
    logger: logging.Logger | None = None,
) -> None:
    """Rules ``evaluate_repeated`` and ``evaluate_model``: :func:`evaluate_all` from the files.

    Parameters
    ----------
    splits, neighbours : dict
        Split kind (``random`` first, then the grouped kinds) -> its split table and its audio
        rankings.
    ratings : path
        The rating-share rankings of the random splits (Experiment III).
    labels : path
        ``gems_labels.csv``.
    settings : dict
        ``permutations``, ``permutation_splits``, ``confidence``, ``seed``, ``k`` and ``ties``.
    summary_out, repeats_out : path
        The summary and the per-split scores written (with the random rankings' leakage warning,
        if any, on every row).
    logger : logging.Logger, optional
        Told how many repeats each split kind evaluated.
    """
    rankings = {kind: Rankings(path) for kind, path in neighbours.items()}
    tables = {
        kind: pd.read_csv(path, dtype={"artist": str, "album": str, "group": str}) for kind, path in splits.items()
    }
    meta = table_tracks(tables["random"])
    artists = split_groups(tables["random"], meta["track_id"], "artist")
    albums = split_groups(tables["random"], meta["track_id"], "album")
    summary, per = evaluate_all(
        meta, pd.read_csv(labels), rankings, settings, logger, Rankings(ratings), artists, albums
    )
    warning = rankings["random"].attrs.get("leakage_warning")
    write_csv(with_leakage_warning(summary, warning), summary_out, float_format="%.4f")
    write_csv(with_leakage_warning(per, warning), repeats_out, float_format="%.4f")
