"""Stage 2, the features: audio decoded to a spectrogram, the networks (``networks/``) that map
it to feature vectors, the shard runner with its checkpoints, the HDF5 feature store, the
production descriptors and the reduction. Imports ``core``, ``stats`` and ``data``."""
