"""Statistics: baselines, corrected intervals, permutation tests with their exchange, Holm,
the ceiling of the labels, and the named random streams every resampling draws from. Imports
only ``core``."""
