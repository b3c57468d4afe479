"""Repeated/grouped evaluation, permutation tests, the human ceiling, production descriptors."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import balanced_accuracy_score

from emotify_pipeline.core.emotify import EMOTIONS, GENRES
from emotify_pipeline.core.errors import EmotifyError
from emotify_pipeline.features.production import feature_columns, production_features
from emotify_pipeline.features.spectrogram import SpectrogramParams
from emotify_pipeline.neighbours import geometry
from emotify_pipeline.neighbours.knn import vote
from emotify_pipeline.neighbours.splits import grouped_splits, read_splits, split_table
from emotify_pipeline.neighbours.splits import resampled_splits as make_splits
from emotify_pipeline.stats import inference
from emotify_pipeline.study.ceiling import human_ceiling
from emotify_pipeline.study.evaluation import evaluate_all


def _meta(per_genre: int = 12, artists: int = 3) -> pd.DataFrame:
    rows = []
    for g in GENRES:
        for i in range(per_genre):
            rows.append(
                {"track_id": len(rows) + 1, "genre": g, "artist": f"{g}-{i % artists}", "album": f"{g}-{i % artists}-a"}
            )
    return pd.DataFrame(rows)


def test_grouped_splits_keep_groups_apart_and_are_seeded() -> None:
    meta = _meta()
    y, groups = meta["genre"].to_numpy(), meta["artist"].to_numpy()
    a = grouped_splits(y, groups, 8, 0.3, seed=3)
    b = grouped_splits(y, groups, 8, 0.3, seed=3)
    for s, t in zip(a, b, strict=True):
        np.testing.assert_array_equal(s.test, t.test)
        assert not set(groups[s.train]) & set(groups[s.test])
        # 3 artists of 4 songs per genre: the closest to 30 % is one artist per genre, 12 of 48 songs
        assert pd.Series(y[s.test]).value_counts().to_dict() == {g: 4 for g in GENRES}
    random = make_splits(y, 8, 0.3, seed=3)
    counts = [pd.Series(y[s.test]).value_counts() for s in random]
    assert all(len(c) == 4 and c.max() - c.min() <= 1 for c in counts)  # stratified


def test_permutation_p_value_separates_signal_from_noise() -> None:
    from emotify_pipeline.study.permutation import excess_statistic
    from emotify_pipeline.study.votes import Votes

    rng = np.random.default_rng(0)
    y = np.repeat(np.array(GENRES), 10)
    signal = np.stack([np.eye(4)[GENRES.index(g)] * 5 + rng.normal(size=4) for g in y])
    noise = rng.normal(size=(40, 4))
    out = {}
    for name, x in (("signal", signal), ("noise", noise)):
        votes = []
        for s in make_splits(y, 5, 0.3, seed=0):
            order, tied = geometry.ranked_with_ties(x, [(s.train, s.test)])[0]
            votes.append(Votes(s.train, s.test, order, tied))
        statistic = excess_statistic(votes, 5, "sklearn", 0)
        # the batched statistic is the mean balanced accuracy over chance of the workflow's own votes
        codes = np.unique(y, return_inverse=True)[1]
        preds = [vote(y[v.train], v.order[:, :5])[0] for v in votes]
        balanced = np.mean([balanced_accuracy_score(y[v.test], p) - 0.25 for v, p in zip(votes, preds, strict=True)])
        assert statistic(codes[None, :], 4)[0] == pytest.approx(balanced)
        out[name] = inference.permutation_test(
            y, statistic, 99, np.random.default_rng(0), inference.Exchange(np.arange(40))
        )[1]
    assert out["signal"] == pytest.approx(0.01)
    assert out["noise"] > 0.05


def test_batched_statistic_matches_predict_with_random_ties() -> None:
    from emotify_pipeline.study.permutation import excess_statistic
    from emotify_pipeline.study.votes import Votes, predict

    rng = np.random.default_rng(5)
    y = np.array(GENRES * 20)
    x = rng.integers(0, 3, size=(len(y), 3)) / 2.0  # lattice: distance and vote ties
    votes = []
    for s in make_splits(y, 4, 0.3, seed=1):
        order, tied = geometry.ranked_with_ties(x, [(s.train, s.test)])[0]
        votes.append(Votes(s.train, s.test, order, tied))
    codes = np.unique(y, return_inverse=True)[1]
    for ties in ("sklearn", "random"):
        preds = [predict(y, v, 5, ties, 7 + r) for r, v in enumerate(votes)]
        plain = np.mean(
            [inference.excess_accuracy(y[v.test], p, y[v.train]) for v, p in zip(votes, preds, strict=True)]
        )
        balanced = np.mean([balanced_accuracy_score(y[v.test], p) - 0.25 for v, p in zip(votes, preds, strict=True)])
        assert excess_statistic(votes, 5, ties, 7, "accuracy")(codes[None, :], 4)[0] == pytest.approx(plain)
        assert excess_statistic(votes, 5, ties, 7)(codes[None, :], 4)[0] == pytest.approx(balanced)


def _evaluate(x: np.ndarray, meta: pd.DataFrame, labels: pd.DataFrame, ratings: pd.DataFrame, cfg: dict):
    """The workflow's path: split tables -> neighbour rankings -> votes."""
    ids, y = meta["track_id"].to_numpy(), meta["genre"].to_numpy()
    audio, mu = {}, None
    for kind in ["random", *cfg["group_by"]]:
        if kind == "random":
            splits = make_splits(y, cfg["repeats"], cfg["test_size"], cfg["seed"])
        else:
            splits = grouped_splits(y, meta[kind].to_numpy(), cfg["repeats"], cfg["test_size"], cfg["seed"])
        folds = cfg["inner_folds"] if kind == "random" else 0
        table = split_table(meta, splits, folds, [cfg["seed"] + r for r in range(len(splits))])
        back = read_splits(table, ids)
        audio[kind] = geometry.Rankings(items=geometry.compute_rankings(x, ids, back, "audio", inner=True))
        if kind == "random":
            mu_x = ratings[list(EMOTIONS)].to_numpy()
            mu = geometry.Rankings(items=geometry.compute_rankings(mu_x, ids, back, "ratings", inner=False))
    return evaluate_all(meta, labels, audio, cfg, ratings=mu, artists=meta["artist"].to_numpy())


