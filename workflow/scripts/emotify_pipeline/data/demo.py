"""Generate the embedded, synthetic Emotify-shaped demo dataset (deterministic, seeded).

The layout matches the official archive, so every downstream rule runs on it unchanged::

    <root>/data.csv                      one row per listening event, 17 columns
    <root>/emotifymusic/<genre>/<n>.mp3  n = 1..n_per_genre, with ID3 title/artist/album/year

Audio is *synthetic*: each genre has its own instrumentation and tempo range (so genre is
learnable), each artist has its own "mastering" (gain and spectral tilt, a stand-in for the
production bias the paper suspects), and each clip draws latent musical properties (mode,
tempo, loudness, brightness, roughness) that also drive the simulated listeners' GEMS
choices, so emotions are partly learnable from audio.
"""

import logging
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import soundfile as sf
from mutagen.id3 import ID3, TALB, TCON, TDRC, TIT2, TPE1, TRCK

from ..core.emotify import ANNOTATION_COLUMNS, CATALOGUE_PATH, EMOTIONS, GENRE_ID_BASE, GENRES
from ..core.errors import EmotifyError
from ..core.files import atomic_path
from .demo_synth import FASTEST_BPM, SLOWEST_BPM, TEMPO_BPM, ClipTraits, master, synth_clip

_TONGUES = ("English", "Russian", "Dutch", "German", "French", "Italian", "Spanish")
# the warts of the real archive, carried by the demo so that every run exercises them:
# four whole classical clips are short (25.8, 30.3, 35.0, 42.4 s of 60 s); the others last
# 58.4-60.8 s; 140 of 8,407 data.csv rows repeat an earlier row verbatim (74 distinct rows)
_SHORT_FRACTIONS = (0.43, 0.505, 0.583, 0.707)
_LENGTH_RANGE = (0.973, 1.013)
_DUPLICATE_SHARE = 140 / 8407


def emotion_propensity(genre: str, t: ClipTraits) -> np.ndarray:
    """Logits of each GEMS emotion being chosen for a clip with traits ``t`` (EMOTIONS order)."""
    fast = (t.tempo_bpm - SLOWEST_BPM) / (FASTEST_BPM - SLOWEST_BPM)
    mj = 1.0 if t.major else -1.0
    quiet = 1 - t.loudness
    logits = {
        "amazement": 1.2 * t.brightness + 0.4 * mj - 0.3,
        "solemnity": 1.5 * (1 - fast) + 1.0 * (t.root_hz < 160) - 0.5 * t.roughness - 0.4,
        "tenderness": 1.2 * quiet + 0.6 * mj - 0.8 * t.roughness,
        "nostalgia": -0.7 * mj + 0.8 * quiet + 0.2,
        "calmness": 1.6 * (1 - fast) + 1.0 * quiet - 0.8 * t.roughness,
        "power": 1.4 * t.loudness + 0.8 * fast + 0.6 * t.roughness - 0.8,
        "joyful_activation": 1.2 * fast + 0.9 * mj - 0.3,
        "tension": 1.4 * t.roughness - 0.5 * mj + 0.3 * fast - 0.3,
        "sadness": -1.0 * mj + 1.0 * (1 - fast) - 0.5,
    }
    return np.array([logits[e] for e in EMOTIONS])


