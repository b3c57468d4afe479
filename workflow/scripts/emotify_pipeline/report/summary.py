"""Table 1 (emotion accuracy beside the paper's) and results/summary.md (every experiment)."""

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.emotify import EMOTIONS, PAPER_TABLE1
from ..core.files import markdown_table, with_leakage_warning, write_csv, write_text
from ..features.store import features_label, read_attrs
from ..study import table as study


def table1(exp2_metrics: dict[str, Any]) -> pd.DataFrame:
    """Per emotion: our accuracy on the test split, baselines, and the paper's accuracy."""
    rows = []
    for emotion in EMOTIONS:
        m = exp2_metrics["emotions"][emotion]
        rows.append(
            {
                "emotion": emotion,
                "accuracy": m["accuracy"],
                "balanced_accuracy": m["balanced_accuracy"],
                "majority_baseline": m["majority_baseline"],
                "genre_baseline": m.get("genre_baseline", float("nan")),
                "positive_share_train": m["positive_share_train"],
                "n_test": m["n_test"],
                "paper_accuracy": PAPER_TABLE1[emotion],
                "difference_vs_paper": m["accuracy"] - PAPER_TABLE1[emotion],
            }
        )
    return pd.DataFrame(rows)


def table1_caption(exp2_metrics: dict[str, Any], run_label: str, features: str) -> str:
    """Table 1's caption; ``features`` is :func:`feature_store.features_label` of the feature file."""
    return (
        f"Table 1 -- accuracy of each GEMS emotion predicted from audio (Experiment II; StandardScaler + "
        f"KNN, k = {exp2_metrics['k']}; one random split, {exp2_metrics['n_train']} train / "
        f"{exp2_metrics['n_test']} test songs). Features: {features}. "
        f"Data: {run_label}. The paper's column is its single-split value, shown for comparison only."
    )


