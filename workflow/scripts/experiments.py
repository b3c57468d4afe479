"""Experiments I-IV of the paper: StandardScaler + KNN on one random stratified split.

The classifier (StandardScaler on the training songs + KNN vote) lives in :mod:`knn`; these
are the repeated evaluation's functions applied to the one split of the paper.

I    genre from audio (VGG19 features)
II   each GEMS emotion (binary label) from audio, one classifier per emotion
III  genre from the GEMS rating shares mu(s, k)
IV   genre from the emotion probabilities predicted by the Experiment II classifiers. The
     probabilities of training songs are out-of-fold (inner cross-validation on the training
     set), those of test songs come from the classifiers fitted on the whole training set, so
     no song's emotion probability comes from a model that saw that song.

Every experiment writes predictions.csv, metrics.json, confusion.csv and pca.csv (2-D PCA of
its standardised inputs, for the figures).
"""

# isort: off
import quiet_interrupt  # noqa: F401 - first, so that Ctrl-C during the imports prints one line

# isort: on

import logging
from typing import Any

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.metrics import accuracy_score, balanced_accuracy_score, classification_report, confusion_matrix
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import knn
from common_io import EMOTIONS, GENRES, EmotifyError, run_main, write_csv, write_json


def make_split(tracks: pd.DataFrame, test_size: float, seed: int, stratify: bool = True) -> pd.DataFrame:
    """One random train/test split of the usable tracks, stratified by genre when possible.

    Returns columns track_id, genre, subset (``train``/``test``), sorted by track id.
    """
    if not 0.0 < test_size < 1.0:
        raise EmotifyError(f"split.test_size must be in (0, 1), got {test_size}")
    ids = tracks["track_id"].to_numpy()
    genres = tracks["genre"].to_numpy()
    strat = genres if stratify and pd.Series(genres).value_counts().min() >= 2 else None
    try:
        train, test = train_test_split(ids, test_size=test_size, random_state=seed, stratify=strat)
    except ValueError as err:
        raise EmotifyError(f"cannot split {len(ids)} tracks with test_size={test_size}: {err}") from None
    out = tracks.loc[:, ["track_id", "genre"]].copy()
    out["subset"] = np.where(np.isin(ids, test), "test", "train")
    return out.sort_values("track_id").reset_index(drop=True)


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


def pca_frame(x: np.ndarray, meta: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, list[float]]:
    """2-D PCA of the standardised rows of ``x``; ``meta`` columns are kept beside pc1, pc2."""
    z = StandardScaler().fit_transform(x)
    n_comp = min(2, z.shape[0], z.shape[1])
    pca = PCA(n_components=n_comp, random_state=seed)
    coords = pca.fit_transform(z)
    out = meta.reset_index(drop=True).copy()
    out["pc1"] = coords[:, 0]
    out["pc2"] = coords[:, 1] if n_comp > 1 else 0.0
    return out, [float(v) for v in pca.explained_variance_ratio_]


def genre_experiment(x: np.ndarray, split: pd.DataFrame, k: int, seed: int, name: str, inputs: str) -> dict[str, Any]:
    """Genre from the rows of ``x`` (aligned with ``split``): predictions, metrics, confusion, PCA."""
    train = (split["subset"] == "train").to_numpy()
    y = split["genre"].to_numpy()
    labels = [g for g in GENRES if g in set(y)]
    pred, proba, classes = knn.predict(x, y, np.flatnonzero(train), np.flatnonzero(~train), k)
    preds = split.loc[~train, ["track_id", "genre"]].reset_index(drop=True).rename(columns={"genre": "true"})
    preds["predicted"] = pred
    for j, c in enumerate(classes):
        preds[f"p_{c}"] = proba[:, j]
    metrics = scores(preds["true"].to_numpy(), pred, labels)
    pca, evr = pca_frame(x, split.loc[:, ["track_id", "genre", "subset"]], seed)
    metrics.update(
        experiment=name,
        inputs=inputs,
        k=k,
        n_train=int(train.sum()),
        n_features=int(x.shape[1]),
        pca_explained_variance=evr,
        majority_baseline=float(pd.Series(y[train]).value_counts().iloc[0] / train.sum()) if train.any() else None,
    )
    return {
        "predictions": preds,
        "metrics": metrics,
        "confusion": confusion_frame(preds["true"], pred, labels),
        "pca": pca,
    }


