"""Experiment functions on small synthetic inputs."""

import numpy as np
import pandas as pd
import pytest

from emotify_pipeline.core.emotify import EMOTIONS, GENRES
from emotify_pipeline.core.errors import EmotifyError
from emotify_pipeline.neighbours import geometry
from emotify_pipeline.neighbours.splits import Split, read_splits, split_table
from emotify_pipeline.neighbours.splits import paper_split as make_split
from emotify_pipeline.study.experiments import emotion_votes, genre_experiment


def _tracks(per_genre: int = 10) -> pd.DataFrame:
    rows = [(base + i + 1, g) for base, g in zip((0, 100, 200, 300), GENRES, strict=True) for i in range(per_genre)]
    return pd.DataFrame(rows, columns=["track_id", "genre"])


def test_split_is_stratified_and_seeded() -> None:
    tracks = _tracks()
    a = make_split(tracks, 0.3, seed=1)
    b = make_split(tracks, 0.3, seed=1)
    c = make_split(tracks, 0.3, seed=2)
    pd.testing.assert_frame_equal(a, b)
    assert not a["subset"].equals(c["subset"])
    assert (a["subset"] == "test").sum() == 12
    assert a[a["subset"] == "test"]["genre"].value_counts().to_dict() == {g: 3 for g in GENRES}
    with pytest.raises(EmotifyError, match="test_size"):
        make_split(tracks, 1.5, seed=1)


def test_separable_genres_are_recognised_perfectly() -> None:
    tracks = _tracks()
    split = make_split(tracks, 0.3, seed=0)
    rng = np.random.default_rng(0)
    centres = {g: rng.normal(0, 10, size=20) for g in GENRES}
    x = np.stack([centres[g] + rng.normal(0, 0.1, size=20) for g in split["genre"]])
    out = genre_experiment(x, split, k=5, name="t", inputs="synthetic")
    assert out["metrics"]["accuracy"] == 1.0
    assert out["metrics"]["n_train"] == 28 and out["metrics"]["n_test"] == 12
    conf = out["confusion"]
    assert len(conf) == 16 and conf["count"].sum() == 12
    assert conf[conf["true"] == conf["predicted"]]["count"].sum() == 12
    assert set(out["predictions"].columns) >= {"track_id", "true", "predicted", *(f"p_{g}" for g in GENRES)}


def test_k_larger_than_training_set_is_a_clear_error() -> None:
    split = make_split(_tracks(2), 0.5, seed=0)
    with pytest.raises(EmotifyError, match=r"knn.k = 9 exceeds the 4 training songs"):
        genre_experiment(np.zeros((8, 3)), split, k=9, name="t", inputs="x")


def test_emotion_experiment_outputs() -> None:
    tracks = _tracks()
    split = make_split(tracks, 0.3, seed=0)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(40, 6))
    labels = split[["track_id", "genre"]].copy()
    for i, e in enumerate(EMOTIONS):
        labels[e] = (x[:, i % 6] > 0).astype(int)
    one = Split(np.flatnonzero(split["subset"] == "train"), np.flatnonzero(split["subset"] == "test"))
    ids = split["track_id"].to_numpy()
    splits = read_splits(split_table(split, [one], 4, [0]), ids)
    audio = geometry.Rankings(items=geometry.compute_rankings(x, ids, splits, "audio", inner=True))
    out = emotion_votes(split, labels, audio.get(0, "audio"), audio.inner(0), k=3)
    assert set(out["metrics"]["emotions"]) == set(EMOTIONS)
    probs = out["probabilities"]
    values = probs[list(EMOTIONS)].to_numpy()
    assert len(probs) == 40 and ((values >= 0) & (values <= 1)).all()
    assert len(out["predictions"]) == 12 * 9 and len(out["confusion"]) == 4 * 9
    assert len(audio.inner(0)) == 4
    with pytest.raises(EmotifyError, match="no GEMS labels"):
        emotion_votes(split, labels.iloc[1:], audio.get(0, "audio"), audio.inner(0), k=3)


def test_pca_frame_keeps_the_split_columns() -> None:
    from emotify_pipeline.study.pca import pca_frame

    split = make_split(_tracks(), 0.3, seed=0)
    x = np.random.default_rng(2).normal(size=(40, 7))
    frame, explained = pca_frame(x, split, seed=0)
    assert frame.shape == (40, 5) and len(explained) == 2 and explained[0] >= explained[1]


def test_a_new_experiment_row_gets_the_pca_its_table_row_names(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Adding an experiment is one row of study.EXPERIMENTS: its PCA job reads what the row's
    ``pca_input`` names (here the GEMS rating shares, under a name the code has never seen), and
    an input it cannot show is one clear error naming the experiment."""
    import json
    import logging
    from dataclasses import replace

    from emotify_pipeline.study import table as study
    from emotify_pipeline.study.pca import write_pca

    tracks = _tracks()
    split = make_split(tracks, 0.3, seed=1)
    split.assign(repeat=0).to_csv(tmp_path / "paper.csv", index=False)
    rng = np.random.default_rng(2)
    ratings = tracks[["track_id", "genre"]].assign(**{e: rng.random(len(tracks)) for e in EMOTIONS})
    ratings.to_csv(tmp_path / "ratings.csv", index=False)
    new = replace(study.experiment("exp3_genre_from_ratings"), name="exp5_genre_from_ratings_again", figures=())
    odd = replace(new, name="exp6_odd", pca_input="spectra")
    monkeypatch.setattr(study, "EXPERIMENTS", (*study.EXPERIMENTS, new, odd))

    paths = {"split": str(tmp_path / "paper.csv"), "ratings": str(tmp_path / "ratings.csv")}

    def pca(exp: str) -> None:
        write_pca(exp, paths, 0, tmp_path / f"{exp}.csv", tmp_path / f"{exp}.json", logging.getLogger("test"))

    pca(new.name)
    frame = pd.read_csv(tmp_path / f"{new.name}.csv")
    assert len(frame) == len(tracks) and {"pc1", "pc2"} <= set(frame.columns)
    assert json.loads((tmp_path / f"{new.name}.json").read_text())["experiment"] == new.name
    with pytest.raises(EmotifyError, match="exp6_odd: no PCA for the input 'spectra'"):
        pca(odd.name)
