"""emotify-pipeline's library: every stage's functions, importable and tested on their own.

Each Snakemake rule runs one thin entry script beside this package (``workflow/scripts/<rule>.py``)
that imports the function it needs; a rule's code digest covers that entry and the package
modules it imports, as syntax trees (comments and docstrings excluded).
"""
