"""emotify-pipeline's library: every stage's functions, importable and tested on their own.

The subpackages follow the workflow's data flow, each importing only itself and those before it
(``tests/test_layers.py``): ``core`` -> ``stats`` -> ``data`` -> ``features`` -> ``neighbours``
-> ``study`` -> ``report`` -> ``plumbing``. Each Snakemake rule runs one thin entry script
beside this package (``workflow/scripts/<rule>.py``) that imports the function it needs; a
rule's code digest covers that entry and the package modules it imports, as syntax trees
(comments and docstrings excluded).
"""

#: the stages in data-flow order: a module imports only its own stage and the ones before it
STAGES = ("core", "stats", "data", "features", "neighbours", "study", "report", "plumbing")
