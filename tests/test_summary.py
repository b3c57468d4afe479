"""The summary's sentences are generated from the numbers they state: fed contrary numbers, they
change (no verdict is written in advance)."""

import numpy as np
import pandas as pd

from emotify_pipeline.core.emotify import EMOTIONS, GENRES
from emotify_pipeline.report.sentences import artist_structure, claim_sentences, emotion_sentences, split_lines


def _claims(with_classical: float, won_classical: float) -> pd.DataFrame:
    rows = []
    for ties in ("sklearn", "random"):
        for g in GENRES:
            classical = g == "classical"
            rows.append(
                {
                    "experiment": "exp4_genre_from_predicted_emotions",
                    "ties": ties,
                    "genre": g,
                    "excess_share": 0.1 if classical else -0.03,
                    "excess_range_low": -0.05,
                    "excess_range_high": 0.2,
                    "excess_positive_share": 0.8,
                    "vote_tie_rate": 0.25,
                    "distance_tie_rate": 0.1,
                    "vote_ties_with": with_classical if classical else 0.6,
                    "vote_ties_won": (won_classical if ties == "sklearn" else 0.25) if classical else 0.2,
                    "recall": 0.5,
                    "top_recall_share": 0.25,
                    "n_repeats": 10,
                }
            )
    return pd.DataFrame(rows)


def test_tie_sentence_states_the_share_of_ties_that_include_classical() -> None:
    few = " ".join(claim_sentences(_claims(0.375, 0.375)))
    many = " ".join(claim_sentences(_claims(0.9, 0.9)))
    assert "first of the tied classes in sorted order" in few and "hands both to classical" not in few
    assert "classical 37.5%" in few and "classical 90.0%" in many and few != many


def _beyond(diffs: list[float], holm: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "emotion": list(EMOTIONS),
            "genre": "all",
            "split": "artist",
            "permutation": "by artist within genre among same-size artists",
            "permutations": 1000,
            "p_holm_floor": 9 / 1001,
            "audio_minus_genre": diffs,
            "within_genre_p_holm": holm,
        }
    )


def test_emotion_sentences_follow_their_numbers() -> None:
    extended = pd.DataFrame({"ceiling": [0.8, 0.9], "half_panel_agreement": [0.6, 0.7], "half_panel_kappa": [0.2, 0.3]})
    below = " ".join(emotion_sentences(_beyond([-0.05] * 3 + [0.02] * 6, [1.0] * 9), extended))
    above = " ".join(emotion_sentences(_beyond([0.04] * 9, [0.001] + [0.5] * 8), extended))
    assert "**below** the genre-only baseline for 3: amazement (-0.050)" in below
    assert "below the genre-only baseline for none" in above
    assert "no emotion has a Holm-adjusted p <= 0.05" in below
    assert "1 of 9 emotions have a Holm-adjusted p <= 0.05 (amazement)" in above and "artist's identity" in above
    assert "0.0090" in above  # the smallest attainable Holm-adjusted p is printed
    assert "below the emotion's ceiling for 2 of 2 emotions" in below
    assert "interval of the difference" not in below  # a table without the intervals claims none
    ci = _beyond([0.04] * 9, [0.5] * 9).assign(
        audio_minus_genre_ci_low=[0.01, -0.02] + [-0.05] * 7, audio_minus_genre_ci_high=[0.07, 0.1] + [-0.01] * 7
    )
    text = " ".join(emotion_sentences(ci, extended))
    assert "lies above 0 for 1 (amazement) and below 0 for 7 (tenderness," in text
    found = _beyond([0.04] * 9, [0.001] + [0.5] * 8).assign(
        audio_minus_genre_ci_low=[-0.1] + [0.0] * 8, audio_minus_genre_ci_high=[0.2] + [0.1] * 8
    )
    text = " ".join(emotion_sentences(found, extended))
    assert (
        "for 1 of them (amazement) the accuracy gain over the genre-only baseline has an interval that includes 0"
        in text
    )
    shown = found.assign(audio_minus_genre_ci_low=[0.01] + [0.0] * 8)
    assert "an interval above 0 for each of them" in " ".join(emotion_sentences(shown, extended))
    assert "no Holm-adjusted p can reach" not in below
    few = _beyond([0.04] * 9, [0.09] * 9).assign(permutations=99, p_holm_floor=9 / 100)
    text = " ".join(emotion_sentences(few, extended))
    assert "With 99 permutations no Holm-adjusted p can reach 0.05" in text and "at least 179" in text
    contrary = extended.assign(half_panel_agreement=[0.85, 0.7], ceiling_low=[0.7, 0.8], ceiling_high=[0.9, 0.95])
    text = " ".join(emotion_sentences(_beyond([0.04] * 9, [0.5] * 9), contrary))
    assert "below the emotion's ceiling for 1 of 2 emotions" in text
    assert "lowest lower bound 0.70, highest upper bound 0.95" in text  # the ceiling's interval, when computed


