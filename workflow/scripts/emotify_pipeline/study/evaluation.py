"""Beyond the paper's single split: repeated and grouped evaluation with intervals, baselines
and permutation tests, for Experiments I-IV.

The splits are drawn by :mod:`splits` (``repeats`` stratified 70/30 splits, ``random``, or
group splits that keep all songs of one artist or album on one side) and their neighbour
rankings computed once by :mod:`geometry`; this module only votes (:mod:`knn`), for the genre,
the nine emotions and every label permutation, so a change of k reruns in seconds.
"""

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..core.emotify import EMOTIONS, PAPER_TABLE1
from ..core.errors import EmotifyError
from ..core.files import with_leakage_warning, write_csv
from ..data.labels import label_matrix, song_shares, thresholds_of
from ..neighbours import knn
from ..neighbours.geometry import Ranking, Rankings, ranked_with_ties
from ..neighbours.splits import row_lookup, table_tracks
from ..stats import inference
from . import table as study


@dataclass(frozen=True)
class Votes:
    """One split's rankings for a target: the rows of the split and, per test row, the ranked
    training rows (positions into ``train``) with their tie mask."""

    train: np.ndarray
    test: np.ndarray
    order: np.ndarray
    tied: np.ndarray


def votes_of(ranking: Ranking, row: pd.Series) -> Votes:
    train, test = ranking.rows(row)
    return Votes(train, test, ranking.order, ranking.tied)


