"""The 2-D PCA behind Figs. 1, 4 and 6 (rule ``pca``): of one experiment's standardised inputs,
the songs of the paper's split -- what its table row's ``pca_input`` names (:mod:`table`). It does
not depend on k except through Experiment IV's inputs.
"""

import logging
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

from ..core.emotify import EMOTIONS
from ..core.errors import EmotifyError
from ..core.files import with_leakage_warning, write_csv, write_json
from ..features.store import network_provenance, usable_tracks_of
from ..neighbours.ablation_rankings import leading_eigenpairs
from ..neighbours.columns import Columns, open_columns
from ..neighbours.geometry import training_grams
from . import table as study
from .experiments import exp4_inputs, read_paper_split


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


def gram_pca_frame(columns: Columns, meta: pd.DataFrame) -> tuple[pd.DataFrame, list[float]]:
    """:func:`pca_frame` for features read by column blocks: the eigenvectors of the
    standardised rows' Gram matrix (:func:`geometry.training_grams` on all rows) are PCA's
    scores; the explained variance ratios are its eigenvalues over its trace. A component's sign
    is arbitrary: here its largest absolute score is positive (scikit-learn fixes it by the
    loadings, which this never forms), so the scores equal scikit-learn's up to sign."""
    gram = next(training_grams(columns, [np.arange(columns.n_rows)]))
    values, vectors = leading_eigenpairs(gram, 2)
    scores = vectors * np.sqrt(values)
    scores *= np.sign(scores[np.argmax(np.abs(scores), axis=0), np.arange(scores.shape[1])])
    out = meta.reset_index(drop=True).copy()
    out["pc1"] = scores[:, 0] if scores.shape[1] > 0 else 0.0
    out["pc2"] = scores[:, 1] if scores.shape[1] > 1 else 0.0
    trace = float(np.trace(gram))
    return out, [float(v) / trace for v in values] if trace > 0 else [0.0] * len(values)


def _features_pca(
    paths: Mapping[str, str], seed: int, logger: logging.Logger
) -> tuple[pd.DataFrame, list[float], str, str]:
    """The PCA of the audio features of the paper's split (read by column blocks)."""
    split = usable_tracks_of(paths["features"], read_paper_split(paths["split"]), logger)
    with open_columns(paths["features"], split["track_id"].to_numpy(dtype=np.int64), logger) as columns:
        frame, explained = gram_pca_frame(columns, split)
    warning = network_provenance(paths["features"])["leakage_warning"]
    return frame, explained, warning, f"{len(frame)} x {columns.n_columns} features"


def _ratings_pca(
    paths: Mapping[str, str], seed: int, logger: logging.Logger
) -> tuple[pd.DataFrame, list[float], str, str]:
    """The PCA of the GEMS rating shares of the paper's split."""
    split = read_paper_split(paths["split"])
    mu = split.merge(pd.read_csv(paths["ratings"]).drop(columns=["genre"]), on="track_id", how="left")
    x = mu[list(EMOTIONS)].to_numpy()
    frame, explained = pca_frame(x, split, seed)
    return frame, explained, "", f"{x.shape[0]} x {x.shape[1]} inputs"


def _probabilities_pca(
    paths: Mapping[str, str], seed: int, logger: logging.Logger
) -> tuple[pd.DataFrame, list[float], str, str]:
    """The PCA of Experiment II's out-of-fold emotion probabilities of the paper's split."""
    x, split = exp4_inputs(paths["split"], paths["probabilities"], logger)
    # predicted from the audio network's features: its warning travels in the probabilities
    column = pd.read_csv(paths["probabilities"]).get("leakage_warning")
    warning = str(column.dropna().iloc[0]) if column is not None and column.notna().any() else ""
    frame, explained = pca_frame(x, split, seed)
    return frame, explained, warning, f"{x.shape[0]} x {x.shape[1]} inputs"


#: what a PCA shows (a table row's ``pca_input``) -> how to compute it: (frame, explained
#: variance ratios, leakage warning, what was decomposed)
PCA_INPUTS = {"features": _features_pca, "ratings": _ratings_pca, "probabilities": _probabilities_pca}


def write_pca(
    name: str, paths: Mapping[str, str], seed: int, pca_out: str | Path, info_out: str | Path, logger: logging.Logger
) -> None:
    """Rule ``pca``: the 2-D PCA of one experiment's standardised inputs (the songs of the
    paper's split), of what its table row's ``pca_input`` names (:mod:`table`) -- the audio
    features, the GEMS rating shares or Experiment II's out-of-fold emotion probabilities.

    Parameters
    ----------
    name : str
        The experiment.
    paths : mapping
        ``split`` and the input its row names (``features``, ``ratings`` or ``probabilities``).
    seed : int
        PCA's random state.
    pca_out, info_out : path
        The scores per song (CSV) and the explained variance (JSON) written.
    logger : logging.Logger
        Told the size of what was decomposed.
    """
    shown = study.experiment(name).pca_input
    if shown not in PCA_INPUTS:
        raise EmotifyError(f"{name}: no PCA for the input {shown!r} (study/table.py's pca_input)")
    frame, explained, warning, what = PCA_INPUTS[shown](paths, seed, logger)
    write_csv(with_leakage_warning(frame, warning), pca_out)
    info = {"experiment": name, "pca_explained_variance": explained, "n_songs": len(frame)}
    write_json({**info, "leakage_warning": warning} if warning else info, info_out)
    logger.info("%s: PCA of %s, explained variance %s", name, what, explained)
