"""The summary's sentences: what the emotion analyses, the paper's claims, the grouped splits'
composition and the data used show, each claim generated from the numbers it states."""

from typing import Any

import numpy as np
import pandas as pd


def _difference_intervals(overall: pd.DataFrame) -> str:
    """How many emotions' paired corrected interval of audio - genre lies above / below 0 (''
    for tables without it)."""
    if "audio_minus_genre_ci_low" not in overall:
        return ""
    above = overall[overall["audio_minus_genre_ci_low"] > 0].index.tolist()
    under = overall[overall["audio_minus_genre_ci_high"] < 0].index.tolist()
    return (
        "; the paired corrected interval of the difference (split by split) lies above 0 for "
        f"{len(above)}{' (' + ', '.join(above) + ')' if above else ''} and below 0 for "
        f"{len(under)}{' (' + ', '.join(under) + ')' if under else ''}; the others include 0"
    )


def _size_not_shown(significant: pd.DataFrame) -> str:
    """For the emotions a test found, those whose accuracy gain over the genre-only baseline has
    an interval that includes 0: the test shows a link, not its size."""
    if "audio_minus_genre_ci_low" not in significant or not len(significant):
        return ""
    covers = significant[
        (significant["audio_minus_genre_ci_low"] <= 0) & (significant["audio_minus_genre_ci_high"] >= 0)
    ].index.tolist()
    if not covers:
        return "; the accuracy gain over the genre-only baseline has an interval above 0 for each of them"
    return (
        f"; for {len(covers)} of them ({', '.join(covers)}) the accuracy gain over the genre-only baseline has "
        "an interval that includes 0, so the size of any gain is not shown"
    )


def _audio_vs_genre_sentence(overall: pd.DataFrame, kind: str) -> str:
    """Audio's accuracy against the emotion-from-genre baseline, emotion by emotion (``overall``:
    the beyond-genre table's rows for all genres, by emotion; ``kind``: its kind of split)."""
    better = overall[overall["audio_minus_genre"] > 0]
    below = overall[overall["audio_minus_genre"] < 0].sort_values("audio_minus_genre")
    where = (
        "artist-grouped splits (no artist on both sides)"
        if kind == "artist"
        else f"{kind} splits, where an artist's songs can sit on both sides, so an artist effect counts as audio"
    )
    return (
        f"- Audio vs genre alone, on {where}: the audio KNN's mean accuracy exceeds the emotion-from-genre "
        f"baseline for {len(better)} of {len(overall)} emotions (differences "
        f"{overall['audio_minus_genre'].min():+.3f} to {overall['audio_minus_genre'].max():+.3f})"
        + (
            f"; it is **below** the genre-only baseline for {len(below)}: "
            + ", ".join(f"{e} ({d:+.3f})" for e, d in below["audio_minus_genre"].items())
            if len(below)
            else "; it is below the genre-only baseline for none"
        )
        + _difference_intervals(overall)
        + " (accuracy, where the permutation test below uses balanced accuracy: the two can disagree)."
    )


def _beyond_genre_sentence(overall: pd.DataFrame, kind: str, alpha: float) -> str:
    """What the within-genre permutation tests show at Holm-adjusted level ``alpha``, and whether
    their number of permutations lets any p reach it."""
    significant = overall[overall["within_genre_p_holm"] <= alpha]
    permutations = int(overall["permutations"].iloc[0]) if "permutations" in overall else 0
    floor = float(overall["p_holm_floor"].iloc[0]) if "p_holm_floor" in overall else float("nan")
    return (
        f"- Emotion beyond genre (labels exchanged within genre, as Methods says; {permutations} permutations; "
        f"the smallest Holm-adjusted p attainable is {floor:.4f}): "
        + (
            f"{len(significant)} of {len(overall)} emotions have a Holm-adjusted p <= {alpha} "
            f"({', '.join(significant.index)}): for those the test rejects that the audio features carry no "
            "emotion information beyond genre"
            + (" (and beyond an artist's identity)" if kind == "artist" else "")
            + " -- balanced accuracy over chance"
            + _size_not_shown(significant)
            + "; the others do not reach the threshold, which is not evidence that they carry none."
            if len(significant)
            else f"no emotion has a Holm-adjusted p <= {alpha}; this is not evidence that the audio features carry "
            "no emotion information beyond genre (a test that keeps the songs of a unit whose class holds no "
            "other unit with their own labels has little power there)."
        )
        + (
            f" With {permutations} permutations no Holm-adjusted p can reach {alpha}: evaluation.permutations must "
            f"be at least {int(np.ceil(len(overall) / alpha - 1 - 1e-9))} for the smallest to reach it (necessary, not "
            "sufficient; 1,000 by default)."
            if floor > alpha
            else ""
        )
    )


