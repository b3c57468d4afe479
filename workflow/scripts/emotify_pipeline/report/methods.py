"""The summary's Methods section: what the tables' columns, intervals, baselines and permutation
tests mean, said once and worded from the tables' own columns (the exchange, the permutations'
smallest p, the split kinds)."""

from typing import Any

import pandas as pd

from .shares import shares_methods
from .tables import beyond_kind, exchange_words


def _cross_genre_text(structure: dict[str, int]) -> str:
    """How many songs belong to artists that span genres (``structure``: :func:`artist_structure`)."""
    cross = structure.get("songs_of_cross_genre_artists")
    n_songs = structure.get("songs")
    if cross is None:
        return "some artists span genres, album by album"
    if cross == 0:
        return f"none of the {n_songs} songs here belongs to an artist that spans genres"
    return f"{cross} of the {n_songs} songs here belong to artists that span genres, album by album"


def _layout_text(exchange: str) -> str:
    """How the permutations move labels, by the exchange scheme's own words."""
    if "album by album" in exchange:
        return (
            "artists with the same album sizes swap labels, each album taking a same-size album's labels (songs "
            "in random order), so labels that differ between an artist's albums move album by album"
        )
    return "artists with the same number of songs swap labels, songs within an artist reordered (no albums recorded)"


def _albums_text(structure: dict[str, int]) -> str:
    """Why album splits are no control for production, for the artists and albums here."""
    if structure.get("artists_with_several_albums") == 0:
        return (
            "**Album splits do not remove the artist** where an artist has several albums; here no artist has "
            "more than one, so album splits group as artist splits do. They are no control for production."
        )
    cross = structure.get("songs_of_cross_genre_artists")
    n_songs = structure.get("songs")
    follows = "" if cross is None else f" (as for all but {cross} of the {n_songs} songs here)"
    follows = f" (as for all {n_songs} songs here)" if cross == 0 else follows
    return (
        "**Album splits do not remove the artist**: an artist's other albums stay in training, so where the "
        f"features carry an artist signature and genre follows the artist{follows}, album splits keep the "
        "leak; they are no control for production."
    )


def genre_methods(repeated: pd.DataFrame, analyses: dict[str, Any]) -> str:
    """What the genre table's columns and tests mean (said once)."""
    genre = repeated[repeated["target"] == "genre"]
    conf = int(round(100 * float(analyses.get("confidence", 0.95))))
    structure = analyses.get("structure") or {}
    exchange = exchange_words(genre)
    by_album = "album by album" in exchange
    floor = float(genre["permutation_p_floor"].min()) if "permutation_p_floor" in genre else float("nan")
    return (
        f"**Genre.** Mean accuracy over resampled splits; split_range: the central {conf} % of the split "
        f"accuracies (what one split may give); ci: the {conf} % corrected resampled t interval (Nadeau & Bengio): "
        "approximate, for the accuracy on new songs of the same source, optimistic where songs cluster by "
        "artist; majority_baseline: the training songs' majority class scored on the test songs; p: "
        "permutation test of the mean balanced accuracy over its chance level (1 / number of classes) on the "
        "first `evaluation.permutation_splits` splits, "
        f"labels exchanged {exchange} on every kind of split: {_layout_text(exchange)}; every "
        "genre keeps its song count. Its null: the features say nothing about which artist of a given "
        f"{'album profile' if by_album else 'number of songs'} carries which labels -- so "
        "on random splits, where an artist's songs sit on both sides, a "
        f"small p means more than recognising the artist{' or the album' if by_album else ''} "
        f"({_cross_genre_text(structure)}; docs/statistics.md gives each test's rejection rate under "
        "such nulls). "
        f"The smallest p the permutations can give is {floor:.4f}. "
        "No adjustment is made across the split kinds or the experiments. "
        "paper: the paper's value, on random splits only (it has no grouped-split "
        "result). `artist`/`album` splits keep every artist's (album's) songs on one side, approaching the "
        "nominal test share (split.test_size; what they reach: mean_test_share) and the genre balance. Artist "
        "splits remove whatever a KNN can learn from "
        "a particular artist -- production, but also style, voice and instrumentation -- so a drop from random "
        "to artist splits is consistent with, not proof of, the paper's production-bias explanation. "
        + _albums_text(structure)
    )


def emotion_methods(extended: pd.DataFrame, repeated: pd.DataFrame | None, analyses: dict[str, Any]) -> str:
    """What the emotion tables' columns mean (said once)."""
    floors = ""
    if "p_floor" in extended and "p_holm_floor" in extended:
        floors = (
            f" The smallest raw and Holm-adjusted p the permutations can give: {float(extended['p_floor'].min()):.4f} "
            f"and {float(extended['p_holm_floor'].min()):.4f}."
        )
    return (
        "**Emotions.** Beside the paper's Table 1: the single split; the means and corrected intervals over "
        "resampled splits; the majority baseline and the emotion-from-genre baseline (each test song gets the "
        "training majority label of its genre; per split kind); p_<split>: permutation p of the audio's mean "
        f"balanced accuracy over chance, labels exchanged {exchange_words(repeated)} (genre included: any "
        "association beyond an artist's identity), and p_<split>_holm the same Holm-adjusted over the nine "
        f"emotions; p_beyond_genre(_holm): on {beyond_kind(analyses.get('beyond'))} splits, labels exchanged "
        f"{exchange_words(analyses.get('beyond'))}; positive_share_all_songs: the share of positive labels; "
        "the half-panel agreement (two half panels, each labelled by its own median; compared with the "
        "ceiling as a heuristic, not a bound) and the beta-binomial ceiling with its bootstrap interval over "
        "songs." + floors
    )


def methods_section(
    repeated: pd.DataFrame | None, extended: pd.DataFrame | None, analyses: dict[str, Any]
) -> list[str]:
    """The columns and tests of the tables above, defined once."""
    paragraphs = []
    if repeated is not None:
        paragraphs.append(genre_methods(repeated, analyses))
    if extended is not None:
        paragraphs.append(emotion_methods(extended, repeated, analyses))
    if analyses.get("shares") is not None:
        paragraphs.append(shares_methods(analyses["shares"]))
    if not paragraphs:
        return []
    return ["## Methods", "", *[line for para in paragraphs for line in (para, "")]]
