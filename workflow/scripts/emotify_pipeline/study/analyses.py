"""The paper's own question, tested on the repeated splits (each analysis its own rule, all from
the cached neighbour rankings, so each reruns in seconds):

- ``emotion_beyond_genre``: does audio predict emotion beyond genre? On artist-grouped splits
  (no artist on both sides): Experiment II's accuracy beside the emotion-from-genre baseline
  (the training majority label of the test song's genre), within each genre, and a permutation
  test that exchanges the emotion labels artist by artist *within* each genre (keeping what
  genre says about emotion and the labels' clustering within artists, breaking anything beyond
  genre);
- ``genre_claims``: the paper's claims about Experiments III ("Pop best recognised") and IV
  ("polarised towards Classical"): per-genre recall and share of predictions, Experiment III
  from the rating shares mu and from the binary labels, Experiment IV under both tie rules;
- ``k_sensitivity``: genre and mean emotion accuracy against k.
"""

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.emotify import EMOTIONS, GENRES
from ..core.errors import EmotifyError
from ..core.files import with_leakage_warning, write_csv
from ..neighbours import knn
from ..neighbours.geometry import Rankings, ranked_with_ties
from ..neighbours.splits import row_lookup, table_tracks
from ..stats import inference
from .evaluation import split_groups
from .permutation import excess_statistic, exchange_of
from .votes import Votes, exp4_votes, predict, votes_of


def load_split(split: str | Path, neighbours: str | Path) -> tuple[pd.DataFrame, pd.Series, Rankings, list[Votes]]:
    """A split table's songs (track_id, genre, artist and album, "" where not recorded), the row
    lookup (track id -> row), the rankings ``neighbours`` of its splits and their audio votes."""
    table = pd.read_csv(split, dtype={"artist": str, "album": str, "group": str})
    meta = table_tracks(table)
    for column in ("artist", "album"):
        values = split_groups(table, meta["track_id"], column)
        meta[column] = values if values is not None else ""
    row = row_lookup(meta["track_id"])
    source = Rankings(neighbours)
    audio = [votes_of(source.get(r, "audio"), row) for r in range(source.repeats)]
    return meta, row, source, audio


def load_votes(
    split: str | Path, labels: str | Path, neighbours: str | Path
) -> tuple[pd.DataFrame, np.ndarray, pd.Series, Rankings, list[Votes]]:
    """What every analysis reads from its files.

    Parameters
    ----------
    split : path
        A split table (``results/splits/<kind>.csv``).
    labels : path
        ``gems_labels.csv``.
    neighbours : path
        The audio rankings of the table's splits.

    Returns
    -------
    tuple
        The splits' songs (:func:`load_split`), their labels by row (songs x emotions), the row
        lookup (track id -> row), the rankings and the audio votes of every split.
    """
    meta, row, source, audio = load_split(split, neighbours)
    lab = meta[["track_id"]].merge(pd.read_csv(labels), on="track_id", how="left")
    if lab[list(EMOTIONS)].isna().any().any():
        raise EmotifyError(f"{labels}: no labels for some tracks of {split}")
    return meta, lab[list(EMOTIONS)].to_numpy(dtype=int), row, source, audio


