"""Experiments I-IV of the paper: StandardScaler + KNN on one random stratified split.

The split comes from :mod:`splits` (``results/splits/paper.csv``), the neighbour rankings of
audio features and ratings from :mod:`geometry` (``results/neighbours/paper/*.h5``, computed once
and independent of k); these functions only vote (:mod:`knn`), as the repeated evaluation does
on its splits.

I    genre from audio (VGG19 features)
II   each GEMS emotion (binary label) from audio, one classifier per emotion
III  genre from the GEMS rating shares mu(s, k)
IV   genre from the emotion probabilities predicted by the Experiment II classifiers. The
     probabilities of training songs are out-of-fold (inner cross-validation on the training
     set), those of test songs come from the classifiers fitted on the whole training set, so
     no song's emotion probability comes from a model that saw that song.

Every experiment writes predictions.csv, metrics.json, confusion.csv and probabilities.csv; the
function each runs is the one its study-table row names (``run``, :data:`RUNS`). The 2-D PCA of
the standardised inputs of Experiments I, III and IV (for the figures) is its own rule
(:mod:`pca`), which does not depend on k except through Experiment IV's inputs.
"""

import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, balanced_accuracy_score, classification_report, confusion_matrix

from ..core.emotify import EMOTIONS, GENRES
from ..core.errors import EmotifyError
from ..core.files import with_leakage_warning, write_csv, write_json
from ..features.store import features_label, network_name, read_attrs
from ..neighbours import knn
from ..neighbours.geometry import Ranking, Rankings, as_ranking, ranked_with_ties
from ..neighbours.splits import row_lookup
from ..stats import inference
from . import table as study
from .votes import knn_vote, predict, votes_of


def scores(y_true: np.ndarray, y_pred: np.ndarray, labels: list[Any]) -> dict[str, Any]:
    """Accuracy, balanced accuracy and per-class precision/recall/F1/support."""
    report = classification_report(y_true, y_pred, labels=labels, output_dict=True, zero_division=0)
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "balanced_accuracy": float(balanced_accuracy_score(y_true, y_pred)),
        "n_test": int(len(y_true)),
        "per_class": {str(c): {m: float(v) for m, v in report[str(c)].items()} for c in labels},
    }


def confusion_frame(y_true: np.ndarray, y_pred: np.ndarray, labels: list[Any]) -> pd.DataFrame:
    """Confusion matrix as a long table: true, predicted, count (every pair, zeros included)."""
    cm = confusion_matrix(y_true, y_pred, labels=labels)
    return pd.DataFrame(
        [
            {"true": str(t), "predicted": str(p), "count": int(cm[i, j])}
            for i, t in enumerate(labels)
            for j, p in enumerate(labels)
        ]
    )


def genre_votes(
    split: pd.DataFrame, ranking: Ranking, k: int, name: str, inputs: str, ties: str = "sklearn", seed: int = 0
) -> dict[str, Any]:
    """Genre of the test songs of ``split`` by the vote of their k nearest training songs
    (``ranking``; ties broken as ``knn.ties`` says): predictions, metrics, confusion."""
    row = row_lookup(split["track_id"])
    v = votes_of(ranking, row)
    train, test = v.train, v.test
    y = split["genre"].to_numpy()
    labels = [g for g in GENRES if g in set(y)]
    pred, proba, classes = knn_vote(y, v, k, ties, seed)
    preds = split.iloc[test][["track_id", "genre"]].reset_index(drop=True).rename(columns={"genre": "true"})
    preds["predicted"] = pred
    for j, c in enumerate(classes):
        preds[f"p_{c}"] = proba[:, j]
    metrics = scores(preds["true"].to_numpy(), pred, labels)
    distance_ties, vote_ties = knn.tie_rates(y[train], v.order, v.tied, k)
    metrics.update(
        experiment=name,
        inputs=inputs,
        k=k,
        ties=ties,
        n_train=len(train),
        majority_baseline=inference.majority_baseline(y[train], y[test]),
        chance_baseline=inference.chance_baseline(y[train], y[test]),
        prediction_share={c: float(np.mean(pred == c)) for c in labels},
        distance_tie_rate=distance_ties,
        vote_tie_rate=vote_ties,
    )
    return {"predictions": preds, "metrics": metrics, "confusion": confusion_frame(preds["true"], pred, labels)}