def emotion_experiment(
    x: np.ndarray, split: pd.DataFrame, labels: pd.DataFrame, k: int, seed: int, inner_folds: int
) -> dict[str, Any]:
    """Experiment II, plus the emotion probabilities Experiment IV consumes."""
    lab = split.merge(labels.drop(columns=["genre"]), on="track_id", how="left", validate="one_to_one")
    if lab[list(EMOTIONS)].isna().any().any():
        missing = lab.loc[lab[list(EMOTIONS)].isna().any(axis=1), "track_id"].tolist()
        raise EmotifyError(f"no GEMS labels for track id(s) {missing[:5]}")
    train = (lab["subset"] == "train").to_numpy()
    tr, te = np.flatnonzero(train), np.flatnonzero(~train)
    y_all = lab[list(EMOTIONS)].to_numpy(dtype=int)
    nn = knn.neighbours(x, tr, te, k)  # once, for the nine emotions
    p_all = knn.emotion_probabilities(x, y_all, lab["genre"].to_numpy(), tr, te, nn, k, inner_folds, seed)
    pred_rows, conf_rows, per_emotion = [], [], {}
    probs = lab.loc[:, ["track_id", "genre", "subset"]].copy()
    for i, emotion in enumerate(EMOTIONS):
        y = y_all[:, i]
        pred = knn.vote(y[tr], nn)[0]
        p_test = p_all[te, i]
        probs[emotion] = p_all[:, i]
        m = scores(y[~train], pred, [0, 1])
        m["majority_baseline"] = float(max(np.mean(y[~train]), 1 - np.mean(y[~train])))
        m["positive_share_train"] = float(np.mean(y[train]))
        per_emotion[emotion] = m
        pred_rows.append(
            pd.DataFrame(
                {
                    "track_id": lab.loc[~train, "track_id"].to_numpy(),
                    "emotion": emotion,
                    "true": y[~train],
                    "predicted": pred,
                    "p_positive": p_test,
                }
            )
        )
        cf = confusion_frame(y[~train], pred, [0, 1])
        cf.insert(0, "emotion", emotion)
        conf_rows.append(cf)
    metrics = {
        "experiment": "exp2_emotion_from_audio",
        "inputs": "VGG19 audio features",
        "k": k,
        "n_train": int(train.sum()),
        "n_test": int((~train).sum()),
        "n_features": int(x.shape[1]),
        "mean_accuracy": float(np.mean([m["accuracy"] for m in per_emotion.values()])),
        "emotions": per_emotion,
    }
    return {
        "predictions": pd.concat(pred_rows, ignore_index=True),
        "metrics": metrics,
        "confusion": pd.concat(conf_rows, ignore_index=True),
        "probabilities": probs,
    }


def write_outputs(result: dict[str, Any], output: Any) -> None:
    """Write every frame/dict of ``result`` to the rule output of the same name."""
    for key, value in result.items():
        path = getattr(output, key)
        if isinstance(value, pd.DataFrame):
            write_csv(value, path)
        else:
            write_json(value, path)


def feature_provenance(attrs: dict[str, Any]) -> dict[str, Any]:
    """What the metrics record about the features used, from the feature file's own attributes."""
    from feature_store import features_label

    return {
        "features": features_label(attrs),
        "weights_label": str(attrs.get("weights_label", "")),
        "feature_layer": str(attrs.get("layer", "")),
        "feature_pooling": str(attrs.get("pooling", "")),
        "feature_dim": int(attrs.get("feature_dim", 0)),
        "weights_sha256": str(attrs.get("weights_sha256", "")),
    }


def split_job(smk: Any, logger: logging.Logger) -> None:
    from common_io import usable_tracks

    p = smk.params
    tracks = usable_tracks(pd.read_csv(smk.input.tracks))
    split = make_split(tracks, p.test_size, p.seed, p.stratify)
    logger.info("split: %s", split["subset"].value_counts().to_dict())
    write_csv(split, smk.output.split)


def _audio(smk: Any, logger: logging.Logger) -> tuple[np.ndarray, pd.DataFrame, dict[str, Any]]:
    """Audio features of the split's tracks (tracks the decoder refused are left out, logged)."""
    from feature_store import tracks_with_features

    return tracks_with_features(smk.input.features, pd.read_csv(smk.input.split), logger)


def exp1(smk: Any, logger: logging.Logger) -> dict[str, Any]:
    x, split, attrs = _audio(smk, logger)
    result = genre_experiment(x, split, smk.params.k, smk.params.seed, smk.rule, "VGG19 audio features")
    result["metrics"].update(feature_provenance(attrs))
    return result


def exp2(smk: Any, logger: logging.Logger) -> dict[str, Any]:
    p = smk.params
    x, split, attrs = _audio(smk, logger)
    result = emotion_experiment(x, split, pd.read_csv(smk.input.labels), p.k, p.seed, p.inner_folds)
    result["metrics"].update(feature_provenance(attrs))
    return result


def exp3(smk: Any, logger: logging.Logger) -> dict[str, Any]:
    split = pd.read_csv(smk.input.split)
    mu = split.merge(pd.read_csv(smk.input.ratings).drop(columns=["genre"]), on="track_id", how="left")
    x = mu[list(EMOTIONS)].to_numpy()
    return genre_experiment(x, split, smk.params.k, smk.params.seed, smk.rule, "GEMS rating shares mu")


def exp4(smk: Any, logger: logging.Logger) -> dict[str, Any]:
    split = pd.read_csv(smk.input.split)
    probs = split.merge(
        pd.read_csv(smk.input.probabilities).drop(columns=["genre", "subset"]), on="track_id", how="inner"
    )
    if len(probs) < len(split):
        logger.warning(
            "%d track(s) of the split have no Experiment II probabilities (left out)", len(split) - len(probs)
        )
    x = probs[list(EMOTIONS)].to_numpy()
    inputs = "Exp II emotion probabilities (out-of-fold)"
    return genre_experiment(x, probs[split.columns], smk.params.k, smk.params.seed, smk.rule, inputs)


def experiment_job(run: Any) -> Any:
    """A rule's job: run one experiment, log its accuracy and write its outputs."""

    def job(smk: Any, logger: logging.Logger) -> None:
        result = run(smk, logger)
        m = result["metrics"]
        logger.info("%s: accuracy %s", smk.rule, m.get("accuracy", m.get("mean_accuracy")))
        write_outputs(result, smk.output)

    return job


JOBS = {
    "split": split_job,
    "exp1_genre_from_audio": experiment_job(exp1),
    "exp2_emotion_from_audio": experiment_job(exp2),
    "exp3_genre_from_ratings": experiment_job(exp3),
    "exp4_genre_from_predicted_emotions": experiment_job(exp4),
}

if "snakemake" in globals():
    run_main(JOBS, snakemake)  # noqa: F821