def simulate_ratings(
    track_id: int, genre: str, traits: ClipTraits, n_ratings: int, rng: np.random.Generator
) -> list[dict[str, Any]]:
    """Simulated listening events for one clip: each listener picks 0-3 GEMS emotions."""
    base = emotion_propensity(genre, traits)
    rows = []
    for _ in range(n_ratings):
        logits = base + rng.normal(0.0, 0.8, size=len(EMOTIONS))
        p = np.exp(logits - logits.max())
        p /= p.sum()
        n_pick = rng.choice([0, 1, 2, 3], p=[0.01, 0.37, 0.30, 0.32])
        picked = set(rng.choice(len(EMOTIONS), size=n_pick, replace=False, p=p)) if n_pick else set()
        liked = int(rng.random() < 0.4)
        rows.append(
            {
                "track id": track_id,
                "genre": genre,
                **{e: int(i in picked) for i, e in enumerate(EMOTIONS)},
                "mood": int(rng.choice([1, 2, 3, 4, 5], p=[0.04, 0.1, 0.33, 0.39, 0.14])),
                "liked": liked,
                "disliked": int(not liked and rng.random() < 0.35),
                "age": int(np.clip(rng.normal(32, 12), 12, 80)),
                "gender": int(rng.random() < 0.46),
                "mother tongue": str(rng.choice(_TONGUES)),
            }
        )
    return rows


MP3_KBPS_LEVEL = 0.63
"""libsndfile's compression level that LAME encodes as 128 kbit/s constant bitrate (measured:
0.62-0.65 give 128 kbit/s, 0.6 gives 160, 0.7 gives 112), as every real Emotify clip is."""


def write_mp3(path: Path, y: np.ndarray, sr: int, tags: dict[str, str], pan: float = 0.0) -> None:
    """Encode ``y`` as an MP3 like the archive's clips -- stereo, 128 kbit/s constant bitrate
    (libsndfile/LAME) -- with ID3v2.3 tags, atomically. A mono ``y`` is placed in the stereo
    field at ``pan`` (-1 left .. 1 right, constant power), so that every decode pays the downmix
    (and, at 44.1 kHz, the resample) that the real clips cost."""
    if y.ndim == 1:
        angle = (pan + 1) * np.pi / 4
        y = np.stack([np.cos(angle) * y, np.sin(angle) * y], axis=1) * np.sqrt(2)
    with atomic_path(path, suffix=".mp3") as tmp:
        sf.write(
            tmp,
            np.clip(y, -1.0, 1.0),
            sr,
            format="MP3",
            subtype="MPEG_LAYER_III",
            compression_level=MP3_KBPS_LEVEL,
            bitrate_mode="CONSTANT",
        )
        id3 = ID3()
        id3.add(TIT2(encoding=3, text=tags["title"]))
        id3.add(TPE1(encoding=3, text=tags["artist"]))
        id3.add(TALB(encoding=3, text=tags["album"]))
        id3.add(TDRC(encoding=3, text=tags["year"]))
        id3.add(TCON(encoding=3, text=tags["genre"]))
        id3.add(TRCK(encoding=3, text=tags["track"]))
        id3.save(tmp, v2_version=3)


def generate_demo(
    root: str | Path,
    n_per_genre: int,
    duration: float,
    sample_rate: int,
    seed: int,
    ratings_min: int,
    ratings_max: int,
    artists_per_genre: int,
    logger: logging.Logger | None = None,
    workers: int = 0,
    groups: str = "archive",
) -> pd.DataFrame:
    """Write the demo dataset under ``root``; return its annotations (data.csv rows).

    The clips are synthesised one after another (they share one random stream); with
    ``workers`` > 0, that many processes encode the MP3s while the next clips are synthesised
    (encoding takes about as long as synthesis), with the same files as a run without them.

    ``groups``: ``archive`` gives clip ``<genre>/<n>.mp3`` the artist and album structure of the
    archive's own ``<genre>/<n>.mp3`` (:func:`archive_groups`: shared artists and albums,
    singletons, the artists that span genres), anonymised; ``per_genre``: ``artists_per_genre``
    artists per genre, each with one album, clips dealt round-robin."""
    if n_per_genre < 1 or ratings_min < 1 or ratings_max < ratings_min:
        raise EmotifyError(
            f"demo: need n_per_genre >= 1 and 1 <= ratings_min <= ratings_max "
            f"(got {n_per_genre}, {ratings_min}, {ratings_max})"
        )
    root = Path(root)
    rng = np.random.default_rng(seed)
    lengths = clip_lengths(n_per_genre, duration, seed)
    rows: list[dict[str, Any]] = []
    pool = ProcessPoolExecutor(workers, mp_context=get_context("fork")) if workers > 0 else None
    pending: list[Future] = []
    try:
        plan = archive_groups(n_per_genre) if groups == "archive" else per_genre_groups(n_per_genre, artists_per_genre)
        clips = (n_per_genre, lengths, sample_rate, plan)
        _synthesise(root, clips, rng, (ratings_min, ratings_max), rows, logger, pool, pending, 2 * workers)
        for job in pending:
            job.result()  # an encoding error surfaces here, with its own message
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    data = pd.DataFrame(rows, columns=list(ANNOTATION_COLUMNS)).sort_values("track id", kind="stable")
    data = with_duplicate_rows(data.reset_index(drop=True), np.random.default_rng([seed, 2]))
    write_annotations_csv(data, root / "data.csv")
    return data