def emotion_beyond_genre(
    y_emo: np.ndarray,
    genre: np.ndarray,
    audio: list[Votes],
    cfg: dict[str, Any],
    artists: np.ndarray | None = None,
    split_kind: str = "artist",
    albums: np.ndarray | None = None,
) -> pd.DataFrame:
    """Per emotion (and per emotion x genre): audio accuracy, the emotion-from-genre baseline,
    their difference, and the within-genre permutation p-value of the audio's mean balanced
    accuracy over chance (:func:`permutation.excess_statistic`).

    Run on artist-grouped splits (``split_kind``): on random splits an artist's songs sit on
    both sides, and an emotion that depends on the artist alone would pass for audio
    information. The permutation exchanges labels artist for artist *within each genre* among
    artists with the same album profile there, album for album (:class:`inference.Exchange` with
    the genre as stratum, :func:`permutation.exchange_of`; among artists with the same number of
    songs, songs reordered, where no albums are recorded). Null hypothesis: within a genre, the features
    say nothing about which artist of a given album profile carries which emotion labels -- the labels keep
    what genre says about emotion and their clustering within artists, and lose any link to the
    audio beyond genre. Holm's adjustment over the nine emotions, with the smallest attainable
    p beside each p."""
    k, ties, seed = cfg["k"], cfg["ties"], cfg["seed"]
    m = min(len(audio), cfg["permutation_splits"])
    exchange = exchange_of(artists, albums, len(genre), genre)
    statistic = excess_statistic(audio[:m], k, ties, seed)
    rows = []
    for e, emotion in enumerate(EMOTIONS):
        y = y_emo[:, e]
        preds = [predict(y, v, k, ties, seed + r) for r, v in enumerate(audio)]
        rng = inference.stream(seed, "emotion_beyond_genre", split_kind, emotion)
        p = inference.permutation_test(y, statistic, cfg["permutations"], rng, exchange)[1]
        for g in [None, *[g for g in GENRES if g in set(genre)]]:
            acc, base, n, n_train = [], [], [], []
            for v, pred in zip(audio, preds, strict=True):
                keep = np.ones(len(v.test), dtype=bool) if g is None else genre[v.test] == g
                if not keep.any():
                    continue
                test = v.test[keep]
                acc.append(float(np.mean(pred[keep] == y[test])))
                base.append(inference.genre_baseline(y[v.train], y[test], genre[v.train], genre[test]))
                n.append(int(keep.sum()))
                n_train.append(len(v.train))
            summary = inference.accuracy_row(acc, cfg["confidence"], mean_key="audio_accuracy")
            # the paired difference split by split, with its corrected resampled t interval
            diff = np.asarray(acc) - np.asarray(base)
            d_lo, d_hi = inference.corrected_t_interval(diff, np.mean(n_train), np.mean(n), cfg["confidence"], (-1, 1))
            rows.append(
                {
                    "emotion": emotion,
                    "genre": "all" if g is None else g,
                    "split": split_kind,
                    "n_repeats": summary.pop("n_repeats"),
                    "mean_test_songs": float(np.mean(n)),
                    "audio_accuracy": summary.pop("audio_accuracy"),
                    "genre_baseline": float(np.mean(base)),
                    "audio_minus_genre": float(np.mean(acc) - np.mean(base)),
                    "audio_minus_genre_ci_low": d_lo,
                    "audio_minus_genre_ci_high": d_hi,
                    **summary,
                    "within_genre_permutation_p": p if g is None else np.nan,
                    "p_floor": inference.p_floor(cfg["permutations"]) if g is None else np.nan,
                    "permutations": cfg["permutations"],
                    "permutation": exchange.describe(),
                }
            )
    table = pd.DataFrame(rows)
    overall = table["genre"] == "all"
    table.loc[overall, "within_genre_p_holm"] = inference.holm(
        table.loc[overall, "within_genre_permutation_p"].to_numpy()
    )
    table.loc[overall, "p_holm_floor"] = inference.p_floor(cfg["permutations"], int(overall.sum()))
    return table


def class_shares(
    y: np.ndarray, votes: list[Votes], preds: list[np.ndarray], classes: list[str], confidence: float
) -> dict[str, Any]:
    """Per class over the splits: mean recall, the share of splits in which it has the highest
    recall, mean share of the predictions, its share of the test songs, and the excess of
    predictions (prediction share minus test share) with its split-to-split range."""
    recall = np.full((len(votes), len(classes)), np.nan)
    excess = np.zeros((len(votes), len(classes)))
    pred_share = np.zeros((len(votes), len(classes)))
    test_share = np.zeros((len(votes), len(classes)))
    for r, (v, p) in enumerate(zip(votes, preds, strict=True)):
        for j, c in enumerate(classes):
            truth = y[v.test] == c
            if truth.any():
                recall[r, j] = np.mean(p[truth] == c)
            pred_share[r, j], test_share[r, j] = np.mean(p == c), np.mean(truth)
    excess = pred_share - test_share
    best = np.nanargmax(np.where(np.isnan(recall), -1.0, recall), axis=1)
    out: dict[str, Any] = {}
    for j, c in enumerate(classes):
        lo, hi = inference.split_range(excess[:, j], confidence)
        out[c] = {
            "recall": float(np.nanmean(recall[:, j])),
            "top_recall_share": float(np.mean(best == j)),
            "prediction_share": float(pred_share[:, j].mean()),
            "test_share": float(test_share[:, j].mean()),
            "excess_share": float(excess[:, j].mean()),
            "excess_range_low": lo,
            "excess_range_high": hi,
            "excess_positive_share": float(np.mean(excess[:, j] > 0)),
        }
    return out


