"""The data: data.csv read and checked, the audio files found, probed and tied to
their tracks (the track table), the download, the embedded demo, and the label tables (rating
shares, medians, binary labels). Imports ``core`` (and may import ``stats``)."""