def _synthesise(
    root: Path,
    clips: tuple[int, dict[str, list[float]], int, dict[tuple[str, int], tuple[str, str]]],
    rng: np.random.Generator,
    ratings: tuple[int, int],
    rows: list[dict[str, Any]],
    logger: logging.Logger | None,
    pool: Any,
    pending: list[Any],
    waiting: int,
) -> None:
    """Synthesise every clip and its ratings in order (one random stream), handing each clip's
    encoding to ``pool`` when there is one (at most ``waiting`` clips wait in memory).
    ``clips``: clips per genre, their lengths, sample rate, and (genre, n) -> (artist, album)."""
    n_per_genre, lengths, sample_rate, plan = clips
    ratings_min, ratings_max = ratings
    artists: dict[str, dict[str, Any]] = {}  # one mastering chain per artist, across genres
    for name in dict.fromkeys(artist for artist, _ in plan.values()):
        artists[name] = {
            "gain_db": float(rng.uniform(-6, 0)),
            "tilt": float(rng.uniform(0.0, 0.8)),
            "year": str(2004 + int(rng.integers(0, 8))),
            "pan": float(rng.uniform(-0.3, 0.3)),  # each artist's mix sits somewhere in the stereo field
        }
    for genre in GENRES:
        lo, hi = TEMPO_BPM[genre]
        for n in range(1, n_per_genre + 1):
            track_id = GENRE_ID_BASE[genre] + n  # from base + 1 in each genre, as in the real data.csv
            traits = ClipTraits(
                major=bool(rng.random() < 0.5),
                tempo_bpm=float(rng.uniform(lo, hi)),
                loudness=float(rng.uniform(0.1, 0.9) if genre != "rock" else rng.uniform(0.5, 1.0)),
                brightness=float(rng.uniform(0.1, 0.9)),
                roughness=float(rng.uniform(0.0, 0.4) if genre == "classical" else rng.uniform(0.1, 1.0)),
                root_hz=float(110 * 2 ** (rng.integers(0, 12) / 12)),
            )
            artist_name, album = plan[(genre, n)]
            artist = artists[artist_name]
            y = synth_clip(genre, traits, lengths[genre][n - 1], sample_rate, rng)
            y = master(y, artist["gain_db"], artist["tilt"])
            tags = {
                "title": f"{genre.title()} Study {n}",
                "artist": artist_name,
                "album": album,
                "year": artist["year"],
                "genre": genre.title(),
                "track": str(n),
            }
            out = root / "emotifymusic" / genre / f"{n}.mp3"
            if pool is None:
                write_mp3(out, y, sample_rate, tags, artist["pan"])
            else:
                while sum(not job.done() for job in pending) >= waiting:
                    next(job for job in pending if not job.done()).result()
                pending.append(pool.submit(write_mp3, out, y, sample_rate, tags, artist["pan"]))
            n_ratings = int(rng.integers(ratings_min, ratings_max + 1))
            rows.extend(simulate_ratings(track_id, genre, traits, n_ratings, rng))
            if logger:
                logger.info("demo clip %s/%d.mp3 (track %d, %d ratings)", genre, n, track_id, n_ratings)


