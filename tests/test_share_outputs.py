"""The rating shares from and to files, compared across networks, and put into words: the
per-song predictions, the reliability on the songs the study uses, the paired comparison, and
the findings and summary sentences, each checked against the numbers it states."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emotify_pipeline.core.emotify import EMOTIONS
from emotify_pipeline.core.errors import EmotifyError
from emotify_pipeline.neighbours import geometry
from emotify_pipeline.neighbours.splits import resampled_splits
from emotify_pipeline.report.findings import shares_comparison_finding, shares_finding
from emotify_pipeline.report.shares import emotion_share_sentence, shares_section, shares_table_rows
from emotify_pipeline.study import share_regression as sr
from emotify_pipeline.study.share_comparison import compare_shares
from emotify_pipeline.study.share_outputs import write_share_reliability
from emotify_pipeline.study.votes import Votes


def _world(seed: int = 0, n: int = 60) -> tuple[np.ndarray, np.ndarray, list[Votes]]:
    rng = np.random.default_rng(seed)
    genre = np.repeat(np.array(["classical", "rock", "electronic", "pop"]), n // 4)
    x = rng.normal(size=(n, 5))
    mu = np.clip(0.3 + 0.1 * x[:, :1] + 0.05 * rng.normal(size=(n, 9)), 0, 1)
    votes = []
    for s in resampled_splits(genre, 6, 0.3, seed):
        order, tied = geometry.ranked_with_ties(x, [(s.train, s.test)])[0]
        votes.append(Votes(s.train, s.test, order, tied))
    return mu, genre, votes


@pytest.mark.parametrize("ties", ["sklearn", "random"])
def test_every_songs_prediction_is_the_mean_over_the_splits_that_test_it(ties: str) -> None:
    mu, genre, votes = _world()
    knn, genre_only, tested = sr.mean_test_predictions(mu, votes, 5, ties, 3, genre)
    song = int(np.flatnonzero(tested >= 2)[0])
    by_hand, base = [], []
    for r, v in enumerate(votes):
        where = np.flatnonzero(v.test == song)
        if len(where):
            by_hand.append(sr.knn_regression(mu, v, 5, ties, 3 + r)[where[0]])
            base.append(sr.genre_mean_prediction(mu[v.train, 4], genre[v.train], genre[v.test])[where[0]])
    assert tested[song] == len(by_hand)
    np.testing.assert_allclose(knn[song], np.mean(by_hand, axis=0))
    np.testing.assert_allclose(genre_only[song, 4], np.mean(base))
    never = tested == 0
    assert np.isnan(knn[never]).all() and not np.isnan(knn[~never]).any()


def _annotations(tmp_path: Path, usable: int, unusable: int) -> tuple[Path, Path]:
    rng = np.random.default_rng(1)
    ids = np.repeat(np.arange(1, usable + unusable + 1), 20)
    events = pd.DataFrame({"track id": ids, **{e: rng.integers(0, 2, len(ids)) for e in EMOTIONS}})
    events.to_csv(tmp_path / "annotations.csv", index=False)
    status = ["ok"] * usable + ["skipped"] * unusable
    pd.DataFrame({"track_id": np.arange(1, usable + unusable + 1), "status": status}).to_csv(
        tmp_path / "tracks.csv", index=False
    )
    return tmp_path / "annotations.csv", tmp_path / "tracks.csv"


def test_the_reliability_is_that_of_the_songs_the_study_uses(tmp_path: Path) -> None:
    annotations, tracks = _annotations(tmp_path, usable=8, unusable=4)
    settings = {"ceiling_splits": 5, "ceiling_bootstrap": 10, "confidence": 0.9, "seed": 0}
    table = write_share_reliability(annotations, tracks, settings, tmp_path / "out.csv")
    assert (table["n_songs"] == 8).all() and (table["n_events"] == 160).all()
    assert pd.read_csv(tmp_path / "out.csv")["emotion"].tolist() == list(EMOTIONS)
    few, few_tracks = _annotations(tmp_path, usable=2, unusable=4)
    with pytest.raises(EmotifyError, match=r"annotations.csv: 2 usable track\(s\) of \S+tracks.csv have ratings"):
        write_share_reliability(few, few_tracks, settings, tmp_path / "never.csv")
    assert not (tmp_path / "never.csv").exists()


def _per_split(network: str, r2: np.ndarray, kind: str = "artist") -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"network": network, "split": kind, "repeat": r, "emotion": e, "r2": r2[r] + i / 100,
             "pearson": 0.5, "n_train": 28, "n_test": 12}
            for r in range(len(r2)) for i, e in enumerate(EMOTIONS)
        ]
    )  # fmt: skip


def _summary(network: str, per: pd.DataFrame) -> pd.DataFrame:
    mean = per.groupby(["split", "emotion"], sort=False)[["r2", "pearson"]].mean().reset_index()
    return mean.assign(
        network=network, r2_ci_low=mean["r2"] - 0.1, r2_ci_high=mean["r2"] + 0.1, pearson_ci_low=0.4,
        pearson_ci_high=0.6, genre_r2=0.0
    )  # fmt: skip


def test_networks_are_paired_split_by_split() -> None:
    base = _per_split("VGG19", np.array([0.1, 0.2, 0.3, 0.2]))
    better = _per_split("MSD_musicnn", np.array([0.3, 0.45, 0.5, 0.4]))
    table = compare_shares([_summary("VGG19", base), _summary("MSD_musicnn", better)], [base, better], 0.95)
    assert list(table.columns[:3]) == ["network", "split", "emotion"] and len(table) == 18
    assert table.loc[table["network"] == "VGG19", "r2_difference"].isna().all()
    other = table[table["network"] == "MSD_musicnn"]
    np.testing.assert_allclose(other["r2_difference"], 0.2125)  # the mean of 0.2, 0.25, 0.2, 0.2
    assert (other["r2_difference_ci_low"] > 0).all() and (other["pearson_difference"] == 0).all()
    lines = shares_comparison_finding(table)
    assert lines == [
        "- **MSD_musicnn - VGG19**, R2 of the rating shares (paired intervals, each on its own): "
        "artist splits: 9 of 9 above 0, 0 below."
    ]
    assert (
        not other["r2_constant_difference"].any()
        and table.loc[table["network"] == "VGG19", "r2_constant_difference"].isna().all()
    )
    flat, high = base.assign(r2=0.25), base.assign(r2=0.5)
    same = compare_shares([_summary("VGG19", flat), _summary("B", high)], [flat, high], 0.95)
    shifted = same[same["network"] == "B"]  # the same difference on every split: no spread, no interval
    assert shifted["r2_constant_difference"].all() and shifted["r2_difference_ci_low"].isna().all()
    np.testing.assert_allclose(shifted["r2_difference"], 0.25)
    with pytest.raises(
        EmotifyError, match="artist / amazement rating shares: the two networks were not evaluated on the same splits"
    ):
        compare_shares([_summary("VGG19", base), _summary("B", better)], [base, better[better["repeat"] < 3]], 0.95)


def _shares(p_holm: float | None, r2: float = 0.2, reliability: float = 0.5) -> pd.DataFrame:
    rows = []
    for i, e in enumerate(EMOTIONS):
        row = {
            "network": "VGG19",
            "split": "artist",
            "emotion": e,
            "r2": r2 + i / 100,
            "r2_ci_low": r2 - 0.1,
            "r2_ci_high": r2 + 0.2,
            "genre_r2": 0.1,
            "genre_r2_ci_low": 0.0,
            "genre_r2_ci_high": 0.2,
            "r2_gain": r2 + i / 100 - 0.1,
            "r2_gain_ci_low": -0.05,
            "r2_gain_ci_high": 0.3,
            "reliability": reliability,
            "reliability_song_bootstrap_low": reliability - 0.1,
            "reliability_song_bootstrap_high": reliability + 0.1,
            "r2_of_reliability": (r2 + i / 100) / reliability,
            "within_genre_p_holm": np.nan if p_holm is None else (p_holm if i < 3 else 0.5),
            "p_holm_floor": 0.009,
            "permutations": 999,
            "permutation_splits": 5,
            "permutation": "by artist",
        }
        rows.append(row)
    return pd.DataFrame(rows)  # fmt: skip


def test_the_findings_line_states_its_numbers_and_no_more() -> None:
    scores, beyond = shares_finding(_shares(0.01), 0.05)
    assert scores.startswith("- **Rating shares from audio** (artist splits")
    assert "mean R2 0.20 (amazement) to 0.28 (sadness)" in scores
    assert "reliabilities of 0.50 to 0.50" in scores and "sadness's R2 is 0.56 of its reliability" in scores
    assert beyond.startswith("- **Rating shares beyond genre** (artist splits)")
    assert "the paired interval of the R2 gain over genre alone lies above 0 for 0 of 9 emotions" in beyond
    assert "audio carries information about mu beyond genre for 3 of 9 emotions at Holm-adjusted p <= 0.05" in beyond
    assert "(amazement, solemnity, tenderness)" in beyond and "not evidence of no information" in beyond
    assert "still below" not in beyond and "holds" not in scores + beyond
    # a small p is no positive gain: the emotions whose gain is not above 0 are named as such
    weak = shares_finding(_shares(0.01, r2=0.0), 0.05)[1]
    assert "of which amazement, solemnity, tenderness still below genre alone's R2" in weak
    untested = shares_finding(_shares(None), 0.05)[1]
    assert "lies above 0 for 0 of 9 emotions (each interval on its own)." in untested
    assert "beyond genre for" not in untested


def test_the_summary_table_fits_and_each_sentence_follows_its_numbers() -> None:
    shares = _shares(0.01)
    table = shares_table_rows(shares)
    assert len(table.columns) <= 12 and len(table) == 9
    assert table.loc[0, "R2 artist"] == "0.20 [0.10, 0.40]" and table.loc[0, "Holm p"] == "0.010"
    row = shares.set_index("emotion").loc["amazement"]
    sentence = emotion_share_sentence(row, "artist", 0.05)
    assert sentence.startswith("- **amazement** (artist splits): R2 0.20 [0.10, 0.40], genre alone 0.10 [0.00, 0.20]")
    assert "Holm-adjusted p = 0.010 (at or below 0.05)" in sentence and "is 0.40 of it" in sentence
    worse = emotion_share_sentence(_shares(0.5, r2=-0.2).set_index("emotion").loc["amazement"], "artist", 0.05)
    assert "(above 0.05)" in worse and "not above 0, no better than the training mean" in worse
    assert "of it" not in worse
    assert shares_table_rows(_shares(0.5, r2=-0.2)).loc[0, "R2 / reliability"] == ""  # no ratio of a negative R2
    section = shares_section(shares)
    assert section[0] == "## Rating shares: predicted, against their reliability" and "VGG19's features" in section[2]