def paper_ranking(x: np.ndarray, split: pd.DataFrame) -> Ranking:
    """The neighbour ranking of the paper's split for inputs ``x`` (rows aligned with ``split``),
    computed on the fly (:mod:`geometry`): Experiment IV's inputs depend on k, so they are not cached."""
    ids = split["track_id"].to_numpy()
    train = np.flatnonzero(split["subset"] == "train")
    test = np.flatnonzero(split["subset"] == "test")
    return as_ranking(ids, train, test, *ranked_with_ties(x, [(train, test)])[0])


def genre_experiment(
    x: np.ndarray, split: pd.DataFrame, k: int, name: str, inputs: str, ties: str = "sklearn", seed: int = 0
) -> dict[str, Any]:
    """Genre from the rows of ``x`` (aligned with ``split``), ranking computed here."""
    result = genre_votes(split, paper_ranking(x, split), k, name, inputs, ties, seed)
    result["metrics"]["n_features"] = int(x.shape[1])
    return result


def emotion_votes(
    split: pd.DataFrame,
    labels: pd.DataFrame,
    ranking: Ranking,
    inner: list[Ranking],
    k: int,
    ties: str = "sklearn",
    seed: int = 0,
) -> dict[str, Any]:
    """Experiment II from the audio rankings of the split (``ranking``) and of its inner folds
    (``inner``), plus the emotion probabilities Experiment IV consumes."""
    lab = split.merge(labels.drop(columns=["genre"]), on="track_id", how="left", validate="one_to_one")
    if lab[list(EMOTIONS)].isna().any().any():
        missing = lab.loc[lab[list(EMOTIONS)].isna().any(axis=1), "track_id"].tolist()
        raise EmotifyError(f"no GEMS labels for track id(s) {missing[:5]}")
    row = row_lookup(lab["track_id"])
    tr, te = ranking.rows(row)
    y_all = lab[list(EMOTIONS)].to_numpy(dtype=int)
    nn = knn.top(ranking.order, k, len(tr))  # once, for the nine emotions
    folds = [(*r.rows(row), r.order) for r in inner]
    p_all = knn.emotion_probabilities(y_all, tr, te, nn, folds, k)
    pred_rows, conf_rows, per_emotion = [], [], {}
    in_split = np.zeros(len(lab), dtype=bool)
    in_split[tr] = in_split[te] = True
    probs = lab.loc[in_split, ["track_id", "genre", "subset"]].copy()
    v = votes_of(ranking, row)
    genre = lab["genre"].to_numpy()
    for i, emotion in enumerate(EMOTIONS):
        y = y_all[:, i]
        pred = predict(y, v, k, ties, seed + i)
        probs[emotion] = p_all[in_split, i]
        m = scores(y[te], pred, [0, 1])
        m["majority_baseline"] = inference.majority_baseline(y[tr], y[te])
        m["genre_baseline"] = inference.genre_baseline(y[tr], y[te], genre[tr], genre[te])
        m["positive_share_train"] = float(np.mean(y[tr]))
        per_emotion[emotion] = m
        pred_rows.append(
            pd.DataFrame(
                {
                    "track_id": lab["track_id"].to_numpy()[te],
                    "emotion": emotion,
                    "true": y[te],
                    "predicted": pred,
                    "p_positive": p_all[te, i],
                }
            )
        )
        cf = confusion_frame(y[te], pred, [0, 1])
        cf.insert(0, "emotion", emotion)
        conf_rows.append(cf)
    metrics = {
        "experiment": "exp2_emotion_from_audio",
        "inputs": "audio features",
        "k": k,
        "ties": ties,
        "n_train": len(tr),
        "n_test": len(te),
        "mean_accuracy": float(np.mean([m["accuracy"] for m in per_emotion.values()])),
        "emotions": per_emotion,
    }
    return {
        "predictions": pd.concat(pred_rows, ignore_index=True),
        "metrics": metrics,
        "confusion": pd.concat(conf_rows, ignore_index=True),
        "probabilities": probs.reset_index(drop=True),
    }


