"""Geometry once: the cached neighbour rankings equal StandardScaler + exact distances (float64,
ties in training-row order) and scikit-learn's neighbours, on wide data with exact ties,
near-ties and constant columns; the split tables carry every split and inner fold."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.decomposition import PCA
from sklearn.neighbors import KNeighborsClassifier, NearestNeighbors
from sklearn.preprocessing import StandardScaler

from emotify_pipeline.core.emotify import EMOTIONS, GENRES
from emotify_pipeline.core.errors import EmotifyError
from emotify_pipeline.neighbours import columns as column_blocks
from emotify_pipeline.neighbours import geometry, gram, knn
from emotify_pipeline.neighbours.ablation_rankings import pca_coordinates
from emotify_pipeline.neighbours.splits import Split, inner_folds, read_splits, resampled_splits, split_table


def _wide(n: int = 90, d: int = 6000, seed: int = 0) -> np.ndarray:
    """ReLU-like sparse features with the warts of real ones: all-zero columns, a column that is
    constant except on one row, identical rows (exact distance ties), a near-duplicate row."""
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(6, d))
    x = np.maximum(base[rng.integers(0, 6, n)] + rng.normal(scale=0.8, size=(n, d)), 0) * rng.lognormal(size=d)
    x[:, :500] = 0.0
    x[5, :10] = 1.0
    x[10] = x[11] = x[3]
    x[12] = x[4] * (1 + 1e-7)
    return x.astype(np.float32).astype(np.float64)  # features are stored as float32


def _exact(x: np.ndarray, train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reference: StandardScaler on the training rows, distances from differences in float64,
    ties in training-row order. Returns (ranking, sorted distances)."""
    a, b = knn.standardise(x[train], x[test])
    d = np.stack([((a - row) ** 2).sum(axis=1) for row in b])
    order = np.stack([np.lexsort((np.arange(len(train)), di)) for di in d])
    return order, np.take_along_axis(d, order, axis=1)