def _study_data(repeats: int = 3, group_by: list[str] | None = None) -> tuple:
    meta = _meta()
    rng = np.random.default_rng(2)
    x = np.stack([np.eye(4)[GENRES.index(g)] * 3 + rng.normal(size=4) for g in meta["genre"]])
    x = np.hstack([x, rng.normal(size=(len(meta), 6))])
    labels = meta[["track_id", "genre"]].copy()
    ratings = meta[["track_id"]].copy()
    for i, e in enumerate(EMOTIONS):
        labels[e] = (x[:, i % x.shape[1]] > 0).astype(int)
        ratings[e] = rng.random(len(meta))
    cfg = {
        "repeats": repeats,
        "permutations": 9,
        "permutation_splits": 2,
        "confidence": 0.9,
        "seed": 0,
        "group_by": group_by or ["artist"],
        "k": 5,
        "test_size": 0.3,
        "inner_folds": 3,
    }
    return x, meta, labels, ratings, cfg


def test_an_experiment_v_is_one_row_of_the_study_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """A new row of study.EXPERIMENTS reaches the repeated evaluation with no other edit: its
    votes (``repeated``), split kinds (``grouped``) and the paper's value (``paper_accuracy``)."""
    from dataclasses import replace

    from emotify_pipeline.study import table as study

    exp4 = study.experiment("exp4_genre_from_predicted_emotions")
    new = replace(exp4, name="exp5_genre_again", numeral="V", paper_accuracy=0.5, grouped=True, repeated="audio")
    monkeypatch.setattr(study, "EXPERIMENTS", (*study.EXPERIMENTS, new))
    summary, _ = _evaluate(*_study_data())
    five = summary[summary["experiment"] == "exp5_genre_again"].set_index("split")
    assert set(five.index) == {"random", "artist"} and (five.loc["random", "paper"] == 0.5)
    one = summary[summary["experiment"] == "exp1_genre_from_audio"].set_index("split")
    # the same votes as Experiment I (audio rankings, genre): the same accuracies
    np.testing.assert_allclose(five["mean_accuracy"], one.loc[five.index, "mean_accuracy"])
    odd = replace(new, name="exp6_odd", repeated="spectra")
    monkeypatch.setattr(study, "EXPERIMENTS", (*study.EXPERIMENTS, odd))
    with pytest.raises(EmotifyError, match="no votes called 'spectra'"):
        _evaluate(*_study_data())


