# Hooks of the main Snakemake process: who runs here (so that --unlock is refused while a run
# lives, see workflow/scripts/run_guard.py) and, before any job is submitted, a cluster whose
# status command cannot answer.
from emotify_pipeline.run_guard import clear_run, cluster_status_message, record_run


onstart:
    if cluster_status_message(workflow):
        raise WorkflowError(cluster_status_message(workflow))
    record_run()


onsuccess:
    clear_run()


onerror:
    clear_run()