def vote_tie_shares(
    y: np.ndarray, votes: list[Votes], preds: list[np.ndarray], k: int, ties: str, seed: int, classes: list[str]
) -> dict[str, tuple[float, float]]:
    """Per class, over the tied votes of all splits (two or more classes with the top count, the
    voters as the tie rule picks them): the share of ties the class is part of, and the share it
    wins (scikit-learn's rule gives a tie to the first tied class in sorted order)."""
    part = {c: 0 for c in classes}
    won = {c: 0 for c in classes}
    n_tied = 0
    for r, (v, pred) in enumerate(zip(votes, preds, strict=True)):
        order = v.order
        if ties == "random":
            order = knn.break_ties(v.order, v.tied, np.random.default_rng(seed + r), len(v.train))
        labels, counts = knn.vote_counts(y[v.train], knn.top(order, k, len(v.train)))
        top = counts == counts.max(axis=1, keepdims=True)
        tied = top.sum(axis=1) > 1
        n_tied += int(tied.sum())
        for j, c in enumerate(labels):
            if c in part:
                part[c] += int((tied & top[:, j]).sum())
                won[c] += int((tied & (pred == c)).sum())
    if not n_tied:
        return {c: (np.nan, np.nan) for c in classes}
    return {c: (part[c] / n_tied, won[c] / n_tied) for c in classes}


def genre_claims(
    y_genre: np.ndarray,
    y_emo: np.ndarray,
    variants: dict[str, list[Votes]],
    cfg: dict[str, Any],
) -> pd.DataFrame:
    """Recall and prediction share of every genre for each experiment variant and tie rule, and
    each genre's part in the tied votes (``vote_ties_with``: share of the tied votes it is one of
    the tied classes in; ``vote_ties_won``: share of the tied votes it wins)."""
    classes = [g for g in GENRES if g in set(y_genre)]
    rows = []
    for variant, votes in variants.items():
        for ties in ("sklearn", "random"):
            preds = [predict(y_genre, v, cfg["k"], ties, cfg["seed"] + r) for r, v in enumerate(votes)]
            tie_parts = vote_tie_shares(y_genre, votes, preds, cfg["k"], ties, cfg["seed"], classes)
            accuracy = float(np.mean([np.mean(p == y_genre[v.test]) for v, p in zip(votes, preds, strict=True)]))
            distance, vote = np.mean(
                [knn.tie_rates(y_genre[v.train], v.order, v.tied, cfg["k"]) for v in votes], axis=0
            )
            for c, values in class_shares(y_genre, votes, preds, classes, cfg.get("confidence", 0.95)).items():
                rows.append(
                    {
                        "experiment": variant,
                        "ties": ties,
                        "genre": c,
                        **values,
                        "accuracy": accuracy,
                        "distance_tie_rate": float(distance),
                        "vote_tie_rate": float(vote),
                        "vote_ties_with": tie_parts[c][0],
                        "vote_ties_won": tie_parts[c][1],
                        "n_repeats": len(votes),
                    }
                )
    return pd.DataFrame(rows)