def ceiling_sentence(extended: pd.DataFrame) -> str:
    """How the labels limit any predictor: the beta-binomial ceiling (with its bootstrap span
    where Table 1 extended has one) and the half panels' agreement."""
    span = ""
    if "ceiling_low" in extended:
        span = (
            f" (bootstrap over songs: lowest lower bound {extended['ceiling_low'].min():.2f}, highest upper "
            f"bound {extended['ceiling_high'].max():.2f} of the emotions' percentile intervals)"
        )
    below = int((extended["half_panel_agreement"] < extended["ceiling"]).sum())
    return (
        f"- The labels limit any predictor: the beta-binomial ceiling ranges from {extended['ceiling'].min():.2f} "
        f"to {extended['ceiling'].max():.2f}{span}; two half panels agree on "
        f"{extended['half_panel_agreement'].min():.2f}-{extended['half_panel_agreement'].max():.2f} of the songs "
        f"(Cohen's kappa {extended['half_panel_kappa'].min():.2f}-{extended['half_panel_kappa'].max():.2f}), "
        f"below the emotion's ceiling for {below} of {len(extended)} emotions (half panels are noisier; each "
        "half uses its own median, so the comparison is a heuristic, not a bound). The ceiling is the "
        "accuracy a predictor that knew every song's rating rate could expect, not a level an audio model "
        "should be expected to reach."
    )


def emotion_sentences(beyond: pd.DataFrame, extended: pd.DataFrame, alpha: float = 0.05) -> list[str]:
    """What the emotion analyses show, each claim generated from the numbers it states.

    Parameters
    ----------
    beyond : DataFrame
        ``emotion_beyond_genre.csv``.
    extended : DataFrame
        Table 1 extended (:func:`tables.table1_extended`); its ceiling columns, where present,
        give the ceiling's sentence.
    alpha : float
        The level the Holm-adjusted p-values are read at.
    """
    overall = beyond[beyond["genre"] == "all"].set_index("emotion")
    kind = str(overall["split"].iloc[0]) if "split" in overall else "random"
    lines = [_audio_vs_genre_sentence(overall, kind), _beyond_genre_sentence(overall, kind, alpha)]
    if "ceiling" in extended:
        lines.append(ceiling_sentence(extended))
    return lines


def claim_sentences(claims: pd.DataFrame) -> list[str]:
    """The paper's claims about Experiments III and IV, stated with the numbers of the
    repeated splits (no verdict beyond what they show)."""
    lines = []
    for variant in [v for v in claims["experiment"].unique() if v.startswith("exp3")]:
        sub = claims[(claims["experiment"] == variant) & (claims["ties"] == "random")].set_index("genre")
        n = int(sub["n_repeats"].iloc[0])
        pop = sub.loc["pop"] if "pop" in sub.index else None
        best = sub["recall"].idxmax()
        if pop is None:
            continue
        lines.append(
            f'- "Pop best recognised" ({variant}, ties broken at random): pop has the highest recall in '
            f"{pop['top_recall_share']:.0%} of {n} splits; mean recall pop {pop['recall']:.2f}, highest {best} "
            f"{sub['recall'].max():.2f}."
        )
    exp4 = claims[claims["experiment"].str.startswith("exp4") & (claims["genre"] == "classical")].set_index("ties")
    if len(exp4):
        parts = [
            f"{t} tie-breaking {exp4.loc[t, 'excess_share']:+.2f} (central range {exp4.loc[t, 'excess_range_low']:+.2f} "
            f"to {exp4.loc[t, 'excess_range_high']:+.2f}; positive in {exp4.loc[t, 'excess_positive_share']:.0%} of the splits)"
            for t in exp4.index
        ]
        lines.append(
            '- "Polarised towards Classical" (Experiment IV): share of classical predictions minus the share of '
            f"classical test songs, {'; '.join(parts)}."
        )
        lines.append(tie_sentence(claims[claims["experiment"].str.startswith("exp4")]))
    return lines