def test_evaluate_all_reports_every_experiment_and_split_kind() -> None:
    x, meta, labels, ratings, cfg = _study_data(repeats=4, group_by=["artist", "album"])
    summary, per = _evaluate(x, meta, labels, ratings, cfg)
    kinds = summary.groupby("experiment")["split"].apply(set).to_dict()
    assert kinds["exp1_genre_from_audio"] == {"random", "artist", "album"}
    assert kinds["exp3_genre_from_ratings"] == {"random"} and kinds["exp4_genre_from_predicted_emotions"] == {"random"}
    assert set(summary[summary["experiment"] == "exp2_emotion_from_audio"]["target"]) == set(EMOTIONS)
    for low, high in (("split_range_low", "split_range_high"), ("ci_low", "ci_high")):
        assert (summary[low] <= summary["mean_accuracy"]).all() and (summary["mean_accuracy"] <= summary[high]).all()
    assert ((summary["ci_high"] - summary["ci_low"]) > 0).all()
    assert set(summary["permutation"]) == {"by artist among same-size artists"}
    emo = summary[summary["experiment"] == "exp2_emotion_from_audio"]
    assert emo["genre_baseline"].between(0, 1).all()
    assert summary[summary["experiment"] != "exp2_emotion_from_audio"]["genre_baseline"].isna().all()
    assert summary["distance_tie_rate"].between(0, 1).all() and summary["vote_tie_rate"].between(0, 1).all()
    assert len(per) == summary["n_repeats"].sum()
    exp1 = summary[(summary["experiment"] == "exp1_genre_from_audio") & (summary["split"] == "random")].iloc[0]
    assert exp1["mean_accuracy"] > 0.8 and exp1["paper"] == 1.0 and exp1["permutation_p"] == pytest.approx(0.1)
    assert exp1["permutation_p_floor"] == pytest.approx(0.1)
    grouped = summary[summary["split"] != "random"]
    assert grouped["paper"].isna().all()  # the paper has no grouped-split result
    emo = summary[summary["experiment"] == "exp2_emotion_from_audio"]
    for _, family in emo.groupby("split"):  # Holm over the nine emotions of each split kind, with its floor
        np.testing.assert_allclose(family["permutation_p_holm"], inference.holm(family["permutation_p"].to_numpy()))
        np.testing.assert_allclose(family["permutation_p_holm_floor"], 9 / 10)
    assert summary.loc[summary["experiment"] != "exp2_emotion_from_audio", "permutation_p_holm"].isna().all()
    again, _ = _evaluate(x, meta, labels, ratings, cfg)
    pd.testing.assert_frame_equal(summary, again)


def test_half_panel_agreement_kappa_and_ceiling_for_unanimous_and_noisy_listeners() -> None:
    rng = np.random.default_rng(0)
    rows = []
    for song in range(30):
        truth = rng.random(len(EMOTIONS)) < 0.5
        for _ in range(10):
            rows.append({"track id": song, **{e: int(truth[i]) for i, e in enumerate(EMOTIONS)}})
    unanimous = pd.DataFrame(rows)
    table = human_ceiling(unanimous, 5, seed=0, confidence=0.9)
    assert table["half_panel_agreement"].tolist() == [1.0] * len(EMOTIONS)
    kappa = table["half_panel_kappa"]  # undefined where every label is the same
    assert ((kappa == 1.0) | kappa.isna()).all() and (kappa == 1.0).any()
    assert (table["ceiling"] > 0.95).all()
    noisy = unanimous.copy()
    noisy[list(EMOTIONS)] = (rng.random((len(noisy), len(EMOTIONS))) < 0.3).astype(int)
    noise = human_ceiling(noisy, 20, seed=0, confidence=0.9)
    assert (noise["half_panel_agreement"] < 0.8).all() and (noise["half_panel_kappa"].abs() < 0.4).all()
    # no song differs from another beyond chance: the ceiling is near what guessing the median gives
    assert (noise["ceiling"] < 0.75).all()


