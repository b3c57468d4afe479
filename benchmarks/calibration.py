"""Are the workflow's permutation p-values calibrated on Emotify's real structure?

Null simulations on the real archive's structure (``groups.csv``: each of the 400 tracks'
genre, artist and album -- 138 artists, 65 with one song, the largest with 17; 229 albums):
the real genres, emotion labels drawn per artist, and features independent of the labels
tested, with or without an artist (or album) signature. Every null run draws the workflow's own
splits (``splits.resampled_splits`` and ``splits.grouped_splits``, 10 of each kind), ranks the
neighbours as ``knn`` does, and computes every p-value the summary reports with the workflow's
own statistic (``permutation.excess_statistic``) and permutations (``inference.Exchange``,
``inference.permutation_test``; artists exchanged among artists with the same album profile,
album for album, as ``permutation.exchange_of``):

- ``genre/<kind>``: genre (Experiment I) on random, artist and album splits;
- ``emotion/<kind>``: one emotion (Experiment II, "vs no association"), same exchange;
- ``exp4/random``: genre from the nine emotion probabilities predicted from the features
  (Experiment IV, inner folds as the workflow), random splits; the nine emotions depend on the
  artist only (with a genre effect the predicted emotions would carry genre: no null);
- ``beyond_genre/artist``: the emotion beyond genre on artist splits, artists exchanged within
  their genre;
- ``shares_beyond_genre/artist``: the rating shares mu beyond genre on artist splits -- the R^2
  gain of the KNN regression over the genre-only baseline, mu exchanged as in
  ``beyond_genre/artist`` (the workflow's ``share_analyses.shares_beyond_genre``, called as is).

Nulls (the features never depend on the labels tested beyond what the null allows):

- ``none``: features i.i.d. per song;
- ``artist``: a per-artist signature plus song noise (production, voice: what random splits leak);
- ``album``: a per-album signature plus song noise;
- ``album+emotion`` (emotion tests only): a per-album signature, and emotion rates that also
  differ between an artist's albums;
- ``genre+artist`` (beyond-genre test only): a genre centroid plus a per-artist signature, and
  emotion rates that depend on the genre and the artist -- features carry genre, and emotion
  beyond genre only through nothing.

Emotion labels: each artist has a rate, logistic of a genre effect plus an artist effect; its
songs are Bernoulli draws (so labels cluster within artists and depend on genre, as real ones do).
Rating shares (``shares_beyond_genre``, from a stream of their own, so the other tests' numbers
do not move): each artist has a rate, logistic of -1.2 (about the real mean share), a genre
effect (sd 0.5) and an artist effect (sd 1); a song's mu is Binomial(n_s, rate) / n_s with the
real number of listeners n_s of that track (``data.csv`` beside ``groups.csv``; where it is
absent, the real counts' histogram :data:`LISTENERS` dealt to the tracks in a fixed order).

    python benchmarks/calibration.py --runs 1000              # docs/statistics.md's table (about 6 min on 2 cores)
    python benchmarks/calibration.py --runs 1000 --artist-only  # the previous release's exchange (no album layout)
    python benchmarks/calibration.py --runs 100 --old         # the release before it
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow" / "scripts"))

from emotify_pipeline.neighbours import knn  # noqa: E402
from emotify_pipeline.neighbours.splits import grouped_splits, inner_folds, resampled_splits  # noqa: E402
from emotify_pipeline.stats import inference  # noqa: E402
from emotify_pipeline.study.permutation import excess_statistic, exchange_of  # noqa: E402
from emotify_pipeline.study.share_analyses import shares_beyond_genre  # noqa: E402
from emotify_pipeline.study.votes import Votes, exp4_split_votes  # noqa: E402

GROUPS = ROOT.parent / "shared" / "emotify" / "groups.csv"
NULLS = ("none", "artist", "album", "album+emotion", "genre+artist")
KINDS = ("random", "artist", "album")
#: listeners per song in the real data.csv -> number of songs with that many (400 songs, 8,407 events)
LISTENERS = {
    **{11: 81, 12: 65, 13: 16, 14: 63, 15: 6, 16: 4, 17: 50, 18: 13, 19: 5, 20: 1, 22: 2, 25: 2, 26: 1},
    **{27: 1, 28: 2, 29: 1, 33: 1, 34: 1, 35: 1, 36: 1, 38: 3, 39: 2, 40: 2, 41: 1, 42: 2, 43: 1},
    **{44: 11, 45: 7, 46: 10, 47: 11, 48: 5, 49: 4, 50: 6, 51: 4, 52: 4, 53: 2, 54: 2, 56: 1},
    **{57: 2, 58: 2, 59: 1},
}


def tests_under(null: str) -> list[str]:
    """The tests whose null hypothesis holds under ``null``: features carrying genre make genre
    and emotion (which depends on genre) predictable, so only the beyond-genre test is a null there."""
    if null == "genre+artist":
        return ["beyond_genre/artist", "shares_beyond_genre/artist"]
    if null == "album+emotion":  # emotion labels that follow the album the features recognise
        return [f"emotion/{k}" for k in KINDS]
    tests = [*(f"genre/{k}" for k in KINDS), *(f"emotion/{k}" for k in KINDS), "exp4/random"]
    if null == "album":  # every split kind: on random splits an album sits on both sides
        return tests
    return [*tests, "beyond_genre/artist", "shares_beyond_genre/artist"]


def load_structure(path: Path = GROUPS) -> pd.DataFrame:
    """track_id, genre, artist, album of the real archive, in track-id order, and n_ratings: each
    track's listeners in ``data.csv`` beside ``path`` (where it is absent, :func:`listener_counts`)."""
    table = pd.read_csv(path, dtype={"artist": str, "album": str})
    table = table.sort_values("track_id").reset_index(drop=True)[["track_id", "genre", "artist", "album"]]
    ratings = Path(path).with_name("data.csv")
    if ratings.is_file():
        events = pd.read_csv(ratings, skipinitialspace=True, usecols=[0]).iloc[:, 0]
        table["n_ratings"] = table["track_id"].map(events.value_counts()).fillna(0).astype(int).to_numpy()
    else:
        table["n_ratings"] = listener_counts(len(table))
    return table