def tie_sentence(exp4: pd.DataFrame) -> str:
    """How Experiment IV's ties fall, from the numbers of genre_claims.csv: the vote and distance
    tie rates, and each genre's part in the tied votes and its wins under scikit-learn's rule."""
    sk = exp4[exp4["ties"] == "sklearn"].set_index("genre")
    rnd = exp4[exp4["ties"] == "random"].set_index("genre")
    order = sorted(sk.index)
    text = (
        f"- Ties in Experiment IV (scikit-learn's rule): vote ties for {sk['vote_tie_rate'].iloc[0]:.2f} and boundary "
        f"distance ties for {sk['distance_tie_rate'].iloc[0]:.2f} of the test songs. A vote tie goes to the first of "
        f"the tied classes in sorted order ({' < '.join(order)}), equidistant neighbours are taken in training-row "
        "(track id) order."
    )
    if "vote_ties_with" not in sk or sk["vote_ties_with"].isna().all():
        return text + " No vote was tied."
    first = order[0]
    parts = ", ".join(f"{g} {sk.loc[g, 'vote_ties_with']:.1%}" for g in order)
    wins = ", ".join(f"{g} {sk.loc[g, 'vote_ties_won']:.1%}" for g in order)
    text += (
        f" Share of the tied votes each genre is part of: {parts}. Under this rule {first} wins every tie it is "
        f"part of ({sk.loc[first, 'vote_ties_with']:.1%} of the tied votes"
        + (", not all of them" if sk.loc[first, "vote_ties_with"] < 1 else ", which is all of them")
        + f"). Share of the tied votes each genre wins: {wins}"
    )
    if "vote_ties_won" in rnd and len(rnd):
        text += f" (ties broken at random: {first} {rnd.loc[first, 'vote_ties_won']:.1%})"
    return text + "."


def split_lines(sizes: dict[str, pd.DataFrame]) -> list[str]:
    """Each grouped split kind's composition, from its sizes table: mean test share and groups,
    and the test share of songs by the size of their group (the greedy assignment's size bias)."""
    lines = []
    for kind, table in sizes.items():
        bins = [c for c in table.columns if c.startswith("test_share_groups_") and table[c].notna().any()]
        if not bins:
            continue
        shares = ", ".join(
            f"{c.removeprefix('test_share_groups_').replace('_up', '+').replace('_', '-')} song(s) {table[c].mean():.3f}"
            for c in bins
        )
        small, large = table[bins[0]].mean(), table[bins[-1]].mean()
        if len(bins) < 2:
            verdict = f"Every {kind} falls in one size class: no size bias to measure."
        elif small > large:
            verdict = f"Small {kind}s land on the test side more often than large ones ({small:.3f} vs {large:.3f})."
        else:
            verdict = (
                f"Large {kind}s land on the test side at least as often as small ones ({large:.3f} vs {small:.3f})."
            )
        lines.append(
            f"- {kind} splits: {len(table)} splits, mean test share {table['test_share'].mean():.3f}, "
            f"{table['n_test_groups'].mean():.1f} of {int(table['n_groups'].iloc[0])} {kind}s on the test side; "
            f"share of songs on the test side by the size of their {kind}: {shares}. {verdict}"
        )
    return ["", *lines, ""] if lines else []


def _status_line(tracks: pd.DataFrame) -> str:
    """How many track ids have usable audio, how many were skipped or have no audio file."""
    status = tracks["status"].value_counts()
    used = int(status.get("ok", 0))
    parts = [f"{used} of {len(tracks)} track ids have usable audio"]
    if status.get("skipped", 0):
        parts.append(f"{int(status['skipped'])} skipped as unusable (reasons in tracks.csv)")
    if status.get("no_audio", 0):
        parts.append(f"{int(status['no_audio'])} have no audio file here")
    return "- " + "; ".join(parts) + "."


def _annotations_line(annotations: dict[str, Any]) -> str:
    """The listening events of data.csv: how many, the verbatim repeats and what was done with
    them, how many were used (``annotations``: the validation's report)."""
    n_dup = annotations.get("duplicate_rows", 0)
    what = (
        "kept, as published (data.duplicate_rows: keep)"
        if annotations.get("duplicate_policy") == "keep"
        else "dropped (data.duplicate_rows: drop)"
    )
    return (
        f"- data.csv: {annotations.get('rows', '?')} listening events; {n_dup} repeat an earlier row verbatim"
        + (
            f" ({annotations.get('distinct_repeated_rows', 0)} distinct rows, up to "
            f"{annotations.get('most_copies', 1)} copies, {annotations.get('tracks_with_duplicates', 0)} tracks; "
            f"a double record and two listeners with identical answers look the same), {what}"
            if n_dup
            else ""
        )
        + f"; {annotations.get('rows_used', '?')} used."
    )