def _pairs(n: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    pairs = []
    for _ in range(4):
        p = rng.permutation(n)
        pairs.append((np.sort(p[: int(0.7 * n)]), np.sort(p[int(0.7 * n) :])))
    pairs.append((np.r_[0:3, 5:60], np.r_[3:5, 60:n]))  # the duplicates 3, 10, 11 split apart
    pairs.append((np.r_[6:n], np.r_[0:6]))  # row 5's odd column constant on the training rows
    outer = pairs[0][0]  # inner folds after their outer split: the block of training rows is reused
    pairs += [(np.setdiff1d(outer, outer[f::3]), outer[f::3]) for f in range(3)]
    return pairs


def test_wide_rankings_equal_exact_float64_ties_included() -> None:
    x = _wide()
    pairs = _pairs(len(x), seed=1)
    got = geometry.ranked(x, pairs)
    for (train, test), order in zip(pairs, got, strict=True):
        want, _ = _exact(x, train, test)
        np.testing.assert_array_equal(order, want)
    assert geometry.EXACT_MAX_COLUMNS < x.shape[1]  # the float32 path was the one tested


def test_rankings_agree_with_scikit_learn_up_to_the_order_of_equal_distances() -> None:
    x = _wide(seed=2)
    y = np.array(GENRES * (len(x) // 4 + 1))[: len(x)]
    ties = 0
    for train, test in _pairs(len(x), seed=3):
        order = geometry.ranked(x, [(train, test)])[0]
        _, dist = _exact(x, train, test)
        scaler = StandardScaler().fit(x[train])
        nn = NearestNeighbors(n_neighbors=len(train), algorithm="brute").fit(scaler.transform(x[train]))
        sk_dist, sk_idx = nn.kneighbors(scaler.transform(x[test]))
        np.testing.assert_allclose(dist, sk_dist**2, rtol=1e-6, atol=1e-9 * dist.max())  # sklearn rounds in its Gram
        tied = np.isclose(dist[:, 1:], dist[:, :-1], rtol=1e-9)
        tie = np.zeros_like(order, dtype=bool)
        tie[:, 1:] |= tied
        tie[:, :-1] |= tied
        np.testing.assert_array_equal(order[~tie], sk_idx[~tie])  # every untied position identical
        for row in range(len(test)):  # tied runs hold the same training songs
            for pos in np.flatnonzero(tie[row]):
                assert sk_idx[row, pos] in order[row, tie[row]]
        ties += int(tie.sum())
        # predictions equal KNeighborsClassifier's wherever no tie straddles the k-th neighbour
        k = 5
        model = KNeighborsClassifier(n_neighbors=k, algorithm="brute").fit(scaler.transform(x[train]), y[train])
        clear = ~np.isclose(dist[:, k - 1], dist[:, k], rtol=1e-9)
        pred = knn.vote(y[train], order[:, :k])[0]
        np.testing.assert_array_equal(pred[clear], model.predict(scaler.transform(x[test]))[clear])
    assert ties > 0  # the identical rows were ranked


def test_the_gram_error_bound_holds() -> None:
    x = _wide(seed=4)
    x[60] = x[:60].mean(axis=0)  # a test row at the training mean: its norm is tiny, the others' are not
    xc, raw = gram.centre(x)
    sq = xc * xc
    for train, test in _pairs(len(x), seed=5):
        _, w = gram.training_scaling(raw, xc, sq, [train])
        w = w[0]
        norms = sq @ w
        by_gram = norms[test][:, None] + norms[train][None, :] - 2.0 * ((xc[test] * w) @ xc[train].T)
        exact = np.stack([(((xc[train] - xc[i]) ** 2) * w).sum(axis=1) for i in test])
        bound = gram.error_bound(norms[test], norms[train], xc.shape[1])
        assert (np.abs(by_gram - exact) <= bound).all()
        assert np.median(bound[exact > 0] / exact[exact > 0]) < 1e-9  # tight: only near-ties are recomputed


def test_training_scaling_is_standard_scalers_near_constant_columns_included() -> None:
    x = _wide(n=40, d=3000, seed=6)
    train = np.arange(3, 40)
    x[train, 1000] = 0.0
    x[7, 1000] = 3e-8  # nearly constant on the training rows, large on the test rows
    x[:3, 1000] = 5.0
    x[train, 1001] = 1e5 + np.arange(len(train)) * 1e-4  # tiny spread far from the mean
    x[:3, 1001] = 0.0
    xc, raw = gram.centre(x)
    _, w = gram.training_scaling(raw, xc, xc * xc, [train])
    kept = (x != x[:1]).any(axis=0)
    scaler = StandardScaler().fit(x[train][:, kept])
    np.testing.assert_allclose(w[0], 1.0 / scaler.scale_**2, rtol=1e-7)
    order = geometry.ranked(x, [(train, np.arange(3))])[0]
    want, _ = _exact(x, train, np.arange(3))
    np.testing.assert_array_equal(order, want)
    model = NearestNeighbors(n_neighbors=len(train), algorithm="brute").fit(scaler.transform(x[train][:, kept]))
    assert (model.kneighbors(scaler.transform(x[:3][:, kept]))[1][:, 0] == order[:, 0]).all()


def test_narrow_lattice_inputs_keep_equidistant_neighbours_in_training_order() -> None:
    rng = np.random.default_rng(7)
    x = rng.integers(0, 6, size=(60, 9)) / 5.0  # vote shares, as Experiment IV's inputs
    train, test = np.arange(40), np.arange(40, 60)
    order = geometry.ranked(x, [(train, test)])[0]
    a, b = knn.standardise(x[train], x[test])
    for row in range(len(test)):
        d = ((a - b[row]) ** 2).sum(axis=1)
        key = np.round(d / d.max(), 9)  # equal up to rounding
        np.testing.assert_array_equal(order[row], np.lexsort((np.arange(len(train)), key)))
    assert order.shape == (20, 40)


def test_pca_from_the_training_gram_equals_scikit_learn() -> None:
    x = _wide(n=60, d=4000, seed=8)
    train = np.arange(0, 56, 2)  # the other rows are projected as test songs
    gram = geometry.centred_training_grams(x, [train])[0]
    coords, used = pca_coordinates(gram, train, 5)
    scaler = StandardScaler().fit(x[train])
    pca = PCA(n_components=5, svd_solver="full").fit(scaler.transform(x[train]))
    want = pca.transform(scaler.transform(x))
    assert used == 5
    np.testing.assert_allclose(np.abs(coords), np.abs(want), rtol=1e-6, atol=1e-6 * np.abs(want).max())


def test_rankings_round_trip_through_the_file(tmp_path: Path) -> None:
    x = _wide(n=40, d=3000)
    ids = np.arange(101, 141)
    strata = np.array(GENRES * 10)
    splits = [
        Split(s.train, s.test, tuple((s.train[a], s.train[b]) for a, b in inner_folds(strata[s.train], 3, seed=r)))
        for r, s in enumerate(resampled_splits(strata, 2, 0.3, seed=0))
    ]
    items = geometry.compute_rankings(x, ids, splits, "audio", inner=True)
    geometry.write_rankings(tmp_path / "r.h5", items, {"repeats": 2})
    back = geometry.Rankings(tmp_path / "r.h5")
    assert back.repeats == 2 and len(back.inner(1)) == 3
    for key, item in items.items():
        np.testing.assert_array_equal(back.items[key].order, item.order)
        np.testing.assert_array_equal(back.items[key].train, item.train)
    with pytest.raises(EmotifyError, match="no ranking '5/audio'"):
        back.get(5, "audio")


def test_split_tables_carry_every_split_and_inner_fold() -> None:
    tracks = pd.DataFrame({"track_id": np.arange(1, 41) * 3, "genre": GENRES * 10})
    strata = tracks["genre"].to_numpy()
    splits = resampled_splits(strata, 3, 0.3, seed=4)
    table = split_table(tracks, splits, folds=4, seeds=[10, 11, 12])
    back = read_splits(table, tracks["track_id"].to_numpy())
    for r, (s, t) in enumerate(zip(splits, back, strict=True)):
        np.testing.assert_array_equal(s.train, t.train)
        np.testing.assert_array_equal(s.test, t.test)
        want = inner_folds(strata[s.train], 4, seed=10 + r)
        assert [np.sort(s.train[held]).tolist() for _, held in want] == [h.tolist() for _, h in t.inner]
        for fit, held in t.inner:
            assert not set(fit) & set(held) and set(fit) | set(held) == set(s.train)
    # a track missing from the feature matrix (refused by the decoder) leaves every split
    fewer = read_splits(table, tracks["track_id"].to_numpy()[1:])
    assert all(len(a.train) + len(a.test) == 39 for a in fewer)


def test_rankings_by_column_blocks_and_to_a_depth_equal_the_full_ranking(monkeypatch: pytest.MonkeyPatch) -> None:
    """Summed over many column blocks, ranked in several groups of splits, and cut to a depth:
    the kept positions are the exact ranking's, ties at the boundary kept whole, the rest -1."""
    x = _wide()
    x[:, 600:700] = np.round(x[:, 600:700])  # more ties
    pairs = _pairs(len(x), seed=3)
    monkeypatch.setattr(column_blocks, "BLOCK_BYTES", 8 * len(x) * 2048)  # three blocks
    monkeypatch.setattr(gram, "ACCUMULATOR_BYTES", 8 * 30 * 70)  # about one split per group
    full = geometry.ranked_with_ties(x, pairs)
    for depth in (1, 5, 15):
        cut = geometry.ranked_with_ties(x, pairs, depth)
        for (train, test), (order, tied), (o, t) in zip(pairs, full, cut, strict=True):
            want, _ = _exact(x, train, test)
            np.testing.assert_array_equal(order, want)
            np.testing.assert_array_equal(o[:, : depth + 1], want[:, : depth + 1])
            for row in range(len(test)):
                keep = depth + 1
                while keep < len(train) and tied[row, keep]:
                    keep += 1
                np.testing.assert_array_equal(o[row, :keep], order[row, :keep])
                np.testing.assert_array_equal(t[row, :keep], tied[row, :keep])
                assert (o[row, keep:] == -1).all() and not t[row, keep:].any()
            assert (knn.top(o, depth, len(train)) == want[:, :depth]).all()
            with pytest.raises(EmotifyError, match="beyond the neighbours a ranking keeps"):
                knn.top(o, o.shape[1] + 1, len(train))


def test_a_split_and_its_inner_folds_are_ranked_as_one_family(monkeypatch: pytest.MonkeyPatch) -> None:
    """A split and the inner folds after it form one family (one product per column block against
    the split's training rows); a pair whose training rows leave the family's starts a new one; and
    the family's rankings equal the exact ones however the scalings are batched (``CHUNK``)."""
    x = _wide(seed=7)
    n = len(x)
    rng = np.random.default_rng(8)
    p = rng.permutation(n)
    outer = (np.sort(p[:63]), np.sort(p[63:]))
    inner = [(np.setdiff1d(outer[0], outer[0][f::4]), outer[0][f::4]) for f in range(4)]
    other = (np.sort(p[27:]), np.sort(p[:27]))
    pairs = [outer, *inner, other, (other[0][:40], other[0][40:])]
    assert gram.families(pairs, n) == [[0, 1, 2, 3, 4], [5, 6]]
    for chunk in (2, 32):
        monkeypatch.setattr(gram, "CHUNK", chunk)  # 2: a family's scalings in several batches
        monkeypatch.setattr(column_blocks, "BLOCK_BYTES", 8 * n * 2048)  # three column blocks
        for (train, test), (order, _) in zip(pairs, geometry.ranked_with_ties(x, pairs), strict=True):
            np.testing.assert_array_equal(order, _exact(x, train, test)[0])


def test_scratch_columns_give_the_rankings_and_pca_of_the_features_in_memory(tmp_path: Path) -> None:
    """A feature file too large to hold (here: any) is copied once into column blocks; the
    rankings, training Grams and the Fig. 1 PCA from it equal those from the matrix in memory
    (PCA: scikit-learn's scores up to sign)."""
    from emotify_pipeline.features.store import write_feature_h5
    from emotify_pipeline.neighbours.columns import open_columns
    from emotify_pipeline.study.pca import gram_pca_frame

    x = _wide(n=50, d=5000, seed=4).astype(np.float32)
    ids = np.arange(1, 51)
    path = tmp_path / "f.h5"
    write_feature_h5(path, {"track_id": ids.tolist()}, iter([(0, x)]), {"layer": "pool5"})
    want_ids = ids[::-1][:45]  # a subset, not in file order
    rows = want_ids - 1
    pairs = _pairs(45, seed=5)[:3]
    geometry_block = column_blocks.BLOCK_BYTES
    try:
        column_blocks.BLOCK_BYTES = 8 * 45 * 2048
        with open_columns(path, want_ids, in_memory_bytes=0) as columns:
            assert columns.n_columns == 5000 and len(list(columns.blocks())) == 3
            got = geometry.ranked_with_ties(columns, pairs, 5)
            grams = geometry.centred_training_grams(columns, [p[0] for p in pairs])
            frame, explained = gram_pca_frame(columns, pd.DataFrame({"track_id": want_ids}))
    finally:
        column_blocks.BLOCK_BYTES = geometry_block
    xs = x[rows].astype(np.float64)
    for (o, t), (o2, t2) in zip(got, geometry.ranked_with_ties(xs, pairs, 5), strict=True):
        np.testing.assert_array_equal(o, o2)
        np.testing.assert_array_equal(t, t2)
    for g, g2 in zip(grams, geometry.centred_training_grams(xs, [p[0] for p in pairs]), strict=True):
        np.testing.assert_allclose(g, g2, rtol=1e-10, atol=1e-8 * np.abs(g2).max())
    pca = PCA(n_components=2, svd_solver="full")
    scores = pca.fit_transform(StandardScaler().fit_transform(xs))
    np.testing.assert_allclose(np.abs(frame[["pc1", "pc2"]].to_numpy()), np.abs(scores), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(explained, pca.explained_variance_ratio_, rtol=1e-9)


def test_scratch_columns_hold_the_rows_in_the_callers_order_bit_for_bit(tmp_path: Path, monkeypatch) -> None:
    """The scratch copy (rows written in file order, several row chunks, a padded last block)
    gives back exactly the float32 features of the ids asked for, in their order, and maps no
    file into memory (its pages would count in the job's resident set)."""
    from emotify_pipeline.features.store import write_feature_h5
    from emotify_pipeline.neighbours import columns as columns_module

    x = _wide(n=30, d=4500, seed=7).astype(np.float32)
    ids = np.arange(1, 31)
    path = tmp_path / "f.h5"
    write_feature_h5(path, {"track_id": ids.tolist()}, iter([(0, x)]), {"layer": "pool5"})
    want = np.array([17, 3, 30, 1, 12, 9, 25, 4, 22, 8, 15])
    monkeypatch.setattr(columns_module, "MERGE_BLOCK", 4)  # three row chunks
    monkeypatch.setattr(column_blocks, "BLOCK_BYTES", 8 * len(want) * 2048)  # 2,048 columns a block
    with columns_module.open_columns(path, want, in_memory_bytes=0) as cols:
        assert isinstance(cols, columns_module.ScratchColumns) and not hasattr(cols, "memmap")
        blocks = list(cols.blocks())
    assert [b.shape for b in blocks] == [(len(want), 2048)] * 3
    got = np.concatenate(blocks, axis=1)
    np.testing.assert_array_equal(got[:, :4500], x[want - 1])
    assert not got[:, 4500:].any()  # the padding is constant


def test_ranking_jobs_files_gather_into_one_and_gaps_or_doubles_are_named(tmp_path: Path) -> None:
    x = _wide(n=40, d=3000)
    ids = np.arange(101, 141)
    splits = resampled_splits(np.array(GENRES * 10), 5, 0.3, seed=0)
    whole = geometry.compute_rankings(x, ids, splits, "audio", inner=False, depth=5)
    parts = []
    for job in range(2):
        share = [r for r in range(5) if r % 2 == job]
        items = geometry.compute_rankings(x, ids, splits, "audio", inner=False, depth=5, repeats=share)
        assert sorted(items) == [f"{r}/audio" for r in share]
        parts.append(tmp_path / f"p{job}.h5")
        geometry.write_rankings(parts[-1], items, {"repeats": 5, "depth": 5})
    geometry.gather_rankings(tmp_path / "all.h5", parts, 5)
    back = geometry.Rankings(tmp_path / "all.h5")
    assert back.repeats == 5 and back.attrs["depth"] == 5
    for key, item in whole.items():
        np.testing.assert_array_equal(back.items[key].order, item.order)
    with pytest.raises(EmotifyError, match=r"hold no repeat\(s\) \[1, 3\]"):
        geometry.gather_rankings(tmp_path / "bad.h5", parts[:1], 5)
    with pytest.raises(EmotifyError, match="repeat 0 is also in"):
        geometry.gather_rankings(tmp_path / "bad.h5", [parts[0], parts[0]], 5)
    assert not (tmp_path / "bad.h5").exists()


def test_a_neighbour_file_in_ranking_jobs_equals_the_one_of_a_single_job(tmp_path: Path) -> None:
    from emotify_pipeline.neighbours.neighbour_files import (
        gather_neighbour_files,
        job_share,
        ranking_name,
        write_neighbour_file,
    )

    rng = np.random.default_rng(9)
    ids = np.arange(1, 31)
    tracks = pd.DataFrame({"track_id": ids, "genre": np.repeat(GENRES[:3], 10)})
    table = split_table(tracks, resampled_splits(tracks["genre"].to_numpy(), 3, 0.3, 0), 0, [0, 1, 2])
    table.to_csv(tmp_path / "random.csv", index=False)
    ratings = pd.DataFrame(rng.random((30, len(EMOTIONS))), columns=list(EMOTIONS)).assign(track_id=ids)
    ratings.to_csv(tmp_path / "ratings.csv", index=False)
    assert (
        job_share(table, 1, 2) == [1]
        and ranking_name("audio-vgg19") == "audio"
        and ranking_name("ratings") == "ratings"
    )
    whole = write_neighbour_file(
        tmp_path / "all.h5", tmp_path / "random.csv", "ratings", 5, ratings=tmp_path / "ratings.csv"
    )
    parts = [tmp_path / f"part{p}.h5" for p in range(2)]
    for p, path in enumerate(parts):
        write_neighbour_file(path, tmp_path / "random.csv", "ratings", 5, ratings=tmp_path / "ratings.csv", part=(p, 2))
    assert gather_neighbour_files(tmp_path / "gathered.h5", parts, 3) == 3
    back = geometry.Rankings(tmp_path / "gathered.h5")
    assert sorted(back.items) == sorted(whole) and back.attrs["inputs"] == "ratings" and back.attrs["depth"] == 5
    for key, ranking in whole.items():
        np.testing.assert_array_equal(back.items[key].order, ranking.order)
    with pytest.raises(EmotifyError, match=r"ratings.csv: no rating shares for track id\(s\) \[1\]"):
        ratings[ratings["track_id"] != 1].to_csv(tmp_path / "ratings.csv", index=False)
        write_neighbour_file(tmp_path / "x.h5", tmp_path / "random.csv", "ratings", 5, ratings=tmp_path / "ratings.csv")


def test_the_split_tables_are_written_from_the_track_table(tmp_path: Path) -> None:
    from emotify_pipeline.neighbours.splits import resampled_table, split_groups, write_paper_split

    n = 24
    tracks = pd.DataFrame(
        {
            "track_id": np.arange(1, n + 1),
            "genre": np.repeat(GENRES[:2], n // 2),
            "status": ["ok"] * (n - 1) + ["skipped"],
            "artist": [f"a{i % 6}" for i in range(n)],
        }
    )
    tracks.to_csv(tmp_path / "tracks.csv", index=False)
    table = write_paper_split(tmp_path / "tracks.csv", tmp_path / "paper.csv", 0.25, 3, folds=2)
    assert table.equals(pd.read_csv(tmp_path / "paper.csv")) and n not in set(table["track_id"])  # usable only
    assert (table["subset"] == "test").sum() == 6 and set(table.loc[table["subset"] == "train", "inner_fold"]) == {0, 1}
    usable = tracks[tracks["status"] == "ok"].reset_index(drop=True)
    grouped = resampled_table(usable, "artist", split_groups(usable, "artist", "t.csv"), 4, 0.3, 0, 5)
    assert (grouped["inner_fold"] == -1).all()  # inner folds for random splits only
    assert grouped.groupby(["repeat", "group"])["subset"].nunique().max() == 1  # an artist on one side
    untagged = usable.assign(artist=usable["artist"].where(usable["track_id"] != 4))
    with pytest.raises(EmotifyError, match=r"t.csv: no artist tag for track\(s\) \[4\]"):
        split_groups(untagged, "artist", "t.csv")
    assert split_groups(usable, "random", "t.csv") is None


def _far_cluster(seed: int = 0, n: int = 60, d: int = 3000, far: int = 20, offset: float = 4096.0) -> np.ndarray:
    """Wide float32 features with a cluster of rows far from the others: large column offsets
    and differences at the float32 grain there, so that the float64 Gram distances between the
    cluster's rows lose every significant digit to cancellation."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype(np.float32)
    base = (offset + rng.integers(0, 4, size=d) * 0.25).astype(np.float32)
    x[:far] = base + (rng.integers(0, 3, size=(far, d)) * np.float32(offset * 2**-23)).astype(np.float32)
    return x


def test_rankings_follow_the_exact_distances_where_the_gram_order_is_wrong(monkeypatch: pytest.MonkeyPatch) -> None:
    """On data whose Gram order is wrong, the ranking is the order of the distances from the
    differences, and only because of the re-check: without it, or with its bound weakened to the
    tie tolerance alone, rows come out in the wrong order; the proven bound holds there."""
    x = _far_cluster()
    train, test = np.arange(1, 60, 2), np.arange(0, 60, 2)
    want, _ = _exact(x, train, test)
    np.testing.assert_array_equal(geometry.ranked(x, [(train, test)])[0], want)
    with monkeypatch.context() as m:
        m.setattr(gram, "_doubts", lambda *args, **kwargs: [])
        assert (geometry.ranked(x, [(train, test)])[0] != want).any(axis=1).sum() >= 5
    with monkeypatch.context() as m:
        m.setattr(gram, "error_bound", lambda a, b, n: np.zeros((len(a), len(b))))
        assert (geometry.ranked(x, [(train, test)])[0] != want).any(axis=1).sum() >= 5
    xc, raw = gram.centre(x)
    sq = xc * xc
    w = gram.training_scaling(raw, xc, sq, [train])[1][0]
    norms = sq @ w
    by_gram = norms[test][:, None] + norms[train][None, :] - 2.0 * ((xc[test] * w) @ xc[train].T)
    exact = np.stack([(((xc[train] - xc[i]) ** 2) * w).sum(axis=1) for i in test])
    assert (np.abs(by_gram - exact) <= gram.error_bound(norms[test], norms[train], xc.shape[1])).all()


def test_the_error_bound_is_highams_worst_case_not_less() -> None:
    """The bound is the proven one, (2 gamma_(n+2) + 4u) (N_i + N_j) / (1 - gamma_(n+2)) with u =
    2^-53, computed here in exact rational arithmetic: a bound scaled down (which the data of the
    other tests, whose errors lie far below the worst case, would not notice) fails."""
    from fractions import Fraction

    u = Fraction(1, 2**53)
    norm_test, norm_train = np.array([1.0, 3.5]), np.array([2.0, 1e6, 0.0])
    for n in (1, 4096, 163840, 10**7):
        g = (n + 2) * u / (1 - (n + 2) * u)
        factor = (2 * g + 4 * u) / (1 - g)
        want = np.array([[float(factor * Fraction(a + b)) for b in norm_train] for a in norm_test])
        got = gram.error_bound(norm_test, norm_train, n)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)
        assert float(gram.gamma(n + 2)) == pytest.approx(float(g), rel=1e-12)


def test_in_doubt_joins_every_pair_the_bounds_cannot_order() -> None:
    """A position is a run boundary only when everything before it is provably below everything
    after it: a wide bound far down the list joins the positions it overlaps, not only its
    neighbour."""
    ds = np.array([[1.0, 2.0, 3.0, 4.0, 10.0]])
    narrow = np.full_like(ds, 0.1)
    assert not gram.in_doubt(ds, narrow).any()
    wide_last = narrow.copy()
    wide_last[0, 4] = 7.5  # its interval reaches down to 2.5: positions 2 to 4 are one run
    np.testing.assert_array_equal(gram.in_doubt(ds, wide_last)[0], [False, False, True, True])
    wide_first = narrow.copy()
    wide_first[0, 0] = 2.5  # reaches up to 3.5: positions 0 to 2 are one run
    np.testing.assert_array_equal(gram.in_doubt(ds, wide_first)[0], [True, True, False, False])