def listener_counts(n: int) -> np.ndarray:
    """The real histogram of listeners per song (:data:`LISTENERS`), dealt to ``n`` songs in a
    fixed order (cycled where ``n`` exceeds 400)."""
    counts = np.repeat(list(LISTENERS), list(LISTENERS.values()))
    return np.resize(counts[np.random.default_rng(0).permutation(len(counts))], n)


def simulate_shares(structure: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """One emotion's rating shares mu (n,) around artist-level rates (module docstring): the
    features are drawn by :func:`simulate` and never see them."""
    genre, artist = (structure[c].to_numpy() for c in ("genre", "artist"))
    _, g = np.unique(genre, return_inverse=True)
    _, a = np.unique(artist, return_inverse=True)
    logit = -1.2 + 0.5 * rng.normal(size=g.max() + 1)[g] + rng.normal(size=a.max() + 1)[a]
    n_s = structure["n_ratings"].to_numpy() if "n_ratings" in structure else listener_counts(len(genre))
    return rng.binomial(n_s, 1 / (1 + np.exp(-logit))) / n_s


def simulate(
    structure: pd.DataFrame, null: str, rng: np.random.Generator, dim: int = 8, genre_effect: bool = True
) -> tuple:
    """Features (n, dim) and one emotion label (n,) under ``null`` (``genre_effect``: the
    emotion rates depend on the genre too)."""
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
    elif null in ("album", "album+emotion"):
        x = 1.5 * rng.normal(size=(b.max() + 1, dim))[b] + noise
    elif null == "genre+artist":
        x = 1.5 * rng.normal(size=(g.max() + 1, dim))[g] + 1.5 * rng.normal(size=(a.max() + 1, dim))[a] + noise
    else:
        raise ValueError(null)
    logit = rng.normal(size=g.max() + 1)[g] * genre_effect + 1.5 * rng.normal(size=a.max() + 1)[a]
    if null == "album+emotion":  # emotion rates that also differ between an artist's albums
        logit = logit + 1.5 * rng.normal(size=b.max() + 1)[b]
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return x, y


def nearest(x: np.ndarray, train: np.ndarray, test: np.ndarray, k: int = 5) -> np.ndarray:
    """The k + 1 nearest training rows of every test row (positions into ``train``), the
    features standardised on the training rows, as the workflow; continuous features, so no
    distance ties: only the first k of the ranking are kept, which is all the votes read."""
    a, b = knn.standardise(x[train], x[test])
    d = (b * b).sum(axis=1)[:, None] - 2 * b @ a.T + (a * a).sum(axis=1)[None, :]
    part = np.argpartition(d, k, axis=1)[:, : k + 1]
    return np.take_along_axis(part, np.argsort(np.take_along_axis(d, part, axis=1), axis=1), axis=1)


def votes_of_splits(x: np.ndarray, splits: list, k: int = 5) -> list[Votes]:
    """Each split's k nearest training songs (:func:`nearest`)."""
    out = []
    for s in splits:
        order = nearest(x, s.train, s.test, k)
        out.append(Votes(s.train, s.test, order, np.zeros(order.shape, dtype=bool)))
    return out


def exp4_votes_of_splits(
    x: np.ndarray, y_emo: np.ndarray, genre: np.ndarray, splits: list, votes: list[Votes], seed: int, k: int = 5
) -> list[Votes]:
    """Experiment IV on each split, as the workflow: the nine emotion probabilities (out of
    fold for training songs, 5 inner folds stratified by genre: ``splits.inner_folds``; from the
    split's audio neighbours for test songs: ``knn.emotion_probabilities``), ranked with the
    workflow's tie handling (``geometry.ranked_with_ties``: probabilities tie often)."""
    out = []
    for r, (s, v) in enumerate(zip(splits, votes, strict=True)):
        folds = [(s.train[f], s.train[h]) for f, h in inner_folds(genre[s.train], 5, seed + r)]
        out.append(exp4_split_votes(v, [(f, h, nearest(x, f, h, k)) for f, h in folds], y_emo, k))
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
    albums: bool = True,
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
        if kind == "random" and "exp4/random" in wanted:  # nine emotions, from their own stream
            emotions = np.column_stack(
                [
                    simulate(
                        structure, null, inference.stream(seed, "calibration", null, "exp4", e), genre_effect=False
                    )[1]
                    for e in range(9)
                ]
            )
            votes["exp4"] = exp4_votes_of_splits(x, emotions, genre, splits, votes[kind], split_seed, k)
    out, statistics = {}, {}
    for test in wanted:
        target, kind = test.split("/")
        if target == "shares_beyond_genre":
            out[test] = _shares_p(structure, null, seed, votes[kind], permutations, k, album if albums else None)
            continue
        y = genre if target in ("genre", "exp4") else emotion
        source = "exp4" if target == "exp4" else kind
        if source not in statistics:
            statistics[source] = excess_statistic(votes[source], k, "sklearn", seed)
        statistic = statistics[source]
        if old:
            out[test] = _old_p(y, votes[kind], k, seed, kind, target, artist, album, genre, permutations)
            continue
        exchange = exchange_of(artist, album if albums else None, len(y), genre if target == "beyond_genre" else None)
        out[test] = inference.permutation_test(y, statistic, permutations, inference.stream(seed, test), exchange)[1]
    return out


def _shares_p(
    structure: pd.DataFrame, null: str, seed: int, votes: list[Votes], permutations: int, k: int, albums
) -> float:
    """The p-value of ``share_analyses.shares_beyond_genre`` on simulated rating shares (their own
    stream), every split of ``votes`` in the statistic."""
    mu = simulate_shares(structure, inference.stream(seed, "calibration", null, "shares"))
    cfg = {"k": k, "ties": "sklearn", "seed": seed, "permutations": permutations, "permutation_splits": len(votes)}
    genre, artist = structure["genre"].to_numpy(), structure["artist"].to_numpy()
    table = shares_beyond_genre(mu[:, None], genre, votes, cfg, artist, albums, "artist", ["simulated"])
    return float(table["within_genre_permutation_p"].iloc[0])


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


def calibrate(
    runs: int,
    permutations: int,
    nulls=NULLS,
    old: bool = False,
    structure=None,
    albums: bool = True,
    tests: list[str] | None = None,
) -> pd.DataFrame:
    """Rejection rates at 0.05 and 0.10 and mean p per (test, null) over ``runs`` null runs."""
    structure = load_structure() if structure is None else structure
    rows = []
    for null in nulls:
        pvals: dict[str, list[float]] = {}
        for seed in range(runs):
            wanted = [t for t in tests_under(null) if tests is None or t in tests]
            if not wanted:
                break
            for test, p in null_run(structure, null, seed, permutations, tests=wanted, old=old, albums=albums).items():
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


def with_intervals(table: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """The rejection rates with their Clopper-Pearson intervals (``ci_0.05``, ``ci_0.10``): over
    1,000 runs a calibrated test's rate at 0.05 lies outside 4-6 % about one time in eight by
    chance alone, so a row is read by whether its interval covers the nominal level, and the
    table by how many intervals miss it (:func:`miss_probability` of the rows when every test
    is calibrated: a little under 5 %, the exact interval being conservative)."""
    from scipy.stats import binomtest

    out = table.copy()
    for level in ("0.05", "0.10"):
        cells, misses = [], []
        for rate, runs in zip(out[f"p<={level}"], out["runs"], strict=True):
            k = int(round(rate * runs))
            ci = binomtest(k, int(runs)).proportion_ci(confidence, method="exact")
            cells.append(f"[{ci.low:.3f}, {ci.high:.3f}]")
            misses.append(not ci.low <= float(level) <= ci.high)
        out.insert(out.columns.get_loc(f"p<={level}") + 1, f"ci_{level}", cells)
        out[f"misses_{level}"] = misses
    return out


def miss_probability(runs: int, level: float, confidence: float = 0.95) -> float:
    """P(the Clopper-Pearson interval of a rate over ``runs`` runs misses ``level``) when the
    true rate is ``level``: 0.042 at 0.05 and 0.045 at 0.10 over 1,000 runs."""
    from scipy.stats import binom, binomtest

    ks = np.arange(runs + 1)
    misses = []
    for k in ks:
        ci = binomtest(int(k), runs).proportion_ci(confidence, method="exact")
        misses.append(not ci.low <= level <= ci.high)
    return float(binom.pmf(ks, runs, level)[np.array(misses)].sum())


def miss_line(table: pd.DataFrame) -> str:
    """How many rows' intervals miss the nominal level, against what chance alone gives (rows
    taken as independent)."""
    from scipy.stats import binom

    rows, runs = len(table), int(table["runs"].iloc[0])
    parts = []
    for level in ("0.05", "0.10"):
        k = int(table[f"misses_{level}"].sum())
        q = miss_probability(runs, float(level))
        parts.append(f"{k} of {rows} at {level} (P(>= {k} | all calibrated) = {binom.sf(k - 1, rows, q):.2f})")
    return "95 % intervals that miss the nominal level: " + "; ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--permutations", type=int, default=199)
    parser.add_argument("--nulls", nargs="+", default=list(NULLS), choices=NULLS)
    parser.add_argument(
        "--artist-only", action="store_true", help="songs reordered freely inside an artist (the previous release)"
    )
    parser.add_argument("--tests", nargs="+", help="only these tests (e.g. exp4/random genre/album)")
    parser.add_argument("--old", type=Path, help="the previous release's inference.py, to calibrate its shuffles")
    args = parser.parse_args()
    if not GROUPS.is_file():
        raise SystemExit(f"the real structure is not at {GROUPS}")
    if args.old:
        load_old(args.old)
    start = time.perf_counter()
    table = calibrate(
        args.runs, args.permutations, args.nulls, old=bool(args.old), albums=not args.artist_only, tests=args.tests
    )
    table = with_intervals(table)
    print(table.drop(columns=["misses_0.05", "misses_0.10"]).to_markdown(index=False, floatfmt=".3f"))
    print("\n" + miss_line(table))
    print(f"\n{args.runs} null runs per null, {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
