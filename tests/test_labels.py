"""Label derivation: mu(s, k), the per-emotion median and label = 1 iff mu > median."""

import csv

import numpy as np
import pandas as pd
import pytest
from conftest import SHARED, needs_shared

from emotify_pipeline.core.emotify import EMOTIONS
from emotify_pipeline.data.annotations import read_annotations
from emotify_pipeline.data.labels import binary_labels, median_thresholds, rating_shares, threshold_table


def _events(rows: list[tuple[int, str, dict[str, int]]]) -> pd.DataFrame:
    return pd.DataFrame([{"track id": t, "genre": g, **{e: marks.get(e, 0) for e in EMOTIONS}} for t, g, marks in rows])


def test_hand_computed_example() -> None:
    # song 1: 4 events, sadness marked twice -> 0.5; song 2: 2 events, sadness once -> 0.5;
    # song 3: 5 events, sadness 0 -> 0.0; song 4: 1 event with sadness -> 1.0
    events = _events(
        [
            (1, "rock", {"sadness": 1, "power": 1}),
            (1, "rock", {"sadness": 1}),
            (1, "rock", {}),
            (1, "rock", {"power": 1}),
            (2, "pop", {"sadness": 1}),
            (2, "pop", {}),
            *[(3, "classical", {"calmness": 1}) for _ in range(5)],
            (4, "electronic", {"sadness": 1}),
        ]
    )
    mu = rating_shares(events)
    assert mu["track_id"].tolist() == [1, 2, 3, 4]
    assert mu["n_ratings"].tolist() == [4, 2, 5, 1]
    assert mu["sadness"].tolist() == [0.5, 0.5, 0.0, 1.0]
    assert mu["power"].tolist() == [0.5, 0.0, 0.0, 0.0]
    m = median_thresholds(mu)
    assert m["sadness"] == 0.5  # median of 0, 0.5, 0.5, 1
    assert m["power"] == 0.0
    labels = binary_labels(mu)
    # strictly greater: the two songs at the median are negative
    assert labels["sadness"].tolist() == [0, 0, 0, 1]
    assert labels["power"].tolist() == [1, 0, 0, 0]
    assert labels["calmness"].tolist() == [0, 0, 1, 0]
    table = threshold_table(mu, labels).set_index("emotion")
    assert table.loc["sadness", "n_at_threshold"] == 2 and table.loc["sadness", "threshold"] == 0.5
    assert table.loc["sadness", "positive_share"] == 0.25


def test_mean_threshold_rule() -> None:
    mu = pd.DataFrame({"track_id": [1, 2, 3], "genre": ["rock"] * 3, **{e: [0.0, 0.1, 0.5] for e in EMOTIONS}})
    assert binary_labels(mu, rule="median")["sadness"].tolist() == [0, 0, 1]
    assert binary_labels(mu, rule="mean")["sadness"].tolist() == [0, 0, 1]  # mean 0.2
    mu["sadness"] = [0.0, 0.3, 0.33]
    assert binary_labels(mu, rule="median")["sadness"].tolist() == [0, 0, 1]
    assert binary_labels(mu, rule="mean")["sadness"].tolist() == [0, 1, 1]  # mean 0.21


def test_missing_column_is_a_clear_error() -> None:
    from emotify_pipeline.core.errors import EmotifyError

    with pytest.raises(EmotifyError, match="sadness"):
        rating_shares(_events([(1, "rock", {})]).drop(columns=["sadness"]))


@needs_shared
def test_real_emotify_labels_match_an_independent_count() -> None:
    data = read_annotations(SHARED / "data.csv")
    assert len(data) == 8407
    mu = rating_shares(data)
    labels = binary_labels(mu)
    assert len(mu) == 400 and mu["n_ratings"].between(11, 59).all()
    # independent count with the csv module for a few tracks
    counts: dict[int, list[int]] = {}
    with open(SHARED / "data.csv", newline="") as handle:
        reader = csv.reader(handle, skipinitialspace=True)
        header = next(reader)
        col = {name: i for i, name in enumerate(header)}
        for row in reader:
            tid = int(row[0])
            c = counts.setdefault(tid, [0] * (len(EMOTIONS) + 1))
            c[-1] += 1
            for j, e in enumerate(EMOTIONS):
                c[j] += int(row[col[e]])
    for tid in (1, 101, 250, 301, 400):
        expected = np.array(counts[tid][:-1]) / counts[tid][-1]
        got = mu.set_index("track_id").loc[tid, list(EMOTIONS)].to_numpy(dtype=float)
        np.testing.assert_allclose(got, expected)
    for e in EMOTIONS:
        median = float(np.median([counts[t][EMOTIONS.index(e)] / counts[t][-1] for t in counts]))
        expected_labels = [int(counts[t][EMOTIONS.index(e)] / counts[t][-1] > median) for t in sorted(counts)]
        assert labels[e].tolist() == expected_labels
        assert 0.45 <= labels[e].mean() <= 0.5  # at most half: ties at the median are negative
