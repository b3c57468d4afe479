"""Every train/test split of the workflow, in one place, written to a table before any
classifier runs: the paper's one random 70/30 split, and the resampled splits of the repeated
evaluation (``random``: stratified by genre; ``artist``/``album``: all songs of a group on one
side), each with the inner folds of its training songs (Experiment IV's out-of-fold
probabilities). The neighbour rankings (:mod:`geometry`) and every vote (:mod:`knn`) read these
tables, so a split is drawn once and the same split is used by every analysis.

A split table has one row per (repeat, track): ``repeat``, ``track_id``, ``genre``, ``subset``
(``train``/``test``) and ``inner_fold`` (the inner fold of a training song, -1 for a test song).
"""

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import KFold, StratifiedKFold, StratifiedShuffleSplit, train_test_split

from ..core.emotify import usable_tracks
from ..core.errors import EmotifyError
from ..core.files import write_csv
from ..features.store import feature_track_ids
from ..stats.streams import stream_seed


@dataclass(frozen=True)
class Split:
    """Row indices of one train/test split, and of the inner folds of its training rows
    (``(fit, held)`` pairs of row indices, ``held`` within ``train``)."""

    train: np.ndarray
    test: np.ndarray
    inner: tuple[tuple[np.ndarray, np.ndarray], ...] = field(default=())


def paper_split(tracks: pd.DataFrame, test_size: float, seed: int, stratify: bool = True) -> pd.DataFrame:
    """The paper's one random train/test split of the usable tracks, stratified by genre when
    possible. Returns columns track_id, genre, subset (``train``/``test``), sorted by track id."""
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


def resampled_splits(y: np.ndarray, repeats: int, test_size: float, seed: int) -> list[Split]:
    """``repeats`` shuffle splits stratified by ``y`` (grouped ones: :func:`grouped_splits`)."""
    splitter = StratifiedShuffleSplit(n_splits=repeats, test_size=test_size, random_state=seed)
    return [Split(np.sort(tr), np.sort(te)) for tr, te in splitter.split(np.zeros(len(y)), y)]


def grouped_splits(y: np.ndarray, groups: np.ndarray, repeats: int, test_size: float, seed: int) -> list[Split]:
    """``repeats`` splits that keep every group (artist, album) on one side and approach the
    song-level test share and genre balance: for each split, the groups in a seeded random order
    join the test side whenever that brings the test side's per-genre song counts closer to
    ``test_size`` x each genre's songs (squared distance). A genre is never emptied from the
    training side (taking all its songs would move its count further from the target)."""
    y, groups = np.asarray(y), np.asarray(groups)
    names, codes = np.unique(groups, return_inverse=True)
    if len(names) < 2:
        raise EmotifyError("a grouped split needs at least two groups")
    classes, y_codes = np.unique(y, return_inverse=True)
    composition = np.zeros((len(names), len(classes)))
    np.add.at(composition, (codes, y_codes), 1.0)
    target = test_size * composition.sum(axis=0)
    rng = np.random.default_rng(seed)
    # plain floats: the same arithmetic as numpy's, without its per-call cost
    rows, goal = composition.tolist(), target.tolist()
    out = []
    for _ in range(repeats):
        counts = [0.0] * len(classes)
        in_test = np.zeros(len(names), dtype=bool)
        for g in rng.permutation(len(names)).tolist():
            new = [c + a for c, a in zip(counts, rows[g], strict=True)]
            if sum((v - t) ** 2 for v, t in zip(new, goal, strict=True)) < sum(
                (v - t) ** 2 for v, t in zip(counts, goal, strict=True)
            ):
                counts, in_test[g] = new, True
        test = np.flatnonzero(in_test[codes])
        train = np.flatnonzero(~in_test[codes])
        if len(test) == 0 or len(train) == 0:
            raise EmotifyError(f"cannot split {len(names)} groups into training and test sides")
        out.append(Split(train, test))
    return out


def split_sizes(table: pd.DataFrame) -> pd.DataFrame:
    """Per split of a split table: test songs, test share, and test songs per genre -- how far a
    (grouped) split is from the nominal share and the genre balance."""
    test = table[table["subset"] == "test"]
    sizes = test.groupby("repeat").size().rename("n_test").to_frame()
    sizes["n_songs"] = table.groupby("repeat").size()
    sizes["test_share"] = sizes["n_test"] / sizes["n_songs"]
    per_genre = test.groupby(["repeat", "genre"]).size().unstack(fill_value=0).add_prefix("test_")
    sizes = sizes.join(per_genre).fillna(0)
    if "group" in table:
        sizes = sizes.join(group_composition(table))
    return sizes.reset_index()


GROUP_SIZE_BINS = ((1, 1), (2, 4), (5, 9), (10, None))


