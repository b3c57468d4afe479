"""The base every stage imports: facts of the Emotify archive and of the paper, the
error type, atomic writes, digests. Imports nothing else of the package."""
