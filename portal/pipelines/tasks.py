"""Shared pipelines background work: a task takes a roll-out id and lets the service work through it."""

from celery import shared_task

from portal.pipelines.services import rollout_run, rollouts_waiting_resend


@shared_task(ignore_result=True, acks_late=True)
def rollout_run_task(rollout_id: int) -> None:
    rollout_run(rollout_id)


@shared_task(ignore_result=True)
def rollouts_sweep_task() -> None:
    """Re-send roll-outs whose first send found the broker down."""
    rollouts_waiting_resend()
