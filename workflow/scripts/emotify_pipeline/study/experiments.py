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

Every experiment writes predictions.csv, metrics.json and confusion.csv; the 2-D PCA of the
standardised inputs of Experiments I, III and IV (for the figures) is its own rule (``pca``),
which does not depend on k except through Experiment IV's inputs.
"""

import logging
from typing import Any

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.metrics import accuracy_score, balanced_accuracy_score, classification_report, confusion_matrix
from sklearn.preprocessing import StandardScaler

from ..core.emotify import EMOTIONS, GENRES
from ..core.errors import EmotifyError
from ..core.files import with_leakage_warning, write_csv, write_json
from ..neighbours import knn
from ..neighbours.columns import Columns
from ..neighbours.geometry import Ranking, Rankings, as_ranking, ranked_with_ties
from ..neighbours.splits import row_lookup
from ..stats import inference
from .evaluation import knn_vote, predict, votes_of


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


def gram_pca_frame(columns: "Columns", meta: pd.DataFrame) -> tuple[pd.DataFrame, list[float]]:
    """:func:`pca_frame` for features read by column blocks: the eigenvectors of the
    standardised rows' Gram matrix (:func:`geometry.training_grams` on all rows) are PCA's
    scores; the explained variance ratios are its eigenvalues over its trace. A component's sign
    is arbitrary: here its largest absolute score is positive (scikit-learn fixes it by the
    loadings, which this never forms), so the scores equal scikit-learn's up to sign."""
    from ..neighbours.ablation_rankings import leading_eigenpairs
    from ..neighbours.geometry import training_grams

    gram = next(training_grams(columns, [np.arange(columns.n_rows)]))
    values, vectors = leading_eigenpairs(gram, 2)
    scores = vectors * np.sqrt(values)
    scores *= np.sign(scores[np.argmax(np.abs(scores), axis=0), np.arange(scores.shape[1])])
    out = meta.reset_index(drop=True).copy()
    out["pc1"] = scores[:, 0] if scores.shape[1] > 0 else 0.0
    out["pc2"] = scores[:, 1] if scores.shape[1] > 1 else 0.0
    trace = float(np.trace(gram))
    return out, [float(v) / trace for v in values] if trace > 0 else [0.0] * len(values)


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


def write_outputs(result: dict[str, Any], output: Any) -> None:
    """Write every frame/dict of ``result`` to the rule output of the same name; the tables of
    features with a leakage warning (in the metrics, from the feature file) repeat it per row."""
    warning = result.get("metrics", {}).get("leakage_warning")
    for key, value in result.items():
        path = getattr(output, key)
        if isinstance(value, pd.DataFrame):
            write_csv(with_leakage_warning(value, warning), path)
        else:
            write_json(value, path)


def feature_provenance(path: str) -> dict[str, Any]:
    """What the metrics record about the features used, from the feature file's own attributes."""
    from ..features.store import features_label, network_name, read_attrs

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


def read_paper_split(path: str) -> pd.DataFrame:
    """The paper's split (``results/splits/paper.csv``): track_id, genre, subset."""
    return pd.read_csv(path).query("repeat == 0")[["track_id", "genre", "subset"]].reset_index(drop=True)


def exp1(smk: Any, logger: logging.Logger) -> dict[str, Any]:
    ranking = Rankings(smk.input.neighbours).get(0, "audio")
    p = smk.params
    result = genre_votes(
        read_paper_split(smk.input.split), ranking, p.k, smk.wildcards.exp, "audio features", p.ties, p.seed
    )
    result["metrics"].update(feature_provenance(smk.input.features))
    return result


def exp2(smk: Any, logger: logging.Logger) -> dict[str, Any]:
    rankings = Rankings(smk.input.neighbours)
    split, labels = read_paper_split(smk.input.split), pd.read_csv(smk.input.labels)
    p = smk.params
    result = emotion_votes(split, labels, rankings.get(0, "audio"), rankings.inner(0), p.k, p.ties, p.seed)
    result["metrics"].update(feature_provenance(smk.input.features))
    return result


def exp3(smk: Any, logger: logging.Logger) -> dict[str, Any]:
    ranking = Rankings(smk.input.ratings_neighbours).get(0, "ratings")
    p = smk.params
    result = genre_votes(
        read_paper_split(smk.input.split), ranking, p.k, smk.wildcards.exp, "GEMS rating shares mu", p.ties, p.seed
    )
    result["metrics"]["n_features"] = len(EMOTIONS)
    return result


def exp4_inputs(smk: Any, logger: logging.Logger) -> tuple[np.ndarray, pd.DataFrame]:
    """Experiment IV's inputs: the Experiment II probabilities of the split's tracks."""
    split = read_paper_split(smk.input.split)
    probs = split.merge(
        pd.read_csv(smk.input.probabilities).drop(columns=["genre", "subset"]), on="track_id", how="inner"
    )
    if len(probs) < len(split):
        logger.warning(
            "%d track(s) of the split have no Experiment II probabilities (left out)", len(split) - len(probs)
        )
    return probs[list(EMOTIONS)].to_numpy(), probs[split.columns]


