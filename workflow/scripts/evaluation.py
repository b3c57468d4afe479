"""Beyond the paper's single split: repeated and grouped evaluation with intervals, baselines
and permutation tests, for Experiments I-IV.

The splits are drawn by :mod:`splits` (``repeats`` stratified 70/30 splits, ``random``, or
group splits that keep all songs of one artist or album on one side) and their neighbour
rankings computed once by :mod:`geometry`; this module only votes (:mod:`knn`), for the genre,
the nine emotions and every label permutation, so a change of k reruns in seconds.
"""

# isort: off
import quiet_interrupt  # noqa: F401 - first, so that Ctrl-C during the imports prints one line

# isort: on

import logging
from typing import Any

import numpy as np
import pandas as pd

import knn
from common_io import EMOTIONS, PAPER_TABLE1, EmotifyError, run_main, write_csv
from gems_labels import label_matrix, song_shares
from geometry import Rankings
from knn import vote
from splits import Split

PAPER_GENRE_ACCURACY = {"exp1_genre_from_audio": 1.0}


def baselines(y_train: np.ndarray, y_test: np.ndarray) -> tuple[float, float]:
    """Accuracy of always predicting the training majority class, and the expected accuracy
    of guessing with the training class frequencies (stratified chance)."""
    classes, counts = np.unique(y_train, return_counts=True)
    majority = float(np.mean(y_test == classes[counts.argmax()]))
    p_train = dict(zip(classes, counts / counts.sum(), strict=True))
    chance = float(sum(p_train.get(c, 0.0) * np.mean(y_test == c) for c in np.unique(y_test)))
    return majority, chance


def interval(values: np.ndarray, confidence: float) -> tuple[float, float]:
    """The central ``confidence`` interval of the accuracies over resampled splits."""
    lo = (1 - confidence) / 2
    return float(np.quantile(values, lo)), float(np.quantile(values, 1 - lo))


def permutation_p_value(
    y: np.ndarray, splits: list[Split], nns: list[np.ndarray], observed: float, permutations: int, seed: int
) -> float:
    """P(mean accuracy with shuffled labels >= observed), with the usual +1 correction.

    The statistic is the mean accuracy over ``splits`` (the same for observed and shuffled).
    """
    if permutations <= 0:
        return float("nan")
    rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(permutations):
        yp = rng.permutation(y)
        acc = np.mean([np.mean(vote(yp[s.train], nn)[0] == yp[s.test]) for s, nn in zip(splits, nns, strict=True)])
        hits += acc >= observed - 1e-12
    return (hits + 1) / (permutations + 1)


