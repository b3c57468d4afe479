"""Named random streams: one seed (``evaluation.seed``) drives every analysis, and each analysis
(each test, each kind of split) draws its own stream of it, so that adding, removing or
reordering one changes no other number. Its own module, so that the split rules, which use it,
do not rerun whenever the statistics change.
"""

import zlib

import numpy as np


def stream(seed: int, *names: object) -> np.random.Generator:
    """The named random stream of one analysis: a generator from ``SeedSequence(seed)`` with a
    spawn key derived from ``names`` (stable hashes), so each analysis (and each target within
    it) draws its own numbers and adding or removing one changes no other."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=_key(names)))


def stream_seed(seed: int, *names: object) -> int:
    """An integer seed from the named stream (:func:`stream`), for APIs that take one."""
    return int(np.random.SeedSequence(seed, spawn_key=_key(names)).generate_state(1)[0])


def _key(names: tuple[object, ...]) -> tuple[int, ...]:
    return tuple(zlib.crc32(str(n).encode()) for n in names)