def table1_extended(
    t1: pd.DataFrame,
    repeated: pd.DataFrame,
    ceiling: pd.DataFrame,
    thresholds: pd.DataFrame,
    beyond: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Table 1 with the repeated and grouped means, their confidence intervals, the baselines,
    the label balance, the half-panel agreement and the ceiling."""
    emo = repeated[repeated["experiment"] == "exp2_emotion_from_audio"]
    out = t1.loc[:, ["emotion", "paper_accuracy", "accuracy"]].rename(columns={"accuracy": "single_split"})
    for kind in ("random", "artist", "album"):
        sub = emo[emo["split"] == kind].set_index("target")
        if sub.empty:
            continue
        out[f"{kind}_mean"] = out["emotion"].map(sub["mean_accuracy"])
        out[f"{kind}_ci"] = [f"[{sub.loc[e, 'ci_low']:.2f}, {sub.loc[e, 'ci_high']:.2f}]" for e in out["emotion"]]
        if kind == "random":
            out["majority_baseline"] = out["emotion"].map(sub["majority_baseline"])
            out["genre_baseline"] = out["emotion"].map(sub["genre_baseline"])
        else:
            out[f"{kind}_genre_baseline"] = out["emotion"].map(sub["genre_baseline"])
        out[f"p_{kind}"] = out["emotion"].map(sub["permutation_p"])
        out[f"p_{kind}_holm"] = out["emotion"].map(sub["permutation_p_holm"])
    floors = emo.iloc[0] if len(emo) else None
    if floors is not None:
        out["p_floor"] = floors["permutation_p_floor"]
        out["p_holm_floor"] = floors["permutation_p_holm_floor"]
    if beyond is not None:
        overall = beyond[beyond["genre"] == "all"].set_index("emotion")
        out["p_beyond_genre"] = out["emotion"].map(overall["within_genre_permutation_p"])
        out["p_beyond_genre_holm"] = out["emotion"].map(overall["within_genre_p_holm"])
    out["positive_share_all_songs"] = out["emotion"].map(thresholds.set_index("emotion")["positive_share"])
    ceil = ceiling.set_index("emotion")
    out["half_panel_agreement"] = out["emotion"].map(ceil["half_panel_agreement"])
    out["half_panel_kappa"] = out["emotion"].map(ceil["half_panel_kappa"])
    out["ceiling"] = out["emotion"].map(ceil["ceiling"])
    for column in ("ceiling_low", "ceiling_high"):
        if column in ceil:
            out[column] = out["emotion"].map(ceil[column])
    return out


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


def exchange_words(table: pd.DataFrame | None) -> str:
    """How a table's permutation tests exchanged the labels, from its own ``permutation`` column."""
    if table is None or "permutation" not in table or not len(table):
        return "as the table's `permutation` column says"
    return str(table["permutation"].dropna().iloc[0])


def beyond_kind(table: pd.DataFrame | None) -> str:
    """The kind of split the beyond-genre table was computed on, from its own ``split`` column."""
    return str(table["split"].iloc[0]) if table is not None and "split" in table and len(table) else "artist"


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


def emotion_sentences(beyond: pd.DataFrame, extended: pd.DataFrame, alpha: float = 0.05) -> list[str]:
    """What the emotion analyses show, each claim generated from the numbers it states."""
    overall = beyond[beyond["genre"] == "all"].set_index("emotion")
    better = overall[overall["audio_minus_genre"] > 0]
    below = overall[overall["audio_minus_genre"] < 0].sort_values("audio_minus_genre")
    significant = overall[overall["within_genre_p_holm"] <= alpha]
    kind = str(overall["split"].iloc[0]) if "split" in overall else "random"
    how = str(overall["permutation"].iloc[0]) if "permutation" in overall else "within genre"
    permutations = int(overall["permutations"].iloc[0]) if "permutations" in overall else 0
    floor = float(overall["p_holm_floor"].iloc[0]) if "p_holm_floor" in overall else float("nan")
    where = (
        "artist-grouped splits (no artist on both sides)"
        if kind == "artist"
        else f"{kind} splits, where an artist's songs can sit on both sides, so an artist effect counts as audio"
    )
    lines = [
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
        + " (accuracy, where the permutation test below uses balanced accuracy: the two can disagree).",
        f"- Emotion beyond genre: labels exchanged {how} ({permutations} permutations; the smallest Holm-adjusted "
        f"p attainable is {floor:.4f}): "
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
        ),
    ]
    if "ceiling" in extended:
        span = ""
        if "ceiling_low" in extended:
            span = (
                f" (bootstrap over songs: lowest lower bound {extended['ceiling_low'].min():.2f}, highest upper "
                f"bound {extended['ceiling_high'].max():.2f} of the emotions' percentile intervals)"
            )
        below = int((extended["half_panel_agreement"] < extended["ceiling"]).sum())
        lines.append(
            f"- The labels limit any predictor: the beta-binomial ceiling ranges from {extended['ceiling'].min():.2f} "
            f"to {extended['ceiling'].max():.2f}{span}; two half panels agree on "
            f"{extended['half_panel_agreement'].min():.2f}-{extended['half_panel_agreement'].max():.2f} of the songs "
            f"(Cohen's kappa {extended['half_panel_kappa'].min():.2f}-{extended['half_panel_kappa'].max():.2f}), "
            f"below the emotion's ceiling for {below} of {len(extended)} emotions (half panels are noisier; each "
            "half uses its own median, so the comparison is a heuristic, not a bound). The ceiling is the "
            "accuracy a predictor that knew every song's rating rate could expect, not a level an audio model "
            "should be expected to reach."
        )
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


