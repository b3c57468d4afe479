"""Are the workflow's permutation p-values calibrated on Emotify's real structure?

Null simulations on the real archive's structure (``groups.csv``: each of the 400 tracks'
genre, artist and album -- 138 artists, 65 with one song, the largest with 17; 229 albums):
the real genres, emotion labels drawn per artist, and features independent of the labels
tested, with or without an artist (or album) signature. Every null run draws the workflow's own
splits (``splits.resampled_splits`` and ``splits.grouped_splits``, 10 of each kind), ranks the
neighbours as ``knn`` does, and computes every p-value the summary reports with the workflow's
own statistic (``evaluation.excess_statistic``) and permutations (``inference.Exchange``,
``inference.permutation_test``):

- ``genre/<kind>``: genre (Experiment I) on random, artist and album splits, labels exchanged
  artist by artist among artists with the same number of songs;
- ``emotion/<kind>``: one emotion (Experiment II, "vs no association"), same exchange;
- ``beyond_genre/artist``: the emotion beyond genre on artist splits, artists exchanged within
  their genre among same-size artists.

Nulls (the features never depend on the labels tested beyond what the null allows):

- ``none``: features i.i.d. per song;
- ``artist``: a per-artist signature plus song noise (production, voice: what random splits leak);
- ``album``: a per-album signature plus song noise;
- ``genre+artist`` (beyond-genre test only): a genre centroid plus a per-artist signature, and
  emotion rates that depend on the genre and the artist -- features carry genre, and emotion
  beyond genre only through nothing.

Emotion labels: each artist has a rate, logistic of a genre effect plus an artist effect; its
songs are Bernoulli draws (so labels cluster within artists and depend on genre, as real ones do).

    python benchmarks/calibration.py --runs 1000              # the README's table (about 6 min on 2 cores)
    python benchmarks/calibration.py --runs 100 --old         # the previous release's shuffles too
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow" / "scripts"))

from emotify_pipeline import inference, knn  # noqa: E402
from emotify_pipeline.evaluation import Votes, excess_statistic  # noqa: E402
from emotify_pipeline.splits import grouped_splits, resampled_splits  # noqa: E402

GROUPS = ROOT.parent / "shared" / "emotify" / "groups.csv"
NULLS = ("none", "artist", "album", "genre+artist")
KINDS = ("random", "artist", "album")


def tests_under(null: str) -> list[str]:
    """The tests whose null hypothesis holds under ``null``: features carrying genre make genre
    and emotion (which depends on genre) predictable, so only the beyond-genre test is a null there."""
    if null == "genre+artist":
        return ["beyond_genre/artist"]
    if null == "album":  # every split kind: on random splits an album sits on both sides (review of this release)
        return [*(f"genre/{k}" for k in KINDS), *(f"emotion/{k}" for k in KINDS)]
    return [*(f"genre/{k}" for k in KINDS), *(f"emotion/{k}" for k in KINDS), "beyond_genre/artist"]


def load_structure(path: Path = GROUPS) -> pd.DataFrame:
    """track_id, genre, artist, album of the real archive, in track-id order."""
    table = pd.read_csv(path, dtype={"artist": str, "album": str})
    return table.sort_values("track_id").reset_index(drop=True)[["track_id", "genre", "artist", "album"]]


def simulate(structure: pd.DataFrame, null: str, rng: np.random.Generator, dim: int = 8) -> tuple:
    """Features (n, dim) and one emotion label (n,) under ``null``."""
    genre, artist, album = (structure[c].to_numpy() for c in ("genre", "artist", "album"))
    _, g = np.unique(genre, return_inverse=True)
    _, a = np.unique(artist, return_inverse=True)
    _, b = np.unique(album, return_inverse=True)
    n = len(genre)
    noise = rng.normal(size=(n, dim))
    if null == "none":
        x = noise
    elif null == "artist":
        x = 1.5 * rng.normal(size=(a.max() + 1, dim))[a] + noise
    elif null == "album":
        x = 1.5 * rng.normal(size=(b.max() + 1, dim))[b] + noise
    elif null == "genre+artist":
        x = 1.5 * rng.normal(size=(g.max() + 1, dim))[g] + 1.5 * rng.normal(size=(a.max() + 1, dim))[a] + noise
    else:
        raise ValueError(null)
    logit = rng.normal(size=g.max() + 1)[g] + 1.5 * rng.normal(size=a.max() + 1)[a]
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return x, y


def votes_of_splits(x: np.ndarray, splits: list, k: int = 5) -> list[Votes]:
    """Each split's k nearest training songs (standardised on its training rows, as the
    workflow; continuous features, so no distance ties: only the first k of the ranking are
    kept, which is all the votes read)."""
    out = []
    for s in splits:
        a, b = knn.standardise(x[s.train], x[s.test])
        d = (b * b).sum(axis=1)[:, None] - 2 * b @ a.T + (a * a).sum(axis=1)[None, :]
        part = np.argpartition(d, k, axis=1)[:, : k + 1]
        order = np.take_along_axis(part, np.argsort(np.take_along_axis(d, part, axis=1), axis=1), axis=1)
        out.append(Votes(s.train, s.test, order, np.zeros(order.shape, dtype=bool)))
    return out


def null_run(
    structure: pd.DataFrame,
    null: str,
    seed: int,
    permutations: int = 199,
    n_splits: int = 10,
    k: int = 5,
    tests: list[str] | None = None,
    old: bool = False,
) -> dict[str, float]:
    """One null run: test -> p-value, every test whose null holds under ``null`` (or ``tests``).
    ``old``: the previous release's shuffles (song by song on random splits, group by group
    with recycling on grouped splits, song by song within genre for the beyond-genre test)."""
    rng = inference.stream(seed, "calibration", null)
    x, emotion = simulate(structure, null, rng)
    genre, artist, album = (structure[c].to_numpy() for c in ("genre", "artist", "album"))
    wanted = tests or tests_under(null)
    split_seed = int(rng.integers(2**31))
    votes = {}
    for kind in {t.split("/")[1] for t in wanted}:
        if kind == "random":
            splits = resampled_splits(genre, n_splits, 0.3, split_seed)
        else:
            splits = grouped_splits(genre, artist if kind == "artist" else album, n_splits, 0.3, split_seed)
        votes[kind] = votes_of_splits(x, splits)
    out, statistics = {}, {}
    for test in wanted:
        target, kind = test.split("/")
        y = genre if target == "genre" else emotion
        if kind not in statistics:
            statistics[kind] = excess_statistic(votes[kind], k, "sklearn", seed)
        statistic = statistics[kind]
        if old:
            out[test] = _old_p(y, votes[kind], k, seed, kind, target, artist, album, genre, permutations)
            continue
        exchange = inference.Exchange(artist, genre if target == "beyond_genre" else None)
        out[test] = inference.permutation_test(y, statistic, permutations, inference.stream(seed, test), exchange)[1]
    return out


def _old_p(y, votes, k, seed, kind, target, artist, album, genre, permutations) -> float:
    """The previous release's p-value: its shuffles (loaded from ``old_inference.py`` beside
    this file's caller via ``OLD``) and its scalar statistic, one labelling at a time."""
    old = OLD["inference"]
    if target == "beyond_genre":
        shuffle = old.within_permutation(genre)
    elif kind == "random":
        shuffle = old.song_permutation
    else:
        shuffle = old.group_permutation(artist if kind == "artist" else album)
    batched = excess_statistic(votes, k, "sklearn", seed, "accuracy")  # the previous release's statistic
    classes = np.unique(y)

    def statistic(labels: np.ndarray) -> float:
        return float(batched(np.searchsorted(classes, labels)[None, :], len(classes))[0])

    return old.permutation_p_value(y, statistic, statistic(y), permutations, seed, shuffle)