def exp4(smk: Any, logger: logging.Logger) -> dict[str, Any]:
    """Experiment IV with ``knn.ties``, and the share of each predicted genre under both tie rules
    (the paper's "polarised towards Classical" could be scikit-learn's tie-breaking: on these
    lattice-valued inputs equidistant neighbours and tied votes are common; equidistant neighbours
    come in training-row order (classical holds the lowest track ids) and a tied vote goes to the
    first of the tied classes in sorted order -- classical whenever it is among them)."""
    p = smk.params
    x, split = exp4_inputs(smk, logger)
    ranking = paper_ranking(x, split)
    inputs = "Exp II emotion probabilities (out-of-fold)"
    both = {t: genre_votes(split, ranking, p.k, smk.wildcards.exp, inputs, t, p.seed) for t in ("sklearn", "random")}
    result = both[p.ties]
    # its inputs come from the audio network's Experiment II: its provenance (and any leakage warning)
    result["metrics"].update({**feature_provenance(smk.input.features), "inputs": inputs})
    result["metrics"]["n_features"] = int(x.shape[1])
    result["metrics"]["by_ties"] = {
        t: {"accuracy": r["metrics"]["accuracy"], "prediction_share": r["metrics"]["prediction_share"]}
        for t, r in both.items()
    }
    return result


def pca_job(smk: Any, logger: logging.Logger) -> None:
    """2-D PCA of one experiment's standardised inputs (the songs of the paper's split): what its
    table row's ``pca_input`` names (:mod:`study`) -- the audio features, the GEMS rating shares
    or Experiment II's out-of-fold emotion probabilities."""
    from .table import experiment

    exp = smk.wildcards.exp
    shown = experiment(exp).pca_input
    if shown == "features":
        from ..features.store import network_provenance, usable_tracks_of
        from ..neighbours.columns import open_columns

        split = usable_tracks_of(smk.input.features, read_paper_split(smk.input.split), logger)
        with open_columns(smk.input.features, split["track_id"].to_numpy(dtype=np.int64), logger) as columns:
            frame, explained = gram_pca_frame(columns, split)
        warning = network_provenance(smk.input.features)["leakage_warning"]
        write_csv(with_leakage_warning(frame, warning), smk.output.pca)
        info = {"experiment": exp, "pca_explained_variance": explained, "n_songs": len(frame)}
        write_json({**info, "leakage_warning": warning} if warning else info, smk.output.info)
        logger.info("%s: PCA of %d x %d features, explained variance %s", exp, len(frame), columns.n_columns, explained)
        return
    elif shown == "ratings":
        split = read_paper_split(smk.input.split)
        mu = split.merge(pd.read_csv(smk.input.ratings).drop(columns=["genre"]), on="track_id", how="left")
        x = mu[list(EMOTIONS)].to_numpy()
    elif shown == "probabilities":
        x, split = exp4_inputs(smk, logger)
        # predicted from the audio network's features: its warning travels in the probabilities
        column = pd.read_csv(smk.input.probabilities).get("leakage_warning")
        warning = str(column.dropna().iloc[0]) if column is not None and column.notna().any() else ""
    else:
        raise EmotifyError(f"{exp}: no PCA for the input {shown!r} (study.py's pca_input)")
    if shown == "ratings":
        warning = ""
    frame, explained = pca_frame(x, split, smk.params.seed)
    write_csv(with_leakage_warning(frame, warning), smk.output.pca)
    info = {"experiment": exp, "pca_explained_variance": explained, "n_songs": len(frame)}
    write_json({**info, "leakage_warning": warning} if warning else info, smk.output.info)
    logger.info("%s: PCA of %d x %d inputs, explained variance %s", exp, *x.shape, explained)


def experiment_job(smk: Any, logger: logging.Logger) -> None:
    """Rule ``experiment``: run the experiment named by the ``exp`` wildcard (its function is
    the table's ``run``, :mod:`study`), log its accuracy and write its outputs."""
    from .table import experiment

    run = globals()[experiment(smk.wildcards.exp).run]
    result = run(smk, logger)
    if "probabilities" not in result:  # a genre experiment: the test songs' vote shares
        preds = result["predictions"]
        shares = preds[["track_id", "true"] + [c for c in preds.columns if c.startswith("p_")]]
        result["probabilities"] = shares.rename(columns={"true": "genre"}).assign(subset="test")
    m = result["metrics"]
    logger.info("%s: accuracy %s", smk.wildcards.exp, m.get("accuracy", m.get("mean_accuracy")))
    write_outputs(result, smk.output)
