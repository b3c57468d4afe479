# Hooks of the main Snakemake process: before any job is submitted, a cluster whose status
# command cannot answer stops the run; the run records who runs here, so that another
# invocation refuses --unlock while it lives (emotify_pipeline/plumbing/run_guard.py).
from snakemake.exceptions import WorkflowError
from snakemake.logging import logger

from emotify_pipeline.features.networks import network
from emotify_pipeline.plumbing.run_guard import clear_run, cluster_status_message, record_run
from emotify_pipeline.plumbing.settings import leaky_models


onstart:
    message = cluster_status_message(workflow)  # asks sacct once
    if message:
        raise WorkflowError(message)
    record_run()
    for model in leaky_models(config):  # said on the terminal too, not only in the outputs
        logger.warning(f"WARNING: features: {model} was {network(model).leakage_warning}.")


onsuccess:
    clear_run()


onerror:
    clear_run()