def test_split_lines_state_the_size_bias_with_its_size() -> None:
    table = pd.DataFrame(
        {
            "test_share": [0.31, 0.31],
            "n_test_groups": [44, 45],
            "n_groups": [138, 138],
            "test_share_groups_1": [0.33, 0.33],
            "test_share_groups_10_up": [0.29, 0.29],
        }
    )
    text = " ".join(split_lines({"artist": table}))
    assert "Small artists land on the test side more often than large ones (0.330 vs 0.290)" in text
    flipped = table.assign(test_share_groups_1=np.array([0.2, 0.2]))
    assert "Small artists" not in " ".join(split_lines({"artist": flipped}))
    one_size = table.assign(test_share_groups_10_up=np.nan)  # no group of 10+ songs: no comparison, no nan
    text = " ".join(split_lines({"artist": one_size}))
    assert "no size bias to measure" in text and "nan" not in text


def test_artist_structure_is_counted_from_the_tracks_not_written_in() -> None:
    """The summary's count of songs whose artist spans genres (43 in the complete archive's
    groups.csv) comes from tracks.csv: an artist in two genres, one with two albums."""
    tracks = pd.DataFrame(
        {
            "status": ["ok", "ok", "ok", "ok", "skipped"],
            "genre": ["rock", "pop", "rock", "classical", "pop"],
            "artist": ["A", "A", "B", "C", "C"],
            "album": ["a1", "a2", "b1", "c1", "c1"],
        }
    )
    assert artist_structure(tracks) == {
        "songs": 4,
        "songs_of_cross_genre_artists": 2,
        "artists_with_several_albums": 1,
    }
    one_each = tracks.assign(artist=["A", "B", "C", "D", "E"])
    assert artist_structure(one_each)["songs_of_cross_genre_artists"] == 0
    assert artist_structure(one_each)["artists_with_several_albums"] == 0


def _repeated(genre_low: float, holm: list[float]) -> pd.DataFrame:
    rows = [
        {
            "experiment": "exp1_genre_from_audio",
            "target": "genre",
            "split": split,
            "mean_accuracy": 0.45,
            "ci_low": genre_low,
            "ci_high": 0.6,
            "majority_baseline": 0.25,
            "permutation_p": 0.001,
            "permutation_p_holm": np.nan,
            "paper": 1.0 if split == "random" else np.nan,
        }
        for split in ("random", "artist")
    ]
    rows += [
        {
            "experiment": "exp2_emotion_from_audio",
            "target": e,
            "split": "random",
            "mean_accuracy": 0.5 + i / 100,
            "ci_low": 0.4,
            "ci_high": 0.7,
            "majority_baseline": 0.5,
            "permutation_p": p,
            "permutation_p_holm": p,
            "paper": 0.5,
        }
        for i, (e, p) in enumerate(zip(EMOTIONS, holm, strict=True))
    ]
    return pd.DataFrame(rows)


def test_findings_follow_their_numbers() -> None:
    """The findings open the summary and say what their numbers say: the same sentence with
    contrary numbers says the contrary."""
    from emotify_pipeline.report.findings import beyond_genre_finding, emotion_finding, genre_finding

    above = genre_finding(_repeated(0.3, [0.5] * 9))
    assert (
        "0.45 [0.30, 0.60] on random splits (interval above the majority baseline 0.25; permutation p = 0.001" in above
    )
    assert "the paper reports 1.00 from one random split" in above
    assert "interval not above the majority baseline" in genre_finding(_repeated(0.2, [0.5] * 9))
    assert "2 of 9 beat chance" in emotion_finding(_repeated(0.3, [0.01, 0.02] + [0.5] * 7), 0.05)
    assert "1 of 9 beats chance" in emotion_finding(_repeated(0.3, [0.01] + [0.5] * 8), 0.05)
    assert "0 of 9 beat chance" in emotion_finding(_repeated(0.3, [0.5] * 9), 0.05)
    unreachable = _repeated(0.3, [1.0] * 9).assign(permutation_p_holm_floor=0.09, permutations=99)
    assert "with 99 permutations no Holm-adjusted p can reach 0.05" in emotion_finding(unreachable, 0.05)
    none = _repeated(0.3, [np.nan] * 9).assign(permutation_p_holm_floor=np.nan, permutations=0)
    assert "with 0 permutations no Holm-adjusted p can reach 0.05" in emotion_finding(none, 0.05)
    beyond = pd.DataFrame(
        {
            "emotion": list(EMOTIONS),
            "genre": "all",
            "split": "artist",
            "within_genre_p_holm": [0.01] * 3 + [0.4] * 6,
            "p_holm_floor": 0.009,
            "permutations": 1000,
        }
    )
    assert "3 of 9 emotions carry information beyond genre" in beyond_genre_finding(beyond, 0.05)
    one = beyond.assign(within_genre_p_holm=[0.01] + [0.4] * 8)
    assert "1 of 9 emotions carries information beyond genre" in beyond_genre_finding(one, 0.05)
    few = beyond.assign(p_holm_floor=0.09, permutations=99, within_genre_p_holm=0.09)
    assert "0 of 9" in (text := beyond_genre_finding(few, 0.05)) and "no Holm-adjusted p can reach 0.05" in text


def test_the_summary_opens_with_findings_and_keeps_tables_narrow() -> None:
    from emotify_pipeline.report.summary import EMOTION_TABLES, GENRE_COLUMNS

    assert len(GENRE_COLUMNS) <= 12 and all(len(cols) <= 12 for _, cols in EMOTION_TABLES)
