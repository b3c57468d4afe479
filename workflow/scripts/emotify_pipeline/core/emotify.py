"""Facts of the Emotify archive and of the paper: genres and their id ranges, the nine GEMS
emotions, data.csv's columns, Table 1, the ImageNet weights, the catalogue of the 400 tracks."""

from pathlib import Path

import pandas as pd

GENRES: tuple[str, ...] = ("classical", "rock", "electronic", "pop")
"""The four Emotify genres, in track-id order (classical 1-100, rock 101-200, ...)."""


GENRE_ID_BASE: dict[str, int] = {"classical": 0, "rock": 100, "electronic": 200, "pop": 300}
"""The archive's id ranges: track id ``GENRE_ID_BASE[genre] + n`` is ``<genre>/<n>.mp3``, n = 1..100."""


CLIPS_PER_GENRE = 100
"""Clips per genre in the archive (the width of each genre's id range)."""


EMOTIONS: tuple[str, ...] = (
    "amazement",
    "solemnity",
    "tenderness",
    "nostalgia",
    "calmness",
    "power",
    "joyful_activation",
    "tension",
    "sadness",
)
"""The nine GEMS emotions, in data.csv column order."""


ANNOTATION_COLUMNS: tuple[str, ...] = (
    "track id",
    "genre",
    *EMOTIONS,
    "mood",
    "liked",
    "disliked",
    "age",
    "gender",
    "mother tongue",
)
"""The 17 columns of Emotify's data.csv (the file's header has a space after each comma)."""


PAPER_TABLE1: dict[str, float] = {
    "amazement": 0.52,
    "solemnity": 0.67,
    "tenderness": 0.67,
    "nostalgia": 0.63,
    "calmness": 0.57,
    "power": 0.62,
    "joyful_activation": 0.52,
    "tension": 0.63,
    "sadness": 0.43,
}
"""Table 1 of Pereira & Tavares: accuracy of each emotion predicted from audio (one split)."""


IMAGENET_URL = "https://download.pytorch.org/models/vgg19-dcbb9e9d.pth"


CATALOGUE_PATH = Path(__file__).resolve().parents[4] / "resources" / "emotify_catalogue.csv"
"""The archive's 400 tracks with their file, ID3 artist and album (see resources/README.md)."""
"""torchvision's ImageNet VGG19 weights (IMAGENET1K_V1); the file name starts with its sha256 prefix."""


IMAGENET_FILE = "vgg19-dcbb9e9d.pth"


def weights_label(weights: str) -> str:
    """Human label for the VGG19 weights, used in every figure title and table caption."""
    if weights == "random":
        return "random-init VGG19 (NOT ImageNet)"
    if weights == "imagenet":
        return "ImageNet VGG19"
    return f"VGG19 weights from {Path(weights).name}"


def usable_tracks(tracks: pd.DataFrame) -> pd.DataFrame:
    """The rows of a track table (tracks.csv) whose audio is present and usable."""
    return tracks[tracks["status"] == "ok"].reset_index(drop=True)
