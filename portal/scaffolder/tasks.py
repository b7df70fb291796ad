"""Scaffolder background work: a task takes a run id and lets the service walk its steps."""

from celery import shared_task

from portal.scaffolder.services import run_execute


@shared_task(ignore_result=True, acks_late=True)
def scaffold_run_execute_task(run_id: str) -> None:
    run_execute(run_id)
