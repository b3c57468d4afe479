"""One declaration of the study's experiments.

Every place that lists the experiments -- the ``experiment`` rule's inputs, the figures, the
PCA inputs, the repeated evaluation, the summary rows and the paper's claims, the figure axes --
is generated from :data:`EXPERIMENTS`. Adding an Experiment V
is one row here plus its function in :mod:`experiments` (named by ``run``, a key of its ``RUNS``).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    """One figure of the paper's experiments: file name, kind (``pca``, ``confusion``, ``grid``), title."""

    name: str
    kind: str
    title: str


@dataclass(frozen=True)
class Experiment:
    """One experiment of the study.

    ``inputs`` names what its classifier reads (keys of the workflow's input table: ``features``,
    ``neighbours`` (audio rankings of the paper's split), ``ratings_neighbours``, ``labels``,
    ``probabilities`` (Experiment II's out-of-fold emotion probabilities)); ``pca_input`` what its
    PCA figure shows (None: no PCA); ``run`` its function in :mod:`experiments`; ``short`` its
    name in figure axes; ``paper_claim`` what the paper reports (the summary's table);
    ``paper_accuracy`` the paper's single-split accuracy where it gives one number (Experiment II's
    per-emotion values are ``core.emotify.PAPER_TABLE1``); ``repeated`` which rankings the repeated
    evaluation votes with (``audio``: the split's audio rankings; ``ratings``: the rating-share
    rankings; ``predicted_emotions``: rankings of the emotion probabilities predicted from audio,
    :func:`votes.exp4_votes`); ``grouped`` whether it is also evaluated on artist and album
    splits.
    """

    name: str
    numeral: str
    question: str
    target: str
    inputs: tuple[str, ...]
    pca_input: str | None
    figures: tuple[Figure, ...]
    run: str
    short: str
    paper_claim: str
    repeated: str
    paper_accuracy: float | None = None
    grouped: bool = False
    from_audio: bool = True

    @property
    def label(self) -> str:
        """'<numeral>: <short>', as figure axes print it."""
        return f"{self.numeral}: {self.short}"


EXPERIMENTS: tuple[Experiment, ...] = (
    Experiment(
        "exp1_genre_from_audio",
        "I",
        "genre from audio",
        "genre",
        ("neighbours", "features"),
        "features",
        (
            Figure("fig1_audio_pca_by_genre", "pca", "Fig. 1 - PCA of the audio features, by genre"),
            Figure("fig2_audio_genre_confusion", "confusion", "Fig. 2 - Genre from audio"),
        ),
        "exp1",
        short="genre from audio",
        paper_claim="100 % genre accuracy (Fig 1, Fig 2)",
        repeated="audio",
        paper_accuracy=1.0,
        grouped=True,
    ),
    Experiment(
        "exp2_emotion_from_audio",
        "II",
        "each emotion from audio",
        "emotion",
        ("neighbours", "features", "labels"),
        None,
        (Figure("fig3_emotion_confusion_grid", "grid", "Fig. 3 - Each emotion from audio"),),
        "exp2",
        short="emotions from audio",
        paper_claim="Table 1: 0.43 (sadness) to 0.67 (solemnity, tenderness)",
        repeated="audio",
        grouped=True,
    ),
    Experiment(
        "exp3_genre_from_ratings",
        "III",
        "genre from the GEMS ratings",
        "genre",
        ("ratings_neighbours",),
        "ratings",
        (
            Figure("fig4_ratings_pca_by_genre", "pca", "Fig. 4 - PCA of GEMS rating shares, by genre"),
            Figure("fig5_ratings_genre_confusion", "confusion", "Fig. 5 - Genre from GEMS ratings"),
        ),
        "exp3",
        short="genre from ratings",
        paper_claim="genre partly recoverable from ratings; Pop best recognised (Fig 4, Fig 5)",
        repeated="ratings",
        from_audio=False,
    ),
    Experiment(
        "exp4_genre_from_predicted_emotions",
        "IV",
        "genre from the predicted emotion probabilities",
        "genre",
        ("probabilities", "features"),
        "probabilities",
        (
            Figure(
                "fig6_predicted_emotions_pca_by_genre",
                "pca",
                "Fig. 6 - PCA of predicted emotion probabilities, by genre",
            ),
            Figure("fig7_predicted_emotions_genre_confusion", "confusion", "Fig. 7 - Genre from predicted emotions"),
        ),
        "exp4",
        short="genre from predicted emotions",
        paper_claim="predictions polarised towards Classical (Fig 6, Fig 7)",
        repeated="predicted_emotions",
    ),
)
"""The paper's four experiments, in order."""

EXPERIMENT_OUTPUTS: tuple[str, ...] = ("predictions", "metrics", "confusion", "probabilities")
"""What every experiment writes (``<name>.csv``, metrics as JSON): for the genre experiments
``probabilities`` holds the test songs' vote shares per genre; for Experiment II the emotion
probabilities (out-of-fold on the training songs) that Experiment IV reads."""


BEYOND_FIGURES: dict[str, tuple[str, dict[str, str], str]] = {
    "fig8_genre_repeated_splits": (
        "genre_repeated",
        {"summary": "repeated_summary"},
        "Fig. 8 - Genre accuracy over resampled and grouped splits",
    ),
    "fig9_emotions_repeated_vs_paper": (
        "emotion_repeated",
        {"summary": "repeated_summary", "ceiling": "human_ceiling"},
        "Fig. 9 - Emotion accuracy over resampled splits, the paper's Table 1 and the human ceiling",
    ),
    "fig10_ablation_genre": (
        "ablation",
        {"ablation": "ablation_genre"},
        "Fig. 10 - Genre accuracy by feature set: PCA sizes and hand-made descriptors",
    ),
    "fig11_k_sensitivity": (
        "k_sensitivity",
        {"k_sensitivity": "k_sensitivity"},
        "Fig. 11 - Accuracy against k over resampled splits",
    ),
    "fig12_rating_shares_predicted": (
        "shares_scatter",
        {"predictions": "rating_share_predictions"},
        "Fig. 12 - Rating shares: observed against predicted from audio",
    ),
    "fig13_rating_shares_vs_reliability": (
        "shares_reliability",
        {"shares": "rating_shares"},
        "Fig. 13 - Rating shares: R2 from audio and from genre, beside their reliability",
    ),
}
"""The figures beyond the paper: name -> (kind, inputs, title); ``inputs`` maps what the figure
reads to the name of the table it comes from (the workflow knows where each table is written:
``plumbing.paths.BEYOND_TABLES``)."""


#: the figure of a run that compares networks (features.compare): name -> (kind, title); it
#: reads the comparison's tables
COMPARISON_FIGURES: dict[str, tuple[str, str]] = {
    "fig14_networks_compared": (
        "networks",
        "Fig. 14 - The networks compared on the same splits: paired differences",
    ),
}


def figure_titles() -> dict[str, str]:
    """Every figure's file name -> title, the paper's and those beyond it, in order: the one
    source of the figure list (rules, README, report)."""
    paper = {f.name: f.title for e in EXPERIMENTS for f in e.figures}
    beyond = {name: spec[2] for name, spec in BEYOND_FIGURES.items()}
    return {**dict(sorted(paper.items())), **beyond, **{name: spec[1] for name, spec in COMPARISON_FIGURES.items()}}


def experiment(name: str) -> Experiment:
    """The experiment called ``name``."""
    return {e.name: e for e in EXPERIMENTS}[name]