def test_production_descriptors() -> None:
    p = SpectrogramParams(duration=1.0, min_duration=0.5, n_mels=32)
    t = np.arange(22050) / 22050
    quiet = (0.05 * np.sin(2 * np.pi * 440 * t)).astype("float32")
    feats = production_features(quiet, p)
    loud = production_features(quiet * 10, p)
    frame = pd.DataFrame([feats])
    assert len(feature_columns(frame, "ltas")) == 32 and len(feature_columns(frame, "mfcc")) == 40
    assert len(feature_columns(frame, "loudness")) == 5 and len(feature_columns(frame, "production")) == 77
    assert loud["loudness_rms_mean_db"] - feats["loudness_rms_mean_db"] == pytest.approx(20, abs=0.1)
    assert feats["loudness_crest_db"] == pytest.approx(3.01, abs=0.1)  # a sine's peak-to-RMS ratio


def test_descriptors_from_decode_statistics_equal_frame_by_frame() -> None:
    """The descriptors extraction's decode statistics give equal librosa's direct computation
    (MFCCs frame by frame, RMS frames, peak): decoding once loses nothing."""
    import librosa

    from emotify_pipeline.features.spectrogram import decode_statistics, mel_power

    p = SpectrogramParams(duration=3.0, min_duration=0.5)
    rng = np.random.default_rng(3)
    t = np.arange(p.n_samples) / p.sample_rate
    y = 0.2 * np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 0.7 * t)) + 0.05 * rng.standard_normal(len(t))
    y = y.astype("float32")
    mel = mel_power(y, p)
    got = production_features(y, p)
    assert got == production_features(y, p)  # deterministic
    db = librosa.power_to_db(mel, ref=1.0, amin=1e-10)
    mfcc = librosa.feature.mfcc(S=db, n_mfcc=20)
    rms_db = 20 * np.log10(
        np.maximum(librosa.feature.rms(y=y, frame_length=p.n_fft, hop_length=p.hop_length)[0], 1e-10)
    )
    want = {f"ltas_{i:03d}": v for i, v in enumerate(db.mean(axis=1))}
    want |= {f"mfcc_mean_{i:02d}": v for i, v in enumerate(mfcc.mean(axis=1))}
    want |= {f"mfcc_std_{i:02d}": v for i, v in enumerate(mfcc.std(axis=1))}
    want |= {"loudness_rms_p95_db": np.percentile(rms_db, 95), "loudness_peak_db": 20 * np.log10(np.abs(y).max())}
    for key, value in want.items():
        assert got[key] == pytest.approx(float(value), rel=1e-4, abs=1e-3), key
    stats = decode_statistics(y, mel, p)
    assert stats.shape == (128 + 128 * 129 // 2 + p.n_frames + 2,)
    # as stored by the extraction (float32): the same descriptors to the same tolerance
    from emotify_pipeline.features.production import descriptors_from_statistics

    stored = descriptors_from_statistics(stats.astype(np.float32), p)
    for key, value in want.items():
        assert stored[key] == pytest.approx(float(value), rel=1e-4, abs=1e-3), key


def test_balanced_accuracy_and_macro_f1_equal_scikit_learn() -> None:
    import warnings

    from sklearn.metrics import balanced_accuracy_score, f1_score

    from emotify_pipeline.study.evaluation import balanced_accuracy_and_macro_f1

    rng = np.random.default_rng(3)
    cases = [
        (rng.integers(0, 2, 12), rng.integers(0, 2, 12)),
        (np.array(["pop"] * 5 + ["rock"] * 3), np.array(["pop"] * 8)),  # a class never predicted
        (np.array([0, 0, 1, 1]), np.array([0, 2, 1, 2])),  # a class predicted, never true
        (np.array(["classical", "rock", "pop"]), np.array(["rock", "pop", "classical"])),  # all wrong
    ]
    cases += [(rng.integers(0, 4, n), rng.integers(0, 4, n)) for n in (1, 3, 30, 120)]
    for y_true, y_pred in cases:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # scikit-learn warns of classes only predicted
            expected = (
                balanced_accuracy_score(y_true, y_pred),
                f1_score(y_true, y_pred, average="macro", zero_division=0),
            )
        assert balanced_accuracy_and_macro_f1(y_true, y_pred) == pytest.approx(expected, abs=1e-12)
