# Hooks of the main Snakemake process: who runs here (so that --unlock is refused while a run
# lives, see workflow/scripts/run_guard.py) and, before any job is submitted, a cluster whose
# status command cannot answer.
from emotify_pipeline.plumbing.run_guard import clear_run, cluster_status_message, record_run
from emotify_pipeline.plumbing.run_guard import guard_message, invocation, live_run


def guard_against_a_live_run():
    """Stop before Snakemake's lock check when another run is alive here: its advice to use
    --unlock would break that run (see run_guard)."""
    mode = invocation(sys.argv[1:])
    if not workflow.is_main_process or mode == "read-only":
        return
    record = live_run()
    if record:
        raise WorkflowError(guard_message(record, unlocking=mode == "unlock"))


guard_against_a_live_run()


onstart:
    message = cluster_status_message(workflow)  # asks sacct once
    if message:
        raise WorkflowError(message)
    record_run()
    for model in leaky_models():  # said on the terminal too, not only in the outputs
        logger.warning(f"WARNING: features: {model} was {LEAKAGE_WARNING}.")


onsuccess:
    clear_run()


onerror:
    clear_run()