def knn_vote(y: np.ndarray, v: Votes, k: int, ties: str, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The KNN vote for the test rows of ``v`` with labels ``y`` (indexed by row), ties broken as
    ``knn.ties`` says: ``sklearn`` (equidistant neighbours in training-row order, a vote tie to
    the first class) or ``random`` (both at random, seeded). Returns :func:`knn.vote`'s triple."""
    if ties == "random":
        rng = np.random.default_rng(seed)
        nn = knn.top(knn.break_ties(v.order, v.tied, rng, len(v.train)), k, len(v.train))
        return knn.vote(y[v.train], nn, rng)
    return knn.vote(y[v.train], knn.top(v.order, k, len(v.train)))


def predict(y: np.ndarray, v: Votes, k: int, ties: str, seed: int) -> np.ndarray:
    """The predictions of :func:`knn_vote`."""
    return knn_vote(y, v, k, ties, seed)[0]


def excess_statistic(
    votes: list[Votes], k: int, ties: str, seed: int, measure: str = "balanced"
) -> Callable[[np.ndarray, int], np.ndarray]:
    """The permutation tests' statistic on these splits, for many labellings at once: the mean
    over the splits of the excess over chance of the votes of :func:`predict` (ties included).
    ``measure="balanced"`` (the workflow's): balanced accuracy (mean recall over the classes
    present in the test songs) minus its chance level 1 / (number of those classes) -- any
    predictor that ignores the truth expects exactly that level, however unbalanced the training
    or test classes, so labels permuted on splits balanced for the real ones are not penalised
    for their imbalance; ``"accuracy"``: accuracy minus the stratified chance baseline
    (:func:`inference.excess_accuracy`), which on the real structure left the genre tests of
    grouped splits liberal (README, "Permutation tests").

    Returns ``statistic(codes, n_classes)``: ``codes`` (B, n) class codes of every row for B
    labellings -> (B,) values. The neighbours (and, with ``knn.ties: random``, the tie-breaking
    draws of split r, seeded ``seed + r`` as in :func:`predict`) are fixed once: only the votes
    are recounted per labelling."""
    prepared = []
    for r, v in enumerate(votes):
        if ties == "random":
            rng = np.random.default_rng(seed + r)
            nn = knn.top(knn.break_ties(v.order, v.tied, rng, len(v.train)), k, len(v.train))
            prepared.append((v.train, v.test, v.train[nn], rng, {}))
        else:
            prepared.append((v.train, v.test, v.train[knn.top(v.order, k, len(v.train))], None, {}))

    def statistic(codes: np.ndarray, n_classes: int) -> np.ndarray:
        codes = np.atleast_2d(codes)
        b = len(codes)
        total = np.zeros(b)
        everyone = _row_counts(codes, n_classes)
        packed = _SHIFT[codes] if ties != "random" and n_classes <= 4 and k < 16 else None
        for train, test, neighbours, rng, keys in prepared:
            if packed is not None:  # the votes' counts packed 4 bits per class, the winner looked up
                winner = _winner_table(n_classes, k)[packed[:, neighbours].sum(axis=2)]
            elif rng is None:
                winner = _counts(codes, neighbours, n_classes).argmax(axis=2)  # first class of a tie, as scikit-learn
            else:  # knn.vote's draws after break_ties (predict's own, when every class is in training)
                counts = _counts(codes, neighbours, n_classes)
                if n_classes not in keys:
                    keys[n_classes] = rng.random((len(test), n_classes))
                best = counts == counts.max(axis=2, keepdims=True)
                winner = np.argmax(best * keys[n_classes][None], axis=2)
            truth = codes[:, test]
            in_test = _row_counts(truth, n_classes)
            if measure == "balanced":
                hits = _row_counts(np.where(winner == truth, truth, n_classes), n_classes + 1)[:, :n_classes]
                present = in_test > 0
                recall = np.where(present, hits / np.maximum(in_test, 1), 0.0)
                total += recall.sum(axis=1) / present.sum(axis=1) - 1.0 / present.sum(axis=1)
                continue
            accuracy = np.count_nonzero(winner == truth, axis=1) / len(test)
            if len(train) + len(test) == codes.shape[1]:  # the split holds every row: training = all - test
                train_share = (everyone - in_test) / len(train)
            else:
                train_share = _row_counts(codes[:, train], n_classes) / len(train)
            total += accuracy - np.sum(train_share * in_test, axis=1) / len(test)
        return total / len(prepared)

    return statistic


_SHIFT = np.array([1 << (4 * c) for c in range(4)], dtype=np.int64)


def _counts(codes: np.ndarray, neighbours: np.ndarray, n_classes: int) -> np.ndarray:
    """Votes per class of every test row for every labelling: (B, n_test, n_classes)."""
    b, (n_test, _) = len(codes), neighbours.shape
    return _row_counts(codes[:, neighbours].reshape(b * n_test, -1), n_classes).reshape(b, n_test, n_classes)


@functools.cache
def _winner_table(n_classes: int, k: int) -> np.ndarray:
    """Winner of every packed vote (4 bits per class count): the first class with the top count."""
    packed = np.arange(16**n_classes)
    counts = (packed[:, None] >> (4 * np.arange(n_classes))[None, :]) & 15
    return counts.argmax(axis=1)


def _row_counts(codes: np.ndarray, n_classes: int) -> np.ndarray:
    """How often each class code occurs in each row of ``codes``: (rows, n_classes)."""
    offset = np.arange(len(codes))[:, None] * n_classes
    return np.bincount((codes + offset).ravel(), minlength=len(codes) * n_classes).reshape(len(codes), n_classes)


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
    permuted by ``exchange`` (:class:`inference.Exchange`: artist by artist among same-size
    artists; song by song when None), drawn from this test's own named stream."""
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


def artist_units(artists: np.ndarray | None, n: int) -> np.ndarray:
    """The exchange units of the permutation tests: each song's artist, or the song itself
    where the artist is unknown."""
    own = np.array([f"\x00song {i}" for i in range(n)], dtype=object)
    if artists is None:
        return own
    artists = pd.Series(np.asarray(artists, dtype=object)).fillna("").astype(str).to_numpy(dtype=object)
    return np.where(artists == "", own, artists)


def exchange_of(
    artists: np.ndarray | None, albums: np.ndarray | None, n: int, strata: np.ndarray | None = None
) -> inference.Exchange:
    """The permutation scheme of every test: artists (:func:`artist_units`) exchanged among
    artists with the same album profile (within ``strata``), album for album, where albums are
    recorded (:class:`inference.Exchange`) -- so that labels that differ between an artist's
    albums (7 real artists span two or three genres, album by album) and labels that follow the
    album are not scattered across albums by every draw, which made the genre test on random
    splits liberal under an album signature (9.75 % at 0.05) and the emotion tests on random
    splits liberal when emotion follows the album (up to 14.5 %); among same-size artists, songs
    reordered, without albums."""
    units = artist_units(artists, n)
    if albums is None:
        return inference.Exchange(units, strata)
    return inference.Exchange(units, strata, artist_units(albums, n))


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


def exp4_votes(source: Rankings, audio: list[Votes], y_emo: np.ndarray, row: pd.Series, k: int) -> list[Votes]:
    """Experiment IV's rankings on each split: its inputs (the emotion probabilities, out of
    fold for training songs) depend on k, so they are ranked here, not cached."""
    return [
        exp4_split_votes(v, [(*f.rows(row), f.order) for f in source.inner(r)], y_emo, k) for r, v in enumerate(audio)
    ]


def exp4_split_votes(
    audio: Votes, folds: list[tuple[np.ndarray, np.ndarray, np.ndarray]], y_emo: np.ndarray, k: int
) -> Votes:
    """Experiment IV on one split: the emotion probabilities (out of fold for the training songs,
    from ``folds``' (fit rows, held rows, ranking); from the split's audio neighbours for the
    test songs) ranked with the workflow's tie handling (probabilities tie often)."""
    nearest = knn.top(audio.order, k, len(audio.train))
    probs = knn.emotion_probabilities(y_emo, audio.train, audio.test, nearest, folds, k)
    order, tied = ranked_with_ties(probs, [(audio.train, audio.test)])[0]
    return Votes(audio.train, audio.test, order, tied)


def human_ceiling(
    annotations: pd.DataFrame,
    n_splits: int,
    seed: int,
    confidence: float,
    rule: str = "median",
    bootstrap: int = 0,
) -> pd.DataFrame:
    """How well the paper's labels can be predicted at all, per emotion.

    - ``half_panel_agreement`` (and Cohen's ``half_panel_kappa``): every song's listeners are
      shuffled into two halves (sizes differing by at most one), each half gives labels by the
      paper's rule (its own median), and the share of songs whose two labels coincide is
      averaged over ``n_splits`` halvings (with its split-to-split range). Half panels are noisier
      than the full panel (and each uses its own median), so it is compared with the ceiling as
      a heuristic, neither a bound nor a ceiling.
    - ``ceiling``: the beta-binomial ceiling of accuracy against the full-panel labels
      (:func:`inference.beta_binomial_ceiling`): what a predictor that knew every song's true
      rating rate could expect -- the estimate of the actual ceiling; ``ceiling_low/high``: its
      percentile bootstrap interval over songs (``bootstrap`` resamples, :func:`inference.ceiling_interval`).

    Each part draws from its own named stream of ``seed`` (:func:`inference.stream`).
    """
    rng = inference.stream(seed, "human_ceiling", "halves")
    ids = annotations["track id"].to_numpy()
    marks = annotations[list(EMOTIONS)].to_numpy(dtype=float)
    order = np.argsort(ids, kind="stable")
    ids, marks = ids[order], marks[order]
    songs, start, counts = np.unique(ids, return_index=True, return_counts=True)
    if counts.min() < 2:
        raise EmotifyError("the human ceiling needs at least two listeners per song")
    agree = np.zeros((n_splits, len(EMOTIONS)))
    kappa = np.zeros((n_splits, len(EMOTIONS)))
    for s in range(n_splits):
        half = np.zeros(len(ids), dtype=bool)
        for st, c in zip(start, counts, strict=True):
            half[st + rng.permutation(c)[: c // 2]] = True
        lab_a = label_matrix(song_shares(marks, start, half), rule)
        lab_b = label_matrix(song_shares(marks, start, ~half), rule)
        agree[s] = np.mean(lab_a == lab_b, axis=0)
        kappa[s] = [inference.cohen_kappa(lab_a[:, i], lab_b[:, i]) for i in range(len(EMOTIONS))]
    successes = np.add.reduceat(marks, start)
    mu = song_shares(marks, start)
    thresholds = thresholds_of(mu, rule)
    low, high = [], []
    for i, e in enumerate(EMOTIONS):
        boot = inference.stream(seed, "human_ceiling", "bootstrap", e)
        interval = inference.ceiling_interval(
            successes[:, i], counts, lambda mu: float(thresholds_of(mu[:, None], rule)[0]), bootstrap, confidence, boot
        )
        low.append(interval[0])
        high.append(interval[1])
    rows = []
    for i, e in enumerate(EMOTIONS):
        lo, hi = inference.split_range(agree[:, i], confidence)
        rows.append(
            {
                "emotion": e,
                "half_panel_agreement": float(agree[:, i].mean()),
                "half_panel_range_low": lo,
                "half_panel_range_high": hi,
                "half_panel_kappa": float(np.nanmean(kappa[:, i])) if np.isfinite(kappa[:, i]).any() else np.nan,
                "ceiling": inference.beta_binomial_ceiling(successes[:, i], counts, float(thresholds[i])),
                "ceiling_low": low[i],
                "ceiling_high": high[i],
                "ceiling_bootstrap": bootstrap,
                "n_splits": n_splits,
                "n_songs": len(songs),
            }
        )
    return pd.DataFrame(rows)


def human_ceiling_job(smk: Any, logger: logging.Logger) -> None:
    cfg = dict(smk.params.evaluation)
    annotations = pd.read_csv(smk.input.annotations)
    table = human_ceiling(
        annotations,
        cfg["ceiling_splits"],
        cfg["seed"],
        cfg["confidence"],
        smk.params.threshold,
        cfg["ceiling_bootstrap"],
    )
    write_csv(table, smk.output.csv)


def split_groups(table: pd.DataFrame, track_ids: pd.Series, column: str = "artist") -> np.ndarray | None:
    """Each track's artist (or album: ``column``) as the split table records it (None when the
    table has no such column)."""
    if column not in table:
        return None
    values = table.drop_duplicates("track_id").set_index("track_id")[column]
    return values.loc[np.asarray(track_ids)].fillna("").astype(str).to_numpy()


def evaluate_repeated_job(smk: Any, logger: logging.Logger) -> None:
    cfg = dict(smk.params.evaluation)
    cfg.update(k=smk.params.k, ties=smk.params.ties)
    rankings = {kind: Rankings(path) for kind, path in zip(smk.params.kinds, smk.input.neighbours, strict=True)}
    tables = {
        kind: pd.read_csv(path, dtype={"artist": str, "album": str, "group": str})
        for kind, path in zip(smk.params.kinds, smk.input.splits, strict=True)
    }
    meta = table_tracks(tables["random"])
    artists = split_groups(tables["random"], meta["track_id"], "artist")
    albums = split_groups(tables["random"], meta["track_id"], "album")
    labels = pd.read_csv(smk.input.labels)
    summary, per = evaluate_all(meta, labels, rankings, cfg, logger, Rankings(smk.input.ratings), artists, albums)
    warning = rankings["random"].attrs.get("leakage_warning")
    write_csv(with_leakage_warning(summary, warning), smk.output.summary, float_format="%.4f")
    write_csv(with_leakage_warning(per, warning), smk.output.repeats, float_format="%.4f")
