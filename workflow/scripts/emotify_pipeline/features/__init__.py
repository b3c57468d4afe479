"""The features: audio decoded to a spectrogram (``spectrogram``); the networks that map a
decoded clip to a feature vector (``networks/``: the registry, the interface every network
implements, VGG19, musicnn); one extraction shard (``shards``, with the extraction loop
``extract``, the execution settings ``execution`` and the shard's ``checkpoint``); the HDF5
feature files (``store``) and the merge of the shards (``merge``); the production descriptors
(``production``) and the reduction (``reduce``). Imports the stages before it (``core``, ``data``)."""
