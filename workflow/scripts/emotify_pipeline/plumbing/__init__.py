"""What runs the stages under Snakemake: the entry-script runner, code digests for ``params``,
the configuration's typing, the preflight checks of the data, the rules' paths, settings, input
functions and figure registry, the run guard, the Ctrl-C handler and the map of what each
configuration key reruns. Imports the stages below; no stage imports it."""