def data_lines(
    tracks: pd.DataFrame, spectrogram_params: dict[str, Any], annotations: dict[str, Any] | None = None
) -> list[str]:
    """What the track table says about the clips used: counts by status, and the short whole
    clips that were zero-padded (how many, by how much). ``spectrogram_params`` come from the
    feature file's provenance, so the excerpt length quoted is the one the features used."""
    status = tracks["status"].value_counts()
    used = int(status.get("ok", 0))
    parts = [f"{used} of {len(tracks)} track ids have usable audio"]
    if status.get("skipped", 0):
        parts.append(f"{int(status['skipped'])} skipped as unusable (reasons in tracks.csv)")
    if status.get("no_audio", 0):
        parts.append(f"{int(status['no_audio'])} have no audio file here")
    lines = ["- " + "; ".join(parts) + "."]
    if annotations:
        n_dup = annotations.get("duplicate_rows", 0)
        what = (
            "kept, as published (data.duplicate_rows: keep)"
            if annotations.get("duplicate_policy") == "keep"
            else "dropped (data.duplicate_rows: drop)"
        )
        lines.append(
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
    ok = tracks[tracks["status"] == "ok"]
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
    padded = ok[ok["padded_s"].fillna(0) > 0].sort_values("padded_s", ascending=False)
    duration = float(spectrogram_params.get("duration", 0.0) or 0.0)
    if not len(padded):
        return [*lines, f"- No clip was padded: every usable clip lasts at least the {duration:g} s excerpt."]
    lines.append(
        f"- {len(padded)} of {len(ok)} usable clips are whole but shorter than the {duration:g} s excerpt and "
        f"were zero-padded at the end: median {padded['padded_s'].median():.2f} s, "
        f"at most {padded['padded_s'].max():.1f} s."
    )
    large = padded[padded["padded_s"] > 0.05 * duration]
    if len(large):
        detail = ", ".join(
            f"track {t} ({d:.1f} s of audio, {p:.1f} s padded)"
            for t, d, p in zip(large["track_id"], large["decoded_s"], large["padded_s"], strict=True)
        )
        lines.append(f"- Padded by more than 5 % of the excerpt: {detail}.")
    return lines


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


def summary_markdown(
    metrics: dict[str, dict[str, Any]],
    t1: pd.DataFrame,
    caption: str,
    provenance: dict[str, Any],
    run_label: str,
    repeated: pd.DataFrame | None = None,
    extended: pd.DataFrame | None = None,
    ablation_md: str = "",
    data: list[str] | None = None,
    analyses: dict[str, Any] | None = None,
) -> str:
    """results/summary.md: our numbers beside the paper's, experiment by experiment, plus provenance."""
    lines = [
        "# emotify-pipeline -- summary",
        "",
        f"Data: **{run_label}**. Features: **{features_label(provenance)}**, "
        f"{provenance.get('feature_dim', '')} dimensions, extracted on `{provenance.get('device', '')}` "
        f"({provenance.get('precision', '')}).",
        "",
    ]
    if provenance.get("leakage_warning"):
        lines += [f"**WARNING**: {provenance.get('model', 'this network')} was {provenance['leakage_warning']}.", ""]
    lines += [
        "## The paper's experiments, one split",
        "",
        "This table, like the paper, uses one random stratified 70/30 split; the sections after it resample. "
        "Majority baseline: the training songs' majority class, scored on the test songs.",
        "",
        "| experiment | inputs | our accuracy (one split) | majority baseline | paper |",
        "|---|---|---|---|---|",
    ]
    claims = {e.name: e.paper_claim for e in study.EXPERIMENTS}
    for name, m in metrics.items():
        acc = m.get("accuracy", m.get("mean_accuracy"))
        base = m.get("majority_baseline")
        if base is None and "emotions" in m:
            base = sum(e["majority_baseline"] for e in m["emotions"].values()) / len(m["emotions"])
        label = "mean over 9 emotions: " if "emotions" in m else ""
        lines.append(f"| {name} | {m.get('inputs', '')} | {label}{acc:.3f} | {base:.3f} | {claims.get(name, '')} |")
    lines += ["", caption, "", markdown_table(t1)]
    if data:
        lines += ["", "## Data", "", *data, ""]
    analyses = analyses or {}
    if repeated is not None:
        genre = repeated[repeated["target"] == "genre"].loc[
            :,
            [
                "experiment",
                "split",
                "n_repeats",
                "mean_test_share",
                "mean_accuracy",
                "split_range_low",
                "split_range_high",
                "ci_low",
                "ci_high",
                "majority_baseline",
                "permutation_p",
                "permutation_p_floor",
                "permutation",
                "paper",
            ],
        ]
        conf = int(round(100 * float(analyses.get("confidence", 0.95))))
        structure = analyses.get("structure") or {}
        cross = structure.get("songs_of_cross_genre_artists")
        n_songs = structure.get("songs")
        if cross is None:
            cross_text = "some artists span genres, album by album"
        elif cross == 0:
            cross_text = f"none of the {n_songs} songs here belongs to an artist that spans genres"
        else:
            cross_text = f"{cross} of the {n_songs} songs here belong to artists that span genres, album by album"
        exchange = exchange_words(genre)
        layout = (
            "artists with the same album sizes swap labels, each album taking a same-size album's labels (songs "
            "in random order), so labels that differ between an artist's albums move album by album"
            if "album by album" in exchange
            else "artists with the same number of songs swap labels, songs within an artist reordered (no albums "
            "recorded)"
        )
        if structure.get("artists_with_several_albums") == 0:
            albums_text = (
                "**Album splits do not remove the artist** where an artist has several albums; here no artist has "
                "more than one, so album splits group as artist splits do. They are no control for production."
            )
        else:
            follows = "" if cross is None else f" (as for all but {cross} of the {n_songs} songs here)"
            follows = f" (as for all {n_songs} songs here)" if cross == 0 else follows
            albums_text = (
                "**Album splits do not remove the artist**: an artist's other albums stay in training, so where the "
                f"features carry an artist signature and genre follows the artist{follows}, album splits keep the "
                "leak; they are no control for production."
            )
        lines += [
            "## Genre over resampled splits",
            "",
            f"Mean accuracy over resampled splits; split_range: the central {conf} % of the split accuracies "
            f"(what one split may give); ci: the {conf} % corrected resampled t interval (Nadeau & Bengio): "
            "approximate, for the accuracy on new songs of the same source, optimistic where songs cluster by "
            "artist; p: permutation test of the mean balanced accuracy over its chance level (1 / number "
            "of classes) on the first `evaluation.permutation_splits` splits, "
            f"labels exchanged {exchange} on every kind of split: {layout}; every "
            "genre keeps its song count. Its null: the features say nothing about which artist of a given "
            f"{'album profile' if 'album by album' in exchange else 'number of songs'} carries which labels -- so "
            "on random splits, where an artist's songs sit on both sides, a "
            f"small p means more than recognising the artist{' or the album' if 'album by album' in exchange else ''} "
            f"({cross_text}; README, 'Permutation tests', gives each test's rejection rate under such nulls). "
            "No adjustment is made across the split kinds or the experiments. "
            "permutation_p_floor: the smallest p "
            "the permutations can give. paper: the paper's value, on random splits only (it has no grouped-split "
            "result). `artist`/`album` splits keep every artist's (album's) songs on one side, approaching the "
            "nominal test share (split.test_size; what they reach: mean_test_share) and the genre balance. Artist splits remove whatever a KNN can learn from "
            "a particular artist -- production, but also style, voice and instrumentation -- so a drop from random "
            "to artist splits is consistent with, not proof of, the paper's production-bias explanation. "
            + albums_text,
            "",
            markdown_table(genre),
            *split_lines(analyses.get("sizes", {})),
        ]
    if extended is not None:
        lines += [
            "## Emotions (Experiment II)",
            "",
            "Beside the paper's Table 1: the single split; the means and corrected intervals over resampled "
            "splits; the majority baseline and the emotion-from-genre baseline (each test song gets the training "
            "majority label of its genre; per split kind); p_<split>: permutation p of the audio's mean balanced "
            f"accuracy over chance, labels exchanged {exchange_words(repeated)} (genre included: any association "
            "beyond an artist's identity), and p_<split>_holm the same Holm-adjusted over the nine emotions; "
            f"p_beyond_genre(_holm): on {beyond_kind(analyses.get('beyond'))} splits, labels exchanged "
            f"{exchange_words(analyses.get('beyond'))}; p_floor and "
            "p_holm_floor: the smallest raw and Holm-adjusted p the permutations can give; the share of positive "
            "labels; the half-panel agreement (two half panels, each labelled by its own median; compared with the "
            "ceiling as a heuristic, not a bound) and the beta-binomial ceiling with its bootstrap interval over "
            "songs.",
            "",
            markdown_table(extended),
        ]
        if "beyond" in analyses:
            lines += emotion_sentences(analyses["beyond"], extended) + [""]
    if "claims" in analyses:
        lines += ["## The paper's claims on Experiments III and IV", "", *claim_sentences(analyses["claims"]), ""]
    if "k" in analyses:
        lines += [
            "## Choice of k",
            "",
            "Mean accuracy and the range of the split accuracies against k (the paper used k = 5):",
            "",
            markdown_table(analyses["k"]),
        ]
    comparison = analyses.get("comparison")
    if comparison is not None:
        from ..study.comparison import beyond_lines, summary_lines

        models = list(dict.fromkeys(comparison["model"]))
        lines += [
            "## Networks side by side, on the same splits",
            "",
            f"{', '.join(models[1:])} beside the study's {models[0]}: each network's repeated evaluation on the same "
            "split tables, paired split by split (Nadeau-Bengio corrected intervals of the mean difference; "
            "`results/tables/model_comparison.{csv,md}` has every target and kind of split, with chance).",
            "",
            *[
                f"- **{m}**: {label}"
                for m, label in dict(zip(comparison["model"], comparison["features"], strict=True)).items()
            ],
            *summary_lines(comparison),
            *(beyond_lines(analyses["comparison_beyond"]) if analyses.get("comparison_beyond") is not None else []),
            "",
        ]
    if ablation_md:
        lines += [
            "## Ablation: feature sets for genre",
            "",
            "The study's features reduced by PCA, and hand-made descriptors: the long-term average spectrum, MFCC "
            "statistics (classic timbre features) and loudness statistics. Which of these recognise genre says "
            "what kind of information suffices; it does not separate production from musical content.",
            "",
            ablation_md,
        ]
    lines += ["## Provenance", ""]
    versions = provenance.get("versions", {})
    if isinstance(versions, str):
        versions = json.loads(versions)
    lines += [
        f"- weights: {provenance.get('weights_source', '')} (sha256 `{provenance.get('weights_sha256', '')}`)",
        f"- device: {provenance.get('device', '')} ({provenance.get('device_name', '')})",
        "- versions: " + ", ".join(f"{k} {v}" for k, v in sorted(versions.items())),
        f"- features created (UTC): {provenance.get('created_utc', '')}",
        "",
    ]
    return "\n".join(lines)


def main(smk: Any, logger: logging.Logger) -> None:
    exp2 = json.loads(Path(smk.input.exp2).read_text())
    provenance = read_attrs(smk.input.features)
    t1 = table1(exp2)
    caption = table1_caption(exp2, smk.params.run_label, features_label(provenance))
    warning = provenance.get("leakage_warning")
    write_csv(with_leakage_warning(t1, warning), smk.output.table1_csv, float_format="%.4f")
    write_text(caption + "\n\n" + markdown_table(t1), smk.output.table1_md)
    metrics = {Path(p).parent.name: json.loads(Path(p).read_text()) for p in smk.input.metrics}
    repeated = pd.read_csv(smk.input.repeated)
    beyond = pd.read_csv(smk.input.beyond)
    extended = table1_extended(t1, repeated, pd.read_csv(smk.input.ceiling), pd.read_csv(smk.input.thresholds), beyond)
    write_csv(with_leakage_warning(extended, warning), smk.output.extended_csv, float_format="%.4f")
    ext_caption = (
        f"Table 1 extended -- each GEMS emotion predicted from audio (Experiment II; StandardScaler + KNN, "
        f"k = {exp2['k']}). Features: {features_label(provenance)}. Data: {smk.params.run_label}. "
        f"single_split: the paper's set-up, one random split ({exp2['n_train']} train / {exp2['n_test']} test songs). "
        "<split>_mean/_ci: mean over resampled splits and its corrected resampled t interval (approximate, optimistic where songs cluster by artist); majority_baseline / "
        "genre_baseline: the training majority label overall / within the test song's genre, scored on test; "
        f"p_<split>(_holm): permutation p-values on that kind of split, labels exchanged {exchange_words(repeated)} "
        f"(Holm-adjusted over the nine emotions); p_beyond_genre(_holm): on {beyond_kind(beyond)} splits, exchanged "
        f"{exchange_words(beyond)}; p_floor / p_holm_floor: the smallest attainable raw / Holm-adjusted p; "
        "half_panel_agreement: two halves of each song's listeners, labelled separately (each by its own "
        "median), agree -- compared with the ceiling as a heuristic, not a bound; "
        "ceiling: beta-binomial estimate of the best attainable accuracy. paper_accuracy: the paper's single-split value."
    )
    write_text(ext_caption + "\n\n" + markdown_table(extended), smk.output.extended_md)
    ablation = pd.read_csv(smk.input.ablation)
    spectrogram_params = provenance.get("spectrogram_params", {})
    annotations = json.loads(Path(smk.input.annotations_report).read_text())
    tracks = pd.read_csv(smk.input.tracks)
    data = data_lines(tracks, spectrogram_params, annotations)
    sizes = {Path(p).name.removesuffix("_sizes.csv"): pd.read_csv(p) for p in smk.input.sizes}
    analyses = {
        "sizes": sizes,
        "beyond": beyond,
        "claims": pd.read_csv(smk.input.claims),
        "k": pd.read_csv(smk.input.k_sensitivity),
        "confidence": smk.params.confidence,
        "structure": artist_structure(tracks),
    }
    if getattr(smk.input, "comparison", None):
        analyses["comparison"] = pd.read_csv(smk.input.comparison)
        analyses["comparison_beyond"] = pd.read_csv(smk.input.comparison_beyond)
    text = summary_markdown(
        metrics,
        t1,
        caption,
        provenance,
        smk.params.run_label,
        repeated,
        extended,
        markdown_table(ablation),
        data,
        analyses,
    )
    write_text(text, smk.output.summary)
    logger.info("wrote Table 1 and %s", smk.output.summary)