def write_outputs(result: dict[str, Any], outputs: Mapping[str, str | Path]) -> None:
    """Write every frame/dict of ``result`` to the path ``outputs`` gives under the same name;
    the tables of features with a leakage warning (in the metrics, from the feature file) repeat
    it per row."""
    warning = result.get("metrics", {}).get("leakage_warning")
    for key, value in result.items():
        path = outputs[key]
        if isinstance(value, pd.DataFrame):
            write_csv(with_leakage_warning(value, warning), path)
        else:
            write_json(value, path)


def feature_provenance(path: str | Path) -> dict[str, Any]:
    """What the metrics record about the features used, from the feature file's own attributes."""
    attrs = read_attrs(path)
    return {
        "inputs": f"{network_name(attrs)} audio features",
        "model": str(attrs.get("model", "") or "vgg19"),
        "leakage_warning": str(attrs.get("leakage_warning", "") or ""),
        "n_features": int(attrs.get("feature_dim", 0)),
        "features": features_label(attrs),
        "weights_label": str(attrs.get("weights_label", "")),
        "feature_layer": str(attrs.get("layer", "")),
        "feature_pooling": str(attrs.get("pooling", "")),
        "feature_dim": int(attrs.get("feature_dim", 0)),
        "weights_sha256": str(attrs.get("weights_sha256", "")),
    }


def read_paper_split(path: str | Path) -> pd.DataFrame:
    """The paper's split (``results/splits/paper.csv``): track_id, genre, subset."""
    return pd.read_csv(path).query("repeat == 0")[["track_id", "genre", "subset"]].reset_index(drop=True)


def exp1(name: str, paths: Mapping[str, str], settings: Mapping[str, Any], logger: logging.Logger) -> dict[str, Any]:
    """Experiment I: genre from the audio rankings of the paper's split (``paths``: ``split``,
    ``neighbours``, ``features``; ``settings``: ``k``, ``ties``, ``seed``)."""
    ranking = Rankings(paths["neighbours"]).get(0, "audio")
    k, ties, seed = settings["k"], settings["ties"], settings["seed"]
    result = genre_votes(read_paper_split(paths["split"]), ranking, k, name, "audio features", ties, seed)
    result["metrics"].update(feature_provenance(paths["features"]))
    return result


def exp2(name: str, paths: Mapping[str, str], settings: Mapping[str, Any], logger: logging.Logger) -> dict[str, Any]:
    """Experiment II: each emotion from the audio rankings of the paper's split and its inner
    folds (``paths``: ``split``, ``neighbours``, ``labels``, ``features``)."""
    rankings = Rankings(paths["neighbours"])
    split, labels = read_paper_split(paths["split"]), pd.read_csv(paths["labels"])
    k, ties, seed = settings["k"], settings["ties"], settings["seed"]
    result = emotion_votes(split, labels, rankings.get(0, "audio"), rankings.inner(0), k, ties, seed)
    result["metrics"].update(feature_provenance(paths["features"]))
    return result


def exp3(name: str, paths: Mapping[str, str], settings: Mapping[str, Any], logger: logging.Logger) -> dict[str, Any]:
    """Experiment III: genre from the rating-share rankings of the paper's split (``paths``:
    ``split``, ``ratings_neighbours``)."""
    ranking = Rankings(paths["ratings_neighbours"]).get(0, "ratings")
    k, ties, seed = settings["k"], settings["ties"], settings["seed"]
    result = genre_votes(read_paper_split(paths["split"]), ranking, k, name, "GEMS rating shares mu", ties, seed)
    result["metrics"]["n_features"] = len(EMOTIONS)
    return result