def _integrity_lines(ok: pd.DataFrame) -> list[str]:
    """The usable MP3s that cannot be proven whole, and those that share their audio bytes with
    another track (``ok``: the usable rows of the track table)."""
    lines = []
    integrity = ok["integrity"].astype(str) if "integrity" in ok else pd.Series(dtype=str)
    for prefix, what in (
        ("unverified", "are whole as far as their frames show, but cannot be proven complete (no VBR header or "
         "closing tag; a cut between two frames would look the same)"),
        ("whole: closing tag", "are whole and closed by a tag, but not checked against the archive's catalogue "
         "(a copy cut between two frames with its tag appended again would look the same)"),
    ):  # fmt: skip
        count = int(integrity.str.startswith(prefix).sum())
        if count:
            lines.append(f"- {count} usable MP3(s) {what}: `integrity` in tracks.csv.")
    if "duplicate_of" in ok:
        dup = ok[ok["duplicate_of"].fillna("").astype(str) != ""]
        if len(dup):
            pairs = ", ".join(f"track {t} = {o}" for t, o in zip(dup["track_id"], dup["duplicate_of"], strict=True))
            lines.append(
                f"- **{len(dup)} usable track(s) share their audio bytes with another track** ({pairs}): the same "
                "recording counts twice and can sit on both sides of a split. `duplicate_of` in tracks.csv."
            )
    return lines


def _padding_lines(ok: pd.DataFrame, duration: float) -> list[str]:
    """The usable clips shorter than the ``duration``-second excerpt, zero-padded: how many, by
    how much, and those padded by more than 5 % of it."""
    padded = ok[ok["padded_s"].fillna(0) > 0].sort_values("padded_s", ascending=False)
    if not len(padded):
        return [f"- No clip was padded: every usable clip lasts at least the {duration:g} s excerpt."]
    lines = [
        f"- {len(padded)} of {len(ok)} usable clips are whole but shorter than the {duration:g} s excerpt and "
        f"were zero-padded at the end: median {padded['padded_s'].median():.2f} s, "
        f"at most {padded['padded_s'].max():.1f} s."
    ]
    large = padded[padded["padded_s"] > 0.05 * duration]
    if len(large):
        detail = ", ".join(
            f"track {t} ({d:.1f} s of audio, {p:.1f} s padded)"
            for t, d, p in zip(large["track_id"], large["decoded_s"], large["padded_s"], strict=True)
        )
        lines.append(f"- Padded by more than 5 % of the excerpt: {detail}.")
    return lines


def data_lines(
    tracks: pd.DataFrame, spectrogram_params: dict[str, Any], annotations: dict[str, Any] | None = None
) -> list[str]:
    """What the track table says about the clips used: counts by status, and the short whole
    clips that were zero-padded (how many, by how much). ``spectrogram_params`` come from the
    feature file's provenance, so the excerpt length quoted is the one the features used."""
    lines = [_status_line(tracks)]
    if annotations:
        lines.append(_annotations_line(annotations))
    ok = tracks[tracks["status"] == "ok"]
    duration = float(spectrogram_params.get("duration", 0.0) or 0.0)
    return [*lines, *_integrity_lines(ok), *_padding_lines(ok, duration)]


def artist_structure(tracks: pd.DataFrame) -> dict[str, int]:
    """The group structure the split sentences speak of, from tracks.csv (ID3 artist and album of
    the usable clips): songs whose artist has songs in more than one genre, artists with more
    than one album, and the songs counted."""
    ok = tracks[(tracks["status"] == "ok") & tracks["artist"].notna()]
    genres = ok.groupby("artist")["genre"].nunique()
    albums = ok.groupby("artist")["album"].nunique()
    return {
        "songs": len(ok),
        "songs_of_cross_genre_artists": int(ok["artist"].isin(genres[genres > 1].index).sum()),
        "artists_with_several_albums": int((albums > 1).sum()),
    }