def archive_groups(n_per_genre: int, catalogue: str | Path | None = None) -> dict[tuple[str, int], tuple[str, str]]:
    """(genre, n) -> (artist, album) of the demo's clip ``<genre>/<n>.mp3``: the archive's own
    structure (``resources/emotify_catalogue.csv``: 138 artists, 65 with one song, the largest
    with 17; 229 albums; 7 artists span two or three genres), names anonymised in order of
    first appearance. A demo of fewer than 100 clips per genre takes each genre's first
    ``n_per_genre`` files."""
    # the path from core.emotify: the demo imports none of the audio checks, so its code digest leaves them out
    table = pd.read_csv(catalogue or CATALOGUE_PATH, dtype=str, keep_default_na=False)
    artist_code = {a: i + 1 for i, a in enumerate(dict.fromkeys(table["artist"]))}
    album_code = {b: i + 1 for i, b in enumerate(dict.fromkeys(zip(table["artist"], table["album"], strict=True)))}
    plan = {}
    for genre, file, artist, album in zip(table["genre"], table["file"], table["artist"], table["album"], strict=True):
        n = int(Path(file).stem)
        if n <= n_per_genre:
            plan[(genre, n)] = (f"Demo Artist {artist_code[artist]}", f"Demo Album {album_code[(artist, album)]}")
    missing = [f"{g}/{n}" for g in GENRES for n in range(1, n_per_genre + 1) if (g, n) not in plan]
    if missing:
        raise EmotifyError(f"{catalogue or CATALOGUE_PATH}: no artist/album for demo clip(s) {missing[:5]}")
    return plan


def per_genre_groups(n_per_genre: int, artists_per_genre: int) -> dict[tuple[str, int], tuple[str, str]]:
    """(genre, n) -> (artist, album): ``artists_per_genre`` artists per genre, one album each,
    clips dealt round-robin (the demo's structure before it took the archive's)."""
    return {
        (g, n): (f"Demo {g.title()} Artist {a}", f"Synthetic {g.title()} Vol. {a}")
        for g in GENRES
        for n in range(1, n_per_genre + 1)
        for a in [(n - 1) % artists_per_genre + 1]
    }


def clip_lengths(n_per_genre: int, duration: float, seed: int) -> dict[str, list[float]]:
    """Seconds of each demo clip, per genre: like the real archive, most last 97-101 % of
    ``duration`` and a few classical clips are whole but short (43-71 %): two in a small demo,
    four at the real size (100 per genre)."""
    rng = np.random.default_rng([seed, 1])
    lengths = {g: [duration * float(rng.uniform(*_LENGTH_RANGE)) for _ in range(n_per_genre)] for g in GENRES}
    n_short = min(len(_SHORT_FRACTIONS), n_per_genre, max(2, round(0.04 * n_per_genre)))
    for slot, fraction in zip(rng.permutation(n_per_genre)[:n_short], _SHORT_FRACTIONS, strict=False):
        lengths["classical"][int(slot)] = duration * fraction
    return lengths


def with_duplicate_rows(data: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Repeat about 1.7 % of the rows verbatim right after their original, as in the real data.csv."""
    n_dup = max(1, round(_DUPLICATE_SHARE * len(data)))
    picked = set(rng.choice(len(data), size=n_dup, replace=False).tolist())
    order = [i for i in range(len(data)) for _ in range(2 if i in picked else 1)]
    return data.iloc[order].reset_index(drop=True)


def write_annotations_csv(data: pd.DataFrame, path: str | Path) -> None:
    """Write annotations exactly like the real data.csv: a header with a space after each comma."""
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="") as handle:
            handle.write(", ".join(ANNOTATION_COLUMNS) + "\n")
            data.to_csv(handle, header=False, index=False, lineterminator="\n")