def group_composition(table: pd.DataFrame) -> pd.DataFrame:
    """Per split of a grouped split table: test groups and, per group-size bin (1, 2-4, 5-9,
    10+ songs), the share of those groups' songs on the test side. The greedy assignment of
    :func:`grouped_splits` takes a group only when it brings the genre counts closer to their
    targets, which a large group overshoots more often: small groups land on the test side more
    often than large ones, and these columns measure by how much."""
    size = table.groupby(["repeat", "group"])["track_id"].transform("size")
    test = table["subset"] == "test"
    out = (
        table.assign(is_test=test)
        .groupby("repeat")
        .apply(lambda part: part.loc[part["is_test"], "group"].nunique(), include_groups=False)
    )
    frame = out.rename("n_test_groups").to_frame()
    frame["n_groups"] = table.groupby("repeat")["group"].nunique()
    for lo, hi in GROUP_SIZE_BINS:
        name = f"test_share_groups_{lo}" if hi == lo else f"test_share_groups_{lo}_{hi or 'up'}"
        in_bin = (size >= lo) & (size <= (hi if hi is not None else np.inf))
        frame[name] = (test & in_bin).groupby(table["repeat"]).sum() / in_bin.groupby(table["repeat"]).sum()
    return frame


def inner_folds(strata: np.ndarray, folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The inner folds of a training set: stratified by ``strata`` (the genre) when every
    stratum has at least ``folds`` rows, plain shuffled folds otherwise. Seeded. Positions
    into ``strata``."""
    strata = np.asarray(strata)
    n_splits = min(folds, len(strata))
    if n_splits < 2:
        raise EmotifyError(f"inner cross-validation needs at least 2 training songs, got {len(strata)}")
    _, counts = np.unique(strata, return_counts=True)
    cv: Any = (
        StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
        if counts.min() >= n_splits
        else KFold(n_splits=n_splits, shuffle=True, random_state=seed)
    )
    return [(fit, held) for fit, held in cv.split(np.zeros(len(strata)), strata)]


def split_table(tracks: pd.DataFrame, splits: list[Split], folds: int, seeds: list[int]) -> pd.DataFrame:
    """The long split table of ``splits`` (row indices into ``tracks``), inner folds drawn
    with ``seeds[r]`` for repeat r (``folds`` = 0: no inner folds)."""
    genre = tracks["genre"].to_numpy()
    parts = []
    for r, s in enumerate(splits):
        fold = np.full(len(tracks), -1)
        if folds:
            for f, (_, held) in enumerate(inner_folds(genre[s.train], folds, seeds[r])):
                fold[s.train[held]] = f
        rows = np.concatenate([s.train, s.test])
        parts.append(
            pd.DataFrame(
                {
                    "repeat": r,
                    "track_id": tracks["track_id"].to_numpy()[rows],
                    "genre": genre[rows],
                    "subset": np.where(np.isin(rows, s.test), "test", "train"),
                    "inner_fold": fold[rows],
                }
            )
        )
    return pd.concat(parts, ignore_index=True).sort_values(["repeat", "track_id"], ignore_index=True)


def table_tracks(table: pd.DataFrame) -> pd.DataFrame:
    """The songs of a split table, one row each, sorted by track id: track_id, genre."""
    return table[["track_id", "genre"]].drop_duplicates("track_id").sort_values("track_id").reset_index(drop=True)


def row_lookup(track_ids: Any) -> pd.Series:
    """Track id -> row of a matrix whose rows are ``track_ids``, in that order."""
    return pd.Series(np.arange(len(track_ids)), index=np.asarray(track_ids, dtype=np.int64))


def read_splits(table: pd.DataFrame, track_ids: np.ndarray) -> list[Split]:
    """The splits of a split table as row indices into ``track_ids`` (the rows of a feature
    matrix). Tracks of the table that are not in ``track_ids`` (refused by the decoder) are left
    out of every split; inner folds come back as ``(fit, held)`` row indices."""
    row = row_lookup(track_ids)
    out = []
    for _, part in table.groupby("repeat", sort=True):
        part = part[part["track_id"].isin(row.index)]
        rows = row.loc[part["track_id"].to_numpy()].to_numpy()
        is_train = (part["subset"] == "train").to_numpy()
        fold = part["inner_fold"].to_numpy()
        train, test = rows[is_train], rows[~is_train]
        inner = tuple(
            (rows[is_train & (fold != f)], rows[is_train & (fold == f)]) for f in np.unique(fold[is_train]) if f >= 0
        )
        order_tr, order_te = np.argsort(train), np.argsort(test)
        out.append(Split(train[order_tr], test[order_te], tuple((np.sort(a), np.sort(b)) for a, b in inner)))
    return out


def write_paper_split(
    tracks: str | Path,
    out: str | Path,
    test_size: float,
    seed: int,
    stratify: bool = True,
    folds: int = 0,
    logger: logging.Logger | None = None,
) -> pd.DataFrame:
    """The paper's split (:func:`paper_split`) of the usable tracks of the track table
    ``tracks`` (CSV), with the inner folds of its training songs (``folds``, drawn with
    ``seed``; 0: none), as a split table (:func:`split_table`, one repeat) written to ``out``.
    Returns the table written."""
    usable = usable_tracks(pd.read_csv(tracks))
    split = paper_split(usable, test_size, seed, stratify)
    s = Split(np.flatnonzero(split["subset"] == "train"), np.flatnonzero(split["subset"] == "test"))
    table = split_table(split, [s], folds, [seed])
    if logger:
        logger.info("split: %s", split["subset"].value_counts().to_dict())
    write_csv(table, out)
    return table


def split_groups(tracks: pd.DataFrame, kind: str, source: str | Path) -> np.ndarray | None:
    """Each track's group for ``kind`` (``artist``/``album``: its ID3 tag as a string; None for
    ``random``). Raises :class:`EmotifyError` naming ``source`` (the track table) and the first
    tracks without the tag: a grouped split needs the tag of every track."""
    if kind == "random":
        return None
    values = tracks[kind].fillna("").astype(str)
    if (values == "").any():
        missing = tracks.loc[values == "", "track_id"].tolist()
        raise EmotifyError(
            f"{source}: no {kind} tag for track(s) {missing[:5]}: {kind}-grouped splits need "
            f"it for every track; drop '{kind}' from evaluation.group_by"
        )
    return values.to_numpy()


def resampled_table(
    tracks: pd.DataFrame,
    kind: str,
    groups: np.ndarray | None,
    repeats: int,
    test_size: float,
    seed: int,
    folds: int,
) -> pd.DataFrame:
    """The split table of ``repeats`` splits of ``tracks`` of one ``kind``: stratified by genre
    (``random``, :func:`resampled_splits`) or keeping each of ``groups`` on one side
    (:func:`grouped_splits`). Each kind of split, and each split's inner folds (``folds``, random
    splits only), is drawn from its own named stream of ``seed`` (:func:`stats.streams.stream_seed`).
    A grouped table carries each track's ``group``; every table carries the tracks' ``artist``
    and ``album`` where ``tracks`` has them (the permutation tests exchange labels by them)."""
    y = tracks["genre"].to_numpy()
    drawn = stream_seed(seed, "splits", kind)
    if groups is None:
        splits = resampled_splits(y, repeats, test_size, drawn)
    else:
        splits = grouped_splits(y, groups, repeats, test_size, drawn)
    folds = folds if kind == "random" else 0  # Experiment IV is evaluated on random splits
    table = split_table(tracks, splits, folds, [stream_seed(seed, "inner_folds", kind, r) for r in range(len(splits))])
    if groups is not None:
        table["group"] = table["track_id"].map(dict(zip(tracks["track_id"], groups, strict=True)))
    for column in ("artist", "album"):
        if column in tracks:
            table[column] = table["track_id"].map(dict(zip(tracks["track_id"], tracks[column].fillna(""), strict=True)))
    return table


def write_resampled_splits(
    tracks: str | Path,
    features: str | Path,
    kind: str,
    out_split: str | Path,
    out_sizes: str | Path,
    repeats: int,
    test_size: float,
    seed: int,
    folds: int = 0,
    logger: logging.Logger | None = None,
) -> pd.DataFrame:
    """The repeated evaluation's splits of one ``kind`` (``random``, ``artist``, ``album``;
    :func:`resampled_table`) of the usable tracks of the track table ``tracks`` that have
    features in ``features`` (HDF5), written to ``out_split``, and their sizes
    (:func:`split_sizes`) to ``out_sizes``. Returns the split table."""
    usable = usable_tracks(pd.read_csv(tracks, dtype={"artist": str, "album": str}))
    usable = usable[usable["track_id"].isin(feature_track_ids(features))].reset_index(drop=True)
    table = resampled_table(usable, kind, split_groups(usable, kind, tracks), repeats, test_size, seed, folds)
    sizes = split_sizes(table)
    if logger:
        logger.info(
            "%s: %d splits, test share %.3f-%.3f (nominal %.2f) of %d songs",
            kind,
            table["repeat"].nunique(),
            sizes["test_share"].min(),
            sizes["test_share"].max(),
            test_size,
            len(usable),
        )
    write_csv(table, out_split)
    write_csv(sizes, out_sizes, float_format="%.4f")
    return table