def k_sensitivity(y_genre: np.ndarray, y_emo: np.ndarray, audio: list[Votes], cfg: dict[str, Any]) -> pd.DataFrame:
    """Genre accuracy (Experiment I) and mean emotion accuracy (Experiment II) for each k."""
    rows = []
    for k in cfg["k_values"]:  # k is checked against the data before any job, and by knn.top
        genre = [
            np.mean(predict(y_genre, v, k, cfg["ties"], cfg["seed"] + r) == y_genre[v.test])
            for r, v in enumerate(audio)
        ]
        emotion = [
            np.mean(
                [
                    np.mean(predict(y_emo[:, e], v, k, cfg["ties"], cfg["seed"] + r) == y_emo[v.test, e])
                    for e in range(y_emo.shape[1])
                ]
            )
            for r, v in enumerate(audio)
        ]
        for target, acc in (("genre (Exp I)", genre), ("mean of 9 emotions (Exp II)", emotion)):
            rows.append({"k": k, "target": target, **inference.accuracy_row(acc, cfg["confidence"])})
    return pd.DataFrame(rows)


def _write(table: pd.DataFrame, source: Rankings, out: str | Path) -> None:
    """An analysis table, with the audio rankings' leakage warning (if any) on every row."""
    write_csv(with_leakage_warning(table, source.attrs.get("leakage_warning")), out, float_format="%.4f")


def write_emotion_beyond_genre(
    split: str | Path,
    labels: str | Path,
    neighbours: str | Path,
    settings: dict[str, Any],
    split_kind: str,
    out: str | Path,
    logger: logging.Logger,
) -> None:
    """Rules ``emotion_beyond_genre`` and ``model_beyond_genre``: :func:`emotion_beyond_genre` on
    the splits of ``split`` (of kind ``split_kind``) voted with ``neighbours``; ``settings``:
    ``permutations``, ``permutation_splits``, ``confidence``, ``seed``, ``k``, ``ties``."""
    meta, y_emo, _, source, audio = load_votes(split, labels, neighbours)
    artists, albums = meta["artist"].to_numpy(), meta["album"].to_numpy()
    table = emotion_beyond_genre(y_emo, meta["genre"].to_numpy(), audio, settings, artists, split_kind, albums)
    _write(table, source, out)
    logger.info("emotion beyond genre: %d rows", len(table))


def claim_variants(
    source: Rankings, audio: list[Votes], ratings: Rankings, y_emo: np.ndarray, row: pd.Series, k: int
) -> dict[str, list[Votes]]:
    """The votes of the experiment variants the genre claims compare: Experiment III from the
    rating shares mu (``ratings``) and from the binary labels (ranked here), Experiment IV
    (:func:`votes.exp4_votes`)."""
    return {
        "exp3_genre_from_ratings (mu)": [votes_of(ratings.get(r, "ratings"), row) for r in range(ratings.repeats)],
        "exp3_genre_from_ratings (binary labels)": [
            Votes(v.train, v.test, *ranked_with_ties(y_emo.astype(float), [(v.train, v.test)])[0]) for v in audio
        ],
        "exp4_genre_from_predicted_emotions": exp4_votes(source, audio, y_emo, row, k),
    }


def write_genre_claims(
    split: str | Path,
    labels: str | Path,
    neighbours: str | Path,
    ratings: str | Path,
    settings: dict[str, Any],
    out: str | Path,
    logger: logging.Logger,
) -> None:
    """Rule ``genre_claims``: :func:`genre_claims` on the random splits (``ratings``: their
    rating-share rankings; ``settings``: ``seed``, ``confidence``, ``k``, ``ties``)."""
    meta, y_emo, row, source, audio = load_votes(split, labels, neighbours)
    variants = claim_variants(source, audio, Rankings(ratings), y_emo, row, settings["k"])
    table = genre_claims(meta["genre"].to_numpy(), y_emo, variants, settings)
    _write(table, source, out)
    logger.info("genre claims: %d rows", len(table))


def write_k_sensitivity(
    split: str | Path,
    labels: str | Path,
    neighbours: str | Path,
    settings: dict[str, Any],
    out: str | Path,
    logger: logging.Logger,
) -> None:
    """Rule ``k_sensitivity``: :func:`k_sensitivity` on the random splits (``settings``:
    ``k_values``, ``confidence``, ``seed``, ``ties``)."""
    meta, y_emo, _, source, audio = load_votes(split, labels, neighbours)
    table = k_sensitivity(meta["genre"].to_numpy(), y_emo, audio, settings)
    _write(table, source, out)
    logger.info("k sensitivity: %d rows", len(table))
