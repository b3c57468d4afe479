"""What every figure shares: the Agg backend, the palettes and the split kinds' order, and how a
figure is saved (atomically, without the matplotlib version in the PNG's metadata, so that the
same numbers give the same bytes)."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402

from ..core.emotify import GENRES  # noqa: E402
from ..core.files import atomic_path  # noqa: E402

GENRE_PALETTE = dict(zip(GENRES, sns.color_palette("colorblind", len(GENRES)), strict=True))
#: the kinds of split, in the order every figure shows them
SPLIT_ORDER = ["random", "artist", "album"]
SPLIT_PALETTE = dict(zip(SPLIT_ORDER, sns.color_palette("deep", 3), strict=True))


def save_figure(fig: plt.Figure, out: str | Path, dpi: int) -> None:
    """Write ``fig`` to ``out`` as PNG (atomically) and close it."""
    with atomic_path(out, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format="png", metadata={"Software": None})
    plt.close(fig)