def summarise(
    name: str,
    target: str,
    split_kind: str,
    y: np.ndarray,
    splits: list[Split],
    nns: list[np.ndarray],
    cfg: dict[str, Any],
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Accuracy over the splits, baselines, interval and permutation p-value for one target."""
    rows = []
    for r, (s, nn) in enumerate(zip(splits, nns, strict=True)):
        pred = vote(y[s.train], nn)[0]
        majority, chance = baselines(y[s.train], y[s.test])
        rows.append(
            {
                "experiment": name,
                "target": target,
                "split": split_kind,
                "repeat": r,
                "accuracy": float(np.mean(pred == y[s.test])),
                "majority": majority,
                "chance": chance,
            }
        )
    acc = np.array([row["accuracy"] for row in rows])
    lo, hi = interval(acc, cfg["confidence"])
    m = min(len(splits), cfg["permutation_splits"])
    observed = float(acc[:m].mean())
    p = permutation_p_value(y, splits[:m], nns[:m], observed, cfg["permutations"], cfg["seed"])
    paper = PAPER_TABLE1.get(target) if name == "exp2_emotion_from_audio" else PAPER_GENRE_ACCURACY.get(name)
    summary = {
        "experiment": name,
        "target": target,
        "split": split_kind,
        "n_repeats": len(splits),
        "mean_accuracy": float(acc.mean()),
        "std_accuracy": float(acc.std(ddof=1)) if len(acc) > 1 else 0.0,
        "ci_low": lo,
        "ci_high": hi,
        "majority_baseline": float(np.mean([row["majority"] for row in rows])),
        "chance_baseline": float(np.mean([row["chance"] for row in rows])),
        "permutation_p": p,
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
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Repeated (and grouped) evaluation of Experiments I-IV from cached neighbour rankings.

    ``meta``: track_id and genre of the tracks the rankings refer to; ``rankings``: split kind
    (``random``, ``artist``, ``album``) -> the audio rankings of its splits
    (:class:`geometry.Rankings`); ``ratings``: the rating-share rankings of the random splits
    (Experiment III). Experiment IV uses the random splits' inner folds. Returns
    ``(summary, per-repeat accuracies)``. Applied to the paper's one split it gives the
    single-split experiments (the tests check it).
    """
    y_genre = meta["genre"].to_numpy()
    lab = meta[["track_id"]].merge(labels, on="track_id", how="left")
    if lab[list(EMOTIONS)].isna().any().any():
        raise EmotifyError("some tracks with audio features have no GEMS labels")
    y_emo = lab[list(EMOTIONS)].to_numpy(dtype=int)
    row = pd.Series(np.arange(len(meta)), index=meta["track_id"].to_numpy())
    k = cfg["k"]
    summaries, rows = [], []
    for kind, source in rankings.items():
        audio = [source.get(r, "audio") for r in range(source.repeats)]
        splits = [Split(*a.rows(row)) for a in audio]
        nns = [knn.top(a.order, k, len(s.train)) for a, s in zip(audio, splits, strict=True)]
        targets = [("exp1_genre_from_audio", "genre", y_genre)]
        targets += [("exp2_emotion_from_audio", e, y_emo[:, i]) for i, e in enumerate(EMOTIONS)]
        for name, target, y in targets:
            summary, per = summarise(name, target, kind, y, splits, nns, cfg)
            summaries.append(summary)
            rows += per
        if kind != "random":
            continue  # grouped splits: Experiments I and II
        if ratings is None:
            raise EmotifyError("the repeated evaluation of Experiment III needs the ratings rankings")
        nn_mu = []
        for r, s in enumerate(splits):
            mu = ratings.get(r, "ratings")
            if not (np.array_equal(mu.train, audio[r].train) and np.array_equal(mu.test, audio[r].test)):
                raise EmotifyError(f"{ratings.path}: split {r} holds other songs than in {source.path}")
            nn_mu.append(knn.top(mu.order, k, len(s.train)))
        summary, per = summarise("exp3_genre_from_ratings", "genre", kind, y_genre, splits, nn_mu, cfg)
        summaries.append(summary)
        rows += per
        nn_iv = []
        for r, (s, nn) in enumerate(zip(splits, nns, strict=True)):
            folds = [(*f.rows(row), f.order) for f in source.inner(r)]
            probs = knn.emotion_probabilities(y_emo, s.train, s.test, nn, folds, k)
            nn_iv.append(knn.neighbours(probs, s.train, s.test, k))
        summary, per = summarise("exp4_genre_from_predicted_emotions", "genre", kind, y_genre, splits, nn_iv, cfg)
        summaries.append(summary)
        rows += per
        if logger:
            logger.info("%s splits: %d repeats evaluated", kind, len(splits))
    return pd.DataFrame(summaries), pd.DataFrame(rows)


def human_ceiling(
    annotations: pd.DataFrame, n_splits: int, seed: int, confidence: float, rule: str = "median"
) -> pd.DataFrame:
    """Split-half reliability of the paper's labels, per emotion.

    For each of ``n_splits`` random splits, every song's listeners are shuffled into two halves
    (sizes differing by at most one); each half gives mu and labels by the paper's rule (its
    own median); the agreement is the share of songs whose two labels coincide. Half panels
    are noisier than the full one, so this is a conservative ceiling.
    """
    rng = np.random.default_rng(seed)
    ids = annotations["track id"].to_numpy()
    marks = annotations[list(EMOTIONS)].to_numpy(dtype=float)
    order = np.argsort(ids, kind="stable")
    ids, marks = ids[order], marks[order]
    songs, start, counts = np.unique(ids, return_index=True, return_counts=True)
    if counts.min() < 2:
        raise EmotifyError("the human ceiling needs at least two listeners per song")
    agree = np.zeros((n_splits, len(EMOTIONS)))
    for s in range(n_splits):
        half = np.zeros(len(ids), dtype=bool)
        for st, c in zip(start, counts, strict=True):
            half[st + rng.permutation(c)[: c // 2]] = True
        lab_a = label_matrix(song_shares(marks, start, half), rule)
        lab_b = label_matrix(song_shares(marks, start, ~half), rule)
        agree[s] = np.mean(lab_a == lab_b, axis=0)
    rows = []
    for i, e in enumerate(EMOTIONS):
        lo, hi = interval(agree[:, i], confidence)
        rows.append(
            {
                "emotion": e,
                "split_half_agreement": float(agree[:, i].mean()),
                "ci_low": lo,
                "ci_high": hi,
                "n_splits": n_splits,
            }
        )
    return pd.DataFrame(rows)


def human_ceiling_job(smk: Any, logger: logging.Logger) -> None:
    cfg = dict(smk.params.evaluation)
    annotations = pd.read_csv(smk.input.annotations)
    table = human_ceiling(annotations, cfg["ceiling_splits"], cfg["seed"], cfg["confidence"], smk.params.threshold)
    write_csv(table, smk.output.csv)


def evaluate_repeated_job(smk: Any, logger: logging.Logger) -> None:
    cfg = dict(smk.params.evaluation)
    cfg["k"] = smk.params.k
    rankings = {kind: Rankings(path) for kind, path in zip(smk.params.kinds, smk.input.neighbours, strict=True)}
    tracks = pd.read_csv(smk.input.split)[["track_id", "genre"]].drop_duplicates("track_id")
    meta = tracks.sort_values("track_id").reset_index(drop=True)
    labels = pd.read_csv(smk.input.labels)
    summary, per = evaluate_all(meta, labels, rankings, cfg, logger, Rankings(smk.input.ratings))
    write_csv(summary, smk.output.summary, float_format="%.4f")
    write_csv(per, smk.output.repeats, float_format="%.4f")


JOBS = {"human_ceiling": human_ceiling_job, "evaluate_repeated": evaluate_repeated_job}

if "snakemake" in globals():
    run_main(JOBS, snakemake)  # noqa: F821
