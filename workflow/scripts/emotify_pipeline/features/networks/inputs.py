"""What a network reads: a decoded clip turned into its input, as a map-style dataset whose
items carry the decode statistics beside the input, and the collation of those items.

Every dataset of a network returns :data:`Item` tuples and never raises on a clip that cannot
be decoded: it returns the error message, which keeps the message clean across DataLoader
worker processes. :class:`ClipImages` gives the spectrogram image (3, n_mels, n_frames); a
network with another input subclasses it (musicnn: its 16 kHz log-mel patches).
"""

from collections.abc import Callable
from typing import Any

import numpy as np

from ...core.errors import EmotifyError
from ..spectrogram import SpectrogramParams, clip_image_and_statistics

#: ``(index, input or None, error message ('' = ok), seconds decoded, decode statistics or None)``
Item = tuple[int, np.ndarray | None, str, float, np.ndarray | None]
#: a batch: indices, the inputs that decoded packed together (None if none did), the error
#: messages, the seconds decoded and the decode statistics, one per item
Collated = tuple[list[int], Any, list[str], list[float], list[np.ndarray | None]]
#: a network's collate function
Collate = Callable[[list[Item]], Collated]


class ClipImages:
    """A map-style dataset of spectrogram images (3, n_mels, n_frames) float32 with each clip's
    :func:`spectrogram.decode_statistics`; a decoding error is returned, not raised."""

    def __init__(self, paths: list[str], sp: SpectrogramParams) -> None:
        self.paths = list(paths)
        self.sp = sp

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int) -> Item:
        try:
            image, seconds, stats = clip_image_and_statistics(self.paths[i], self.sp)
            return i, image, "", seconds, stats
        except EmotifyError as err:
            return i, None, str(err), 0.0, None


def collate_by(items: list[Item], pack: Callable[[list[np.ndarray]], Any]) -> Collated:
    """Indices, the inputs that decoded packed by ``pack`` (or None), one error string per item
    ('' = ok), the seconds decoded and the decode statistics (None where it failed) per item."""
    inputs = [item[1] for item in items if item[1] is not None]
    return (
        [item[0] for item in items],
        pack(inputs) if inputs else None,
        [item[2] for item in items],
        [item[3] for item in items],
        [item[4] for item in items],
    )


def collate_images(items: list[Item]) -> Collated:
    """:func:`collate_by` for :class:`ClipImages`: the images stacked into one (B, 3, H, W) tensor."""
    import torch

    return collate_by(items, lambda images: torch.from_numpy(np.stack(images)))