def exp4_inputs(
    split_path: str | Path, probabilities_path: str | Path, logger: logging.Logger
) -> tuple[np.ndarray, pd.DataFrame]:
    """Experiment IV's inputs: the Experiment II probabilities of the split's tracks."""
    split = read_paper_split(split_path)
    probs = split.merge(pd.read_csv(probabilities_path).drop(columns=["genre", "subset"]), on="track_id", how="inner")
    if len(probs) < len(split):
        logger.warning(
            "%d track(s) of the split have no Experiment II probabilities (left out)", len(split) - len(probs)
        )
    return probs[list(EMOTIONS)].to_numpy(), probs[split.columns]


def exp4(name: str, paths: Mapping[str, str], settings: Mapping[str, Any], logger: logging.Logger) -> dict[str, Any]:
    """Experiment IV with ``knn.ties``, and the share of each predicted genre under both tie rules
    (the paper's "polarised towards Classical" could be scikit-learn's tie-breaking: on these
    lattice-valued inputs equidistant neighbours and tied votes are common; equidistant neighbours
    come in training-row order (classical holds the lowest track ids) and a tied vote goes to the
    first of the tied classes in sorted order -- classical whenever it is among them).
    ``paths``: ``split``, ``probabilities``, ``features``."""
    k, seed = settings["k"], settings["seed"]
    x, split = exp4_inputs(paths["split"], paths["probabilities"], logger)
    ranking = paper_ranking(x, split)
    inputs = "Exp II emotion probabilities (out-of-fold)"
    both = {t: genre_votes(split, ranking, k, name, inputs, t, seed) for t in ("sklearn", "random")}
    result = both[settings["ties"]]
    # its inputs come from the audio network's Experiment II: its provenance (and any leakage warning)
    result["metrics"].update({**feature_provenance(paths["features"]), "inputs": inputs})
    result["metrics"]["n_features"] = int(x.shape[1])
    result["metrics"]["by_ties"] = {
        t: {"accuracy": r["metrics"]["accuracy"], "prediction_share": r["metrics"]["prediction_share"]}
        for t, r in both.items()
    }
    return result


Run = Callable[[str, Mapping[str, str], Mapping[str, Any], logging.Logger], dict[str, Any]]
#: the experiment functions, by the name a row of the study table gives as its ``run``
RUNS: dict[str, Run] = {"exp1": exp1, "exp2": exp2, "exp3": exp3, "exp4": exp4}


def run_experiment(
    name: str, paths: Mapping[str, str], settings: Mapping[str, Any], logger: logging.Logger
) -> dict[str, Any]:
    """The experiment called ``name``, by the function its table row names (:data:`RUNS`).

    Parameters
    ----------
    name : str
        The experiment (a row of :data:`study.EXPERIMENTS`).
    paths : mapping
        Its inputs by the names its table row declares, plus ``split`` (the paper's split).
    settings : mapping
        ``k``, ``ties`` and ``seed`` of the vote.
    logger : logging.Logger
        Told what the inputs lack.

    Returns
    -------
    dict
        ``predictions``, ``metrics``, ``confusion`` and ``probabilities`` (for a genre
        experiment: the test songs' vote shares).
    """
    run = study.experiment(name).run
    if run not in RUNS:
        raise EmotifyError(f"{name}: no experiment function {run!r} (study/experiments.py's RUNS: {', '.join(RUNS)})")
    result = RUNS[run](name, paths, settings, logger)
    if "probabilities" not in result:  # a genre experiment: the test songs' vote shares
        preds = result["predictions"]
        shares = preds[["track_id", "true"] + [c for c in preds.columns if c.startswith("p_")]]
        result["probabilities"] = shares.rename(columns={"true": "genre"}).assign(subset="test")
    return result


def write_experiment(
    name: str,
    paths: Mapping[str, str],
    settings: Mapping[str, Any],
    outputs: Mapping[str, str | Path],
    logger: logging.Logger,
) -> None:
    """Rule ``experiment``: :func:`run_experiment`, its accuracy logged and its results written
    to ``outputs`` (a path per name of :data:`table.EXPERIMENT_OUTPUTS`)."""
    result = run_experiment(name, paths, settings, logger)
    m = result["metrics"]
    logger.info("%s: accuracy %s", name, m.get("accuracy", m.get("mean_accuracy")))
    write_outputs(result, outputs)
