"""Resource-request background work: a task takes a request id and lets the service walk its steps."""

from celery import shared_task

from portal.infra.services import request_execute, requests_sweep


@shared_task(ignore_result=True, acks_late=True)
def resource_request_execute_task(request_id: str) -> None:
    request_execute(request_id)


@shared_task(ignore_result=True)
def resource_requests_sweep_task() -> None:
    """Re-send requests the broker missed; end or resume the ones whose approval was decided."""
    requests_sweep()