OLD: dict = {}


def load_old(path: Path) -> None:
    """Load the previous release's inference module (``git show <rev>:workflow/scripts/inference.py``)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("old_inference", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    OLD["inference"] = module


def calibrate(runs: int, permutations: int, nulls=NULLS, old: bool = False, structure=None) -> pd.DataFrame:
    """Rejection rates at 0.05 and 0.10 and mean p per (test, null) over ``runs`` null runs."""
    structure = load_structure() if structure is None else structure
    rows = []
    for null in nulls:
        pvals: dict[str, list[float]] = {}
        for seed in range(runs):
            for test, p in null_run(structure, null, seed, permutations, old=old).items():
                pvals.setdefault(test, []).append(p)
        for test, ps in pvals.items():
            ps = np.array(ps)
            rows.append(
                {
                    "test": test,
                    "null": null,
                    "runs": len(ps),
                    "permutations": permutations,
                    "p<=0.05": float(np.mean(ps <= 0.05)),
                    "p<=0.10": float(np.mean(ps <= 0.10)),
                    "mean_p": float(ps.mean()),
                }
            )
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--permutations", type=int, default=199)
    parser.add_argument("--nulls", nargs="+", default=list(NULLS), choices=NULLS)
    parser.add_argument("--old", type=Path, help="the previous release's inference.py, to calibrate its shuffles")
    args = parser.parse_args()
    if not GROUPS.is_file():
        raise SystemExit(f"the real structure is not at {GROUPS}")
    if args.old:
        load_old(args.old)
    start = time.perf_counter()
    table = calibrate(args.runs, args.permutations, args.nulls, old=bool(args.old))
    print(table.to_markdown(index=False, floatfmt=".3f"))
    print(f"\n{args.runs} null runs per null, {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
