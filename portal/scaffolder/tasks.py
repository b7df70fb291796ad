"""Scaffolder background work: a task takes a run id and lets the service walk its steps."""

from celery import shared_task

from portal.scaffolder.services import run_execute, runs_waiting_resend


@shared_task(ignore_result=True, acks_late=True)
def scaffold_run_execute_task(run_id: str) -> None:
    run_execute(run_id)


@shared_task(ignore_result=True)
def scaffold_runs_sweep_task() -> None:
    """Re-send runs whose first send found the broker down."""
    runs_waiting_resend()
