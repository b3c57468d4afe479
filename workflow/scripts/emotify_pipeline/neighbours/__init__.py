"""The geometry: split tables (random, artist, album), feature columns read by blocks,
neighbour rankings computed once per split, and the KNN votes counted from them. Imports the
stages below."""
