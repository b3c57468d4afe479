"""The networks side by side: pairing split by split, the corrected interval of the difference,
and sentences that claim no more than the numbers."""

import numpy as np
import pandas as pd
import pytest

from emotify_pipeline.core.errors import EmotifyError
from emotify_pipeline.stats.inference import corrected_t_interval
from emotify_pipeline.study.comparison import compare, markdown, summary_lines

KINDS = ("random", "artist")


def _frames(acc: dict[str, np.ndarray], n_train: int = 280, n_test: int = 120) -> tuple[dict, dict]:
    """Repeated summaries and per-split accuracies of Experiment I (and III, which is left out)."""
    summaries, repeats = {}, {}
    for model, values in acc.items():
        rows, per = [], []
        for kind in KINDS:
            for exp in ("exp1_genre_from_audio", "exp3_genre_from_ratings"):
                rows.append(
                    {"experiment": exp, "target": "genre", "split": kind, "mean_accuracy": values.mean(),
                     "ci_low": values.min(), "ci_high": values.max(), "mean_balanced_accuracy": values.mean(),
                     "chance_baseline": 0.25, "majority_baseline": 0.25, "permutation_p": 0.001,
                     "permutation_p_floor": 0.001, "permutation": "by artist"}
                )  # fmt: skip
                per += [
                    {"experiment": exp, "target": "genre", "split": kind, "repeat": r, "accuracy": a,
                     "n_train": n_train, "n_test": n_test}
                    for r, a in enumerate(values)
                ]  # fmt: skip
        summaries[model], repeats[model] = pd.DataFrame(rows), pd.DataFrame(per)
    return summaries, repeats


def test_the_difference_is_paired_split_by_split_with_its_corrected_interval() -> None:
    rng = np.random.default_rng(0)
    base = rng.uniform(0.5, 0.7, 30)
    other = base + 0.05 + rng.normal(0, 0.02, 30)
    summaries, repeats = _frames({"vgg19": base, "MSD_musicnn": other})
    labels = {"vgg19": "random-init VGG19", "MSD_musicnn": "MSD_musicnn (musicnn)"}
    table = compare(["vgg19", "MSD_musicnn"], summaries, repeats, labels, {}, 0.95)
    assert set(table["experiment"]) == {"exp1_genre_from_audio"}  # Experiment III reads no audio
    row = table[(table["model"] == "MSD_musicnn") & (table["split"] == "random")].iloc[0]
    lo, hi = corrected_t_interval(other - base, 280, 120, 0.95, bounds=(-1, 1))
    assert row["difference"] == pytest.approx((other - base).mean())
    assert (row["difference_ci_low"], row["difference_ci_high"]) == pytest.approx((lo, hi))
    # paired: far narrower than the two networks' own spreads would give unpaired
    assert hi - lo < 0.5 * (base.max() - base.min())
    lines = summary_lines(table)
    assert "MSD_musicnn's mean accuracy is higher and the corrected interval excludes 0" in lines[0]
    assert "is more accurate" not in " ".join(lines)
    assert table.loc[table["model"] == "vgg19", "difference"].isna().all()


def test_a_difference_without_spread_gets_no_interval() -> None:
    same = np.ones(10)  # both networks at 100 % on every split
    summaries, repeats = _frames({"vgg19": same, "MSD_musicnn": same.copy()})
    table = compare(["vgg19", "MSD_musicnn"], summaries, repeats, {"vgg19": "a", "MSD_musicnn": "b"}, {}, 0.95)
    row = table[table["model"] == "MSD_musicnn"].iloc[0]
    assert row["difference"] == 0 and np.isnan(row["difference_ci_low"]) and bool(row["constant_difference"])
    assert "no interval" in summary_lines(table)[0] and "excludes 0" not in summary_lines(table)[0]
    assert "+0.000 on every split (no interval)" in markdown(table, 0.95, "demo")


def test_an_overlapping_difference_is_not_called_a_difference_and_warnings_are_repeated() -> None:
    rng = np.random.default_rng(1)
    base = rng.uniform(0.4, 0.8, 20)
    summaries, repeats = _frames({"vgg19": base, "MTT_musicnn": rng.permutation(base)})
    warning = "trained on MagnaTagATune"
    table = compare(["vgg19", "MTT_musicnn"], summaries, repeats, {"vgg19": "a", "MTT_musicnn": "b"},
                    {"MTT_musicnn": warning}, 0.95)  # fmt: skip
    lines = summary_lines(table)
    assert "not shown to differ" in lines[0]
    assert lines[-1].startswith("- **WARNING**: MTT_musicnn was trained on MagnaTagATune")
    assert "WARNING: MTT_musicnn was trained on MagnaTagATune" in markdown(table, 0.95, "demo")


def test_other_splits_are_refused() -> None:
    summaries, repeats = _frames({"vgg19": np.full(5, 0.5), "MSD_musicnn": np.full(5, 0.6)})
    repeats["MSD_musicnn"]["n_test"] -= 1  # one song fewer in every test set
    with pytest.raises(EmotifyError, match="not evaluated on the same splits"):
        compare(["vgg19", "MSD_musicnn"], summaries, repeats, {"vgg19": "a", "MSD_musicnn": "b"}, {}, 0.95)


def test_emotion_beyond_genre_side_by_side_states_its_numbers() -> None:
    from emotify_pipeline.core.emotify import EMOTIONS
    from emotify_pipeline.study.comparison import beyond_lines, beyond_markdown, beyond_table

    def table(diff: float, p: float) -> pd.DataFrame:
        rows = [
            {
                "emotion": e,
                "genre": g,
                "split": "artist",
                "audio_accuracy": 0.6,
                "genre_baseline": 0.6 - diff,
                "audio_minus_genre": diff,
                "audio_minus_genre_ci_low": diff - 0.02,
                "audio_minus_genre_ci_high": diff + 0.02,
                "within_genre_p_holm": p if g == "all" else float("nan"),
                "p_holm_floor": 9 / 1001,
                "permutation": "by artist within genre among artists with the same album sizes, album by album",
            }
            for e in EMOTIONS
            for g in ("all", "rock")
        ]
        return pd.DataFrame(rows)

    both = beyond_table(["MSD_musicnn", "vgg19"], {"MSD_musicnn": table(0.05, 0.01), "vgg19": table(-0.05, 0.6)}, {})
    assert len(both) == 2 * len(EMOTIONS) and set(both["model"]) == {"MSD_musicnn", "vgg19"}
    lines = beyond_lines(both)
    assert "MSD_musicnn: Holm-adjusted p <= 0.05 for 9 of 9 emotions" in lines[0]
    assert "vgg19: Holm-adjusted p <= 0.05 for 0 of 9 emotions (none); audio above" in lines[1]
    assert "excluding 0 for 0 (none)" in lines[1] and "excluding 0 for 9" in lines[0]
    text = beyond_markdown(both, 0.95)
    assert "+0.050 [+0.030, +0.070]" in text and "-0.050 [-0.070, -0.030]" in text
